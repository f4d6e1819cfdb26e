import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { LinearProbe, linearProbe, probeModel, type LabelledCodes } from '../../src/eval/probe.js';
import type { GenerativeModel } from '../../src/models/model.js';

/** n codes of d features whose class is argmax_k w_k . z for fixed random w_k (a linear rule), with a margin. */
function separable(n: number, d: number, K: number, seed: number, scale: number[] = []): LabelledCodes {
  const rule = new Rng(99);
  const w = Array.from({ length: K * d }, () => rule.normal());
  const rng = new Rng(seed);
  const x = new Float64Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; ) {
    const z = Array.from({ length: d }, () => rng.normal());
    const scores = Array.from({ length: K }, (_, k) => z.reduce((s, v, j) => s + w[k * d + j] * v, 0));
    const sorted = [...scores].sort((a, b) => b - a);
    if (sorted[0] - sorted[1] < 0.3) continue; // keep a margin, so the rule is learnable to 100%
    // Features on very different scales and offsets: standardisation must undo them.
    z.forEach((v, j) => (x[i * d + j] = v * (scale[j] ?? 1) + 10 * j));
    labels[i] = scores.indexOf(sorted[0]);
    i++;
  }
  return { x, labels, n };
}

test('the probe classifies linearly separable codes (features on scales 1e-3 to 1e3) almost perfectly', () => {
  const scale = [1e-3, 1, 1e3, 10];
  const report = linearProbe(separable(2000, 4, 5, 1, scale), separable(1000, 4, 5, 2, scale), 4);
  assert.equal(report.trainExamples, 2000);
  assert.equal(report.testExamples, 1000);
  assert.ok(report.trainAccuracy >= 0.99, `train accuracy ${report.trainAccuracy}`);
  assert.ok(report.accuracy >= 0.98, `test accuracy ${report.accuracy}`);
});

test('on random labels the probe is at chance on test codes', () => {
  const random = (n: number, seed: number): LabelledCodes => {
    const rng = new Rng(seed);
    return { x: Float64Array.from({ length: n * 6 }, () => rng.normal()), labels: Int32Array.from({ length: n }, () => rng.int(10)), n };
  };
  const report = linearProbe(random(3000, 3), random(3000, 4), 6);
  // Chance is 0.1; the standard error of an accuracy on 3000 examples is 0.0055.
  assert.ok(Math.abs(report.accuracy - 0.1) < 0.025, `test accuracy ${report.accuracy}`);
});

test('the fit is deterministic given the seed, and the seed only orders minibatches', () => {
  const train = separable(600, 3, 3, 5);
  const test = separable(300, 3, 3, 6);
  const a = LinearProbe.fit(train, 3, 3, { seed: 7, steps: 50 }).predict(test.x, test.n);
  const b = LinearProbe.fit(train, 3, 3, { seed: 7, steps: 50 }).predict(test.x, test.n);
  assert.deepEqual(a, b);
  // Full batch: every step sees all examples, so the seed cannot matter.
  const full = (seed: number) => LinearProbe.fit(train, 3, 3, { seed, steps: 50, batchSize: 600 }).predict(test.x, test.n);
  assert.deepEqual(full(1), full(2));
});

test('bad labels and models without codes are user errors', () => {
  const codes = { x: new Float64Array(4), labels: Int32Array.from([0, 3]), n: 2 };
  assert.throws(() => LinearProbe.fit(codes, 2, 2), UserError);
  const noCodes = { name: 'markov', densityKind: 'exact' } as unknown as GenerativeModel;
  const data = { name: 'd', x: new Float32Array(4), n: 2, shape: [2], kind: 'binary' as const, labels: Int32Array.from([0, 1]) };
  return assert.rejects(probeModel(noCodes, data, data, 2), /markov has no latent codes/);
});
