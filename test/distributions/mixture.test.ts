import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GaussianMixture } from '../../src/distributions/mixture.js';
import { Gaussian } from '../../src/distributions/gaussian.js';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);

const mix1 = new GaussianMixture({ weights: [0.2, 0.5, 0.3], means: [[-3], [0], [4]], stds: [[0.5], [1], [2]] });
const mix2 = new GaussianMixture({
  logits: [0, Math.log(3)],
  means: [[-2, 0], [2, 1]],
  stds: [[1, 0.5], [0.7, 1.2]],
});

test('logProb equals the naive log of the weighted sum, and stays finite far away', () => {
  for (const x of [-3, 0.3, 2, 7]) {
    let p = 0;
    for (let k = 0; k < 3; k++) p += mix1.weights[k] * Math.exp(mix1.component(k).logProb(x));
    close(mix1.logProb(x), Math.log(p), 1e-13);
  }
  // At x = 1000 every component density underflows to 0; logSumExp keeps the widest one.
  const far = mix1.logProb(1000);
  assert.ok(Number.isFinite(far));
  close(far, Math.log(0.3) + new Gaussian({ mean: [4], std: [2] }).logProb(1000), 1e-6);
  const batch = mix2.logProbBatch([[0, 0], [1, 1]]);
  close(batch[1], mix2.logProb([1, 1]), 0);
  const r = mix1.responsibilities(-3);
  close(r[0] + r[1] + r[2], 1, 1e-15);
  assert.ok(r[0] > 0.9);
});

test('a one-component mixture is its Gaussian', () => {
  const g = new Gaussian({ mean: [1, 2], std: [0.5, 3] });
  const m = new GaussianMixture({ weights: [1], means: [[1, 2]], stds: [[0.5, 3]] });
  for (const x of [[0, 0], [1, 2], [-4, 9]]) close(m.logProb(x), g.logProb(x), 1e-14);
});

test('1-D density integrates to 1 (trapezoid)', () => {
  const a = -15;
  const b = 15;
  const m = 6000;
  const h = (b - a) / m;
  let s = 0;
  for (let i = 0; i <= m; i++) s += (i === 0 || i === m ? 0.5 : 1) * Math.exp(mix1.logProb(a + i * h));
  close(s * h, 1, 1e-8);
});

test('2-D density integrates to 1 on a grid (trapezoid in both axes)', () => {
  const a = -10;
  const b = 10;
  const m = 400;
  const h = (b - a) / m;
  const x = new Float64Array((m + 1) * (m + 1) * 2); // [(m+1)^2, 2]
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= m; j++) {
      x[(i * (m + 1) + j) * 2] = a + i * h;
      x[(i * (m + 1) + j) * 2 + 1] = a + j * h;
    }
  }
  const lp = mix2.logProbBatch(x);
  let s = 0;
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= m; j++) {
      const w = (i === 0 || i === m ? 0.5 : 1) * (j === 0 || j === m ? 0.5 : 1);
      s += w * Math.exp(lp[i * (m + 1) + j]);
    }
  }
  close(s * h * h, 1, 1e-6);
});

test('entropyEstimate: matches sum_k pi_k H_k + H(pi) for well-separated components', () => {
  const m = new GaussianMixture({ weights: [0.3, 0.7], means: [[-50], [50]], stds: [[1], [2]] });
  const Hk = [1, 2].map((s) => 0.5 * (1 + Math.log(2 * Math.PI)) + Math.log(s));
  const expected = 0.3 * Hk[0] + 0.7 * Hk[1] - (0.3 * Math.log(0.3) + 0.7 * Math.log(0.7));
  const est = m.entropyEstimate(20000, new Rng(2));
  assert.ok(est.standardError < 0.02);
  close(est.entropy, expected, 4 * est.standardError);
});

/** Samples of a well-separated 1-D two-component mixture. */
function twoBumps(n: number, seed: number) {
  const truth = new GaussianMixture({ weights: [0.3, 0.7], means: [[-5], [5]], stds: [[1], [0.5]] });
  return { truth, x: truth.sample(n, new Rng(seed)) };
}

test('EM recovers means, stds and weights of a well-separated 1-D mixture; trace non-decreasing', () => {
  const n = 3000;
  const { truth, x } = twoBumps(n, 42);
  for (const init of ['kmeans++', 'random'] as const) {
    const fit = GaussianMixture.fit(x, { components: 2, init, rng: 9 });
    const order = fit.model.means[0] < fit.model.means[1] ? [0, 1] : [1, 0];
    const w = order.map((k) => fit.model.weights[k]);
    const mu = order.map((k) => fit.model.means[k]);
    const sd = order.map((k) => fit.model.stds[k]);
    // Standard errors: weight sqrt(.21/3000) = 0.008; mean sigma/sqrt(n pi) = 0.033, 0.011.
    close(w[0], 0.3, 0.035, `${init} weight`);
    close(mu[0], -5, 0.15, `${init} mean 0`);
    close(mu[1], 5, 0.05, `${init} mean 1`);
    close(sd[0], 1, 0.1, `${init} std 0`);
    close(sd[1], 0.5, 0.05, `${init} std 1`);
    const t = fit.logLikelihoodTrace;
    assert.equal(t.length, fit.iterations + 1);
    for (let i = 1; i < t.length; i++) assert.ok(t[i] >= t[i - 1] - 1e-12, `${init}: trace decreased at ${i}: ${t[i - 1]} -> ${t[i]}`);
    assert.ok(fit.converged);
    // The last entry is the returned model's mean log-likelihood, at least the true parameters'.
    const ll = fit.model.logProbBatch(x).reduce((s, v) => s + v, 0) / n;
    close(t[t.length - 1], ll, 1e-10);
    const llTruth = truth.logProbBatch(x).reduce((s, v) => s + v, 0) / n;
    assert.ok(ll >= llTruth - 1e-9, `${ll} < ${llTruth}`);
  }
});

test('EM in 2-D with a poor start still increases the log-likelihood monotonically', () => {
  const truth = new GaussianMixture({
    weights: [0.5, 0.3, 0.2],
    means: [[0, 0], [4, 4], [-4, 4]],
    stds: [[1, 1], [0.5, 1], [1, 0.3]],
  });
  const x = truth.sample(1500, new Rng(8));
  const fit = GaussianMixture.fit(x, { components: 3, dim: 2, init: 'random', rng: new Rng(1), maxIter: 50, tol: 0 });
  const t = fit.logLikelihoodTrace;
  assert.equal(fit.iterations, 50);
  assert.equal(fit.converged, false);
  for (let i = 1; i < t.length; i++) assert.ok(t[i] >= t[i - 1] - 1e-12, `trace decreased at ${i}`);
  assert.ok(t[t.length - 1] > t[0]);
  // minStd is respected.
  const tight = GaussianMixture.fit([0, 0, 0, 10, 10, 10], { components: 2, minStd: 0.01 });
  assert.ok(tight.model.stds.every((s) => s >= 0.01));
});

test('fit and constructor reject bad input with UserError', () => {
  assert.throws(() => GaussianMixture.fit([], { components: 1 }), UserError);
  assert.throws(() => GaussianMixture.fit([1, 2], { components: 3 }), UserError);
  assert.throws(() => GaussianMixture.fit([1, 2, 3], { components: 1, dim: 2 }), UserError);
  assert.throws(() => GaussianMixture.fit([1, 2, 3], { components: 0 }), UserError);
  assert.throws(() => GaussianMixture.fit([1, 2, 3], { components: 1, minStd: -1 }), UserError);
  assert.throws(() => GaussianMixture.fit([1, 2, 3], { components: 1, init: 'bogus' as never }), UserError);
  assert.throws(() => GaussianMixture.fit([1, 2, 3], undefined as never), UserError);
  assert.throws(() => new GaussianMixture({ weights: [0.5, 0.6], means: [[0], [1]], stds: [[1], [1]] }), UserError);
  assert.throws(() => new GaussianMixture({ weights: [0.5, 0.5], means: [[0], [1]], stds: [[1], [0]] }), UserError);
  assert.throws(() => new GaussianMixture({ weights: [0.5, 0.5], means: [[0]], stds: [[1], [1]] }), UserError);
  assert.throws(() => new GaussianMixture({ weights: [0.5, 0.5], means: [[0], [1, 2]], stds: [[1], [1]] }), UserError);
  assert.throws(() => mix2.logProb([1]), UserError);
});

test('JSON round trip', () => {
  for (const m of [mix1, mix2]) {
    const back = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(m)));
    assert.deepEqual(back.getParams(), m.getParams());
    const x = m.dim === 1 ? 0.7 : [0.7, -0.2];
    assert.equal(back.logProb(x), m.logProb(x));
  }
});
