import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Categorical } from '../../src/distributions/categorical.js';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

test('probabilities over all K states sum to 1 (probs and logits)', () => {
  for (const c of [
    new Categorical({ probs: [0.1, 0.2, 0.3, 0.4] }),
    new Categorical({ logits: [3, -1, 0.5, 0, 7] }),
    new Categorical({ logits: [1000, 0, -1000] }),
  ]) {
    let total = 0;
    for (let k = 0; k < c.states; k++) total += Math.exp(c.logProb(k));
    close(total, 1, 1e-12);
  }
});

test('logProb against hand values', () => {
  const c = new Categorical({ probs: [0.5, 0.25, 0.25] });
  close(c.logProb(0), Math.log(0.5), 1e-15);
  close(c.logProb(2), Math.log(0.25), 1e-15);
  // softmax([0, log 2, log 5]) = [1, 2, 5] / 8.
  const l = new Categorical({ logits: [0, Math.log(2), Math.log(5)] });
  close(l.logProb(2), Math.log(5 / 8), 1e-15);
  // Logits 1000 apart: exact log-probabilities, no overflow.
  const big = new Categorical({ logits: [1000, 0] });
  close(big.logProb(1), -1000, 1e-12);
  close(big.logProb(0), 0, 1e-300);
  assert.deepEqual(Array.from(c.logProbBatch([0, 2])), [c.logProb(0), c.logProb(2)]);
});

test('entropy: closed form, uniform = log K, one-hot = 0', () => {
  close(new Categorical({ probs: [0.25, 0.25, 0.25, 0.25] }).entropy(), Math.log(4), 1e-15);
  assert.equal(new Categorical({ probs: [0, 1, 0] }).entropy(), 0);
  close(new Categorical({ probs: [0.5, 0.25, 0.25] }).entropy(), 1.5 * Math.LN2, 1e-15);
});

test('sampling never picks a zero-probability state and ML fit recovers probs', () => {
  const truth = [0.1, 0, 0.6, 0.3, 0];
  const n = 20000;
  const x = new Categorical({ probs: truth }).sample(n, new Rng(7));
  assert.ok(x.every((k) => truth[k] > 0));
  const fit = Categorical.fit(x, { states: truth.length });
  for (let k = 0; k < truth.length; k++) {
    const se = Math.sqrt((truth[k] * (1 - truth[k])) / n);
    close(fit.probs[k], truth[k], 4 * se + 1e-12, `pi[${k}]`);
  }
});

test('fit: counting with Laplace smoothing, K inferred from the data', () => {
  const f = Categorical.fit([0, 0, 1, 3]);
  assert.equal(f.states, 4);
  assert.deepEqual(Array.from(f.probs), [0.5, 0.25, 0, 0.25]);
  const s = Categorical.fit([0, 0, 1, 3], { alpha: 1 });
  assert.deepEqual(Array.from(s.probs), [3 / 8, 2 / 8, 1 / 8, 2 / 8]);
});

test('fit and constructor reject bad input with UserError', () => {
  assert.throws(() => Categorical.fit([]), UserError);
  assert.throws(() => Categorical.fit([0, 1.5]), UserError);
  assert.throws(() => Categorical.fit([0, -1]), UserError);
  assert.throws(() => Categorical.fit([0, 3], { states: 3 }), UserError);
  assert.throws(() => new Categorical({ probs: [0.5, 0.6] }), UserError);
  assert.throws(() => new Categorical({ probs: [1.5, -0.5] }), UserError);
  assert.throws(() => new Categorical({ probs: [] }), UserError);
  assert.throws(() => new Categorical({ logits: [0, NaN] }), UserError);
  assert.throws(() => new Categorical({ probs: [1] }).logProb(1), UserError);
  // Within the 1e-6 tolerance is accepted (and renormalised).
  const c = new Categorical({ probs: [0.5, 0.5 + 5e-7] });
  close(c.probs[0] + c.probs[1], 1, 1e-15);
});

test('JSON round trip', () => {
  for (const c of [new Categorical({ probs: [0.2, 0.8] }), new Categorical({ logits: [1, 2, 3] })]) {
    const back = Categorical.fromJSON(JSON.parse(JSON.stringify(c)));
    assert.deepEqual(back.getParams(), c.getParams());
    assert.deepEqual(back.logProbs, c.logProbs);
  }
});
