/**
 * The denoising network eps_theta(x_t, t [, y]) of a diffusion model, separate from the noise
 * schedule (./schedule.ts) and the sampling loops (./samplers.ts). Both networks share the
 * timestep embedding of the Transformer (Vaswani et al. 2017, Sec. 3.5), as Ho et al. 2020
 * (Appendix B) use it: sinusoids of t at geometrically spaced frequencies, then a two-layer MLP
 * with SiLU. A class label, when the model is conditional, adds a learned embedding to it; the
 * extra "null" class K stands for no label, for classifier-free guidance (Ho & Salimans 2022).
 *
 * This file holds the embedding and the MLP denoiser for vectors (toys, flattened data); the
 * U-Net for images is ./unet.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { silu } from '../../nn/activations.js';
import { applyDense, dense, type Dense } from '../../nn/dense.js';
import type { Parameters } from '../../nn/parameters.js';

/** What the sampling loops and the loss call: the predicted noise for x_t at timestep indices t. */
export interface Denoiser {
  /**
   * eps_theta(x_t, t, y): x [B, D] (images flattened, channels last), t the timestep index per
   * example (0..T-1), `condition` one-hot labels [B, K + 1] (the last column the null class) or
   * null for an unconditional model. Returns [B, D]. Not tidied.
   */
  predict(x: tf.Tensor2D, t: Int32Array, condition: tf.Tensor2D | null): tf.Tensor2D;
}

/**
 * Sinusoidal embedding of timesteps, [B, dim] (dim even): [sin(t f_0..f_{h-1}), cos(t f_0..f_{h-1})],
 * f_i = 10000^(-i / (h - 1)), h = dim / 2 (Ho et al.'s get_timestep_embedding). Constant input:
 * computed in JS.
 */
export function sinusoidalEmbedding(t: Int32Array, dim: number): tf.Tensor2D {
  const half = dim / 2;
  const values = new Float32Array(t.length * dim);
  for (let b = 0; b < t.length; b++) {
    for (let i = 0; i < half; i++) {
      const angle = t[b] * Math.exp((-Math.log(10000) * i) / Math.max(1, half - 1));
      values[b * dim + i] = Math.sin(angle);
      values[b * dim + half + i] = Math.cos(angle);
    }
  }
  return tf.tensor2d(values, [t.length, dim]);
}

/** Sinusoids -> dense -> SiLU -> dense, plus a label embedding for conditional models: [B, dim]. */
export class TimeEmbedding {
  private readonly first: Dense;
  private readonly second: Dense;
  /** [K + 1, dim]: one row per class and one for the null class; absent for unconditional models. */
  private readonly labelTable: tf.Variable | null;

  constructor(
    params: Parameters,
    readonly dim: number,
    classes: number,
  ) {
    this.first = dense(params, 'time/dense0', dim, dim);
    this.second = dense(params, 'time/dense1', dim, dim);
    this.labelTable = classes > 0 ? params.add('time/labels', [classes + 1, dim], { type: 'normal', std: 1 / Math.sqrt(dim) }) : null;
  }

  /** [B, dim]. Not tidied. */
  apply(t: Int32Array, condition: tf.Tensor2D | null): tf.Tensor2D {
    const h = applyDense(silu(applyDense(sinusoidalEmbedding(t, this.dim), this.first)), this.second);
    return this.labelTable && condition ? tf.add(h, tf.matMul(condition, this.labelTable)) : h;
  }
}

/**
 * eps_theta for vectors: h_0 = x W_in, then for each hidden layer h_l = SiLU(h_{l-1} W_l + b_l +
 * temb W'_l), the time (and label) embedding projected into every layer, and a linear output of
 * the data's size. Small and fast: the 2-D toys' network.
 */
export class MlpDenoiser implements Denoiser {
  private readonly embedding: TimeEmbedding;
  private readonly layers: Dense[] = [];
  private readonly timeProjections: Dense[] = [];
  private readonly output: Dense;

  constructor(params: Parameters, D: number, hidden: readonly number[], embeddingDim: number, classes: number) {
    this.embedding = new TimeEmbedding(params, embeddingDim, classes);
    let width = D;
    hidden.forEach((h, l) => {
      this.layers.push(dense(params, `mlp/dense${l}`, width, h));
      this.timeProjections.push(dense(params, `mlp/time${l}`, embeddingDim, h));
      width = h;
    });
    this.output = dense(params, 'mlp/out', width, D);
  }

  predict(x: tf.Tensor2D, t: Int32Array, condition: tf.Tensor2D | null): tf.Tensor2D {
    const temb = silu(this.embedding.apply(t, condition));
    let h = x;
    this.layers.forEach((layer, l) => {
      h = silu(tf.add(applyDense(h, layer), applyDense(temb, this.timeProjections[l])));
    });
    return applyDense(h, this.output);
  }
}
