/**
 * A Gaussian with diagonal covariance, N(x; mu, diag(sigma^2)) (Bishop, PRML 2006, eq. 2.43 with
 * Sigma diagonal), so the D coordinates are independent:
 *
 *   log p(x) = -1/2 sum_d ((x_d - mu_d) / sigma_d)^2 - sum_d log sigma_d - D/2 log(2 pi)
 *   H        = D/2 (1 + log(2 pi)) + sum_d log sigma_d                          (PRML eq. 1.110)
 *
 * Parameterised by mean and either std or logStd (the VAE encoder's output); log sigma is kept so
 * the log-density never takes log of a rounded std.
 */
import { check } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import {
  LOG_2PI,
  checkNonNegativeInt,
  checkPositiveInt,
  finiteVector,
  toMatrix,
  type MatrixInput,
} from './math.js';

/** Parameters of a diagonal Gaussian: `mean` and exactly one of `std` or `logStd`, all [D]. */
export type GaussianParams =
  | { mean: number[]; /** sigma_d > 0. */ std: number[] }
  | { mean: number[]; /** log sigma_d, finite. */ logStd: number[] };

/** What the constructor accepts: GaussianParams, with typed arrays allowed. */
export type GaussianInit =
  | { mean: ArrayLike<number>; std: ArrayLike<number>; logStd?: undefined }
  | { mean: ArrayLike<number>; logStd: ArrayLike<number>; std?: undefined };

/** Options of Gaussian.fit. */
export interface GaussianFitOptions {
  /** Coordinates per example when `data` is flat [N * D]; default 1 (or the row length). */
  dim?: number;
  /** Lower bound on each fitted sigma_d, so a constant coordinate does not give sigma = 0. */
  minStd?: number;
}

export const GAUSSIAN_FIT_DEFAULTS = Object.freeze({ minStd: 1e-6 });

export class Gaussian {
  /** Dimension D. */
  readonly dim: number;
  /** mu, [D]. */
  readonly mean: Float64Array;
  /** sigma, [D]. */
  readonly std: Float64Array;
  /** log sigma, [D]. */
  readonly logStd: Float64Array;
  /** -sum_d log sigma_d - D/2 log(2 pi): the log-density at the mean, precomputed. */
  private readonly logNormalizer: number;
  private readonly params: GaussianParams;

  constructor(params: GaussianInit) {
    check(params != null && typeof params === 'object', 'Gaussian needs { mean, std } or { mean, logStd }');
    check((params.std === undefined) !== (params.logStd === undefined), 'Gaussian needs exactly one of std or logStd');
    this.mean = finiteVector(params.mean, 'Gaussian mean');
    this.dim = this.mean.length;
    if (params.std !== undefined) {
      this.std = finiteVector(params.std, 'Gaussian std');
      for (let d = 0; d < this.std.length; d++) {
        check(this.std[d] > 0, () => `Gaussian std[${d}] = ${this.std[d]} must be > 0`);
      }
      this.logStd = this.std.map(Math.log);
      this.params = { mean: Array.from(params.mean), std: Array.from(params.std) };
    } else {
      this.logStd = finiteVector(params.logStd!, 'Gaussian logStd');
      this.std = this.logStd.map(Math.exp);
      for (let d = 0; d < this.std.length; d++) {
        check(this.std[d] > 0 && Number.isFinite(this.std[d]), () => `Gaussian logStd[${d}] = ${this.logStd[d]} gives std ${this.std[d]}`);
      }
      this.params = { mean: Array.from(params.mean), logStd: Array.from(params.logStd!) };
    }
    check(this.std.length === this.dim, () => `Gaussian: mean has length ${this.dim} but std has length ${this.std.length}`);
    let sumLogStd = 0;
    for (let d = 0; d < this.dim; d++) sumLogStd += this.logStd[d];
    this.logNormalizer = -sumLogStd - 0.5 * this.dim * LOG_2PI;
  }

  /** n draws x = mu + sigma * eps, eps ~ N(0, I), returned flat as [n * D] row-major. */
  sample(n: number, rng: Rng): Float64Array {
    checkNonNegativeInt(n, 'sample count');
    const D = this.dim;
    const out = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < D; d++) out[i * D + d] = this.mean[d] + this.std[d] * rng.normal();
    }
    return out;
  }

  /** log p(x) for one [D] vector (or a number when D = 1). */
  logProb(x: number | ArrayLike<number>): number {
    const v = typeof x === 'number' ? [x] : x;
    check(v.length === this.dim, () => `Gaussian.logProb: x has length ${v.length}, expected ${this.dim}`);
    return this.logProbAt(v, 0);
  }

  /** log p(x_i) for every example of `data` (rows or flat [N * D]), as [N]. */
  logProbBatch(data: MatrixInput): Float64Array {
    const { values, n } = toMatrix(data, this.dim, 'Gaussian.logProbBatch data');
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.logProbAt(values, i * this.dim);
    return out;
  }

  private logProbAt(v: ArrayLike<number>, offset: number): number {
    let q = 0;
    for (let d = 0; d < this.dim; d++) {
      const z = (v[offset + d] - this.mean[d]) / this.std[d];
      q += z * z;
    }
    return this.logNormalizer - 0.5 * q;
  }

  /** Differential entropy H = D/2 (1 + log 2 pi) + sum_d log sigma_d, in nats. */
  entropy(): number {
    return 0.5 * this.dim - this.logNormalizer;
  }

  /**
   * Monte-Carlo entropy -1/n sum_i log p(x_i), x_i ~ p, with its standard error (a check of
   * entropy(), and the same estimator GaussianMixture uses where no closed form exists).
   */
  entropyEstimate(nSamples: number, rng: Rng): { entropy: number; standardError: number } {
    checkPositiveInt(nSamples, 'nSamples');
    return monteCarloEntropy(this.logProbBatch(this.sample(nSamples, rng)));
  }

  /**
   * KL(this || other) = sum_d [log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2] (closed form
   * between diagonal Gaussians, the VAE's KL term when other = N(0, I)).
   */
  klDivergence(other: Gaussian): number {
    check(other.dim === this.dim, () => `klDivergence: dimensions ${this.dim} and ${other.dim} differ`);
    let kl = 0;
    for (let d = 0; d < this.dim; d++) {
      const r = this.std[d] / other.std[d];
      const m = (this.mean[d] - other.mean[d]) / other.std[d];
      kl += other.logStd[d] - this.logStd[d] + 0.5 * (r * r + m * m) - 0.5;
    }
    return kl;
  }

  /** The parameters as given to the constructor (plain JSON, exact round trip). */
  getParams(): GaussianParams {
    return 'std' in this.params
      ? { mean: this.params.mean.slice(), std: this.params.std.slice() }
      : { mean: this.params.mean.slice(), logStd: this.params.logStd.slice() };
  }

  toJSON(): { type: 'gaussian' } & GaussianParams {
    return { type: 'gaussian', ...this.getParams() };
  }

  static fromJSON(json: unknown): Gaussian {
    check(json != null && typeof json === 'object', 'Gaussian.fromJSON: expected an object');
    const { type, ...params } = json as { type?: string };
    check(type === undefined || type === 'gaussian', () => `Gaussian.fromJSON: type is '${type}', expected 'gaussian'`);
    return new Gaussian(params as GaussianInit);
  }

  /**
   * Maximum likelihood: mu = sample mean, sigma^2 = (1/N) sum (x - mu)^2 (the biased ML variance,
   * not N - 1), clamped below at minStd. Two passes, so a large mean does not cancel the variance.
   */
  static fit(data: MatrixInput, opts: GaussianFitOptions = {}): Gaussian {
    const minStd = opts.minStd ?? GAUSSIAN_FIT_DEFAULTS.minStd;
    check(Number.isFinite(minStd) && minStd > 0, () => `minStd must be a finite number > 0, got ${minStd}`);
    const { values, n, d: D } = toMatrix(data, opts.dim, 'Gaussian.fit data');
    const { mean, std } = meanAndStd(values, n, D, minStd);
    return new Gaussian({ mean, std });
  }
}

/** Per-coordinate mean and ML standard deviation (clamped at minStd) of flat [n * D] data. */
export function meanAndStd(values: Float64Array, n: number, D: number, minStd: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) mean[d] += values[i * D + d];
  for (let d = 0; d < D; d++) mean[d] /= n;
  const std = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) {
      const c = values[i * D + d] - mean[d];
      std[d] += c * c;
    }
  }
  for (let d = 0; d < D; d++) std[d] = Math.max(Math.sqrt(std[d] / n), minStd);
  return { mean, std };
}

/** -mean(logp) and its standard error sd(logp) / sqrt(n). */
export function monteCarloEntropy(logp: Float64Array): { entropy: number; standardError: number } {
  const n = logp.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += logp[i];
  const m = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (logp[i] - m) * (logp[i] - m);
  const sd = n > 1 ? Math.sqrt(v / (n - 1)) : NaN;
  return { entropy: -m, standardError: sd / Math.sqrt(n) };
}
