/**
 * Batch normalisation (Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep Network
 * Training by Reducing Internal Covariate Shift"), per channel, i.e. over every axis but the last
 * ([B, C] after a dense layer, [B, H, W, C] after a convolution, as their Sec. 3.2 does for
 * convolutions):
 *
 *   training (Algorithm 1):  y = gamma (x - mu_B) / sqrt(sigma_B^2 + eps) + beta,
 *                            mu_B, sigma_B^2 the minibatch's mean and (biased) variance;
 *   inference (Sec. 3.1):    y = gamma (x - E[x]) / sqrt(Var[x] + eps) + beta,
 *                            E[x], Var[x] the running estimates kept during training.
 *
 * The running estimates are updated in PyTorch's convention, `momentum` being the weight of the
 * new batch (Keras' momentum is 1 minus this):
 *
 *   running <- (1 - momentum) running + momentum batch,
 *
 * with the batch variance unbiased, m / (m - 1) sigma_B^2 over m values per channel, as
 * Algorithm 2 (step 10) and PyTorch do. They are state (Parameters.addState): checkpointed, never
 * trained. Their update is an assignment, so it is never on a gradient tape: `apply` may run
 * inside tf.variableGrads (and inside a loss differentiated twice, such as a gradient penalty)
 * without the statistics receiving gradients or leaking tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import type { Parameters } from './parameters.js';

export interface BatchNormConfig {
  /** Weight of the new batch in the running statistics' update (PyTorch's convention). Default: 0.1. */
  momentum: number;
  /** Added to the variance before the square root. Default: 1e-5. */
  epsilon: number;
}

export const BATCH_NORM_DEFAULTS: Readonly<BatchNormConfig> = Object.freeze({ momentum: 0.1, epsilon: 1e-5 });

export class BatchNorm {
  /** Scale [C], starting at 1. */
  readonly gamma: tf.Variable;
  /** Shift [C], starting at 0. */
  readonly beta: tf.Variable;
  /** Running mean [C] (state), starting at 0. */
  readonly movingMean: tf.Variable;
  /** Running (unbiased) variance [C] (state), starting at 1. */
  readonly movingVariance: tf.Variable;
  readonly config: Readonly<BatchNormConfig>;

  /**
   * Creates `${name}/gamma`, `${name}/beta` (trainable, in the current parameter group) and
   * `${name}/movingMean`, `${name}/movingVariance` (state), in that order, for `channels` channels.
   */
  constructor(params: Parameters, name: string, channels: number, config: Partial<BatchNormConfig> = {}) {
    this.config = { ...BATCH_NORM_DEFAULTS, ...config };
    const { momentum, epsilon } = this.config;
    check(momentum >= 0 && momentum <= 1, () => `BatchNorm momentum must be in [0, 1], got ${momentum}`);
    check(epsilon > 0, () => `BatchNorm epsilon must be positive, got ${epsilon}`);
    this.gamma = params.add(`${name}/gamma`, [channels], { type: 'constant', value: 1 });
    this.beta = params.add(`${name}/beta`, [channels], { type: 'zeros' });
    this.movingMean = params.addState(`${name}/movingMean`, [channels], { type: 'zeros' });
    this.movingVariance = params.addState(`${name}/movingVariance`, [channels], { type: 'constant', value: 1 });
  }

  /**
   * x [..., C] -> [..., C]. training: normalised by the batch's statistics over every axis but the
   * last, which also update the running ones (needs at least two values per channel); otherwise
   * by the running statistics. Twice differentiable.
   */
  apply<T extends tf.Tensor>(x: T, training: boolean): T {
    return tf.tidy(() => {
      const C = x.shape.at(-1)!;
      check(C === this.gamma.shape[0], () => `BatchNorm: input has ${C} channels, the layer ${this.gamma.shape[0]}`);
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (training) {
        const axes = x.shape.slice(0, -1).map((_, i) => i);
        const m = x.size / C; // values per channel
        check(m > 1, () => 'BatchNorm in training needs more than one value per channel');
        mean = tf.mean(x, axes); // [C]
        variance = tf.mean(tf.square(tf.sub(x, mean)), axes); // [C], biased (Algorithm 1)
        this.update(mean, variance, m);
      } else {
        mean = this.movingMean;
        variance = this.movingVariance;
      }
      // 1 / sqrt rather than rsqrt: Rsqrt's gradient takes a Pow, Sqrt's only a Div.
      const scale = tf.div(this.gamma, tf.sqrt(tf.add(variance, this.config.epsilon))); // [C]
      return tf.add(tf.mul(tf.sub(x, mean), scale), this.beta) as T;
    });
  }

  /** running <- (1 - momentum) running + momentum batch, the variance unbiased over m values. */
  private update(mean: tf.Tensor, variance: tf.Tensor, m: number): void {
    const { momentum } = this.config;
    // Assignments are invisible to gradient tapes; the ops computing the new values are recorded
    // while a gradient is taken but lead to no loss, so they are pruned, and their saved tensors
    // are freed with the tape.
    tf.tidy(() => {
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, 1 - momentum), tf.mul(mean, momentum)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, 1 - momentum), tf.mul(variance, (momentum * m) / (m - 1))));
    });
  }
}
