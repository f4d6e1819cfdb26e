/**
 * A categorical distribution over K states {0, ..., K-1}: p(x = k) = pi_k (Bishop, PRML 2006,
 * eq. 2.26 with one-hot x). K - 1 free parameters, the building block of every full-joint table
 * and conditional probability table in parameterCount.ts.
 *
 * Parameterised by probabilities pi (validated to sum to 1 within 1e-6) or by unnormalised logits,
 * turned into log-probabilities by log-softmax, so logits of +-1000 give exact log pi instead of
 * exp overflow.
 */
import { UserError, check } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { checkNonNegativeInt, checkPositiveInt, finiteVector, logSoftmax } from './math.js';

/** Parameters of a Categorical: exactly one of `probs` or `logits`, each a [K] vector, K >= 1. */
export type CategoricalParams =
  | { /** pi_k >= 0, sum 1 (within 1e-6). */ probs: number[] }
  | { /** Unnormalised log-probabilities (finite); pi = softmax(logits). */ logits: number[] };

/** What the constructor accepts: CategoricalParams, with typed arrays allowed. */
export type CategoricalInit =
  | { probs: ArrayLike<number>; logits?: undefined }
  | { logits: ArrayLike<number>; probs?: undefined };

/** Options of Categorical.fit. */
export interface CategoricalFitOptions {
  /** Number of states K; default max(data) + 1. */
  states?: number;
  /** Laplace (add-alpha) smoothing: pi_k = (count_k + alpha) / (N + K alpha). */
  alpha?: number;
}

export const CATEGORICAL_FIT_DEFAULTS = Object.freeze({ alpha: 0 });

/** How far probs may sum from 1 before the constructor rejects them. */
export const PROBS_SUM_TOLERANCE = 1e-6;

export class Categorical {
  /** Number of states K. */
  readonly states: number;
  /** pi_k, [K], normalised to sum to 1. */
  readonly probs: Float64Array;
  /** log pi_k, [K] (-Infinity where pi_k = 0). */
  readonly logProbs: Float64Array;
  /** Cumulative sums of pi for inverse-CDF sampling, [K]; 1 from the last state with pi_k > 0 on. */
  private readonly cdf: Float64Array;
  private readonly params: CategoricalParams;

  constructor(params: CategoricalInit) {
    check(params != null && typeof params === 'object', 'Categorical needs { probs } or { logits }');
    check((params.probs === undefined) !== (params.logits === undefined), 'Categorical needs exactly one of probs or logits');
    if (params.probs !== undefined) {
      const p = finiteVector(params.probs, 'Categorical probs');
      let sum = 0;
      for (let k = 0; k < p.length; k++) {
        check(p[k] >= 0 && p[k] <= 1, () => `Categorical probs[${k}] = ${p[k]} is outside [0, 1]`);
        sum += p[k];
      }
      check(Math.abs(sum - 1) <= PROBS_SUM_TOLERANCE, () => `Categorical probs sum to ${sum}, not 1 (tolerance ${PROBS_SUM_TOLERANCE})`);
      // Renormalise the rounding error away so probabilities over all states sum to 1 exactly-ish.
      const logSum = Math.log(sum);
      this.logProbs = p.map((v) => Math.log(v) - logSum);
      this.probs = p.map((v) => v / sum);
      this.params = { probs: Array.from(params.probs) };
    } else {
      const l = finiteVector(params.logits!, 'Categorical logits');
      this.logProbs = logSoftmax(l);
      this.probs = this.logProbs.map(Math.exp);
      this.params = { logits: Array.from(params.logits!) };
    }
    this.states = this.probs.length;
    this.cdf = new Float64Array(this.states);
    let c = 0;
    let lastPositive = 0;
    for (let k = 0; k < this.states; k++) {
      this.cdf[k] = c += this.probs[k];
      if (this.probs[k] > 0) lastPositive = k;
    }
    // Close the CDF at the last possible state, so rounding can never select a zero-probability tail.
    this.cdf.fill(1, lastPositive);
  }

  /** n draws, [n] state indices in 0..K-1 (inverse CDF, binary search: O(log K) each). */
  sample(n: number, rng: Rng): Int32Array {
    checkNonNegativeInt(n, 'sample count');
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      // Smallest k with cdf[k] > u; states with pi_k = 0 are never chosen since their cdf step is empty.
      let lo = 0;
      let hi = this.states - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  }

  /** log pi_x for one state x (an integer in 0..K-1). */
  logProb(x: number): number {
    if (!(Number.isInteger(x) && x >= 0 && x < this.states)) {
      throw new UserError(`Categorical.logProb: state ${x} is not an integer in [0, ${this.states})`);
    }
    return this.logProbs[x];
  }

  /** log pi_{x_i} for each state of `xs`, [N]. */
  logProbBatch(xs: ArrayLike<number>): Float64Array {
    const out = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = this.logProb(xs[i]);
    return out;
  }

  /** H = -sum_k pi_k log pi_k in nats (0 log 0 = 0); at most log K. */
  entropy(): number {
    let h = 0;
    for (let k = 0; k < this.states; k++) if (this.probs[k] > 0) h -= this.probs[k] * this.logProbs[k];
    return h;
  }

  /** The mode (first most probable state). */
  mode(): number {
    let best = 0;
    for (let k = 1; k < this.states; k++) if (this.logProbs[k] > this.logProbs[best]) best = k;
    return best;
  }

  /** The parameters as given to the constructor (plain JSON, exact round trip). */
  getParams(): CategoricalParams {
    return 'probs' in this.params ? { probs: this.params.probs.slice() } : { logits: this.params.logits.slice() };
  }

  toJSON(): { type: 'categorical' } & CategoricalParams {
    return { type: 'categorical', ...this.getParams() };
  }

  static fromJSON(json: unknown): Categorical {
    check(json != null && typeof json === 'object', 'Categorical.fromJSON: expected an object');
    const { type, ...params } = json as { type?: string };
    check(type === undefined || type === 'categorical', () => `Categorical.fromJSON: type is '${type}', expected 'categorical'`);
    return new Categorical(params as CategoricalInit);
  }

  /**
   * Maximum likelihood by counting: pi_k = (count_k + alpha) / (N + K alpha).
   * `data` holds integer states in 0..K-1. With alpha = 0 unseen states get pi_k = 0.
   */
  static fit(data: ArrayLike<number>, opts: CategoricalFitOptions = {}): Categorical {
    const alpha = opts.alpha ?? CATEGORICAL_FIT_DEFAULTS.alpha;
    check(Number.isFinite(alpha) && alpha >= 0, () => `alpha must be a finite number >= 0, got ${alpha}`);
    check(data != null && typeof data.length === 'number', 'Categorical.fit: data must be an array of states');
    check(data.length > 0, 'Categorical.fit: data is empty');
    let maxState = 0;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      check(Number.isInteger(x) && x >= 0, () => `Categorical.fit: data[${i}] = ${x} is not a non-negative integer state`);
      if (x > maxState) maxState = x;
    }
    const K = opts.states ?? maxState + 1;
    checkPositiveInt(K, 'states');
    check(maxState < K, () => `Categorical.fit: state ${maxState} is out of range for ${K} states`);
    const counts = new Float64Array(K);
    for (let i = 0; i < data.length; i++) counts[data[i]]++;
    const denom = data.length + K * alpha;
    return new Categorical({ probs: Array.from(counts, (c) => (c + alpha) / denom) });
  }
}
