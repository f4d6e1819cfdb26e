/**
 * MADE: masked autoencoder for distribution estimation (Germain, Gregor, Murray & Larochelle 2015,
 * ICML, Sec. 4, Eqs. 9-13). An MLP whose weight matrices are masked so that output d depends only on
 * inputs before d in an ordering: every conditional in one pass.
 *
 * Degrees: m^0(d) = position of d in the ordering, 1..D; a hidden unit k of layer l gets
 * m^l(k) ~ U{min m^(l-1), ..., D - 1} (Eq. 13). Masks: M^l[k', k] = [m^l(k) >= m^(l-1)(k')] (Eq. 12)
 * and, for the output, M^V[k, d] = [m^0(d) > m^L(k)] (Eq. 11).
 *
 * With `masks` > 1 the network is trained over several mask sets in turn (connectivity-agnostic
 * training, Sec. 4.2; with `orderAgnostic`, each set also draws its own ordering) and evaluated as the
 * ensemble p(x) = (1/K) sum_k p_k(x), which is still exactly normalised.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { defaultsOf, defineOptions } from '../options.js';
import { ORDERING_OPTION, Ordering, type OrderingSpec } from '../ordering.js';
import { NeuralModel } from '../neuralModel.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, TrainContext } from '../model.js';
import { bernoulliLogProb, fillSequentially, checkBinary } from './binary.js';

export interface MadeConfig {
  /** Units of each hidden layer (two layers of 500 in the paper's best MNIST model). */
  hidden: number[];
  /** Number of mask sets K trained in turn and averaged at test time (1 = a single fixed mask). */
  masks: number;
  /** Draw a new random ordering for every mask set (else all use `ordering`). */
  orderAgnostic: boolean;
  /** The ordering of every mask set unless orderAgnostic. */
  ordering: OrderingSpec;
  /** Seed of the initial weights and of the mask degrees. */
  seed: number;
}

export const MADE_OPTIONS = defineOptions<MadeConfig>({
  hidden: { type: 'int-list', default: [500, 500], min: 1, help: 'units of each hidden layer (two of 500: the paper\'s best MNIST model)' },
  masks: { type: 'int', default: 1, min: 1, max: 256, help: 'mask sets K trained in turn and averaged at test time (1: one fixed mask)' },
  orderAgnostic: { type: 'boolean', default: false, help: 'a new random ordering for every mask set (else all use `ordering`)' },
  ordering: { ...ORDERING_OPTION, help: 'the ordering of every mask set unless orderAgnostic' },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights and of the mask degrees' },
});

export const MADE_DEFAULTS: Readonly<MadeConfig> = defaultsOf(MADE_OPTIONS);

/** The masks of one connectivity: hidden degrees drawn for its ordering. */
export interface MaskSet {
  ordering: Ordering;
  /** One [fanIn, fanOut] 0/1 matrix per weight matrix, output last. */
  masks: Float32Array[];
}

/** Builds mask set k deterministically from the config (Eqs. 11-13). */
export function buildMaskSet(config: MadeConfig, inputShape: number[], k: number): MaskSet {
  const rng = new Rng(config.seed * 7919 + k + 1);
  const ordering = config.orderAgnostic
    ? new Ordering({ type: 'random', seed: config.seed * 7919 + k }, inputShape)
    : new Ordering(config.ordering, inputShape);
  const D = ordering.size;
  const inputDegrees = Int32Array.from(ordering.position, (p) => p + 1);
  let previous = inputDegrees;
  const masks: Float32Array[] = [];
  for (const units of config.hidden) {
    let lowest = D;
    for (const m of previous) lowest = Math.min(lowest, m);
    // Degrees in [lowest, D - 1]; D - 1 >= lowest as long as D >= 2.
    const degrees = Int32Array.from({ length: units }, () => lowest + rng.int(Math.max(1, D - lowest)));
    masks.push(maskMatrix(previous, degrees, (from, to) => to >= from));
    previous = degrees;
  }
  masks.push(maskMatrix(previous, inputDegrees, (from, to) => to > from));
  return { ordering, masks };
}

function maskMatrix(from: Int32Array, to: Int32Array, connected: (from: number, to: number) => boolean): Float32Array {
  const m = new Float32Array(from.length * to.length);
  for (let i = 0; i < from.length; i++) for (let j = 0; j < to.length; j++) m[i * to.length + j] = connected(from[i], to[j]) ? 1 : 0;
  return m;
}

export class Made extends NeuralModel<MadeConfig> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'made';
  readonly densityKind = 'exact';
  private readonly layers: { W: tf.Variable; b: tf.Variable }[] = [];
  private readonly maskSets: { ordering: Ordering; masks: tf.Tensor2D[] }[] = [];
  private readonly D: number;

  constructor(config: Partial<MadeConfig>, readonly inputShape: number[]) {
    super({ ...MADE_DEFAULTS, ...config });
    // One layer may be given as a plain number (--hidden 500).
    if (typeof this.config.hidden === 'number') this.config.hidden = [this.config.hidden];
    const { hidden, masks } = this.config;
    check(Array.isArray(hidden) && hidden.length >= 1 && hidden.every((h) => Number.isInteger(h) && h >= 1), `made: hidden must be a list of layer sizes >= 1, got ${JSON.stringify(hidden)}`);
    check(Number.isInteger(masks) && masks >= 1 && masks <= 256, `made: masks must be an integer in 1..256, got ${masks}`);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    check(this.D >= 2, 'made needs at least 2 variables');
    const sizes = [this.D, ...hidden, this.D];
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.layers.push({
        W: this.params.add(`W${l}`, [sizes[l], sizes[l + 1]], { type: 'glorot', fanIn: sizes[l], fanOut: sizes[l + 1] }),
        b: this.params.add(`b${l}`, [sizes[l + 1]], { type: 'zeros' }),
      });
    }
    for (let k = 0; k < masks; k++) {
      const set = buildMaskSet(this.config, inputShape, k);
      this.maskSets.push({
        ordering: set.ordering,
        masks: set.masks.map((m, l) => tf.tensor2d(m, [sizes[l], sizes[l + 1]])),
      });
    }
  }

  /** Orderings of the mask sets. */
  get orderings(): Ordering[] {
    return this.maskSets.map((s) => s.ordering);
  }

  /** [B, D] -> [B, D] logits of every conditional under mask set k (input order). */
  logits(x: tf.Tensor2D, k = 0): tf.Tensor2D {
    return tf.tidy(() => this.logitsWith(x, this.maskedWeights(k)));
  }

  /** W * M per layer under mask set k (Eq. 10's masked weight matrices). */
  private maskedWeights(k: number): tf.Tensor2D[] {
    const masks = this.maskSets[k].masks;
    return this.layers.map(({ W }, l) => tf.mul(W, masks[l]) as tf.Tensor2D);
  }

  /** The network's pass with the masked weights given. */
  private logitsWith(x: tf.Tensor2D, weights: tf.Tensor2D[]): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      this.layers.forEach(({ b }, l) => {
        const a = tf.add(tf.matMul(h, weights[l]), b) as tf.Tensor2D;
        h = l + 1 < this.layers.length ? tf.relu(a) : a;
      });
      return h;
    });
  }

  /**
   * fillSequentially with mask set k's conditionals, the masked weights computed once for its D
   * passes rather than in each (masking was as much memory traffic as the products at small batches).
   */
  private fillWith(k: number, x: Float32Array, n: number, missing: Uint8Array, rng: Rng): Float32Array {
    const weights = this.maskedWeights(k);
    try {
      return fillSequentially((v) => this.logitsWith(v, weights), x, n, this.maskSets[k].ordering.order, missing, rng);
    } finally {
      tf.dispose(weights);
    }
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    checkBinary('made', batch);
    const k = ctx.step % this.maskSets.length; // connectivity-agnostic: mask sets in turn
    const x = tf.tensor2d(batch.x, [batch.n, this.D]);
    return { loss: tf.neg(tf.mean(bernoulliLogProb(x, this.logits(x, k)))) as tf.Scalar };
  }

  /** log p(x) of the ensemble: log (1/K) sum_k p_k(x). */
  async logProb(batch: Batch): Promise<Float64Array> {
    checkBinary('made', batch);
    const logp = tf.tidy(() => {
      const x = tf.tensor2d(batch.x, [batch.n, this.D]);
      const perMask = this.maskSets.map((_, k) => bernoulliLogProb(x, this.logits(x, k)));
      return tf.sub(tf.logSumExp(tf.stack(perMask), 0), Math.log(perMask.length)); // [B]
    });
    const out = Float64Array.from(await logp.data());
    logp.dispose();
    return out;
  }

  /** Ancestral sampling from the ensemble: each sample picks a mask set uniformly, then its conditionals. */
  async sample(n: number, rng: Rng): Promise<Float32Array> {
    const out = new Float32Array(n * this.D);
    const component = Int32Array.from({ length: n }, () => rng.int(this.maskSets.length));
    for (let k = 0; k < this.maskSets.length; k++) {
      const members = [...component.keys()].filter((i) => component[i] === k);
      if (members.length === 0) continue;
      const x = this.fillWith(k, new Float32Array(members.length * this.D), members.length, new Uint8Array(this.D).fill(1), rng);
      members.forEach((i, j) => out.set(x.subarray(j * this.D, (j + 1) * this.D), i * this.D));
    }
    return out;
  }

  /** Completes with the first mask set's conditionals (later observed variables are not looked ahead to). */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    return this.fillWith(0, Float32Array.from(batch.x), batch.n, missing, rng);
  }

  override dispose(): void {
    super.dispose();
    for (const set of this.maskSets) tf.dispose(set.masks);
  }
}
