import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { logNormalInterval } from '../../../src/distributions/math.js';
import { boundStrata, diffusionBound, type DiffusionDecoder } from '../../../src/models/diffusion/bound.js';
import type { EpsilonFn } from '../../../src/models/diffusion/samplers.js';
import { NoiseSchedule } from '../../../src/models/diffusion/schedule.js';

before(async () => {
  await initBackend('wasm');
});

/** A fixed "network": eps(x, t) = 0.3 x + 0.1 (t + 1), per example's t. */
const FIXED: EpsilonFn = (x, t) => tf.add(tf.mul(x, 0.3), tf.tensor2d(Float32Array.from(t, (i) => 0.1 * (i + 1)), [t.length, 1]));
const fixed = (x: number, i: number) => 0.3 * x + 0.1 * (i + 1);

/** KL(N(m1, v1) || N(m2, v2)) in one dimension. */
const gaussKl = (m1: number, v1: number, m2: number, v2: number) => 0.5 * (Math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1);

/** Simpson's rule for the N(mu, sigma^2) mass on [a, b] (infinite ends cut at 14 sigma). */
function gaussianMass(a: number, b: number, mu: number, sigma: number): number {
  const lo = Math.max(a, mu - 14 * sigma);
  const hi = Math.min(b, mu + 14 * sigma);
  if (!(lo < hi)) return 0;
  const steps = 20000;
  const h = (hi - lo) / steps;
  const density = (x: number) => Math.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI));
  let s = density(lo) + density(hi);
  for (let k = 1; k < steps; k++) s += (k % 2 ? 4 : 2) * density(lo + k * h);
  return (s * h) / 3;
}

/**
 * The bound of Ho et al.'s Eq. 5 for T = 3 recomputed from its definition in float64: every mean and
 * variance from the betas by hand (Eqs. 4, 7, 11), KLs by the Gaussian formula, the discretized
 * decoder by numerical integration; the same draws as the estimator (decoder noise, then per
 * stratum the timesteps and the noise).
 */
function handBound(betas: number[], x0: number[][], rng: Rng, decoder: DiffusionDecoder, net = fixed) {
  const n = x0.length;
  const D = x0[0].length;
  const alphas = betas.map((b) => 1 - b);
  const alphaBar = [alphas[0], alphas[0] * alphas[1], alphas[0] * alphas[1] * alphas[2]];
  const z1 = x0.map(() => x0[0].map(() => rng.normal()));
  const out = x0.map(() => ({ decoder: 0, denoising: 0, prior: 0 }));
  for (let b = 0; b < n; b++) {
    for (let d = 0; d < D; d++) {
      const x = x0[b][d];
      out[b].prior += gaussKl(Math.sqrt(alphaBar[2]) * x, 1 - alphaBar[2], 0, 1);
      const x1 = Math.sqrt(alphaBar[0]) * x + Math.sqrt(1 - alphaBar[0]) * z1[b][d];
      const mu = (x1 - (betas[0] / Math.sqrt(1 - alphaBar[0])) * net(x1, 0)) / Math.sqrt(alphas[0]);
      const sigma = Math.sqrt(betas[0]);
      if (decoder === 'gaussian') out[b].decoder += -0.5 * Math.log(2 * Math.PI * betas[0]) - (x - mu) ** 2 / (2 * betas[0]);
      else out[b].decoder += Math.log(gaussianMass(x <= -1 ? -Infinity : x - 1 / 255, x >= 1 ? Infinity : x + 1 / 255, mu, sigma));
    }
  }
  // Strata of indices 1..2 with K = 2: {1}, {2}; rng.int(1) = 0 still consumes a draw.
  for (const i of [1, 2]) {
    for (let b = 0; b < n; b++) assert.equal(rng.int(1), 0);
    const z = x0.map(() => x0[0].map(() => rng.normal()));
    const betaTilde = ((1 - alphaBar[i - 1]) / (1 - alphaBar[i])) * betas[i];
    for (let b = 0; b < n; b++) {
      for (let d = 0; d < D; d++) {
        const x = x0[b][d];
        const xt = Math.sqrt(alphaBar[i]) * x + Math.sqrt(1 - alphaBar[i]) * z[b][d];
        const muTilde = ((Math.sqrt(alphaBar[i - 1]) * betas[i]) / (1 - alphaBar[i])) * x + ((Math.sqrt(alphas[i]) * (1 - alphaBar[i - 1])) / (1 - alphaBar[i])) * xt;
        const muTheta = (xt - (betas[i] / Math.sqrt(1 - alphaBar[i])) * net(xt, i)) / Math.sqrt(alphas[i]);
        out[b].denoising += gaussKl(muTilde, betaTilde, muTheta, betas[i]);
      }
    }
  }
  return out;
}

test('the normal mass on an interval, in the tails too, against numerical integration', () => {
  for (const [a, b] of [
    [-0.1, 0.2],
    [5, 6],
    [-9, -8.5],
    [-Infinity, -3],
    [2, Infinity],
    [-Infinity, Infinity],
  ]) {
    const exact = Math.log(gaussianMass(a, b, 0, 1));
    assert.ok(Math.abs(logNormalInterval(a, b) - exact) < 1e-6 * Math.max(1, Math.abs(exact)), `[${a}, ${b}]: ${logNormalInterval(a, b)} vs ${exact}`);
  }
});

test('the bound of a tiny model (T = 3, D = 2, a fixed network) equals its terms computed by hand, for both decoders', async () => {
  const betas = [0.01, 0.2, 0.5];
  const schedule = new NoiseSchedule(betas);
  const cases: [DiffusionDecoder, number[][]][] = [
    // 8-bit levels in [-1, 1], the outer bins among them.
    ['discretized', [[-1, (2 * 140) / 255 - 1], [1, (2 * 3) / 255 - 1]]],
    ['gaussian', [[0.7, -1.3], [0.05, 2.2]]],
  ];
  for (const [decoder, x0] of cases) {
    const tensors = tf.memory().numTensors;
    const got = await diffusionBound(FIXED, schedule, Float32Array.from(x0.flat()), 2, 2, new Rng(9), decoder, 50);
    assert.equal(tf.memory().numTensors, tensors, 'the bound leaks tensors');
    const want = handBound(betas, x0, new Rng(9), decoder);
    for (let b = 0; b < 2; b++) {
      for (const term of ['decoder', 'denoising', 'prior'] as const) {
        const tol = 2e-4 * Math.max(1, Math.abs(want[b][term]));
        assert.ok(Math.abs(got[term][b] - want[b][term]) < tol, `${decoder} ${term}[${b}]: ${got[term][b]} vs ${want[b][term]}`);
      }
      assert.equal(got.bound[b], got.decoder[b] - got.denoising[b] - got.prior[b]);
      assert.ok(got.prior[b] > 0 && got.denoising[b] > 0, 'KLs are positive');
    }
    // Control: the hand computation for a network whose outputs are 0.5 higher does not match.
    const other = handBound(betas, x0, new Rng(9), decoder, (x, i) => fixed(x, i) + 0.5);
    assert.ok(Math.abs(got.denoising[0] - other[0].denoising) > 2e-4 * Math.max(1, other[0].denoising), `control: ${got.denoising[0]} vs ${other[0].denoising}`);
  }
});

test('the stratified estimate of the denoising sum is unbiased: K = 3 strata agree with every term (K = T - 1) on average', async () => {
  assert.deepEqual(boundStrata(20, 3), [[1, 7], [7, 13], [13, 20]]);
  assert.deepEqual(boundStrata(5, 50), [[1, 2], [2, 3], [3, 4], [4, 5]], 'K >= T - 1: one index per stratum');
  const schedule = NoiseSchedule.linear(20, 0.01, 0.3);
  const n = 3000;
  const x0 = new Float32Array(n).fill(0.4);
  const all = await diffusionBound(FIXED, schedule, x0, n, 1, new Rng(1), 'gaussian', 19);
  const few = await diffusionBound(FIXED, schedule, x0, n, 1, new Rng(2), 'gaussian', 3);
  const stats = (v: Float64Array) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, se: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1) / v.length) };
  };
  const [a, b] = [stats(all.denoising), stats(few.denoising)];
  assert.ok(Math.abs(a.mean - b.mean) < 4.5 * Math.hypot(a.se, b.se), `all terms ${a.mean} ± ${a.se}, 3 strata ${b.mean} ± ${b.se}`);
  assert.ok(b.se > a.se, 'fewer strata, more variance');
});
