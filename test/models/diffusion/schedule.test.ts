import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { NoiseSchedule } from '../../../src/models/diffusion/schedule.js';
import { normalTensor } from '../../../src/models/diffusion/samplers.js';
import { applyGroupNorm, groupNorm } from '../../../src/nn/groupNorm.js';
import { Parameters } from '../../../src/nn/parameters.js';

before(async () => {
  await initBackend('wasm');
});

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('posterior coefficients and variance (Ho et al. Eqs. 6-7) against a hand computation and against Gaussian conditioning', () => {
  // betas 0.1, 0.2, 0.3: alphas 0.9, 0.8, 0.7, alphaBar 0.9, 0.72, 0.504.
  const s = new NoiseSchedule([0.1, 0.2, 0.3]);
  assert.deepEqual(Array.from(s.alphaBar, (v) => +v.toFixed(12)), [0.9, 0.72, 0.504]);
  assert.deepEqual(Array.from(s.alphaBarPrev, (v) => +v.toFixed(12)), [1, 0.9, 0.72]);
  close(s.posteriorVariance[2], (0.3 * 0.28) / 0.496, 1e-15, 'betaTilde_3');
  close(s.posteriorMeanCoefX0[2], (Math.sqrt(0.72) * 0.3) / 0.496, 1e-15, 'coef x0, t = 3');
  close(s.posteriorMeanCoefXt[2], (Math.sqrt(0.7) * 0.28) / 0.496, 1e-15, 'coef xt, t = 3');
  // t = 1: the posterior is x_0 itself.
  assert.equal(s.posteriorVariance[0], 0);
  close(s.posteriorMeanCoefX0[0], 1, 1e-15, 'coef x0, t = 1');
  assert.equal(s.posteriorMeanCoefXt[0], 0);
  // Independently: q(x_{t-1} | x_0) q(x_t | x_{t-1}) conditioned on x_t, by precisions.
  for (let i = 1; i < 3; i++) {
    const precision = 1 / (1 - s.alphaBarPrev[i]) + s.alphas[i] / s.betas[i];
    close(s.posteriorVariance[i], 1 / precision, 1e-14, `variance ${i}`);
    close(s.posteriorMeanCoefX0[i], Math.sqrt(s.alphaBarPrev[i]) / (1 - s.alphaBarPrev[i]) / precision, 1e-14, `coef x0 ${i}`);
    close(s.posteriorMeanCoefXt[i], Math.sqrt(s.alphas[i]) / s.betas[i] / precision, 1e-14, `coef xt ${i}`);
  }
});

test('the linear schedule runs 1e-4 to 0.02; the cosine one follows Eq. 17 and clips at 0.999', () => {
  const linear = NoiseSchedule.linear();
  assert.equal(linear.T, 1000);
  close(linear.betas[0], 1e-4, 1e-18, 'beta_1');
  close(linear.betas[999], 0.02, 1e-17, 'beta_T');
  close(linear.betas[500] - linear.betas[499], (0.02 - 1e-4) / 999, 1e-15, 'linear step');
  const cosine = NoiseSchedule.cosine(1000);
  const f = (t: number) => Math.cos(((t / 1000 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  for (const t of [1, 10, 500, 900]) close(cosine.alphaBar[t - 1], f(t) / f(0), 1e-12, `alphaBar_${t}`);
  assert.equal(cosine.betas[999], 0.999, 'the last beta is clipped');
  assert.ok(cosine.betas.every((b) => b > 0 && b <= 0.999));
  // Nichol & Dhariwal's point: the cosine schedule destroys information more slowly mid-way.
  // Mid-way alphaBar: about 0.50 (cosine) against 0.08 (linear).
  assert.ok(cosine.alphaBar[499] > linear.alphaBar[499] * 5, `${cosine.alphaBar[499]} vs ${linear.alphaBar[499]}`);
});

test('q(x_t | x_0) sampled many times has its closed-form mean sqrt(alphaBar_t) x_0 and variance 1 - alphaBar_t', () => {
  const s = NoiseSchedule.linear(1000);
  const n = 20000;
  const indices = [0, 99, 499, 999];
  const x0Values = [0.8, -0.5];
  for (const i of indices) {
    const t = new Int32Array(n).fill(i);
    const xt = tf.tidy(() => {
      const x0 = tf.tensor2d(Float32Array.from({ length: n * 2 }, (_, k) => x0Values[k % 2]), [n, 2]);
      return s.qSample(x0, t, normalTensor(new Rng(i + 1), n, 2));
    });
    const v = xt.dataSync();
    xt.dispose();
    for (let d = 0; d < 2; d++) {
      let mean = 0;
      for (let b = 0; b < n; b++) mean += v[b * 2 + d] / n;
      let variance = 0;
      for (let b = 0; b < n; b++) variance += (v[b * 2 + d] - mean) ** 2 / (n - 1);
      const trueVar = 1 - s.alphaBar[i];
      // Four standard errors: of the mean sqrt(var / n), of the variance var sqrt(2 / n).
      close(mean, s.sqrtAlphaBar[i] * x0Values[d], 4 * Math.sqrt(trueVar / n), `mean at index ${i}, dim ${d}`);
      close(variance, trueVar, 4 * trueVar * Math.sqrt(2 / n), `variance at index ${i}, dim ${d}`);
    }
  }
  // predictStartFromNoise inverts qSample given the noise.
  const back = tf.tidy(() => {
    const x0 = tf.tensor2d([0.3, -0.7, 1, 0], [2, 2]);
    const eps = tf.tensor2d([1, -1, 0.5, 2], [2, 2]);
    const t = Int32Array.of(10, 700);
    return s.predictStartFromNoise(s.qSample(x0, t, eps), t, eps);
  });
  Array.from(back.dataSync()).forEach((v, k) => close(v, [0.3, -0.7, 1, 0][k], 1e-4, `x0[${k}]`));
  back.dispose();
});

test('group norm normalises each example and group over H, W and its channels (a float64 computation)', () => {
  const params = new Parameters(new Rng(0));
  const norm = groupNorm(params, 'gn', 4, 2);
  const [B, H, W, C] = [2, 3, 2, 4];
  const x = Float32Array.from({ length: B * H * W * C }, (_, k) => Math.sin(k * 1.7) * (1 + (k % 4)) + (k % 3));
  // gamma = 1 + c / 10, beta = c / 5.
  norm.gamma.assign(tf.tensor1d([1, 1.1, 1.2, 1.3]));
  norm.beta.assign(tf.tensor1d([0, 0.2, 0.4, 0.6]));
  const y = tf.tidy(() => applyGroupNorm(tf.tensor4d(x, [B, H, W, C]), norm)).dataSync();
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < 2; g++) {
      const idx: number[] = [];
      for (let p = 0; p < H * W; p++) for (let c = 2 * g; c < 2 * g + 2; c++) idx.push((b * H * W + p) * C + c);
      const mean = idx.reduce((a, k) => a + x[k], 0) / idx.length;
      const variance = idx.reduce((a, k) => a + (x[k] - mean) ** 2, 0) / idx.length;
      for (const k of idx) {
        const c = k % C;
        close(y[k], ((x[k] - mean) / Math.sqrt(variance + 1e-5)) * (1 + c / 10) + c / 5, 1e-4, `y[${k}]`);
      }
    }
  }
  params.dispose();
});
