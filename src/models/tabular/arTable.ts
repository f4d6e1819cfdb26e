/**
 * Tabular autoregressive models over discrete variables, fit by counting (maximum likelihood with
 * optional Laplace smoothing): the lecture's baselines before any neural network.
 *
 *   p(x) = prod_t p(x_{o(t)} | x_{o(t-1)}, ..., x_{o(t-k)})          (AR-k under ordering o)
 *
 * - order k = 0: fully independent product of categoricals (samples look like white noise);
 * - order k = 1: Markov chain (AR-1), (K-1) + (n-1) K (K-1) free parameters;
 * - small k: one lookup table per position with K^k contexts.
 * Registered as `independent`, `markov` and `ar`.
 */
import { UserError, check } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { countParameters } from '../../distributions/parameterCount.js';
import { defaultsOf, defineOptions } from '../options.js';
import { ORDERING_OPTION, Ordering, type OrderingSpec } from '../ordering.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { Batch, GenerativeModel, NamedArray, StepMetrics } from '../model.js';

export interface ArTableConfig {
  /** Context length k: 0 = independent variables, 1 = Markov chain. */
  order: number;
  /** Number of states K of every variable (2 for binary images, 256 for 8-bit). */
  states: number;
  /** Additive (Laplace) smoothing pseudo-count alpha added to every cell; 0 = plain maximum likelihood. */
  smoothing: number;
  /** The order in which variables are chained. */
  ordering: OrderingSpec;
}

export const AR_TABLE_OPTIONS = defineOptions<ArTableConfig>({
  order: { type: 'int', default: 1, min: 0, help: 'context length k: 0 = independent variables, 1 = Markov chain' },
  states: { type: 'int', default: 2, min: 2, help: 'states K of every variable', fromData: '2 for binary data, 256 for 8-bit' },
  smoothing: { type: 'number', default: 1, min: 0, help: 'Laplace pseudo-count alpha added to every cell; 0 = maximum likelihood' },
  ordering: ORDERING_OPTION,
});

export const AR_TABLE_DEFAULTS: Readonly<ArTableConfig> = defaultsOf(AR_TABLE_OPTIONS);

/** The registry's three tabular models differ only in the context lengths they allow. */
function withOrder(order: { default: number; min: number; max?: number; help: string }) {
  return defineOptions<ArTableConfig>({ ...AR_TABLE_OPTIONS, order: { type: 'int', ...order } });
}
export const INDEPENDENT_OPTIONS = withOrder({ default: 0, min: 0, max: 0, help: 'context length k: always 0 (independent variables)' });
export const MARKOV_OPTIONS = withOrder({ default: 1, min: 1, max: 1, help: 'context length k: always 1 (a Markov chain)' });
export const AR_OPTIONS = withOrder({ default: 2, min: 0, help: 'context length k: each variable depends on the k before it' });

/** Largest table we allocate (cells of 4 bytes): 2^27 cells = 512 MiB. */
const MAX_TABLE_CELLS = 2 ** 27;

export class ArTableModel implements GenerativeModel, DensityModel, CompletionModel {
  readonly densityKind = 'exact';
  readonly config: ArTableConfig;
  readonly ordering: Ordering;
  /** counts[((t * K^k) + context) * K + value]: how often variable o(t) took `value` after `context`. */
  private counts: Int32Array;
  /** totals[(t * K^k) + context]: the sum of counts over values (kept to avoid a K-loop per lookup). */
  private totals: Int32Array;
  private readonly contexts: number;

  constructor(
    readonly name: string,
    config: Partial<ArTableConfig>,
    readonly inputShape: number[],
  ) {
    const c = { ...AR_TABLE_DEFAULTS, ...config };
    check(Number.isInteger(c.order) && c.order >= 0, `${name}: order must be an integer >= 0, got ${c.order}`);
    check(Number.isInteger(c.states) && c.states >= 2, `${name}: states must be an integer >= 2, got ${c.states}`);
    check(c.smoothing >= 0 && Number.isFinite(c.smoothing), `${name}: smoothing must be >= 0, got ${c.smoothing}`);
    this.config = c;
    this.ordering = new Ordering(c.ordering, inputShape);
    const D = this.ordering.size;
    this.contexts = c.states ** c.order;
    const cells = D * this.contexts * c.states;
    if (!(cells <= MAX_TABLE_CELLS)) {
      throw new UserError(
        `${name}: a table of ${D} x ${c.states}^${c.order} x ${c.states} = ${cells.toExponential(2)} cells is too large ` +
          `(limit ${MAX_TABLE_CELLS}); use a smaller --order or fewer states`,
      );
    }
    this.counts = new Int32Array(cells);
    this.totals = new Int32Array(cells / c.states);
  }

  /** Free parameters of the fitted table (the lecture's count for this structure). */
  get parameterCount(): bigint {
    const { order, states } = this.config;
    return countParameters({ variables: this.ordering.size, states, structure: 'ar', order }).parameters;
  }

  async trainStep(batch: Batch): Promise<StepMetrics> {
    this.checkValues(batch.x, 'batch');
    // Prequential NLL: each example is scored under the counts before it is added to them.
    let nll = 0;
    const D = this.ordering.size;
    for (let i = 0; i < batch.n; i++) {
      const x = batch.x.subarray(i * D, (i + 1) * D);
      nll -= this.logProbOne(x);
      this.forEachCell(x, (cell, value) => {
        this.counts[cell]++;
        this.totals[(cell - value) / this.config.states]++;
      });
    }
    return { loss: nll / batch.n };
  }

  async logProb(batch: Batch): Promise<Float64Array> {
    this.checkValues(batch.x, 'input');
    const D = this.ordering.size;
    const out = new Float64Array(batch.n);
    for (let i = 0; i < batch.n; i++) out[i] = this.logProbOne(batch.x.subarray(i * D, (i + 1) * D));
    return out;
  }

  async sample(n: number, rng: Rng): Promise<Float32Array> {
    const D = this.ordering.size;
    const out = new Float32Array(n * D);
    const missing = new Uint8Array(D).fill(1);
    for (let i = 0; i < n; i++) this.fillIn(out.subarray(i * D, (i + 1) * D), missing, rng);
    return out;
  }

  /**
   * Samples the missing variables in the model's ordering, each from p(x_t | its context), keeping
   * observed ones. Exact for p(missing | observed) when every missing variable comes after all
   * observed ones in the ordering; otherwise later observed values are not looked ahead to.
   */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    const D = this.ordering.size;
    check(missing.length === D, `mask has ${missing.length} entries, the model expects ${D}`);
    const out = Float32Array.from(batch.x);
    for (let i = 0; i < batch.n; i++) this.fillIn(out.subarray(i * D, (i + 1) * D), missing, rng);
    return out;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.config, ordering: { ...this.config.ordering } };
  }

  getWeights(): NamedArray[] {
    const K = this.config.states;
    return [{ name: 'counts', shape: [this.ordering.size, this.contexts, K], dtype: 'int32', data: this.counts }];
  }

  setWeights(weights: NamedArray[]): void {
    const w = weights.find((v) => v.name === 'counts');
    if (!w || w.data.length !== this.counts.length) {
      throw new Error(`${this.name}: checkpoint has no counts table of ${this.counts.length} cells`);
    }
    this.counts = Int32Array.from(w.data);
    const K = this.config.states;
    this.totals.fill(0);
    for (let i = 0; i < this.counts.length; i++) this.totals[Math.floor(i / K)] += this.counts[i];
  }

  dispose(): void {}

  /** log p(x) for one example [D]. */
  private logProbOne(x: Float32Array): number {
    const K = this.config.states;
    const a = this.config.smoothing;
    let logp = 0;
    this.forEachCell(x, (cell, value) => {
      const total = this.totals[(cell - value) / K];
      // With alpha = 0 an unseen value gets log 0 = -Infinity: plain maximum likelihood, as asked.
      logp += Math.log((this.counts[cell] + a) / (total + K * a));
    });
    return logp;
  }

  /** Calls f(cell, value) for each variable in ordering, with the table cell of its value in its context. */
  private forEachCell(x: Float32Array, f: (cell: number, value: number) => void): void {
    const { order: o, states: K } = this.config;
    const order = this.ordering.order;
    let context = 0;
    for (let t = 0; t < order.length; t++) {
      const value = x[order[t]];
      f((t * this.contexts + context) * K + value, value);
      // The newest value becomes the lowest digit; digits older than k fall off the top.
      if (o > 0) context = (context * K + value) % this.contexts;
    }
  }

  private fillIn(x: Float32Array, missing: Uint8Array, rng: Rng): void {
    const { order: o, states: K, smoothing: a } = this.config;
    const order = this.ordering.order;
    let context = 0;
    for (let t = 0; t < order.length; t++) {
      const idx = order[t];
      if (missing[idx]) {
        const row = t * this.contexts + context;
        const base = row * K;
        let u = rng.uniform() * (this.totals[row] + K * a);
        let value = K - 1;
        for (let v = 0; v < K; v++) {
          u -= this.counts[base + v] + a;
          if (u < 0) {
            value = v;
            break;
          }
        }
        x[idx] = value;
      }
      if (o > 0) context = (context * K + x[idx]) % this.contexts;
    }
  }

  private checkValues(x: Float32Array, where: string): void {
    const K = this.config.states;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!(Number.isInteger(v) && v >= 0 && v < K)) {
        const D = this.ordering.size;
        throw new UserError(
          `${this.name} needs discrete values 0..${K - 1}; ${where} has ${v} at example ${Math.floor(i / D)}, ` +
            `value ${i % D} (binarize images with --binarize, or set --states)`,
        );
      }
    }
  }
}
