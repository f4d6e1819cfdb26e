/**
 * The forward (noising) process of a diffusion model, separate from the denoising network and the
 * sampling loops, as diffusers separates its schedulers from its models. Everything is precomputed
 * once, in float64 (Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models"):
 *
 *   q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)                      (Eq. 2)
 *   q(x_t | x_0)     = N(sqrt(alphaBar_t) x_0, (1 - alphaBar_t) I),                (Eq. 4)
 *                      alpha_t = 1 - beta_t, alphaBar_t = prod_{s <= t} alpha_s
 *   q(x_{t-1} | x_t, x_0) = N(muTilde_t, betaTilde_t I),                           (Eqs. 6-7)
 *     muTilde_t   = sqrt(alphaBar_{t-1}) beta_t / (1 - alphaBar_t) x_0
 *                 + sqrt(alpha_t) (1 - alphaBar_{t-1}) / (1 - alphaBar_t) x_t,
 *     betaTilde_t = (1 - alphaBar_{t-1}) / (1 - alphaBar_t) beta_t.
 *
 * Two beta schedules: Ho et al.'s linear one (beta_1 = 1e-4 to beta_T = 0.02, T = 1000, Sec. 4),
 * and the cosine one of Nichol & Dhariwal 2021 ("Improved DDPM", Eq. 17, s = 0.008, betas clipped
 * at 0.999), whose alphaBar falls more slowly at both ends.
 *
 * Indexing: arrays are 0-based, entry i holds the paper's timestep t = i + 1, as in diffusers and
 * Ho et al.'s code. So alphaBarPrev[0] = alphaBar_0 = 1 and betaTilde at index 0 (t = 1) is 0.
 * The network sees the index i (0..T-1) as its timestep.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';

export type BetaSchedule = 'linear' | 'cosine';

export class NoiseSchedule {
  /** Number of diffusion steps T. */
  readonly T: number;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphaBar: Float64Array;
  /** alphaBar_{t-1}; 1 at index 0. */
  readonly alphaBarPrev: Float64Array;
  readonly sqrtAlphaBar: Float64Array;
  readonly sqrtOneMinusAlphaBar: Float64Array;
  /** betaTilde_t (Eq. 7); 0 at index 0. */
  readonly posteriorVariance: Float64Array;
  /** muTilde_t's coefficient of x_0 (Eq. 7). */
  readonly posteriorMeanCoefX0: Float64Array;
  /** muTilde_t's coefficient of x_t (Eq. 7). */
  readonly posteriorMeanCoefXt: Float64Array;

  constructor(betas: ArrayLike<number>) {
    const T = betas.length;
    check(T >= 1, 'a noise schedule needs at least one step');
    check(Array.from(betas).every((b) => b > 0 && b < 1), 'every beta_t must lie in (0, 1)');
    this.T = T;
    this.betas = Float64Array.from(betas);
    this.alphas = this.betas.map((b) => 1 - b);
    this.alphaBar = new Float64Array(T);
    this.alphaBarPrev = new Float64Array(T);
    let product = 1;
    for (let i = 0; i < T; i++) {
      this.alphaBarPrev[i] = product;
      product *= this.alphas[i];
      this.alphaBar[i] = product;
    }
    this.sqrtAlphaBar = this.alphaBar.map(Math.sqrt);
    this.sqrtOneMinusAlphaBar = this.alphaBar.map((a) => Math.sqrt(1 - a));
    this.posteriorVariance = this.betas.map((b, i) => (b * (1 - this.alphaBarPrev[i])) / (1 - this.alphaBar[i]));
    this.posteriorMeanCoefX0 = this.betas.map((b, i) => (Math.sqrt(this.alphaBarPrev[i]) * b) / (1 - this.alphaBar[i]));
    this.posteriorMeanCoefXt = this.betas.map((_, i) => (Math.sqrt(this.alphas[i]) * (1 - this.alphaBarPrev[i])) / (1 - this.alphaBar[i]));
  }

  /** Ho et al. 2020, Sec. 4: betas linear from 1e-4 to 0.02 over T = 1000 steps (other T: the same end points). */
  static linear(T = 1000, betaStart = 1e-4, betaEnd = 0.02): NoiseSchedule {
    return new NoiseSchedule(Array.from({ length: T }, (_, i) => (T === 1 ? betaStart : betaStart + ((betaEnd - betaStart) * i) / (T - 1))));
  }

  /**
   * Nichol & Dhariwal 2021, Eq. 17: alphaBar_t = f(t) / f(0), f(t) = cos^2((t / T + s) / (1 + s) * pi / 2),
   * and beta_t = 1 - alphaBar_t / alphaBar_{t-1}, clipped at 0.999 to avoid the singularity at t = T.
   */
  static cosine(T = 1000, s = 0.008, maxBeta = 0.999): NoiseSchedule {
    const f = (t: number) => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    return new NoiseSchedule(Array.from({ length: T }, (_, i) => Math.min(1 - f(i + 1) / f(i), maxBeta)));
  }

  static create(kind: BetaSchedule, T: number): NoiseSchedule {
    return kind === 'cosine' ? NoiseSchedule.cosine(T) : NoiseSchedule.linear(T);
  }

  /** One coefficient per example as a column [n, 1], broadcasting over the example's values. */
  column(coefficients: Float64Array, t: Int32Array): tf.Tensor2D {
    return tf.tensor2d(Float32Array.from(t, (i) => coefficients[i]), [t.length, 1]);
  }

  /**
   * x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps, a draw of q(x_t | x_0) (Eq. 4, written as
   * in Algorithm 1), per example at its own timestep index t[b]. x0, eps [n, D]. Not tidied.
   */
  qSample(x0: tf.Tensor2D, t: Int32Array, eps: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.mul(x0, this.column(this.sqrtAlphaBar, t)), tf.mul(eps, this.column(this.sqrtOneMinusAlphaBar, t)));
  }

  /** x_0 = (x_t - sqrt(1 - alphaBar_t) eps) / sqrt(alphaBar_t): Eq. 4 solved for x_0. Not tidied. */
  predictStartFromNoise(xt: tf.Tensor2D, t: Int32Array, eps: tf.Tensor2D): tf.Tensor2D {
    return tf.div(tf.sub(xt, tf.mul(eps, this.column(this.sqrtOneMinusAlphaBar, t))), this.column(this.sqrtAlphaBar, t));
  }

  /** muTilde_t(x_t, x_0) of q(x_{t-1} | x_t, x_0) (Eq. 7). Not tidied. */
  posteriorMean(x0: tf.Tensor2D, xt: tf.Tensor2D, t: Int32Array): tf.Tensor2D {
    return tf.add(tf.mul(x0, this.column(this.posteriorMeanCoefX0, t)), tf.mul(xt, this.column(this.posteriorMeanCoefXt, t)));
  }
}
