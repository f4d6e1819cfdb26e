/**
 * Spectral normalisation (Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral Normalization for
 * Generative Adversarial Networks", ICLR; Sec. 2.1, Eq. 8 and Algorithm 1): a layer uses
 *
 *   W_SN = W / sigma(W),   sigma(W) = u^T W v ~ the largest singular value of W,   (Eq. 8)
 *
 * which bounds the layer's Lipschitz constant by 1. u and v come from power iteration, one step
 * per training step by default, warm-started from the previous step's u (Algorithm 1):
 *
 *   v <- W^T u / |W^T u|,   u <- W v / |W v|,   sigma = u^T W v.
 *
 * In the paper's notation W maps a layer's input to its output (W h), so u has one entry per
 * output unit. genlab's weights are stored the other way round (h W), so the matrix here is
 * M = W^T [fanIn, out], and the steps read v <- M u / |M u|, u <- M^T v / |M^T v|, sigma = v^T M u.
 * How a weight becomes M (the singular values do not depend on the order of M's rows):
 *
 *   'dense'            W [in, out]           -> M = W                        [in, out]
 *   'conv2d'           filter [k, k, in, out] -> M = reshape(filter)         [k * k * in, out]
 *   'conv2dTranspose'  filter [k, k, out, in] -> M = reshape(filter with its last two axes
 *                      swapped)                                              [k * k * in, out]
 *
 * (For convolutions this normalises the reshaped filter, as the paper does, not the convolution
 * operator.) u is state (Parameters.addState, `${weightName}/u`): checkpointed, never trained,
 * updated by assignment. The gradient treats u and v as constants, as Eq. 12 does, so it flows
 * only through W and sigma's explicit dependence on W (d sigma / dW = u v^T). In evaluation
 * (training = false) u is read, not updated, v is one step from it, and sigma = |M u|.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import type { Parameters } from './parameters.js';
import { stopGradient } from './stopGradient.js';

export type WeightLayout = 'dense' | 'conv2d' | 'conv2dTranspose';

export interface SpectralNormConfig {
  /** Power-iteration steps per training call. Default: 1 (Algorithm 1). */
  powerIterations: number;
  /** How the weight is laid out. Default: 'dense' for a rank-2 weight, 'conv2d' for rank 4; a transposed convolution's filter must say 'conv2dTranspose'. */
  layout?: WeightLayout;
  /** Added to vector norms before dividing by them (a zero vector stays finite). Default: 1e-12. */
  epsilon: number;
}

export const SPECTRAL_NORM_DEFAULTS: Readonly<SpectralNormConfig> = Object.freeze({ powerIterations: 1, epsilon: 1e-12 });

/** x / (|x| + epsilon), for vectors. */
function unit(x: tf.Tensor1D, epsilon: number): tf.Tensor1D {
  return tf.div(x, tf.add(tf.sqrt(tf.sum(tf.square(x))), epsilon));
}

export class SpectralNorm {
  /** The left singular vector estimate [out] (state `${weightName}/u`), one entry per output unit. */
  readonly u: tf.Variable;
  readonly layout: WeightLayout;
  private readonly config: Readonly<SpectralNormConfig>;
  private readonly shape: readonly number[];

  /**
   * Spectral normalisation of the weight `params.get(weightName)`. Creates the state
   * `${weightName}/u`, drawn from N(0, I) through the Rng and scaled to unit length.
   */
  constructor(params: Parameters, weightName: string, config: Partial<SpectralNormConfig> = {}) {
    this.config = { ...SPECTRAL_NORM_DEFAULTS, ...config };
    const { powerIterations, epsilon } = this.config;
    check(Number.isInteger(powerIterations) && powerIterations >= 1, () => `SpectralNorm powerIterations must be a positive integer, got ${powerIterations}`);
    check(epsilon > 0, () => `SpectralNorm epsilon must be positive, got ${epsilon}`);
    this.shape = [...params.get(weightName).shape];
    const rank = this.shape.length;
    this.layout = this.config.layout ?? (rank === 2 ? 'dense' : 'conv2d');
    check(rank === (this.layout === 'dense' ? 2 : 4), () => `SpectralNorm: '${weightName}' has shape [${this.shape}], not a ${this.layout} weight`);
    const out = this.layout === 'conv2dTranspose' ? this.shape[2] : this.shape[rank - 1];
    this.u = params.addState(`${weightName}/u`, [out], { type: 'normal', std: 1 });
    tf.tidy(() => this.u.assign(unit(this.u as tf.Tensor1D, epsilon)));
  }

  /**
   * W / sigma(W) for the weight this was made for (W of its shape, usually the variable itself).
   * training: first runs the power iteration and stores the new u, so every training call is a
   * step (as in PyTorch; a discriminator applied to real and generated batches separately takes
   * two). Twice differentiable in W. Tidied.
   */
  normalize<T extends tf.Tensor>(W: T, training: boolean): T {
    check(W.shape.length === this.shape.length && W.shape.every((n, i) => n === this.shape[i]), () => `SpectralNorm: weight of shape [${W.shape}], expected [${this.shape}]`);
    return tf.tidy(() => {
      const { epsilon } = this.config;
      const M = this.matrix(W); // [fanIn, out]
      const constantM = stopGradient(M); // u and v are constants for the gradient (Eq. 12)
      let u = this.u as tf.Tensor1D; // [out]
      let v = unit(tf.squeeze(tf.matMul(constantM, tf.expandDims(u, 1)), [1]), epsilon); // [fanIn]
      if (training) {
        for (let step = 0; step < this.config.powerIterations; step++) {
          if (step > 0) v = unit(tf.squeeze(tf.matMul(constantM, tf.expandDims(u, 1)), [1]), epsilon);
          u = unit(tf.squeeze(tf.matMul(constantM, tf.expandDims(v, 1), true), [1]), epsilon); // M^T v / |M^T v|
        }
        this.u.assign(u);
      }
      const sigma = tf.sum(tf.mul(v, tf.squeeze(tf.matMul(M, tf.expandDims(u, 1)), [1]))); // v^T M u
      return tf.div(W, sigma) as T;
    });
  }

  /** The weight as the matrix M [fanIn, out] whose largest singular value is normalised. */
  private matrix(W: tf.Tensor): tf.Tensor2D {
    const out = this.layout === 'conv2dTranspose' ? this.shape[2] : this.shape.at(-1)!;
    const columnsLast = this.layout === 'conv2dTranspose' ? tf.transpose(W, [0, 1, 3, 2]) : W; // [k, k, in, out]
    return tf.reshape(columnsLast, [-1, out]); // [fanIn, out]
  }
}
