import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { Ddpm } from '../../../src/models/diffusion/ddpm.js';
import { ddimSample, ddimTimesteps, ddpmSample, guidedEpsilon, normalTensor, type EpsilonFn } from '../../../src/models/diffusion/samplers.js';
import { NoiseSchedule } from '../../../src/models/diffusion/schedule.js';

before(async () => {
  await initBackend('wasm');
});

/**
 * For 1-D data x_0 ~ N(m, s^2) the marginal q(x_t) is N(sqrt(alphaBar) m, alphaBar s^2 + 1 - alphaBar), and the
 * optimal predictor E[eps | x_t] = sqrt(1 - alphaBar) (x_t - sqrt(alphaBar) m) / (alphaBar s^2 + 1 - alphaBar):
 * a perfectly trained network, with no training.
 */
function gaussianEpsilon(schedule: NoiseSchedule, m: number, s: number): EpsilonFn {
  return (x, t) => {
    const ab = schedule.alphaBar[t[0]];
    return tf.div(tf.mul(tf.sub(x, Math.sqrt(ab) * m), Math.sqrt(1 - ab)), ab * s * s + 1 - ab);
  };
}

function moments(v: Float32Array): { mean: number; variance: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1) };
}

const [M, S, N] = [0.5, 0.3, 4000];

/**
 * The exact mean and variance of a sampler's output for that predictor, from x_T ~ N(0, 1): every
 * step is affine in x plus independent noise, x' = p x + q + sigma z, so the moments propagate in
 * float64 (mean' = p mean + q, var' = p^2 var + sigma^2). An independent restatement of Algorithm 2
 * (Eq. 11's mean 1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alphaBar_t) eps), sigma_t^2 = beta_t) and of DDIM's Eq. 12.
 */
function exactMoments(schedule: NoiseSchedule, sampler: 'ddpm' | 'ddim', steps: number, eta: number): { mean: number; variance: number } {
  const indices = sampler === 'ddpm' ? Array.from({ length: schedule.T }, (_, k) => schedule.T - 1 - k) : Array.from(ddimTimesteps(schedule.T, steps)).reverse();
  let [mean, variance] = [0, 1];
  indices.forEach((i, k) => {
    const ab = schedule.alphaBar[i];
    // eps(x) = c x + c0.
    const c = Math.sqrt(1 - ab) / (ab * S * S + 1 - ab);
    const c0 = -c * Math.sqrt(ab) * M;
    let p: number, q: number, sigma2: number;
    if (sampler === 'ddpm') {
      const [alpha, beta] = [schedule.alphas[i], schedule.betas[i]];
      p = (1 - (beta / Math.sqrt(1 - ab)) * c) / Math.sqrt(alpha);
      q = (-(beta / Math.sqrt(1 - ab)) * c0) / Math.sqrt(alpha);
      sigma2 = i > 0 ? beta : 0;
    } else {
      const prev = k + 1 < indices.length ? indices[k + 1] : -1;
      const abPrev = prev >= 0 ? schedule.alphaBar[prev] : 1;
      sigma2 = eta * eta * ((1 - abPrev) / (1 - ab)) * (1 - ab / abPrev);
      const direction = Math.sqrt(1 - abPrev - sigma2);
      // x0 = (x - sqrt(1 - ab) eps) / sqrt(ab); x' = sqrt(abPrev) x0 + direction eps + sigma z.
      p = (Math.sqrt(abPrev) * (1 - Math.sqrt(1 - ab) * c)) / Math.sqrt(ab) + direction * c;
      q = (Math.sqrt(abPrev) * -Math.sqrt(1 - ab) * c0) / Math.sqrt(ab) + direction * c0;
    }
    [mean, variance] = [p * mean + q, p * p * variance + sigma2];
  });
  return { mean, variance };
}

/** Within 4.5 standard errors of N(mean, variance) (of the sample mean and of the sample variance). */
function assertMoments(v: Float32Array, target: { mean: number; variance: number }, what: string): void {
  const { mean, variance } = moments(v);
  assert.ok(Math.abs(mean - target.mean) < 4.5 * Math.sqrt(target.variance / N), `${what}: mean ${mean}, expected ${target.mean}`);
  assert.ok(Math.abs(variance - target.variance) < 4.5 * target.variance * Math.sqrt(2 / N), `${what}: variance ${variance}, expected ${target.variance}`);
}

const DATA = { mean: M, variance: S * S };

test('with the exact noise predictor of Gaussian data, DDPM ancestral and DDIM with eta = 1 and all steps draw the data distribution', async () => {
  const schedule = NoiseSchedule.linear(1000);
  const eps = gaussianEpsilon(schedule, M, S);
  const tensors = tf.memory().numTensors;
  const ddpm = await ddpmSample(eps, schedule, normalTensor(new Rng(1), N, 1), new Rng(2));
  const ddim = await ddimSample(eps, schedule, normalTensor(new Rng(3), N, 1), new Rng(4), 1000, 1);
  assert.equal(tf.memory().numTensors, tensors, 'the sampling loops leak tensors');
  assertMoments(ddpm, DATA, 'DDPM ancestral');
  assertMoments(ddim, DATA, 'DDIM eta 1, 1000 steps');
  // The two samplers agree with each other (two-sample test on the means).
  assert.ok(Math.abs(moments(ddpm).mean - moments(ddim).mean) < 4.5 * S * Math.sqrt(2 / N));
  // And with the moments their steps imply, computed independently in float64.
  assertMoments(ddpm, exactMoments(schedule, 'ddpm', 1000, 1), 'DDPM against its exact moments');
  assertMoments(ddim, exactMoments(schedule, 'ddim', 1000, 1), 'DDIM against its exact moments');
  // Control: the predictor of other data (mean -0.5, std 0.6) moves the samples away from N(M, S^2).
  const wrong = await ddimSample(gaussianEpsilon(schedule, -0.5, 0.6), schedule, normalTensor(new Rng(3), N, 1), new Rng(4), 1000, 1);
  assert.throws(() => assertMoments(wrong, DATA, 'control'));
});

test('DDIM with eta = 0 on 50 steps has the moments its steps imply: mean exact, variance shrunk by the coarse first step', async () => {
  const schedule = NoiseSchedule.linear(1000);
  const ode = await ddimSample(gaussianEpsilon(schedule, M, S), schedule, normalTensor(new Rng(5), N, 1), new Rng(6), 50, 0);
  const exact = exactMoments(schedule, 'ddim', 50, 0);
  // With T = 1000 linear betas, 50 deterministic steps give variance 0.075 for the data's 0.09; 1000 give 0.089.
  assert.ok(exact.variance < 0.08 && Math.abs(exact.mean - M) < 0.002, JSON.stringify(exact));
  assert.ok(Math.abs(exactMoments(schedule, 'ddim', 1000, 0).variance - S * S) < 0.002);
  assertMoments(ode, exact, 'DDIM eta 0, 50 steps');
});

test('DDIM with eta = 0 is deterministic given x_T; its timesteps are an evenly spaced subsequence', async () => {
  assert.deepEqual(Array.from(ddimTimesteps(1000, 5)), [0, 250, 500, 749, 999]);
  assert.deepEqual(Array.from(ddimTimesteps(4, 4)), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(ddimTimesteps(10, 1)), [9]);
  assert.throws(() => ddimTimesteps(10, 11));
  const schedule = NoiseSchedule.cosine(100);
  const eps = gaussianEpsilon(schedule, M, S);
  const a = await ddimSample(eps, schedule, normalTensor(new Rng(7), 8, 1), new Rng(1), 10, 0);
  const b = await ddimSample(eps, schedule, normalTensor(new Rng(7), 8, 1), new Rng(2), 10, 0);
  assert.deepEqual(a, b, 'different noise streams, same x_T: the same samples');
  const c = await ddimSample(eps, schedule, normalTensor(new Rng(7), 8, 1), new Rng(2), 10, 0.5);
  assert.notDeepEqual(a, c, 'eta > 0 adds noise');
});

test('classifier-free guidance: eps = (1 + w) eps(x, y) - w eps(x, null); w = 0 gives the conditional sampler exactly', async () => {
  const guided = guidedEpsilon(
    (x) => tf.add(tf.mul(x, 0), 3),
    (x) => tf.add(tf.mul(x, 0), 1),
    2,
  );
  const value = tf.tidy(() => guided(tf.zeros([1, 1]) as tf.Tensor2D, Int32Array.of(0)).dataSync()[0]);
  assert.equal(value, 3 * 3 - 2 * 1);
  // w = 0: the formula gives the conditional prediction (the model then skips the null-class pass).
  const unguided = guidedEpsilon((x) => tf.add(tf.mul(x, 0), 0.7), (x) => tf.add(tf.mul(x, 0), 5), 0);
  assert.equal(tf.tidy(() => unguided(tf.zeros([1, 1]) as tf.Tensor2D, Int32Array.of(0)).dataSync()[0]), Math.fround(0.7));

  const model = new Ddpm({ classConditional: true, numClasses: 3, hidden: [16, 16], timesteps: 50, embedding: 8, seed: 3 }, [2]);
  const labels = Int32Array.from([0, 1, 2, 1]);
  for (const options of [{}, { steps: 10, eta: 1 }]) {
    const plain = await model.sample(4, new Rng(11), { labels, ...options });
    const zero = await model.sample(4, new Rng(11), { labels, guidance: 0, ...options });
    assert.deepEqual(zero, plain, `w = 0 ${JSON.stringify(options)}`);
    const two = await model.sample(4, new Rng(11), { labels, guidance: 2, ...options });
    assert.notDeepEqual(two, plain, 'control: w = 2 changes the samples');
  }
  await assert.rejects(new Ddpm({ hidden: [8], timesteps: 10, embedding: 8 }, [2]).sample(2, new Rng(0), { guidance: 1 }), /class-conditional/);
  model.dispose();
});
