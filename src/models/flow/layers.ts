/**
 * Bijectors for normalizing flows on vectors [B, D]. Each layer is an invertible map y = f(x) with
 * a tractable log |det df/dx| per example, so a chain of them gives an exact density by the change
 * of variables, log p(x) = log p_Z(f(x)) + sum_layers log |det J| (Dinh et al. 2015, Eq. 1).
 *
 *  - `AdditiveCoupling`: NICE's y = x_1, y_2 = x_2 + m(x_1) (Dinh, Krueger & Bengio 2015, Eq. 5),
 *    written with a binary mask b: y = x + (1 - b) m(b x); log-det 0.
 *  - `DiagonalScaling`: NICE's last layer, y = S x with S diagonal (Sec. 3.3); here S = exp(s).
 *  - `AffineCoupling`: RealNVP's y = b x + (1 - b) (x exp(s(b x)) + t(b x)) (Dinh, Sohl-Dickstein &
 *    Bengio 2017, Eqs. 7-9); log-det = sum over the changed entries of s. s passes a soft clamp
 *    c tanh(s / c), so a step cannot blow a scale up to exp(80) and overflow float32.
 *  - `ActNorm`: Glow's per-dimension affine map with data-dependent initialisation (Kingma &
 *    Dhariwal 2018, Sec. 3.1 and Table 1).
 *  - `MadeAffine`: MAF's layer, x_i = u_i exp(alpha_i) + mu_i with (mu_i, alpha_i) from a MADE on
 *    x_{<i} (Papamakarios, Pavlakou & Murray 2017, Eqs. 2-5): forward (density) in one pass, the
 *    inverse in D sequential passes.
 *  - `Reverse`: the order of the dimensions reversed (MAF's orderings between layers); log-det 0.
 *  - `LogitTransform`: [0, 1] data to the real line, y = logit(alpha + (1 - 2 alpha) x) with
 *    alpha = 0.05 (RealNVP Sec. 4.1), so a flow's Gaussian base sees unbounded values.
 *
 * Convention: `forward` maps data towards the latent (x -> z), the direction of the density;
 * `inverse` maps back (z -> x), the direction of sampling. Neither tidies on its own beyond its own
 * intermediates: callers run them inside tf.tidy (the trainer's, or the model's).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Mlp } from '../../nn/dense.js';
import type { Parameters } from '../../nn/parameters.js';
import { buildMaskSet, MADE_DEFAULTS } from '../autoregressive/made.js';

/**
 * An invertible layer on tensors of type T: vectors [B, D] (`FlowLayer`) or images [B, H, W, C]
 * (`ImageFlowLayer`, ./imageLayers.ts). A layer that works on both (actnorm, the invertible 1x1
 * convolution) acts on the last axis and counts every other non-batch position.
 */
export interface Bijector<T extends tf.Tensor> {
  /** y = f(x) and log |det df/dx| per example: { same shape as x, [B] }. */
  forward(x: T): { y: T; logDet: tf.Tensor1D };
  /** x = f^-1(y). */
  inverse(y: T): T;
  /** Layers with data-dependent initialisation (ActNorm): whether it is still to run. */
  needsInit?(): boolean;
  /** Sets the initial values from a batch of this layer's inputs. */
  initialize?(x: T): void;
  /** Forgets cached answers of `needsInit` (after the model's weights were replaced). */
  reset?(): void;
  /** Constant tensors (masks) the layer owns; its variables belong to the model's Parameters. */
  dispose?(): void;
}

/** A layer on vectors [B, D]. */
export type FlowLayer = Bijector<tf.Tensor2D>;

/** Vectors [B, D] or images [B, H, W, C]: what a layer acting on the last axis accepts. */
export type VectorOrImage = tf.Tensor2D | tf.Tensor4D;

/** The soft clamp c tanh(s / c): identity near 0, bounded by c (c <= 0: no clamp). */
export function softClamp<T extends tf.Tensor>(s: T, c: number): T {
  return c > 0 ? (tf.mul(tf.tanh(tf.div(s, c)), c) as T) : s;
}

/** [B] zeros: the log-det of a volume-preserving layer. */
function zeroLogDet(x: tf.Tensor2D): tf.Tensor1D {
  return tf.zeros([x.shape[0]]);
}

/**
 * The alternating binary masks of coupling layer k (1 = passed through, conditioned on): for an
 * image [H, W, C] a checkerboard on (row + column) parity (RealNVP Sec. 3.4's spatial mask), for a
 * vector the parity of the index (NICE's odd / even partition, Sec. 5.1); odd k flips it, so
 * consecutive couplings change complementary halves.
 */
export function alternatingMask(inputShape: number[], k: number): Float32Array {
  const D = inputShape.reduce((a, b) => a * b, 1);
  const mask = new Float32Array(D);
  if (inputShape.length === 3) {
    const [H, W, C] = inputShape;
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let ch = 0; ch < C; ch++) mask[(r * W + c) * C + ch] = (r + c + k) % 2;
  } else {
    for (let i = 0; i < D; i++) mask[i] = (i + k) % 2;
  }
  return mask;
}

/** An MLP D -> hidden -> outputs * D with ReLUs, its last layer zeroed so the layer starts as the identity. */
function couplingNet(params: Parameters, name: string, D: number, hidden: number[], outputs: number): Mlp {
  const sizes = [D, ...hidden, outputs * D];
  const net = new Mlp(
    params,
    sizes.slice(1).map((_, l) => `${name}/dense${l}`),
    sizes,
  );
  // Zero output weights: every coupling begins as the identity, a stable start for deep stacks (Glow Sec. 3.3).
  const last = net.layers[net.layers.length - 1];
  tf.tidy(() => last.W.assign(tf.zerosLike(last.W)));
  return net;
}

/** NICE's additive coupling (Eq. 5): y = x + (1 - b) m(b x), log-det 0. */
export class AdditiveCoupling implements FlowLayer {
  private readonly net: Mlp;
  private readonly keep: tf.Tensor2D;
  private readonly change: tf.Tensor2D;

  constructor(params: Parameters, name: string, mask: Float32Array, hidden: number[]) {
    const D = mask.length;
    this.net = couplingNet(params, name, D, hidden, 1);
    this.keep = tf.tensor2d(mask, [1, D]);
    this.change = tf.tensor2d(mask.map((b) => 1 - b), [1, D]);
  }

  private shift(x: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(this.net.apply(tf.mul(x, this.keep) as tf.Tensor2D), this.change) as tf.Tensor2D;
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => ({ y: tf.add(x, this.shift(x)) as tf.Tensor2D, logDet: zeroLogDet(x) }));
  }

  /** The kept half is y's own, so the same shift is recomputed from it and subtracted. */
  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sub(y, this.shift(y)) as tf.Tensor2D);
  }

  dispose(): void {
    tf.dispose([this.keep, this.change]);
  }
}

/** NICE's diagonal scaling (Sec. 3.3): y = x exp(s), log-det = sum s. */
export class DiagonalScaling implements FlowLayer {
  private readonly logScale: tf.Variable;

  constructor(params: Parameters, name: string, D: number) {
    this.logScale = params.add(`${name}/logScale`, [D], { type: 'zeros' });
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => ({
      y: tf.mul(x, tf.exp(this.logScale)) as tf.Tensor2D,
      logDet: tf.mul(tf.ones([x.shape[0]]), tf.sum(this.logScale)) as tf.Tensor1D,
    }));
  }

  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.mul(y, tf.exp(tf.neg(this.logScale))) as tf.Tensor2D);
  }
}

/**
 * RealNVP's affine coupling (Eqs. 7-9): one network reads b x and gives s and t, both masked to the
 * changed entries (1 - b); y = x exp(s) + t there, log-det = sum s.
 */
export class AffineCoupling implements FlowLayer {
  private readonly net: Mlp;
  private readonly keep: tf.Tensor2D;
  private readonly change: tf.Tensor2D;
  private readonly D: number;

  constructor(params: Parameters, name: string, mask: Float32Array, hidden: number[], private readonly scaleClamp: number) {
    this.D = mask.length;
    this.net = couplingNet(params, name, this.D, hidden, 2);
    this.keep = tf.tensor2d(mask, [1, this.D]);
    this.change = tf.tensor2d(mask.map((b) => 1 - b), [1, this.D]);
  }

  /** s and t from the kept entries, zero on them: [B, D] each. */
  private scaleShift(x: tf.Tensor2D): { s: tf.Tensor2D; t: tf.Tensor2D } {
    const out = this.net.apply(tf.mul(x, this.keep) as tf.Tensor2D); // [B, 2D]
    const [rawS, t] = tf.split(out, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { s: tf.mul(softClamp(rawS, this.scaleClamp), this.change) as tf.Tensor2D, t: tf.mul(t, this.change) as tf.Tensor2D };
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const { s, t } = this.scaleShift(x);
      // On kept entries s = t = 0, so this is y = x there.
      return { y: tf.add(tf.mul(x, tf.exp(s)), t) as tf.Tensor2D, logDet: tf.sum(s, 1) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const { s, t } = this.scaleShift(y); // the kept entries of y are x's
      return tf.mul(tf.sub(y, t), tf.exp(tf.neg(s))) as tf.Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose([this.keep, this.change]);
  }
}

/**
 * Glow's actnorm (Table 1): y = (x - mu0) exp(-logSd0) exp(logScale) + bias per channel (the last
 * axis: every dimension of a vector, every channel of an image), log-det = (H W) sum(logScale -
 * logSd0), H W = 1 for vectors. mu0 and logSd0 are the data-dependent initialisation: the mean and
 * log standard deviation of the first batch (over examples and positions), so that batch leaves
 * with zero mean and unit variance. They are checkpointed state (with the flag saying they were
 * set), not weights: the trainable logScale and bias start at 0, so an EMA shadow made before the
 * first batch already holds the initial weights, and optimizers never move the initialisation.
 */
export class ActNorm {
  private readonly logScale: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly mean0: tf.Variable;
  private readonly logSd0: tf.Variable;
  private readonly initialized: tf.Variable;
  /** `initialized` once read as 1 (it never returns to 0 but through setWeights, see reset()). */
  private known = false;

  constructor(params: Parameters, name: string, channels: number) {
    this.logScale = params.add(`${name}/logScale`, [channels], { type: 'zeros' });
    this.bias = params.add(`${name}/bias`, [channels], { type: 'zeros' });
    this.mean0 = params.addState(`${name}/mean0`, [channels], { type: 'zeros' });
    this.logSd0 = params.addState(`${name}/logSd0`, [channels], { type: 'zeros' });
    this.initialized = params.addState(`${name}/initialized`, [], { type: 'zeros' });
  }

  needsInit(): boolean {
    if (!this.known) this.known = this.initialized.dataSync()[0] === 1;
    return !this.known;
  }

  initialize(x: VectorOrImage): void {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, x.shape.slice(0, -1).map((_, axis) => axis));
      this.mean0.assign(mean);
      // log(sd + 1e-6), as Glow: a constant dimension stays finite.
      this.logSd0.assign(tf.log(tf.add(tf.sqrt(variance), 1e-6)));
      this.initialized.assign(tf.scalar(1));
    });
    this.known = true;
  }

  reset(): void {
    this.known = false;
  }

  private logScaleTotal(): tf.Tensor1D {
    return tf.sub(this.logScale, this.logSd0) as tf.Tensor1D;
  }

  forward<T extends VectorOrImage>(x: T): { y: T; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const logScale = this.logScaleTotal();
      const positions = x.size / (x.shape[0] * this.logScale.size); // H W for images, 1 for vectors
      return {
        y: tf.add(tf.mul(tf.sub(x, this.mean0), tf.exp(logScale)), this.bias) as T,
        logDet: tf.mul(tf.ones([x.shape[0]]), tf.mul(tf.sum(logScale), positions)) as tf.Tensor1D,
      };
    });
  }

  inverse<T extends VectorOrImage>(y: T): T {
    return tf.tidy(() => tf.add(tf.mul(tf.sub(y, this.bias), tf.exp(tf.neg(this.logScaleTotal()))), this.mean0) as T);
  }
}

/** The dimensions in reverse order (MAF's changed ordering between layers); log-det 0. */
export class Reverse implements FlowLayer {
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => ({ y: tf.reverse(x, 1) as tf.Tensor2D, logDet: zeroLogDet(x) }));
  }

  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return tf.reverse(y, 1);
  }
}

/** RealNVP's alpha (Sec. 4.1): keeps the logit finite at 0 and 1 and on dequantized values up to 1 + 1/256. */
export const LOGIT_ALPHA = 0.05;

/**
 * y = logit(p), p = alpha + (1 - 2 alpha) x (RealNVP Sec. 4.1). dp/dx = 1 - 2 alpha and
 * dlogit/dp = 1 / (p (1 - p)), and log p + log(1 - p) = -softplus(-y) - softplus(y), so
 * log-det = sum_d [log(1 - 2 alpha) + softplus(y_d) + softplus(-y_d)].
 */
export class LogitTransform implements FlowLayer {
  constructor(private readonly alpha = LOGIT_ALPHA) {}

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const p = tf.add(tf.mul(x, 1 - 2 * this.alpha), this.alpha);
      const y = tf.sub(tf.log(p), tf.log1p(tf.neg(p))) as tf.Tensor2D;
      const perDim = tf.add(tf.add(tf.softplus(y), tf.softplus(tf.neg(y))), Math.log(1 - 2 * this.alpha));
      return { y, logDet: tf.sum(perDim, 1) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.div(tf.sub(tf.sigmoid(y), this.alpha), 1 - 2 * this.alpha) as tf.Tensor2D);
  }
}

/**
 * MAF's layer (Papamakarios et al. 2017, Eqs. 2-5): x_i = u_i exp(alpha_i) + mu_i, where mu_i and
 * alpha_i come from a MADE (Germain et al. 2015) on x_{<i}, in index order. Density direction
 * (forward): u = (x - mu(x)) exp(-alpha(x)), all i at once since mu and alpha read x only;
 * log |det du/dx| = -sum alpha (a triangular Jacobian). Sampling direction (inverse): x is built
 * one entry per pass, D passes of the MADE, as entry i needs x_{<i} first.
 */
export class MadeAffine implements FlowLayer {
  private readonly layers: { W: tf.Variable; b: tf.Variable }[] = [];
  private readonly masks: tf.Tensor2D[];
  private readonly D: number;

  constructor(params: Parameters, name: string, D: number, hidden: number[], seed: number, private readonly scaleClamp: number) {
    this.D = D;
    // MADE's degrees and masks (Eqs. 11-13) for the identity ordering; the output mask serves mu and alpha.
    const set = buildMaskSet({ ...MADE_DEFAULTS, hidden, seed, masks: 1, orderAgnostic: false, ordering: { type: 'raster' } }, [D], 0);
    const sizes = [D, ...hidden, 2 * D];
    this.masks = set.masks.map((m, l) => {
      if (l < hidden.length) return tf.tensor2d(m, [sizes[l], sizes[l + 1]]);
      const out = tf.tensor2d(m, [sizes[l], D]);
      const both = tf.concat([out, out], 1); // [H_L, 2D]: mu's columns, then alpha's
      out.dispose();
      return both;
    });
    for (let l = 0; l + 1 < sizes.length; l++) {
      const last = l + 2 === sizes.length;
      this.layers.push({
        // The output layer starts at zero: mu = 0, alpha = 0, an identity layer.
        W: params.add(`${name}/W${l}`, [sizes[l], sizes[l + 1]], last ? { type: 'zeros' } : { type: 'glorot', fanIn: sizes[l], fanOut: sizes[l + 1] }),
        b: params.add(`${name}/b${l}`, [sizes[l + 1]], { type: 'zeros' }),
      });
    }
  }

  /** mu and alpha (clamped) of every entry from x_{<i}: [B, D] each. */
  private muAlpha(x: tf.Tensor2D): { mu: tf.Tensor2D; alpha: tf.Tensor2D } {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      this.layers.forEach(({ W, b }, l) => {
        const a = tf.add(tf.matMul(h, tf.mul(W, this.masks[l])), b) as tf.Tensor2D;
        h = l + 1 < this.layers.length ? tf.relu(a) : a;
      });
      const [mu, alpha] = tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mu, alpha: softClamp(alpha, this.scaleClamp) };
    });
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const { mu, alpha } = this.muAlpha(x);
      return { y: tf.mul(tf.sub(x, mu), tf.exp(tf.neg(alpha))) as tf.Tensor2D, logDet: tf.neg(tf.sum(alpha, 1)) as tf.Tensor1D };
    });
  }

  /** D passes: after pass i, entries 0..i are exact, since they read only x_{<i} (Eq. 3). */
  inverse(u: tf.Tensor2D): tf.Tensor2D {
    let x = tf.zerosLike(u);
    for (let i = 0; i < this.D; i++) {
      const next = tf.tidy(() => {
        const { mu, alpha } = this.muAlpha(x);
        return tf.add(tf.mul(u, tf.exp(alpha)), mu) as tf.Tensor2D;
      });
      x.dispose();
      x = next;
    }
    return x;
  }

  dispose(): void {
    tf.dispose(this.masks);
  }
}

/**
 * A layer run backwards: forward is the inner layer's inverse, inverse its forward, and
 * log |det d f^-1(x) / dx| = -log |det df(y) / dy| at y = f^-1(x). Inverting MAF's layer gives IAF's
 * (Kingma et al. 2016; Papamakarios et al. 2017, Sec. 3.3): the MADE then conditions on the latent
 * side, so sampling takes one pass and the density D.
 */
export class Inverted implements FlowLayer {
  constructor(private readonly inner: FlowLayer) {}

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const y = this.inner.inverse(x);
      return { y, logDet: tf.neg(this.inner.forward(y).logDet) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.inner.forward(y).y);
  }

  dispose(): void {
    this.inner.dispose?.();
  }
}

/** A chain of layers applied in order: log-dets add. */
export function forwardChain<T extends tf.Tensor>(layers: readonly Bijector<T>[], x: T): { y: T; logDet: tf.Tensor1D } {
  return tf.tidy(() => {
    let y = x;
    let logDet: tf.Tensor1D = tf.zeros([x.shape[0]]);
    for (const layer of layers) {
      const out = layer.forward(y);
      y = out.y;
      logDet = tf.add(logDet, out.logDet) as tf.Tensor1D;
    }
    return { y: y === x ? (tf.clone(x) as T) : y, logDet };
  });
}

/** The chain inverted: layers in reverse order, each inverted. */
export function inverseChain<T extends tf.Tensor>(layers: readonly Bijector<T>[], z: T): T {
  return tf.tidy(() => {
    let x = z;
    for (let l = layers.length - 1; l >= 0; l--) x = layers[l].inverse(x);
    return x === z ? (tf.clone(z) as T) : x;
  });
}

/**
 * Data-dependent initialisation along a chain: each layer that still needs it (ActNorm) is
 * initialised on its own inputs, the outputs of the layers before it as they now are. Returns the
 * chain's output (for a caller that is itself a layer of a longer chain).
 */
export function initializeChain<T extends tf.Tensor>(layers: readonly Bijector<T>[], x: T): T {
  return tf.tidy(() => {
    let h = x;
    for (const layer of layers) {
      if (layer.needsInit?.()) layer.initialize!(h);
      h = layer.forward(h).y;
    }
    return h === x ? (tf.clone(x) as T) : h;
  });
}
