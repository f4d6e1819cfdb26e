/**
 * Low-dimensional toy distributions, for watching a model fit (or fail to fit) a density you can see.
 *
 *  - 'ring': 8 Gaussians (std 0.02) evenly spaced on a circle of radius 2, the mode-collapse test of
 *    Metz et al. 2017, "Unrolled Generative Adversarial Networks", Sec. 3.1 / Fig. 1.
 *  - 'grid': 25 Gaussians (std 0.05) at {-4, -2, 0, 2, 4}^2 (VEEGAN, Srivastava et al. 2017, Sec. 5.1).
 *  - 'swissroll': the 2-D Swiss roll t (cos t, sin t), t ~ U(1.5pi, 4.5pi), plus N(0, 0.5^2) noise,
 *    scaled by 1/5 (scikit-learn's make_swiss_roll in the x-z plane; the diffusion toy of
 *    Sohl-Dickstein et al. 2015, Fig. 1).
 *  - 'moons': scikit-learn's two interleaving half circles with N(0, 0.1^2) noise, centred at 0.
 *  - 'spiral': two interleaved spiral arms (1.5 turns, radius up to 2, N(0, 0.05^2) noise).
 *  - 'gmm1d': a 1-D mixture of three Gaussians of different widths.
 *
 * Every draw comes from the given Rng: one component index, then the coordinates. Labels are the
 * mixture component (ring, grid, gmm1d), the moon or the arm; the Swiss roll has none.
 * The Gaussian mixtures also export their exact `logDensity`, so a model's samples and log-likelihoods
 * can be scored against the truth.
 */
import { check } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { Dataset } from './dataset.js';

export const TOY_NAMES = ['ring', 'grid', 'swissroll', 'moons', 'spiral', 'gmm1d'] as const;
export type ToyName = (typeof TOY_NAMES)[number];

export interface ToyDistribution {
  name: ToyName;
  /** Dimension of one point. */
  dim: number;
  /** `n` i.i.d. points as a Dataset of kind 'real', shape [dim]. */
  sample(n: number, rng: Rng): Dataset;
  /** Exact natural-log density of one point (length `dim`), where it has a closed form. */
  logDensity?: (x: ArrayLike<number>) => number;
}

/** A mixture of isotropic Gaussians: sum_k w_k N(x; mu_k, sigma_k^2 I). */
export interface GaussianMixtureSpec {
  /** Mixing weights, normalised here. */
  weights: number[];
  /** Component means, each of length dim. */
  means: number[][];
  /** Per-component standard deviation (the same along every axis). */
  stds: number[];
}

export interface GaussianMixtureToy extends ToyDistribution {
  spec: GaussianMixtureSpec;
  logDensity: (x: ArrayLike<number>) => number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** A toy distribution from a Gaussian mixture; labels are component indices. */
export function gaussianMixture(name: ToyName, spec: GaussianMixtureSpec): GaussianMixtureToy {
  const K = spec.weights.length;
  const dim = spec.means[0].length;
  check(K > 0 && spec.means.length === K && spec.stds.length === K, 'gaussianMixture: weights, means and stds need one entry per component');
  check(spec.means.every((m) => m.length === dim), 'gaussianMixture: every mean needs the same dimension');
  check(spec.stds.every((s) => s > 0) && spec.weights.every((w) => w >= 0), 'gaussianMixture: stds must be > 0 and weights >= 0');
  const total = spec.weights.reduce((a, b) => a + b, 0);
  check(total > 0, 'gaussianMixture: the weights sum to 0');
  // Precomputed once: cumulative weights for sampling, log w_k - dim log sigma_k - dim/2 log 2pi.
  const cumulative = new Float64Array(K);
  const logNorm = new Float64Array(K);
  let acc = 0;
  for (let k = 0; k < K; k++) {
    acc += spec.weights[k] / total;
    cumulative[k] = acc;
    logNorm[k] = Math.log(spec.weights[k] / total) - dim * Math.log(spec.stds[k]) - 0.5 * dim * LOG_2PI;
  }

  const terms = new Float64Array(K); // scratch for logDensity, reused across calls
  const logDensity = (x: ArrayLike<number>): number => {
    check(x.length === dim, () => `${name}.logDensity: expected a point of dimension ${dim}, got ${x.length}`);
    // log sum_k exp(logNorm_k - |x - mu_k|^2 / (2 sigma_k^2)), stabilised by the largest term.
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let sq = 0;
      for (let j = 0; j < dim; j++) sq += (x[j] - spec.means[k][j]) ** 2;
      terms[k] = logNorm[k] - sq / (2 * spec.stds[k] ** 2);
      if (terms[k] > max) max = terms[k];
    }
    if (max === -Infinity) return -Infinity;
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(terms[k] - max);
    return max + Math.log(s);
  };

  const sample = (n: number, rng: Rng): Dataset => {
    const x = new Float32Array(n * dim);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      let k = 0;
      while (k < K - 1 && u >= cumulative[k]) k++;
      labels[i] = k;
      for (let j = 0; j < dim; j++) x[i * dim + j] = spec.means[k][j] + spec.stds[k] * rng.normal();
    }
    return { name: `toy:${name}`, x, n, shape: [dim], kind: 'real', labels };
  };

  return { name, dim, spec, sample, logDensity };
}

/** 8 modes on a circle of radius 2, std 0.02. */
export const ring = gaussianMixture('ring', {
  weights: new Array(8).fill(1),
  means: Array.from({ length: 8 }, (_, k) => [2 * Math.cos((2 * Math.PI * k) / 8), 2 * Math.sin((2 * Math.PI * k) / 8)]),
  stds: new Array(8).fill(0.02),
});

/** 5 x 5 modes at {-4, -2, 0, 2, 4}^2, std 0.05; label = 5 * row + column (row along x). */
export const grid = gaussianMixture('grid', {
  weights: new Array(25).fill(1),
  means: Array.from({ length: 25 }, (_, k) => [-4 + 2 * Math.floor(k / 5), -4 + 2 * (k % 5)]),
  stds: new Array(25).fill(0.05),
});

/** Three components: weights 0.3 / 0.5 / 0.2, means -2 / 1 / 4, stds 0.5 / 0.7 / 0.3. */
export const gmm1d = gaussianMixture('gmm1d', {
  weights: [0.3, 0.5, 0.2],
  means: [[-2], [1], [4]],
  stds: [0.5, 0.7, 0.3],
});

/** The 2-D Swiss roll; no labels, no closed-form density. */
export const swissroll: ToyDistribution = {
  name: 'swissroll',
  dim: 2,
  sample(n, rng) {
    const x = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
      x[2 * i] = (t * Math.cos(t) + 0.5 * rng.normal()) / 5;
      x[2 * i + 1] = (t * Math.sin(t) + 0.5 * rng.normal()) / 5;
    }
    return { name: 'toy:swissroll', x, n, shape: [2], kind: 'real' };
  },
};

/** Two moons; label 0 = upper moon, 1 = lower moon, chosen with probability 1/2 each. */
export const moons: ToyDistribution = {
  name: 'moons',
  dim: 2,
  sample(n, rng) {
    const x = new Float32Array(n * 2);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = rng.int(2);
      const theta = Math.PI * rng.uniform();
      // scikit-learn's make_moons coordinates, shifted by (-0.5, -0.25) so the pair is centred.
      const px = k === 0 ? Math.cos(theta) : 1 - Math.cos(theta);
      const py = k === 0 ? Math.sin(theta) : 0.5 - Math.sin(theta);
      labels[i] = k;
      x[2 * i] = px - 0.5 + 0.1 * rng.normal();
      x[2 * i + 1] = py - 0.25 + 0.1 * rng.normal();
    }
    return { name: 'toy:moons', x, n, shape: [2], kind: 'real', labels };
  },
};

/** Two spiral arms, the second rotated by pi; label = arm. */
export const spiral: ToyDistribution = {
  name: 'spiral',
  dim: 2,
  sample(n, rng) {
    const x = new Float32Array(n * 2);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = rng.int(2);
      // s = sqrt(u) puts density proportional to the radius, i.e. roughly uniform along the arm.
      const s = Math.sqrt(rng.uniform());
      const theta = 3 * Math.PI * s + k * Math.PI;
      labels[i] = k;
      x[2 * i] = 2 * s * Math.cos(theta) + 0.05 * rng.normal();
      x[2 * i + 1] = 2 * s * Math.sin(theta) + 0.05 * rng.normal();
    }
    return { name: 'toy:spiral', x, n, shape: [2], kind: 'real', labels };
  },
};

export const TOYS: Readonly<Record<ToyName, ToyDistribution>> = Object.freeze({ ring, grid, swissroll, moons, spiral, gmm1d });

/** `n` points of the named toy distribution, drawn with `rng`. */
export function loadToy(name: string, n: number, rng: Rng): Dataset {
  check((TOY_NAMES as readonly string[]).includes(name), () => `unknown toy data set '${name}'; valid names: ${TOY_NAMES.join(', ')}`);
  check(Number.isInteger(n) && n > 0, () => `toy data set '${name}': the number of examples must be a positive integer, got ${n}`);
  return TOYS[name as ToyName].sample(n, rng);
}

/** The seed of a toy's train split (its test split: the next one); the toy is data, not run randomness. */
export const TOY_SPLIT_SEED = 20261121;

/** A toy's train split of n points and test split of n / 5, the same everywhere (CLI and studio). */
export function toySplits(name: string, n: number): { train: Dataset; test: Dataset } {
  return { train: loadToy(name, n, new Rng(TOY_SPLIT_SEED)), test: loadToy(name, Math.ceil(n / 5), new Rng(TOY_SPLIT_SEED + 1)) };
}
