import { test } from 'node:test';
import assert from 'node:assert/strict';
import { log1mexp, logSigmoid, logSoftmax, logSumExp, sigmoid, softplus, toMatrix } from '../../src/distributions/math.js';
import { UserError } from '../../src/core/errors.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

test('logSumExp is stable at +-1000 and exact on small inputs', () => {
  close(logSumExp([1000, 1000]), 1000 + Math.LN2, 1e-12);
  close(logSumExp([-1000, -1000]), -1000 + Math.LN2, 1e-12);
  close(logSumExp([1000, -1000]), 1000, 0);
  close(logSumExp(new Float64Array([0, Math.log(2), Math.log(3)])), Math.log(6), 1e-15);
  assert.equal(logSumExp([-Infinity, 0]), 0);
  assert.equal(logSumExp([-Infinity, -Infinity]), -Infinity);
  assert.equal(logSumExp([]), -Infinity);
  // The range form over a slice of a scratch buffer.
  close(logSumExp([99, 0, 0, 99], 1, 3), Math.LN2, 1e-15);
});

test('logSigmoid and softplus at +-100 (and beyond) without overflow', () => {
  close(logSigmoid(-100), -100, 1e-12); // log(1 / (1 + e^100)) = -100 - log1p(e^-100)
  assert.ok(logSigmoid(100) < 0 && logSigmoid(100) > -1e-43, `${logSigmoid(100)}`); // -e^-100 = -3.7e-44
  close(logSigmoid(100) / -Math.exp(-100), 1, 1e-12);
  close(logSigmoid(0), -Math.LN2, 1e-15);
  close(logSigmoid(-1000), -1000, 0);
  assert.ok(Number.isFinite(logSigmoid(1e308)) && Number.isFinite(logSigmoid(-1e308)));
  close(softplus(1000), 1000, 0);
  close(softplus(-40), Math.exp(-40), 1e-30);
  close(sigmoid(-1000), 0, 0);
  close(sigmoid(1000), 1, 0);
  close(sigmoid(2) + sigmoid(-2), 1, 1e-15);
});

test('log1mexp matches log(1 - exp(x)) where that is accurate and stays accurate near 0', () => {
  for (const x of [-0.1, -0.5, -1, -3]) close(log1mexp(x), Math.log(1 - Math.exp(x)), 1e-14);
  close(log1mexp(-1e-20), Math.log(1e-20), 1e-12); // naive form gives log(0)
  close(log1mexp(-800), -Math.exp(-800), 1e-300);
  assert.ok(Number.isNaN(log1mexp(1)));
});

test('logSoftmax sums to 1 in probability space even for logits of 1000', () => {
  const l = logSoftmax([1000, 1000, 0]);
  close(l[0], -Math.LN2, 1e-12);
  close(l[2], -1000 - Math.LN2, 1e-9);
  close(Math.exp(l[0]) + Math.exp(l[1]) + Math.exp(l[2]), 1, 1e-15);
});

test('toMatrix reads rows and flat data and rejects bad input', () => {
  const a = toMatrix([[1, 2], [3, 4], [5, 6]], undefined);
  assert.deepEqual([a.n, a.d, Array.from(a.values)], [3, 2, [1, 2, 3, 4, 5, 6]]);
  const b = toMatrix(new Float32Array([1, 2, 3, 4]), 2);
  assert.deepEqual([b.n, b.d], [2, 2]);
  assert.throws(() => toMatrix([], 1), UserError);
  assert.throws(() => toMatrix([1, 2, 3], 2), UserError);
  assert.throws(() => toMatrix([[1, 2], [3]], undefined), UserError);
  assert.throws(() => toMatrix([[1, 2]], 3), UserError);
  assert.throws(() => toMatrix([1, NaN], 1), UserError);
});
