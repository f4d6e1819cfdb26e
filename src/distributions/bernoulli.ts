/**
 * A product of D independent Bernoulli variables, p(x) = prod_d p_d^x_d (1 - p_d)^(1 - x_d)
 * (Bishop, PRML 2006, eq. 2.2; the "fully independent" model of a binary image, D = 784 for MNIST).
 * D = 1 is the ordinary coin.
 *
 * Parameterised by probabilities p or logits l = log(p / (1 - p)). Both log p and log(1 - p) are
 * stored once: from logits they are logSigmoid(l) and logSigmoid(-l), which stay exact at |l| = 100
 * where log(sigmoid(l)) would round to log(0) or log(1).
 *
 * logProb also accepts x in [0, 1] (greyscale intensities): it is then the negative binary
 * cross-entropy x log p + (1 - x) log(1 - p), the usual "Bernoulli likelihood" of MNIST models,
 * which is a density only at x in {0, 1}.
 */
import { UserError, check } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import {
  checkNonNegativeInt,
  finiteVector,
  logSigmoid,
  sigmoid,
  toMatrix,
  type MatrixInput,
} from './math.js';

/** Parameters of a Bernoulli: exactly one of `probs` or `logits`, a number (D = 1) or a [D] vector. */
export type BernoulliParams =
  | { /** p_d = P(x_d = 1), each in [0, 1]. */ probs: number | number[] }
  | { /** l_d = log(p_d / (1 - p_d)), finite. */ logits: number | number[] };

/** What the constructor accepts: BernoulliParams, with typed arrays allowed for the vectors. */
export type BernoulliInit =
  | { probs: number | ArrayLike<number>; logits?: undefined }
  | { logits: number | ArrayLike<number>; probs?: undefined };

/** Options of Bernoulli.fit. */
export interface BernoulliFitOptions {
  /** Variables per example when `data` is flat [N * D]; default 1 (or the row length). */
  dim?: number;
  /** Laplace (add-alpha) smoothing: p = (count + alpha) / (N + 2 alpha). alpha = 1 is add-one. */
  alpha?: number;
}

export const BERNOULLI_FIT_DEFAULTS = Object.freeze({ alpha: 0 });

export class Bernoulli {
  /** Number of independent variables D. */
  readonly dim: number;
  /** p_d = P(x_d = 1), [D]. */
  readonly probs: Float64Array;
  /** log p_d, [D]. */
  readonly logP: Float64Array;
  /** log(1 - p_d), [D]. */
  readonly log1mP: Float64Array;
  private readonly params: BernoulliParams;

  constructor(params: BernoulliInit) {
    check(params != null && typeof params === 'object', 'Bernoulli needs { probs } or { logits }');
    check((params.probs === undefined) !== (params.logits === undefined), 'Bernoulli needs exactly one of probs or logits');
    if (params.probs !== undefined) {
      const p = finiteVector(params.probs, 'Bernoulli probs');
      for (let d = 0; d < p.length; d++) {
        check(p[d] >= 0 && p[d] <= 1, () => `Bernoulli probs[${d}] = ${p[d]} is outside [0, 1]`);
      }
      this.dim = p.length;
      this.probs = p;
      this.logP = p.map(Math.log);
      this.log1mP = p.map((v) => Math.log1p(-v));
      this.params = { probs: cloneParam(params.probs) };
    } else {
      const l = finiteVector(params.logits!, 'Bernoulli logits');
      this.dim = l.length;
      this.probs = l.map(sigmoid);
      this.logP = l.map(logSigmoid);
      this.log1mP = l.map((v) => logSigmoid(-v));
      this.params = { logits: cloneParam(params.logits!) };
    }
  }

  /** n draws, returned flat as [n * D] row-major 0/1 values (example i is [i*D, (i+1)*D)). */
  sample(n: number, rng: Rng): Float64Array {
    checkNonNegativeInt(n, 'sample count');
    const D = this.dim;
    const out = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < D; d++) out[i * D + d] = rng.uniform() < this.probs[d] ? 1 : 0;
    }
    return out;
  }

  /** log p(x) for one example: x is a number (D = 1) or a [D] vector with entries in [0, 1]. */
  logProb(x: number | ArrayLike<number>): number {
    const v = typeof x === 'number' ? [x] : x;
    check(v.length === this.dim, () => `Bernoulli.logProb: x has length ${v.length}, expected ${this.dim}`);
    return this.logProbAt(v, 0);
  }

  /** log p(x_i) for every example of `data` (rows or flat [N * D]), as [N]. */
  logProbBatch(data: MatrixInput): Float64Array {
    const { values, n } = toMatrix(data, this.dim, 'Bernoulli.logProbBatch data');
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.logProbAt(values, i * this.dim);
    return out;
  }

  private logProbAt(v: ArrayLike<number>, offset: number): number {
    let lp = 0;
    for (let d = 0; d < this.dim; d++) {
      const x = v[offset + d];
      // Plain branch, not check(() => ...): no closure allocated per value in this hot loop.
      if (!(x >= 0 && x <= 1)) throw new UserError(`Bernoulli.logProb: x[${d}] = ${x} is outside [0, 1]`);
      // Skip zero-weight terms so 0 * log(0) = 0 at p in {0, 1}, not NaN.
      if (x > 0) lp += x * this.logP[d];
      if (x < 1) lp += (1 - x) * this.log1mP[d];
    }
    return lp;
  }

  /** H = -sum_d [p_d log p_d + (1 - p_d) log(1 - p_d)] in nats (0 log 0 = 0). */
  entropy(): number {
    let h = 0;
    for (let d = 0; d < this.dim; d++) {
      const p = this.probs[d];
      if (p > 0) h -= p * this.logP[d];
      if (p < 1) h -= (1 - p) * this.log1mP[d];
    }
    return h;
  }

  /** Mean vector E[x] = p, [D]. */
  mean(): Float64Array {
    return this.probs.slice();
  }

  /** The parameters as given to the constructor (plain JSON). */
  getParams(): BernoulliParams {
    return 'probs' in this.params
      ? { probs: cloneParam(this.params.probs) }
      : { logits: cloneParam(this.params.logits) };
  }

  toJSON(): { type: 'bernoulli' } & BernoulliParams {
    return { type: 'bernoulli', ...this.getParams() };
  }

  static fromJSON(json: unknown): Bernoulli {
    check(json != null && typeof json === 'object', 'Bernoulli.fromJSON: expected an object');
    const { type, ...params } = json as { type?: string };
    check(type === undefined || type === 'bernoulli', () => `Bernoulli.fromJSON: type is '${type}', expected 'bernoulli'`);
    return new Bernoulli(params as BernoulliInit);
  }

  /**
   * Maximum likelihood by counting: p_d = (sum_i x_id + alpha) / (N + 2 alpha).
   * `data` is rows or flat [N * D] with values in [0, 1] (fractional values act as soft counts).
   * With alpha = 0 a variable that never (or always) fires gets p = 0 (or 1) and log p(x) = -Infinity
   * on the unseen value; alpha > 0 avoids that.
   */
  static fit(data: MatrixInput, opts: BernoulliFitOptions = {}): Bernoulli {
    const alpha = opts.alpha ?? BERNOULLI_FIT_DEFAULTS.alpha;
    check(Number.isFinite(alpha) && alpha >= 0, () => `alpha must be a finite number >= 0, got ${alpha}`);
    const { values, n, d: D } = toMatrix(data, opts.dim, 'Bernoulli.fit data');
    const counts = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < D; d++) {
        const x = values[i * D + d];
        check(x >= 0 && x <= 1, () => `Bernoulli.fit: value ${x} (example ${i}, variable ${d}) is outside [0, 1]`);
        counts[d] += x;
      }
    }
    const probs = Array.from(counts, (c) => (c + alpha) / (n + 2 * alpha));
    // Flat data without `dim` is a sample of one coin: give back the scalar form.
    const scalar = opts.dim === undefined && typeof (data as ArrayLike<unknown>)[0] === 'number';
    return new Bernoulli({ probs: scalar ? probs[0] : probs });
  }
}

function cloneParam(p: number | ArrayLike<number>): number | number[] {
  return typeof p === 'number' ? p : Array.from(p);
}
