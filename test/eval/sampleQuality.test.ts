import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { featureMoments, frechetDistance, type FeatureMoments } from '../../src/eval/frechet.js';
import { classSpread, inceptionScore, kthNeighbourDistances, labelAgreement, precisionRecall } from '../../src/eval/sampleQuality.js';

before(async () => {
  await initBackend('wasm');
});

function moments(mean: number[], covariance: number[]): FeatureMoments {
  return { mean: Float64Array.from(mean), covariance: Float64Array.from(covariance), d: mean.length, n: 1000 };
}

/** A random symmetric positive definite 2 x 2 matrix [a b; b c]. */
function randomSpd(rng: Rng): number[] {
  const [p, q, r] = [rng.normal(), rng.normal(), rng.normal()];
  // L L^T with L = [p 0; q r], plus a ridge.
  return [p * p + 0.1, p * q, p * q, q * q + r * r + 0.1];
}

test('Frechet distance of two 2-D Gaussians matches the closed form tr sqrt(M) = sqrt(tr M + 2 sqrt(det M))', () => {
  // For 2 x 2 PSD M = S1^(1/2) S2 S1^(1/2): tr M = tr(S1 S2), det M = det S1 det S2.
  const rng = new Rng(1);
  for (let trial = 0; trial < 20; trial++) {
    const s1 = randomSpd(rng);
    const s2 = randomSpd(rng);
    const m1 = [rng.normal(), rng.normal()];
    const m2 = [rng.normal(), rng.normal()];
    const trProduct = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
    const det = (s: number[]) => s[0] * s[3] - s[1] * s[2];
    const crossTrace = Math.sqrt(trProduct + 2 * Math.sqrt(det(s1) * det(s2)));
    const expected = (m1[0] - m2[0]) ** 2 + (m1[1] - m2[1]) ** 2 + s1[0] + s1[3] + s2[0] + s2[3] - 2 * crossTrace;
    const got = frechetDistance(moments(m1, s1), moments(m2, s2));
    assert.ok(Math.abs(got - expected) < 1e-9 * Math.max(1, expected), `trial ${trial}: ${got} vs ${expected}`);
  }
});

test('Frechet distance of diagonal Gaussians is |dmu|^2 + sum (sqrt a - sqrt b)^2, and 0 for identical ones', () => {
  const a = [4, 1, 9];
  const b = [1, 1, 16];
  const diag = (v: number[]) => v.flatMap((x, i) => v.map((_, j) => (i === j ? x : 0)));
  const got = frechetDistance(moments([0, 0, 0], diag(a)), moments([1, 2, 0], diag(b)));
  assert.ok(Math.abs(got - (1 + 4 + 1 + 0 + 1)) < 1e-9, String(got));
  assert.ok(frechetDistance(moments([1, 2, 0], diag(b)), moments([1, 2, 0], diag(b))) < 1e-9);
});

test('featureMoments: the mean and the unbiased covariance of a hand-made set', () => {
  // Points (0,0), (2,0), (0,2), (2,2): mean (1,1); variances 4/3 each (sum of squares 4, n - 1 = 3); covariance 0.
  const m = featureMoments([0, 0, 2, 0, 0, 2, 2, 2], 4, 2);
  assert.deepEqual(Array.from(m.mean), [1, 1]);
  assert.deepEqual(Array.from(m.covariance).map((v) => +v.toFixed(12)), [4 / 3, 0, 0, 4 / 3].map((v) => +v.toFixed(12)));
});

test('the Frechet distance of samples from two Gaussians approaches the closed form', () => {
  // N(0, I) against N((3, 0), diag(4, 1)): 9 + (2 - 1)^2 + 0 = 10.
  const rng = new Rng(2);
  const n = 20000;
  const x = new Float32Array(2 * n);
  const y = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = rng.normal();
    x[2 * i + 1] = rng.normal();
    y[2 * i] = 3 + 2 * rng.normal();
    y[2 * i + 1] = rng.normal();
  }
  const got = frechetDistance(featureMoments(x, n, 2), featureMoments(y, n, 2));
  assert.ok(Math.abs(got - 10) < 0.25, String(got));
});

test('k-th neighbour distances on a line of points', async () => {
  // Points at 0, 1, 3, 7: 1st neighbours at 1, 1, 2, 4; 2nd at 3, 2, 3, 6.
  const x = Float32Array.from([0, 1, 3, 7]);
  assert.deepEqual(Array.from(await kthNeighbourDistances(x, 4, 1, 1)), [1, 1, 2, 4]);
  assert.deepEqual(Array.from(await kthNeighbourDistances(x, 4, 1, 2)), [3, 2, 3, 6]);
});

test('precision and recall on sets with a known overlap: half the samples copy one real cluster, half sit far away', async () => {
  // Real: clusters A (near the origin) and B (near (100, 0)), 50 points each. Generated: copies of A,
  // and 50 points near (0, 1000). Precision: the copies lie in real balls, the far ones in none = 0.5.
  // Recall: A's points sit on their copies, B's points in no generated ball = 0.5.
  const rng = new Rng(3);
  const cluster = (cx: number, cy: number) => Array.from({ length: 50 }, () => [cx + rng.normal(), cy + rng.normal()]).flat();
  const a = cluster(0, 0);
  const real = Float32Array.from([...a, ...cluster(100, 0)]);
  const generated = Float32Array.from([...a, ...cluster(0, 1000)]);
  const before = tf.memory().numTensors;
  const { precision, recall } = await precisionRecall(real, 100, generated, 100, 2, 3);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(precision, 0.5);
  assert.equal(recall, 0.5);
  const same = await precisionRecall(real, 100, real, 100, 2, 3);
  assert.deepEqual(same, { precision: 1, recall: 1 });
});

test('Inception-Score analogue: K for confident, evenly spread classes; 1 for one class or uniform p(y|x)', () => {
  const K = 4;
  const oneHot = (k: number) => Array.from({ length: K }, (_, j) => (j === k ? 1 : 0));
  const spread = Float32Array.from([0, 1, 2, 3, 0, 1, 2, 3].flatMap(oneHot));
  assert.ok(Math.abs(inceptionScore(spread, 8, K) - 4) < 1e-6);
  assert.ok(Math.abs(inceptionScore(Float32Array.from([2, 2, 2].flatMap(oneHot)), 3, K) - 1) < 1e-6);
  assert.ok(Math.abs(inceptionScore(new Float32Array(2 * K).fill(0.25), 2, K) - 1) < 1e-6);
  // Two samples with p(y|x) = (0.5, 0.5, 0, 0) and (0, 0, 0.5, 0.5): p(y) uniform, KL = log 2 each: IS = 2.
  assert.ok(Math.abs(inceptionScore(Float32Array.from([0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5]), 2, K) - 2) < 1e-6);
});

test('class spread: histogram, KL to uniform (log K for one class) and mean confidence by hand', () => {
  const K = 2;
  // Three samples: p(y|x) = (0.9, 0.1), (0.8, 0.2), (0.3, 0.7): classes 0, 0, 1.
  const s = classSpread(Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.3, 0.7]), 3, K);
  assert.deepEqual(s.histogram.map((h) => +h.toFixed(6)), [0.666667, 0.333333]);
  const kl = (2 / 3) * Math.log((2 / 3) * 2) + (1 / 3) * Math.log((1 / 3) * 2);
  assert.ok(Math.abs(s.klToUniform - kl) < 1e-12);
  assert.ok(Math.abs(s.meanConfidence - (0.9 + 0.8 + 0.7) / 3) < 1e-6);
  const collapsed = classSpread(Float32Array.from([1, 0, 1, 0]), 2, K);
  assert.ok(Math.abs(collapsed.klToUniform - Math.log(2)) < 1e-12);
});

test('label agreement: the fraction of samples read as the class they were drawn for, by hand', () => {
  // p(y|x) argmax: 0, 0, 1, 1; asked for 0, 1, 1, 0: two of four agree.
  const probabilities = Float32Array.from([0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.2, 0.8]);
  assert.equal(labelAgreement(probabilities, 4, 2, [0, 1, 1, 0]), 0.5);
  assert.equal(labelAgreement(probabilities, 4, 2, [0, 0, 1, 1]), 1);
  assert.throws(() => labelAgreement(probabilities, 4, 2, [0, 1]), /one requested label per sample/);
});
