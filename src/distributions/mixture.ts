/**
 * A mixture of K diagonal Gaussians, p(x) = sum_k pi_k N(x; mu_k, diag(sigma_k^2)), fitted by
 * expectation-maximisation (Bishop, PRML 2006, Sec. 9.2, eqs. 9.7, 9.23-9.28; Dempster, Laird and
 * Rubin 1977). The simplest latent-variable model: z ~ Cat(pi), x | z ~ N(mu_z, sigma_z^2).
 *
 * log p(x) = logSumExp_k [log pi_k + log N(x; mu_k, sigma_k)], never log(sum(exp(.))), so points
 * far from every component keep a finite log-density instead of log(0).
 *
 * The entropy of a mixture has no closed form, so there is no entropy(): entropyEstimate() gives
 * the Monte-Carlo estimate -1/n sum log p(x_i), x_i ~ p, with its standard error.
 */
import { check } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { Categorical } from './categorical.js';
import { Gaussian, meanAndStd, monteCarloEntropy } from './gaussian.js';
import {
  LOG_2PI,
  checkNonNegativeInt,
  checkPositiveInt,
  finiteVector,
  logSumExp,
  toMatrix,
  type MatrixInput,
} from './math.js';

/** Parameters of a mixture: exactly one of `weights` or `logits` ([K]), `means` and `stds` ([K][D]). */
export type GaussianMixtureParams = (
  | { /** pi_k >= 0, sum 1 (within 1e-6). */ weights: number[] }
  | { /** Unnormalised log mixing weights; pi = softmax(logits). */ logits: number[] }
) & {
  /** mu_k, [K][D]. */
  means: number[][];
  /** sigma_k > 0, [K][D]. */
  stds: number[][];
};

/** What the constructor accepts: GaussianMixtureParams, with typed arrays allowed. */
export type GaussianMixtureInit = (
  | { weights: ArrayLike<number>; logits?: undefined }
  | { logits: ArrayLike<number>; weights?: undefined }
) & {
  means: ArrayLike<ArrayLike<number>>;
  stds: ArrayLike<ArrayLike<number>>;
};

/** Options of GaussianMixture.fit (EM). */
export interface GaussianMixtureFitOptions {
  /** Number of components K (required). */
  components: number;
  /** Coordinates per example when `data` is flat [N * D]; default 1 (or the row length). */
  dim?: number;
  /** Maximum number of EM iterations (M-steps). */
  maxIter?: number;
  /** Stop when the mean log-likelihood per example changes by less than this. */
  tol?: number;
  /** Lower bound on every sigma_kd: without it a component can collapse onto one point (log-likelihood -> +Infinity). */
  minStd?: number;
  /** 'kmeans++': means spread by D^2 sampling (Arthur and Vassilvitskii 2007); 'random': K distinct data points. */
  init?: 'kmeans++' | 'random';
  /** Randomness for initialisation: an Rng, or a seed. */
  rng?: Rng | number;
}

export const GAUSSIAN_MIXTURE_FIT_DEFAULTS = Object.freeze({
  maxIter: 200,
  tol: 1e-8,
  minStd: 1e-3,
  init: 'kmeans++' as const,
  rng: 0,
});

/** What GaussianMixture.fit returns. */
export interface GaussianMixtureFitResult {
  model: GaussianMixture;
  /**
   * Mean log-likelihood per example, (1/N) sum_i log p(x_i): entry 0 at the initialisation, entry t
   * after t M-steps; the last entry belongs to `model`. EM makes it non-decreasing.
   */
  logLikelihoodTrace: number[];
  /** M-steps performed. */
  iterations: number;
  /** Whether the change fell below tol before maxIter. */
  converged: boolean;
}

export class GaussianMixture {
  /** Number of components K. */
  readonly components: number;
  /** Dimension D. */
  readonly dim: number;
  /** pi_k, [K]. */
  readonly weights: Float64Array;
  /** log pi_k, [K]. */
  readonly logWeights: Float64Array;
  /** mu, flat [K * D]. */
  readonly means: Float64Array;
  /** sigma, flat [K * D]. */
  readonly stds: Float64Array;
  /** 1 / sigma, flat [K * D]. */
  private readonly invStds: Float64Array;
  /** log pi_k - sum_d log sigma_kd - D/2 log 2 pi, [K]. */
  private readonly logConst: Float64Array;
  /** Scratch for the K joint log-probabilities of one point (keeps logProb allocation-free). */
  private readonly scratch: Float64Array;
  private readonly mixing: Categorical;
  private readonly params: GaussianMixtureParams;

  constructor(params: GaussianMixtureInit) {
    check(params != null && typeof params === 'object', 'GaussianMixture needs { weights | logits, means, stds }');
    check((params.weights === undefined) !== (params.logits === undefined), 'GaussianMixture needs exactly one of weights or logits');
    this.mixing =
      params.weights !== undefined
        ? new Categorical({ probs: finiteVector(params.weights, 'GaussianMixture weights') })
        : new Categorical({ logits: finiteVector(params.logits!, 'GaussianMixture logits') });
    const K = this.mixing.states;
    this.components = K;
    this.weights = this.mixing.probs;
    this.logWeights = this.mixing.logProbs;
    check(params.means != null && params.means.length === K, () => `GaussianMixture: means must have ${K} rows (one per component), got ${params.means?.length}`);
    check(params.stds != null && params.stds.length === K, () => `GaussianMixture: stds must have ${K} rows (one per component), got ${params.stds?.length}`);
    const D = params.means[0]?.length ?? 0;
    check(D > 0, 'GaussianMixture: means rows must be non-empty');
    this.dim = D;
    this.means = new Float64Array(K * D);
    this.stds = new Float64Array(K * D);
    for (let k = 0; k < K; k++) {
      const m = finiteVector(params.means[k], `GaussianMixture means[${k}]`);
      const s = finiteVector(params.stds[k], `GaussianMixture stds[${k}]`);
      check(m.length === D, () => `GaussianMixture: means[${k}] has length ${m.length}, expected ${D}`);
      check(s.length === D, () => `GaussianMixture: stds[${k}] has length ${s.length}, expected ${D}`);
      for (let d = 0; d < D; d++) check(s[d] > 0, () => `GaussianMixture stds[${k}][${d}] = ${s[d]} must be > 0`);
      this.means.set(m, k * D);
      this.stds.set(s, k * D);
    }
    this.invStds = this.stds.map((s) => 1 / s);
    this.logConst = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let sumLogStd = 0;
      for (let d = 0; d < D; d++) sumLogStd += Math.log(this.stds[k * D + d]);
      this.logConst[k] = this.logWeights[k] - sumLogStd - 0.5 * D * LOG_2PI;
    }
    this.scratch = new Float64Array(K);
    const rows = (a: ArrayLike<ArrayLike<number>>) => Array.from(a, (r) => Array.from(r));
    const shared = { means: rows(params.means), stds: rows(params.stds) };
    this.params =
      params.weights !== undefined
        ? { weights: Array.from(params.weights), ...shared }
        : { logits: Array.from(params.logits!), ...shared };
  }

  /** n draws, flat [n * D] row-major. */
  sample(n: number, rng: Rng): Float64Array {
    return this.sampleWithComponents(n, rng).x;
  }

  /** Ancestral sampling z ~ Cat(pi), x ~ N(mu_z, sigma_z^2): x flat [n * D] and z [n]. */
  sampleWithComponents(n: number, rng: Rng): { x: Float64Array; components: Int32Array } {
    checkNonNegativeInt(n, 'sample count');
    const D = this.dim;
    const z = this.mixing.sample(n, rng);
    const x = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      const o = z[i] * D;
      for (let d = 0; d < D; d++) x[i * D + d] = this.means[o + d] + this.stds[o + d] * rng.normal();
    }
    return { x, components: z };
  }

  /** log p(x) for one [D] vector (or a number when D = 1). */
  logProb(x: number | ArrayLike<number>): number {
    const v = this.vector(x, 'logProb');
    this.jointLogProbs(v, 0, this.scratch);
    return logSumExp(this.scratch);
  }

  /** log p(x_i) for every example of `data` (rows or flat [N * D]), as [N]. */
  logProbBatch(data: MatrixInput): Float64Array {
    const { values, n } = toMatrix(data, this.dim, 'GaussianMixture.logProbBatch data');
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.jointLogProbs(values, i * this.dim, this.scratch);
      out[i] = logSumExp(this.scratch);
    }
    return out;
  }

  /** Posterior responsibilities p(z = k | x) for one point, [K] (PRML eq. 9.23). */
  responsibilities(x: number | ArrayLike<number>): Float64Array {
    const v = this.vector(x, 'responsibilities');
    const out = new Float64Array(this.components);
    this.jointLogProbs(v, 0, out);
    const lse = logSumExp(out);
    for (let k = 0; k < this.components; k++) out[k] = Math.exp(out[k] - lse);
    return out;
  }

  /** out[k] = log pi_k + log N(x; mu_k, sigma_k) for the point at v[offset .. offset + D). */
  private jointLogProbs(v: ArrayLike<number>, offset: number, out: Float64Array): void {
    const D = this.dim;
    for (let k = 0; k < this.components; k++) {
      let q = 0;
      for (let d = 0; d < D; d++) {
        const z = (v[offset + d] - this.means[k * D + d]) * this.invStds[k * D + d];
        q += z * z;
      }
      out[k] = this.logConst[k] - 0.5 * q;
    }
  }

  private vector(x: number | ArrayLike<number>, what: string): ArrayLike<number> {
    const v = typeof x === 'number' ? [x] : x;
    check(v.length === this.dim, () => `GaussianMixture.${what}: x has length ${v.length}, expected ${this.dim}`);
    return v;
  }

  /**
   * Monte-Carlo estimate of the differential entropy H = -E[log p(x)] from nSamples draws, with its
   * standard error. A mixture has no closed-form entropy, hence the explicit name.
   */
  entropyEstimate(nSamples: number, rng: Rng): { entropy: number; standardError: number } {
    checkPositiveInt(nSamples, 'nSamples');
    return monteCarloEntropy(this.logProbBatch(this.sample(nSamples, rng)));
  }

  /** Component k as a Gaussian. */
  component(k: number): Gaussian {
    check(Number.isInteger(k) && k >= 0 && k < this.components, () => `component ${k} is out of range [0, ${this.components})`);
    const D = this.dim;
    return new Gaussian({ mean: this.means.subarray(k * D, (k + 1) * D), std: this.stds.subarray(k * D, (k + 1) * D) });
  }

  /** The parameters as given to the constructor (plain JSON, exact round trip). */
  getParams(): GaussianMixtureParams {
    return structuredCloneParams(this.params);
  }

  toJSON(): { type: 'gaussianMixture' } & GaussianMixtureParams {
    return { type: 'gaussianMixture', ...this.getParams() };
  }

  static fromJSON(json: unknown): GaussianMixture {
    check(json != null && typeof json === 'object', 'GaussianMixture.fromJSON: expected an object');
    const { type, ...params } = json as { type?: string };
    check(type === undefined || type === 'gaussianMixture', () => `GaussianMixture.fromJSON: type is '${type}', expected 'gaussianMixture'`);
    return new GaussianMixture(params as GaussianMixtureInit);
  }

  /**
   * Maximum likelihood by EM (PRML Sec. 9.2.2). Each iteration:
   *   E-step: r_ik = pi_k N(x_i; mu_k, sigma_k) / sum_j pi_j N(x_i; mu_j, sigma_j)   (eq. 9.23)
   *   M-step: N_k = sum_i r_ik, pi_k = N_k / N, mu_k = sum_i r_ik x_i / N_k,
   *           sigma_kd^2 = sum_i r_ik (x_id - mu_kd)^2 / N_k, clamped at minStd      (eqs. 9.24-9.27)
   * Clamping each sigma_kd at minStd is the exact maximiser under that constraint (the likelihood
   * is unimodal in sigma^2), so the log-likelihood still never decreases.
   */
  static fit(data: MatrixInput, opts: GaussianMixtureFitOptions): GaussianMixtureFitResult {
    check(opts != null && typeof opts === 'object', 'GaussianMixture.fit needs options with `components`');
    const o = { ...GAUSSIAN_MIXTURE_FIT_DEFAULTS, ...stripUndefined(opts) };
    const K = o.components;
    checkPositiveInt(K, 'components');
    checkNonNegativeInt(o.maxIter, 'maxIter');
    check(Number.isFinite(o.tol) && o.tol >= 0, () => `tol must be a finite number >= 0, got ${o.tol}`);
    check(Number.isFinite(o.minStd) && o.minStd > 0, () => `minStd must be a finite number > 0, got ${o.minStd}`);
    check(o.init === 'kmeans++' || o.init === 'random', () => `init must be 'kmeans++' or 'random', got '${o.init}'`);
    const { values: X, n: N, d: D } = toMatrix(data, o.dim, 'GaussianMixture.fit data');
    check(N >= K, () => `GaussianMixture.fit: ${N} examples cannot support ${K} components`);
    const rng = o.rng instanceof Rng ? o.rng : new Rng(o.rng);

    // 1. Initialise: means from the data, every sigma_k = the global std, pi uniform.
    const means = initialMeans(X, N, D, K, o.init, rng);
    const globalStd = meanAndStd(X, N, D, o.minStd).std;
    const stds = new Float64Array(K * D);
    for (let k = 0; k < K; k++) stds.set(globalStd, k * D);
    const logW = new Float64Array(K).fill(-Math.log(K));

    const resp = new Float64Array(N * K); // r_ik, [N, K]
    const l = new Float64Array(K);
    const Nk = new Float64Array(K);
    const trace: number[] = [];
    let iterations = 0;
    let converged = false;
    for (;;) {
      // 2. E-step: responsibilities and the mean log-likelihood of the current parameters.
      const logConst = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += Math.log(stds[k * D + d]);
        logConst[k] = logW[k] - s - 0.5 * D * LOG_2PI;
      }
      let total = 0;
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < K; k++) {
          let q = 0;
          for (let d = 0; d < D; d++) {
            const z = (X[i * D + d] - means[k * D + d]) / stds[k * D + d];
            q += z * z;
          }
          l[k] = logConst[k] - 0.5 * q;
        }
        const lse = logSumExp(l);
        total += lse;
        for (let k = 0; k < K; k++) resp[i * K + k] = Math.exp(l[k] - lse);
      }
      const ll = total / N;
      trace.push(ll);
      // 3. Stop on convergence or at maxIter, before an M-step, so the returned parameters are the
      // ones whose log-likelihood is the last trace entry.
      if (trace.length > 1 && Math.abs(ll - trace[trace.length - 2]) < o.tol) {
        converged = true;
        break;
      }
      if (iterations >= o.maxIter) break;

      // 4. M-step (eqs. 9.24-9.27).
      Nk.fill(0);
      means.fill(0);
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < K; k++) {
          const r = resp[i * K + k];
          Nk[k] += r;
          for (let d = 0; d < D; d++) means[k * D + d] += r * X[i * D + d];
        }
      }
      for (let k = 0; k < K; k++) {
        logW[k] = Math.log(Nk[k] / N);
        if (Nk[k] > 0) for (let d = 0; d < D; d++) means[k * D + d] /= Nk[k];
      }
      const vars = new Float64Array(K * D);
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < K; k++) {
          const r = resp[i * K + k];
          for (let d = 0; d < D; d++) {
            const c = X[i * D + d] - means[k * D + d];
            vars[k * D + d] += r * c * c;
          }
        }
      }
      for (let k = 0; k < K; k++) {
        // A component with no responsibility left has weight 0 and any mean / std; keep the old std.
        if (Nk[k] > 0) {
          for (let d = 0; d < D; d++) stds[k * D + d] = Math.max(Math.sqrt(vars[k * D + d] / Nk[k]), o.minStd);
        }
      }
      iterations++;
    }

    const weights = Array.from(logW, Math.exp);
    const sum = weights.reduce((a, b) => a + b, 0);
    const rows = (a: Float64Array) => Array.from({ length: K }, (_, k) => Array.from(a.subarray(k * D, (k + 1) * D)));
    const model = new GaussianMixture({ weights: weights.map((w) => w / sum), means: rows(means), stds: rows(stds) });
    return { model, logLikelihoodTrace: trace, iterations, converged };
  }
}

/** K initial means, flat [K * D]: K distinct random points, or k-means++ D^2 seeding. */
function initialMeans(X: Float64Array, N: number, D: number, K: number, init: 'kmeans++' | 'random', rng: Rng): Float64Array {
  const means = new Float64Array(K * D);
  if (init === 'random') {
    const perm = rng.permutation(N);
    for (let k = 0; k < K; k++) means.set(X.subarray(perm[k] * D, (perm[k] + 1) * D), k * D);
    return means;
  }
  // k-means++: the first centre uniformly, each next with probability proportional to the squared
  // distance to the nearest centre chosen so far.
  const dist2 = new Float64Array(N).fill(Infinity);
  let c = rng.int(N);
  for (let k = 0; k < K; k++) {
    means.set(X.subarray(c * D, (c + 1) * D), k * D);
    if (k === K - 1) break;
    let total = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const e = X[i * D + d] - means[k * D + d];
        s += e * e;
      }
      if (s < dist2[i]) dist2[i] = s;
      total += dist2[i];
    }
    if (total === 0) {
      // Every point coincides with a centre: fall back to a uniform pick.
      c = rng.int(N);
      continue;
    }
    let u = rng.uniform() * total;
    c = -1;
    for (let i = 0; i < N; i++) {
      if (dist2[i] === 0) continue; // never re-pick a point that already is a centre
      c = i; // rounding may leave u >= 0 after the loop: then the last candidate is taken
      u -= dist2[i];
      if (u < 0) break;
    }
  }
  return means;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function structuredCloneParams(p: GaussianMixtureParams): GaussianMixtureParams {
  const shared = { means: p.means.map((r) => r.slice()), stds: p.stds.map((r) => r.slice()) };
  return 'weights' in p ? { weights: p.weights.slice(), ...shared } : { logits: p.logits.slice(), ...shared };
}
