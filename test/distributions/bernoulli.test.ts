import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bernoulli } from '../../src/distributions/bernoulli.js';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

/** Every binary vector of length D. */
function allBinary(D: number): number[][] {
  return Array.from({ length: 2 ** D }, (_, m) => Array.from({ length: D }, (_, d) => (m >> d) & 1));
}

test('probabilities over all 2^D outcomes sum to 1 (probs and logits)', () => {
  for (const b of [
    new Bernoulli({ probs: [0.1, 0.5, 0.93] }),
    new Bernoulli({ logits: [-3, 0, 40] }),
    new Bernoulli({ probs: [0, 1, 0.25] }),
  ]) {
    const total = allBinary(3).reduce((s, x) => s + Math.exp(b.logProb(x)), 0);
    close(total, 1, 1e-12);
  }
});

test('logProb against hand values', () => {
  const b = new Bernoulli({ probs: 0.3 });
  close(b.logProb(1), Math.log(0.3), 1e-15);
  close(b.logProb(0), Math.log(0.7), 1e-15);
  const v = new Bernoulli({ probs: [0.2, 0.9] });
  close(v.logProb([1, 0]), Math.log(0.2 * 0.1), 1e-14);
  // logits l = log(p / (1 - p)): l = log 3 means p = 3/4.
  const l = new Bernoulli({ logits: Math.log(3) });
  close(l.logProb(1), Math.log(0.75), 1e-15);
  close(l.logProb(0), Math.log(0.25), 1e-15);
  // Soft targets: negative binary cross-entropy.
  close(b.logProb(0.5), 0.5 * Math.log(0.3) + 0.5 * Math.log(0.7), 1e-15);
  // Degenerate probabilities: 0 log 0 = 0, the impossible value has log-probability -Infinity.
  const certain = new Bernoulli({ probs: 1 });
  assert.equal(certain.logProb(1), 0);
  assert.equal(certain.logProb(0), -Infinity);
  const batch = v.logProbBatch([[1, 0], [0, 1]]);
  close(batch[1], Math.log(0.8 * 0.9), 1e-14);
});

test('logits of +-100 and +-1000 keep exact log-probabilities', () => {
  const b = new Bernoulli({ logits: [1000, -100] });
  close(b.logProb([0, 1]), -1000 - 100, 1e-9);
  close(b.logProb([1, 0]), 0, 1e-40);
});

test('entropy: closed form and its maximum log 2 at p = 1/2', () => {
  close(new Bernoulli({ probs: 0.5 }).entropy(), Math.LN2, 1e-15);
  const p = 0.2;
  close(new Bernoulli({ probs: [p, 0, 1] }).entropy(), -(p * Math.log(p) + (1 - p) * Math.log(1 - p)), 1e-15);
});

test('ML fit recovers probs from samples within sampling error', () => {
  const truth = [0.05, 0.3, 0.5, 0.9];
  const n = 20000;
  const x = new Bernoulli({ probs: truth }).sample(n, new Rng(1));
  assert.equal(x.length, n * truth.length);
  const fit = Bernoulli.fit(x, { dim: truth.length });
  for (let d = 0; d < truth.length; d++) {
    const se = Math.sqrt((truth[d] * (1 - truth[d])) / n);
    close(fit.probs[d], truth[d], 4 * se, `p[${d}]`);
  }
});

test('fit: Laplace smoothing and the scalar form', () => {
  const f = Bernoulli.fit([1, 1, 1]);
  assert.deepEqual(f.getParams(), { probs: 1 });
  const s = Bernoulli.fit([1, 1, 1], { alpha: 1 });
  close(s.probs[0], 4 / 5, 1e-15);
  const rows = Bernoulli.fit([[1, 0], [1, 1]]);
  assert.deepEqual(Array.from(rows.probs), [1, 0.5]);
});

test('fit and constructor reject bad input with UserError', () => {
  assert.throws(() => Bernoulli.fit([]), UserError);
  assert.throws(() => Bernoulli.fit([0, 2]), UserError);
  assert.throws(() => Bernoulli.fit([0, 1, 1], { dim: 2 }), UserError);
  assert.throws(() => Bernoulli.fit([[0, 1], [1]]), UserError);
  assert.throws(() => Bernoulli.fit([0, 1], { alpha: -1 }), UserError);
  assert.throws(() => new Bernoulli({ probs: 1.2 }), UserError);
  assert.throws(() => new Bernoulli({ probs: [-0.1] }), UserError);
  assert.throws(() => new Bernoulli({ logits: Infinity }), UserError);
  assert.throws(() => new Bernoulli({ probs: 0.5, logits: 0 } as never), UserError);
  assert.throws(() => new Bernoulli({ probs: [0.5] }).logProb([0, 1]), UserError);
  assert.throws(() => new Bernoulli({ probs: [0.5] }).logProb(2), UserError);
});

test('JSON round trip', () => {
  for (const b of [new Bernoulli({ probs: [0.1, 0.7] }), new Bernoulli({ logits: -2.5 })]) {
    const back = Bernoulli.fromJSON(JSON.parse(JSON.stringify(b)));
    assert.deepEqual(back.getParams(), b.getParams());
    assert.equal(back.logProb(b.dim === 1 ? 1 : [1, 0]), b.logProb(b.dim === 1 ? 1 : [1, 0]));
  }
  assert.throws(() => Bernoulli.fromJSON({ type: 'gaussian', probs: 0.5 }), UserError);
});
