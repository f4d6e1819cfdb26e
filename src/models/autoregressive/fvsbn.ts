/**
 * FVSBN: fully visible sigmoid belief network (Neal 1992; Frey et al. 1996; the baseline of
 * Larochelle & Murray 2011, Table 2). Each conditional is a logistic regression on all previous
 * variables in the ordering:
 *
 *   p(x_{o(t)} = 1 | x_{o(<t)}) = sigma(b_{o(t)} + sum_{s<t} W[o(s), o(t)] x_{o(s)})
 *
 * computed for all t at once as x (W * M) + b, where the mask M[i, j] = 1 iff i precedes j.
 * Free parameters: D (D - 1) / 2 + D.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/rng.js';
import { defaultsOf, defineOptions } from '../options.js';
import { ORDERING_OPTION, Ordering, type OrderingSpec } from '../ordering.js';
import { NeuralModel } from '../neuralModel.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, TrainContext } from '../model.js';
import { bernoulliLogProb, fillSequentially, checkBinary } from './binary.js';

export interface FvsbnConfig {
  /** The order in which variables are chained. */
  ordering: OrderingSpec;
  /** Seed of the initial weights. */
  seed: number;
}

export const FVSBN_OPTIONS = defineOptions<FvsbnConfig>({
  ordering: ORDERING_OPTION,
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const FVSBN_DEFAULTS: Readonly<FvsbnConfig> = defaultsOf(FVSBN_OPTIONS);

export class Fvsbn extends NeuralModel<FvsbnConfig> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'fvsbn';
  readonly densityKind = 'exact';
  readonly ordering: Ordering;
  private readonly weights: tf.Variable;
  private readonly bias: tf.Variable;
  /** M[i, j] = 1 iff variable i comes before variable j. */
  private readonly mask: tf.Tensor2D;

  constructor(config: Partial<FvsbnConfig>, readonly inputShape: number[]) {
    super({ ...FVSBN_DEFAULTS, ...config });
    this.ordering = new Ordering(this.config.ordering, inputShape);
    const D = this.ordering.size;
    const mask = new Float32Array(D * D);
    const pos = this.ordering.position;
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) mask[i * D + j] = pos[i] < pos[j] ? 1 : 0;
    this.mask = tf.tensor2d(mask, [D, D]);
    // Small weights: each unit starts near the independent model.
    this.weights = this.params.add('W', [D, D], { type: 'normal', std: 0.01 });
    this.bias = this.params.add('b', [D], { type: 'zeros' });
  }

  /** [B, D] -> [B, D]: logit p(x_i = 1 | x before i). */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, tf.mul(this.weights, this.mask)), this.bias) as tf.Tensor2D);
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    checkBinary('fvsbn', batch);
    const x = tf.tensor2d(batch.x, [batch.n, this.ordering.size]);
    return { loss: tf.neg(tf.mean(bernoulliLogProb(x, this.logits(x)))) as tf.Scalar };
  }

  async logProb(batch: Batch): Promise<Float64Array> {
    checkBinary('fvsbn', batch);
    const logp = tf.tidy(() => {
      const x = tf.tensor2d(batch.x, [batch.n, this.ordering.size]);
      return bernoulliLogProb(x, this.logits(x));
    });
    const out = Float64Array.from(await logp.data());
    logp.dispose();
    return out;
  }

  async sample(n: number, rng: Rng): Promise<Float32Array> {
    const D = this.ordering.size;
    return fillSequentially((x) => this.logits(x), new Float32Array(n * D), n, this.ordering.order, new Uint8Array(D).fill(1), rng);
  }

  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    return fillSequentially((x) => this.logits(x), Float32Array.from(batch.x), batch.n, this.ordering.order, missing, rng);
  }

  override dispose(): void {
    super.dispose();
    this.mask.dispose();
  }
}
