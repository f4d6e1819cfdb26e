/**
 * NADE: neural autoregressive distribution estimator (Larochelle & Murray 2011, AISTATS, Eqs. 2-4).
 * One set of weights is shared by all D conditionals: in the ordering o,
 *
 *   h_t = sigma(c + W_{<t}^T x_{o(<t)})            (Eq. 3; W_{<t}: rows of the variables before t)
 *   p(x_{o(t)} = 1 | x_{o(<t)}) = sigma(b_t + V_t . h_t)   (Eq. 2)
 *
 * The pre-activations obey a_1 = c, a_{t+1} = a_t + x_{o(t)} W_t, so all D hidden layers cost O(DH)
 * (Eq. 4) instead of O(D^2 H) for D separate networks; batched, that running sum is an exclusive
 * cumulative sum along t. Parameters are stored by step t of the ordering (column t of W belongs to
 * variable o(t)), so no gather sits on a gradient path; t is the last axis because tfjs 4.22's
 * Cumsum gradient mis-shapes any other axis.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { perExampleInChunks } from '../../nn/chunks.js';
import { defaultsOf, defineOptions } from '../options.js';
import { ORDERING_OPTION, Ordering, type OrderingSpec } from '../ordering.js';
import { NeuralModel } from '../neuralModel.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, TrainContext } from '../model.js';
import { bernoulliLogProb, checkBinary } from './binary.js';

export interface NadeConfig {
  /** Hidden units H (500 in Larochelle & Murray 2011). */
  hidden: number;
  /** The order in which variables are chained. */
  ordering: OrderingSpec;
  /** Seed of the initial weights. */
  seed: number;
}

export const NADE_OPTIONS = defineOptions<NadeConfig>({
  hidden: { type: 'int', default: 500, min: 1, help: 'hidden units H (500 in Larochelle & Murray 2011)' },
  ordering: ORDERING_OPTION,
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const NADE_DEFAULTS: Readonly<NadeConfig> = defaultsOf(NADE_OPTIONS);

/** Largest [B, H, D] activation tensor built for scoring (2^24 floats = 64 MiB). */
const MAX_ACTIVATIONS = 2 ** 24;

export class Nade extends NeuralModel<NadeConfig> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'nade';
  readonly densityKind = 'exact';
  readonly ordering: Ordering;
  /** [H, D], column t: input weights of variable o(t). */
  private readonly W: tf.Variable;
  /** [H] */
  private readonly c: tf.Variable;
  /** [H, D], column t: output weights of step t. */
  private readonly V: tf.Variable;
  /** [D] */
  private readonly b: tf.Variable;
  /** order as an int32 tensor, to permute inputs into ordering space. */
  private readonly orderIndex: tf.Tensor1D;

  constructor(config: Partial<NadeConfig>, readonly inputShape: number[]) {
    super({ ...NADE_DEFAULTS, ...config });
    const { hidden: H } = this.config;
    check(Number.isInteger(H) && H >= 1, `nade: hidden must be an integer >= 1, got ${H}`);
    this.ordering = new Ordering(this.config.ordering, inputShape);
    const D = this.ordering.size;
    this.orderIndex = tf.tensor1d(this.ordering.order, 'int32');
    this.W = this.params.add('W', [H, D], { type: 'glorot', fanIn: D, fanOut: H });
    this.c = this.params.add('c', [H, 1], { type: 'zeros' });
    this.V = this.params.add('V', [H, D], { type: 'glorot', fanIn: H, fanOut: D });
    this.b = this.params.add('b', [D], { type: 'zeros' });
  }

  /** Inputs [B, D] in pixel order -> [B, D] in ordering order. */
  private toOrdered(x: tf.Tensor2D): tf.Tensor2D {
    return tf.gather(x, this.orderIndex, 1);
  }

  /** [B, D] ordered inputs -> [B, D] logits of every conditional, ordered. */
  orderedLogits(xo: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, D] = xo.shape;
      const contributions = tf.mul(tf.reshape(xo, [B, 1, D]), this.W); // [B, H, D]: x_{o(t)} W_t
      const a = tf.add(tf.cumsum(contributions, 2, true), this.c); // [B, H, D]: a_t = c + sum_{s<t}
      const h = tf.sigmoid(a);
      return tf.add(tf.sum(tf.mul(h, this.V), 1), this.b) as tf.Tensor2D; // [B, D]
    });
  }

  /** [B, D] inputs in pixel order -> [B] log p(x). */
  private logProbTensor(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const xo = this.toOrdered(x);
      return bernoulliLogProb(xo, this.orderedLogits(xo));
    });
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    checkBinary('nade', batch);
    return {
      loss: tf.neg(tf.mean(this.logProbTensor(tf.tensor2d(batch.x, [batch.n, this.ordering.size])))) as tf.Scalar,
    };
  }

  async logProb(batch: Batch): Promise<Float64Array> {
    checkBinary('nade', batch);
    // The hidden layers of all steps take B x H x D floats: score in chunks that fit wasm's memory.
    const D = this.ordering.size;
    const chunk = Math.max(1, Math.floor(MAX_ACTIVATIONS / (this.config.hidden * D)));
    return perExampleInChunks(batch.x, batch.n, D, chunk, (x) => this.logProbTensor(x));
  }

  async sample(n: number, rng: Rng): Promise<Float32Array> {
    const D = this.ordering.size;
    return this.fill(new Float32Array(n * D), n, new Uint8Array(D).fill(1), rng);
  }

  /** Missing variables drawn in the ordering given all earlier ones (later observed ones are not looked ahead to). */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    check(missing.length === this.ordering.size, `mask has ${missing.length} entries, the model expects ${this.ordering.size}`);
    return this.fill(Float32Array.from(batch.x), batch.n, missing, rng);
  }

  /**
   * Ancestral sampling with the running pre-activation (Eq. 4): O(DH) per example, in plain JS on
   * the weights read once (a per-step tensor op would cost more in call overhead than in arithmetic).
   */
  private fill(x: Float32Array, n: number, missing: Uint8Array, rng: Rng): Float32Array {
    const D = this.ordering.size;
    const H = this.config.hidden;
    const order = this.ordering.order;
    const W = this.W.dataSync(); // [H, D]
    const V = this.V.dataSync(); // [H, D]
    const b = this.b.dataSync();
    const c = this.c.dataSync();
    const a = new Float64Array(H);
    for (let k = 0; k < n; k++) {
      const xk = x.subarray(k * D, (k + 1) * D);
      a.set(c);
      for (let t = 0; t < D; t++) {
        const i = order[t];
        if (missing[i]) {
          let logit = b[t];
          for (let h = 0; h < H; h++) logit += V[h * D + t] / (1 + Math.exp(-a[h]));
          xk[i] = rng.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
        }
        if (xk[i] !== 0) for (let h = 0; h < H; h++) a[h] += xk[i] * W[h * D + t];
      }
    }
    return x;
  }

  override dispose(): void {
    super.dispose();
    this.orderIndex.dispose();
  }
}
