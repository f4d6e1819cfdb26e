/**
 * The variational bound of a diffusion model (Ho, Jain & Abbeel 2020, Eq. 5), per example, in nats:
 *
 *   log p(x_0) >= E_q[ log p(x_0 | x_1) ]                                        (decoder, -L_0)
 *               - sum_{t=2}^T E_q[ KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) ]  (denoising, L_1..L_{T-1})
 *               - KL(q(x_T | x_0) || N(0, I))                                       (prior, L_T)
 *
 * with p(x_{t-1} | x_t) = N(mu_theta(x_t, t), sigma_t^2 I), sigma_t^2 = beta_t (the variance of
 * Algorithm 2's sampler), mu_theta = (x_t - beta_t / sqrt(1 - alphaBar_t) eps_theta) / sqrt(alpha_t).
 * Since muTilde_t - mu_theta = beta_t / sqrt(alpha_t (1 - alphaBar_t)) (eps_theta - eps) for
 * x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps (Eqs. 10-12), each KL is, over D dimensions,
 *
 *   L_{t-1} = D/2 (log(beta_t / betaTilde_t) + betaTilde_t / beta_t - 1)
 *           + beta_t / (2 alpha_t (1 - alphaBar_t)) |eps - eps_theta(x_t, t)|^2,
 *
 * its constant part in float64, its squared error from one draw of eps. The prior term is in
 * closed form. The decoder (Sec. 3.3, Eq. 13): for 8-bit data scaled to [-1, 1], a discretized
 * Gaussian, the mass of N(mu_theta(x_1, 1), beta_1) on the level's bin [x - 1/255, x + 1/255],
 * the outer bins stretched to -inf and +inf, so the bound is on the probability of the discrete
 * data (bits/dim comparable with discrete models, no dequantization); for real-valued data the
 * Gaussian density itself.
 *
 * The estimator. The T - 1 denoising terms cost a network pass each. They are split into K
 * contiguous strata of (nearly) equal size n_k; per example one t is drawn uniformly in each
 * stratum and its term weighted by n_k (stratified sampling, unbiased for the sum). K >= T - 1
 * takes every term once: exact in t, one eps draw per term. Every expectation over q is a single
 * draw, so the bound per example is an unbiased estimate of the expected bound.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { LOG_2PI, logNormalInterval } from '../../distributions/math.js';
import { normalTensor, type EpsilonFn } from './samplers.js';
import type { NoiseSchedule } from './schedule.js';

/** The decoder's likelihood at t = 1: 'discretized' for 8-bit data in [-1, 1] (256 levels), 'gaussian' for real values. */
export type DiffusionDecoder = 'discretized' | 'gaussian';

/** Per-example terms of the bound, nats: bound = decoder - denoising - prior. */
export interface DiffusionBound {
  bound: Float64Array;
  /** log p(x_0 | x_1), -L_0. */
  decoder: Float64Array;
  /** sum_{t=2}^T L_{t-1} (estimated, see the header). */
  denoising: Float64Array;
  /** L_T. */
  prior: Float64Array;
}

/** Half the width of one of 256 levels on [-1, 1]. */
const HALF_BIN = 1 / 255;

/** The strata of indices 1..T-1 (paper's t = 2..T): [start, end) each, K of them. */
export function boundStrata(T: number, K: number): [number, number][] {
  const count = T - 1;
  const k = Math.min(K, count);
  return Array.from({ length: k }, (_, j) => [1 + Math.floor((j * count) / k), 1 + Math.floor(((j + 1) * count) / k)]);
}

/** KL(q(x_T | x_0) || N(0, I)) per example from x_0's values, closed form. */
function priorTerm(schedule: NoiseSchedule, x0: Float32Array, n: number, D: number): Float64Array {
  const ab = schedule.alphaBar[schedule.T - 1];
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let kl = 0;
    for (let d = 0; d < D; d++) {
      const mean = Math.sqrt(ab) * x0[b * D + d];
      // KL(N(m, v) || N(0, 1)) = (v + m^2 - 1 - log v) / 2, v = 1 - alphaBar_T.
      kl += 0.5 * (1 - ab + mean * mean - 1 - Math.log(1 - ab));
    }
    out[b] = kl;
  }
  return out;
}

/** log p(x_0 | x_1) per example given the decoder means mu [n * D] and variance beta_1. */
function decoderTerm(decoder: DiffusionDecoder, x0: Float32Array, mu: Float32Array, variance: number, n: number, D: number): Float64Array {
  const std = Math.sqrt(variance);
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let lp = 0;
    for (let d = 0; d < D; d++) {
      const x = x0[b * D + d];
      const m = mu[b * D + d];
      if (decoder === 'gaussian') {
        lp += -0.5 * (LOG_2PI + Math.log(variance) + ((x - m) * (x - m)) / variance);
      } else {
        const lower = x < -1 + 1e-3 ? -Infinity : (x - HALF_BIN - m) / std;
        const upper = x > 1 - 1e-3 ? Infinity : (x + HALF_BIN - m) / std;
        lp += logNormalInterval(lower, upper);
      }
    }
    out[b] = lp;
  }
  return out;
}

/**
 * The bound's terms for n examples x0 [n * D] in the model's space ([-1, 1] for 8-bit data), with
 * `eps` the (possibly conditioned) network, K = `strata` strata of the denoising sum, noise from `rng`.
 */
export async function diffusionBound(
  eps: EpsilonFn,
  schedule: NoiseSchedule,
  x0: Float32Array,
  n: number,
  D: number,
  rng: Rng,
  decoder: DiffusionDecoder,
  strata: number,
): Promise<DiffusionBound> {
  const prior = priorTerm(schedule, x0, n, D);
  const x0Tensor = tf.tensor2d(x0, [n, D]);

  // 1. Decoder: x_1 ~ q(x_1 | x_0), mu_theta(x_1, 1) = muTilde(x0_pred, x_1) (unclipped: Eqs. 10-11).
  const t1 = new Int32Array(n);
  const mu = tf.tidy(() => {
    const x1 = schedule.qSample(x0Tensor, t1, normalTensor(rng, n, D));
    return schedule.posteriorMean(schedule.predictStartFromNoise(x1, t1, eps(x1, t1)), x1, t1);
  });
  const muValues = (await mu.data()) as Float32Array;
  mu.dispose();
  const decoderLogProb = decoderTerm(decoder, x0, muValues, schedule.betas[0], n, D);

  // 2. Denoising terms, one t per example and stratum, weighted by the stratum's size.
  const denoising = new Float64Array(n);
  for (const [start, end] of boundStrata(schedule.T, strata)) {
    const t = Int32Array.from({ length: n }, () => start + rng.int(end - start));
    const squaredError = tf.tidy(() => {
      const noise = normalTensor(rng, n, D);
      const xt = schedule.qSample(x0Tensor, t, noise);
      return tf.sum(tf.square(tf.sub(noise, eps(xt, t))), 1); // [n]
    });
    const se = await squaredError.data();
    squaredError.dispose();
    for (let b = 0; b < n; b++) denoising[b] += (end - start) * denoisingKl(schedule, t[b], se[b], D);
  }
  x0Tensor.dispose();

  const bound = new Float64Array(n);
  for (let b = 0; b < n; b++) bound[b] = decoderLogProb[b] - denoising[b] - prior[b];
  return { bound, decoder: decoderLogProb, denoising, prior };
}

/** L_{t-1} at index i >= 1 given |eps - eps_theta|^2 summed over D dimensions (see the header). */
export function denoisingKl(schedule: NoiseSchedule, i: number, squaredError: number, D: number): number {
  const beta = schedule.betas[i];
  const betaTilde = schedule.posteriorVariance[i];
  const constant = 0.5 * D * (Math.log(beta / betaTilde) + betaTilde / beta - 1);
  return constant + (beta / (2 * schedule.alphas[i] * (1 - schedule.alphaBar[i]))) * squaredError;
}
