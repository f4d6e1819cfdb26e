import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import { Dataset } from '../../src/data/dataset.js';
import { DynamicBinarizer, binarize, toContinuous, toUint8 } from '../../src/data/binarize.js';

const P = [0, 0.1, 0.25, 0.5, 0.9, 1];

/** n copies of the intensities P, so the per-pixel mean over examples estimates P. */
function repeated(n: number): Dataset {
  const x = new Float32Array(n * P.length);
  for (let i = 0; i < n; i++) x.set(P, i * P.length);
  return { name: 'p', x, n, shape: [P.length], kind: 'continuous' };
}

function pixelMeans(x: Float32Array, n: number): number[] {
  const ones = new Array(P.length).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < P.length; j++) ones[j] += x[i * P.length + j];
  return ones.map((c) => c / n);
}

test('stochastic binarization: binary values whose mean matches the intensity', () => {
  const n = 20000;
  const b = binarize(repeated(n), 'stochastic', new Rng(1));
  assert.equal(b.kind, 'binary');
  assert.ok(b.x.every((v) => v === 0 || v === 1));
  const m = pixelMeans(b.x, n);
  assert.equal(m[0], 0); // p = 0 never fires
  assert.equal(m[5], 1); // p = 1 always does
  // Standard error sqrt(p(1-p)/n) <= 0.0036; 0.015 is over 4 of them.
  for (let j = 1; j < 5; j++) assert.ok(Math.abs(m[j] - P[j]) < 0.015, `pixel ${j}: mean ${m[j]} vs ${P[j]}`);
});

test('stochastic binarization is fixed by the seed', () => {
  const d = repeated(500);
  assert.deepEqual(binarize(d, 'stochastic', new Rng(7)).x, binarize(d, 'stochastic', new Rng(7)).x);
  assert.notDeepEqual(binarize(d, 'stochastic', new Rng(7)).x, binarize(d, 'stochastic', new Rng(8)).x);
});

test('threshold binarization is exact: x > 0.5 -> 1', () => {
  const d: Dataset = { name: 't', x: Float32Array.from([0, 0.5, 0.5001, 1, 0.2, 0.75]), n: 2, shape: [3], kind: 'continuous', labels: Int32Array.from([3, 4]) };
  const b = binarize(d, 'threshold');
  assert.deepEqual([...b.x], [0, 0, 1, 1, 0, 1]);
  assert.equal(b.kind, 'binary');
  assert.deepEqual([...b.labels!], [3, 4]);
  assert.deepEqual([...d.x], [0, 0.5, 0.5001, 1, 0.2, 0.75].map(Math.fround)); // input untouched
});

test('binarize refuses 8-bit data, and stochastic mode without an Rng', () => {
  const u: Dataset = { name: 'u', x: Float32Array.from([0, 255]), n: 1, shape: [2], kind: 'uint8' };
  assert.throws(() => binarize(u, 'threshold'), (e: Error) => e instanceof UserError && /toContinuous/.test(e.message));
  assert.throws(() => binarize(repeated(1), 'stochastic'), UserError);
});

test('DynamicBinarizer redraws every epoch, reproducibly from the seed', () => {
  const n = 20000;
  const d = repeated(n);
  const dyn = new DynamicBinarizer(new Rng(3));
  const e1 = dyn.epoch(d);
  const e2 = dyn.epoch(d);
  assert.equal(e1.kind, 'binary');
  assert.notDeepEqual(e1.x, e2.x);
  const m = pixelMeans(e2.x, n);
  for (let j = 0; j < P.length; j++) assert.ok(Math.abs(m[j] - P[j]) < 0.015);
  const again = new DynamicBinarizer(new Rng(3));
  assert.deepEqual(again.epoch(d).x, e1.x);
  // A batch draw into a reused buffer.
  const out = new Float32Array(P.length);
  assert.equal(again.sample(Float32Array.from(P), out), out);
  assert.ok(out[0] === 0 && out[5] === 1);
  assert.throws(() => again.sample(Float32Array.from(P), new Float32Array(2)), UserError);
});

test('toContinuous and toUint8 invert each other on 0..255', () => {
  const x = Float32Array.from({ length: 256 }, (_, i) => i);
  const u: Dataset = { name: 'u', x, n: 1, shape: [256], kind: 'uint8' };
  const c = toContinuous(u);
  assert.equal(c.kind, 'continuous');
  assert.equal(c.x[255], 1);
  assert.ok(Math.abs(c.x[51] - 0.2) < 1e-7);
  const back = toUint8(c);
  assert.equal(back.kind, 'uint8');
  assert.deepEqual(back.x, x);
  assert.equal(toUint8(u), u);
  assert.throws(() => toContinuous({ ...u, kind: 'real' }), UserError);
});
