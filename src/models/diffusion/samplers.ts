/**
 * The sampling loops of a diffusion model, separate from its noise schedule (./schedule.ts) and
 * its network (they see it only as a function eps(x_t, t)), as diffusers separates schedulers
 * from models and pipelines.
 *
 * - DDPM ancestral sampling (Ho, Jain & Abbeel 2020, Algorithm 2): for t = T..1,
 *     x_{t-1} = 1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alphaBar_t) eps(x_t, t)) + sigma_t z,
 *   sigma_t^2 = beta_t, z ~ N(0, I) (none at t = 1). Written here through the predicted x_0 and
 *   the posterior mean muTilde_t(x_t, x_0) (Eq. 7), which is the same mean (Eqs. 10-11) and lets x_0
 *   be clipped to the data's range, as Ho et al.'s code does for images.
 * - DDIM (Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", Eq. 12) on an evenly
 *   spaced subsequence tau of S timesteps:
 *     x_prev = sqrt(alphaBar_prev) x0_pred + sqrt(1 - alphaBar_prev - sigma^2) eps + sigma z,
 *     sigma = eta sqrt((1 - alphaBar_prev) / (1 - alphaBar_t)) sqrt(1 - alphaBar_t / alphaBar_prev) (Eq. 16).
 *   eta = 0 is deterministic given x_T; eta = 1 with all T steps is the DDPM posterior with
 *   sigma_t^2 = betaTilde_t.
 *
 * Each step runs in its own tf.tidy; only the current x_t is kept between steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { NoiseSchedule } from './schedule.js';

/** The network as the samplers see it: eps(x_t, t) for x [n, D] at timestep index t (0..T-1). Not tidied. */
export type EpsilonFn = (x: tf.Tensor2D, t: Int32Array) => tf.Tensor2D;

export interface SamplerOptions {
  /** The range x_0's prediction is clipped to at every step ([-1, 1] for images), or none. */
  clip?: readonly [number, number];
  /**
   * Called on each new x_{t'} (t' the timestep index it is at, -1 for x_0) before the next step,
   * returning the x to continue from: RePaint's replacement of the known pixels. Not tidied.
   */
  afterStep?: (x: tf.Tensor2D, t: number) => tf.Tensor2D;
}

/** n * D standard normals from the Rng, as an [n, D] tensor. */
export function normalTensor(rng: Rng, n: number, D: number): tf.Tensor2D {
  const z = new Float32Array(n * D);
  for (let i = 0; i < z.length; i++) z[i] = rng.normal();
  return tf.tensor2d(z, [n, D]);
}

/** S evenly spaced timestep indices from 0 to T - 1, ascending (S = T: all of them; S = 1: [T - 1]). */
export function ddimTimesteps(T: number, S: number): Int32Array {
  check(Number.isInteger(S) && S >= 1 && S <= T, () => `DDIM steps must be an integer between 1 and T = ${T}, got ${S}`);
  if (S === 1) return Int32Array.of(T - 1);
  return Int32Array.from({ length: S }, (_, k) => Math.round((k * (T - 1)) / (S - 1)));
}

/** x_0 = (x_t - sqrt(1 - alphaBar_t) eps) / sqrt(alphaBar_t), clipped if asked. Not tidied. */
function predictStart(schedule: NoiseSchedule, x: tf.Tensor2D, t: Int32Array, eps: tf.Tensor2D, clip?: readonly [number, number]): tf.Tensor2D {
  const x0 = schedule.predictStartFromNoise(x, t, eps);
  return clip ? tf.clipByValue(x0, clip[0], clip[1]) : x0;
}

/** Runs `step` from x_T down, one tidy per step, returning x_0's values. */
async function runChain(xT: tf.Tensor2D, indices: readonly number[], step: (x: tf.Tensor2D, k: number) => tf.Tensor2D, options: SamplerOptions): Promise<Float32Array> {
  let x = xT;
  for (let k = 0; k < indices.length; k++) {
    const next = tf.tidy(() => {
      const stepped = step(x, k);
      return options.afterStep ? options.afterStep(stepped, k + 1 < indices.length ? indices[k + 1] : -1) : stepped;
    });
    x.dispose();
    x = next;
  }
  const out = (await x.data()) as Float32Array;
  x.dispose();
  return out;
}

/**
 * DDPM ancestral sampling over all T steps (Algorithm 2, sigma_t^2 = beta_t) from x_T [n, D]
 * (consumed: disposed here); the noise z from `rng`. Returns x_0, [n * D].
 */
export async function ddpmSample(eps: EpsilonFn, schedule: NoiseSchedule, xT: tf.Tensor2D, rng: Rng, options: SamplerOptions = {}): Promise<Float32Array> {
  const [n, D] = xT.shape;
  const indices = Array.from({ length: schedule.T }, (_, k) => schedule.T - 1 - k);
  return runChain(
    xT,
    indices,
    (x, k) => {
      const i = indices[k];
      const t = new Int32Array(n).fill(i);
      // 1. x_0 predicted from the noise (Eq. 4 solved for x_0), then the posterior mean (Eq. 7).
      const x0 = predictStart(schedule, x, t, eps(x, t), options.clip);
      const mean = schedule.posteriorMean(x0, x, t);
      // 2. x_{t-1} = mean + sigma_t z, no noise at the last step (t = 1).
      return i > 0 ? tf.add(mean, tf.mul(normalTensor(rng, n, D), Math.sqrt(schedule.betas[i]))) : mean;
    },
    options,
  );
}

/**
 * DDIM sampling (Song et al. 2021, Eq. 12) over S evenly spaced timesteps with stochasticity eta,
 * from x_T [n, D] (consumed). Noise is drawn from `rng` only where sigma > 0. Returns x_0, [n * D].
 */
export async function ddimSample(
  eps: EpsilonFn,
  schedule: NoiseSchedule,
  xT: tf.Tensor2D,
  rng: Rng,
  steps: number,
  eta = 0,
  options: SamplerOptions = {},
): Promise<Float32Array> {
  check(Number.isFinite(eta) && eta >= 0, () => `DDIM eta must be >= 0, got ${eta}`);
  const [n, D] = xT.shape;
  const indices = Array.from(ddimTimesteps(schedule.T, steps)).reverse(); // tau_S > ... > tau_1
  return runChain(
    xT,
    indices,
    (x, k) => {
      const i = indices[k];
      const prev = k + 1 < indices.length ? indices[k + 1] : -1;
      const t = new Int32Array(n).fill(i);
      const abT = schedule.alphaBar[i];
      const abPrev = prev >= 0 ? schedule.alphaBar[prev] : 1;
      // 1. The predicted x_0 and, when it was clipped, the noise that goes with it.
      let e = eps(x, t);
      const x0 = predictStart(schedule, x, t, e, options.clip);
      if (options.clip) e = tf.div(tf.sub(x, tf.mul(x0, Math.sqrt(abT))), Math.sqrt(1 - abT)) as tf.Tensor2D;
      // 2. Eq. 12: the point at alphaBar_prev along the predicted direction, plus sigma z (Eq. 16).
      const sigma = eta * Math.sqrt((1 - abPrev) / (1 - abT)) * Math.sqrt(1 - abT / abPrev);
      const direction = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
      const mean = tf.add(tf.mul(x0, Math.sqrt(abPrev)), tf.mul(e, direction));
      return sigma > 0 ? (tf.add(mean, tf.mul(normalTensor(rng, n, D), sigma)) as tf.Tensor2D) : (mean as tf.Tensor2D);
    },
    options,
  );
}

/**
 * Classifier-free guidance (Ho & Salimans 2022, Eq. 6): eps = (1 + w) eps(x, t, y) - w eps(x, t, null),
 * from one network conditioned on the label or on the null class. w = 0 is the conditional network.
 */
export function guidedEpsilon(conditional: EpsilonFn, unconditional: EpsilonFn, w: number): EpsilonFn {
  return (x, t) => tf.sub(tf.mul(conditional(x, t), 1 + w), tf.mul(unconditional(x, t), w));
}

/**
 * RePaint inpainting (Lugmayr et al. 2022, "RePaint: Inpainting using Denoising Diffusion
 * Probabilistic Models", Algorithm 1) with an unconditional network: at each step of the DDPM
 * chain the known entries come from the forward process, x_{t-1}^known ~ q(x_{t-1} | x_0) (Eq. 8),
 * the unknown ones from the reverse step, x_{t-1}^unknown ~ p(x_{t-1} | x_t) (Eq. 9), and the two
 * are joined by the mask (Eq. 10). U > 1 resamples: x_{t-1} is diffused back to x_t ~ q(x_t | x_{t-1})
 * and the step is repeated, U times in all (jump length 1), which lets the generated part
 * harmonise with the known part. x0 [n, D] in the model's space, `known` [D] (1 = observed),
 * x_T consumed. Returns x_0, [n * D], whose observed entries equal x0's.
 */
export async function repaintSample(
  eps: EpsilonFn,
  schedule: NoiseSchedule,
  x0: tf.Tensor2D,
  known: Uint8Array,
  xT: tf.Tensor2D,
  rng: Rng,
  resamples: number,
  options: Pick<SamplerOptions, 'clip'> = {},
): Promise<Float32Array> {
  check(Number.isInteger(resamples) && resamples >= 1, () => `RePaint resamples must be an integer >= 1, got ${resamples}`);
  const [n, D] = xT.shape;
  const mask = tf.tensor2d(Float32Array.from(known), [1, D]);
  const keep = (x: tf.Tensor2D, next: tf.Tensor2D) => {
    x.dispose();
    return next;
  };
  let x = xT;
  for (let i = schedule.T - 1; i >= 0; i--) {
    const t = new Int32Array(n).fill(i);
    for (let u = 0; u < resamples; u++) {
      // 1. The known entries at t - 1 from the forward process (x_0 itself at the end, Eq. 8).
      // 2. The unknown ones by the DDPM step (Eq. 9), joined by the mask (Eq. 10).
      x = keep(
        x,
        tf.tidy(() => {
          const knownPrev = i > 0 ? schedule.qSample(x0, new Int32Array(n).fill(i - 1), normalTensor(rng, n, D)) : x0;
          const mean = schedule.posteriorMean(predictStart(schedule, x, t, eps(x, t), options.clip), x, t);
          const unknownPrev = i > 0 ? tf.add(mean, tf.mul(normalTensor(rng, n, D), Math.sqrt(schedule.betas[i]))) : mean;
          return tf.add(tf.mul(knownPrev, mask), tf.mul(unknownPrev, tf.sub(1, mask))) as tf.Tensor2D;
        }),
      );
      // 3. Resampling: back to t by q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), and again.
      if (u + 1 < resamples && i > 0) {
        x = keep(x, tf.tidy(() => tf.add(tf.mul(x, Math.sqrt(schedule.alphas[i])), tf.mul(normalTensor(rng, n, D), Math.sqrt(schedule.betas[i]))) as tf.Tensor2D));
      }
    }
  }
  mask.dispose();
  const out = (await x.data()) as Float32Array;
  x.dispose();
  return out;
}
