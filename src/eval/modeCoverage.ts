/**
 * Mode coverage of samples from a model trained on a Gaussian-mixture toy (../data/toy.ts: 'ring',
 * 'grid', 'gmm1d'): how many of the mixture's modes the samples reach, and how many samples land on
 * a mode at all. The mode-collapse measure of the 2-D GAN toys, following Srivastava et al. 2017,
 * "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational Learning", Sec. 5.1, on the
 * ring of 8 Gaussians of Metz et al. 2017 ("Unrolled Generative Adversarial Networks", Sec. 3.1)
 * and the 5 x 5 grid:
 *
 *  - each sample goes to its nearest mode (the component mean nearest in Euclidean distance);
 *  - it is *high quality* when within `sigmas` standard deviations of that mean,
 *    |x - mu_k| <= sigmas * sigma_k (VEEGAN: three, for the 2-D data sets);
 *  - a mode is *covered* when at least `minCount` high-quality samples are nearest to it (VEEGAN:
 *    one, "the number of mixture components whose mean is nearest to at least one high quality
 *    sample"). One stray sample then credits a mode; a larger `minCount` asks for real mass there
 *    (an even spread of 2000 samples over 8 modes puts ~250 on each).
 *
 * VEEGAN draws 2500 samples per model and averages over five runs. Even the data itself is not
 * all "high quality": an isotropic Gaussian in d dimensions lies within s standard deviations of
 * its mean with probability P(chi^2_d <= s^2) (`gaussianMassWithin`), 1 - exp(-9/2) = 0.989 for
 * d = 2, s = 3 (when the modes are far apart, so that the nearest mean is the own component's).
 *
 * Beyond VEEGAN, `klToWeights` compares the high-quality samples' histogram over modes q with the
 * mixture weights w: KL(q || w) = sum_k q_k log(q_k / w_k), 0 when the samples that land on modes
 * land on them in the data's proportions, log K for all on one of K equal modes; finite when modes
 * are missed (q_k = 0 contributes 0), which is why this direction is the one reported (the other,
 * KL(w || q), is infinite whenever a mode is missed).
 *
 * Plain float64 loops over n * K distances: browser-safe, no tensors.
 */
import { check } from '../core/errors.js';
import type { GaussianMixtureSpec } from '../data/toy.js';

export interface ModeCoverageOptions {
  /** High quality: within this many standard deviations of the nearest mode's mean (default 3, VEEGAN's). */
  sigmas?: number;
  /** Covered: at least this many high-quality samples nearest to the mode (default 1, VEEGAN's). */
  minCount?: number;
}

export const MODE_COVERAGE_DEFAULTS: Readonly<Required<ModeCoverageOptions>> = Object.freeze({ sigmas: 3, minCount: 1 });

export interface ModeCoverage {
  /** Components of the mixture, K. */
  modes: number;
  /** Modes with at least `minCount` high-quality samples. */
  covered: number;
  /** High-quality samples / all samples. */
  highQualityFraction: number;
  /** High-quality samples per mode, [K]. */
  perMode: number[];
  /** KL(q || w) of the high-quality samples' mode histogram q against the mixture weights w, nats; absent without high-quality samples. */
  klToWeights?: number;
  /** Samples scored. */
  samples: number;
  sigmas: number;
  minCount: number;
}

/**
 * Mode coverage of `n` points ([n * dim], example-major, dim the mixture's) against the mixture
 * `mixture` (a toy's `.spec`).
 */
export function modeCoverage(points: ArrayLike<number>, n: number, mixture: GaussianMixtureSpec, options: ModeCoverageOptions = {}): ModeCoverage {
  const { sigmas, minCount } = { ...MODE_COVERAGE_DEFAULTS, ...options };
  const K = mixture.means.length;
  const dim = mixture.means[0]?.length ?? 0;
  check(K > 0 && mixture.stds.length === K && mixture.weights.length === K, 'modeCoverage: the mixture needs one mean, std and weight per component');
  check(Number.isInteger(n) && n > 0, () => `modeCoverage: the number of samples must be a positive integer, got ${n}`);
  check(points.length === n * dim, () => `modeCoverage: expected ${n} points of dimension ${dim} (${n * dim} values), got ${points.length} values`);
  check(sigmas > 0, () => `modeCoverage: sigmas must be > 0, got ${sigmas}`);
  check(Number.isInteger(minCount) && minCount >= 1, () => `modeCoverage: minCount must be an integer >= 1, got ${minCount}`);

  const perMode = new Array<number>(K).fill(0);
  let highQuality = 0;
  for (let i = 0; i < n; i++) {
    // 1. the nearest mode, by squared Euclidean distance to the means
    let nearest = 0;
    let best = Infinity;
    for (let k = 0; k < K; k++) {
      let sq = 0;
      for (let j = 0; j < dim; j++) sq += (points[i * dim + j] - mixture.means[k][j]) ** 2;
      if (sq < best) {
        best = sq;
        nearest = k;
      }
    }
    // 2. high quality when within sigmas standard deviations of it (NaN points never are)
    if (Math.sqrt(best) <= sigmas * mixture.stds[nearest]) {
      perMode[nearest]++;
      highQuality++;
    }
  }

  const covered = perMode.filter((c) => c >= minCount).length;
  const result: ModeCoverage = { modes: K, covered, highQualityFraction: highQuality / n, perMode, samples: n, sigmas, minCount };
  if (highQuality > 0) {
    const totalWeight = mixture.weights.reduce((a, b) => a + b, 0);
    let kl = 0;
    for (let k = 0; k < K; k++) {
      const q = perMode[k] / highQuality;
      if (q > 0) kl += q * Math.log(q / (mixture.weights[k] / totalWeight));
    }
    result.klToWeights = kl;
  }
  return result;
}

/**
 * The probability that a draw of an isotropic Gaussian in `dim` dimensions lies within `sigmas`
 * standard deviations of its mean: P(chi^2_dim <= sigmas^2), the regularised lower incomplete gamma
 * function P(dim / 2, sigmas^2 / 2). For dim = 2 it is 1 - exp(-sigmas^2 / 2); for dim = 1,
 * erf(sigmas / sqrt 2). The high-quality fraction of the data itself when its modes are well
 * separated.
 */
export function gaussianMassWithin(dim: number, sigmas: number): number {
  check(Number.isInteger(dim) && dim >= 1, () => `gaussianMassWithin: dim must be a positive integer, got ${dim}`);
  check(sigmas >= 0, () => `gaussianMassWithin: sigmas must be >= 0, got ${sigmas}`);
  const a = dim / 2;
  const x = (sigmas * sigmas) / 2;
  if (x === 0) return 0;
  // x^a e^-x / Gamma(a), in logs: both factors alone overflow for large x or a.
  const logPrefactor = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // The power series, A&S 6.5.29: P(a, x) = x^a e^-x / Gamma(a) * sum_{m >= 0} x^m / (a (a + 1) ... (a + m)).
    let term = 1 / a;
    let sum = term;
    for (let m = 1; m < 10000 && term > 1e-17 * sum; m++) {
      term *= x / (a + m);
      sum += term;
    }
    return Math.min(1, Math.exp(logPrefactor) * sum);
  }
  // The continued fraction for Q = 1 - P (Legendre's, A&S 6.5.31), converging fast for x > a + 1:
  // Q(a, x) = x^a e^-x / Gamma(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))),
  // evaluated from the front by the modified Lentz method.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let fraction = d;
  for (let m = 1; m < 10000; m++) {
    const an = -m * (m - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.max(0, 1 - Math.exp(logPrefactor) * fraction);
}

/** log Gamma(a) for a positive multiple of 1/2, by Gamma(a + 1) = a Gamma(a) from Gamma(1) = 1 or Gamma(1/2) = sqrt(pi). */
function logGamma(a: number): number {
  let value = Number.isInteger(a) ? 0 : 0.5 * Math.log(Math.PI);
  for (let b = Number.isInteger(a) ? 1 : 0.5; b < a; b++) value += Math.log(b);
  return value;
}
