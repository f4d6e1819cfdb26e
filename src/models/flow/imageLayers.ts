/**
 * Bijectors for flows on images [B, H, W, C], and the multi-scale architecture that chains them:
 *
 *  - `Squeeze`: space to depth, [H, W, C] -> [H/2, W/2, 4C], each 2 x 2 x C block becoming one
 *    position's channels (RealNVP, Dinh, Sohl-Dickstein & Bengio 2017, Sec. 3.6 and Fig. 3); a
 *    permutation, log-det 0.
 *  - `ConvAffineCoupling`: RealNVP's affine coupling (Eqs. 7-9) with a convolutional network for s
 *    and t, under a checkerboard mask (Sec. 3.4, on (row + column) parity) or a channel-wise one
 *    (the first or second half of the channels kept). The network's last convolution starts at
 *    zero, so every coupling starts as the identity (Glow, Kingma & Dhariwal 2018, Sec. 3.3).
 *  - `Invertible1x1Conv`: Glow's invertible 1 x 1 convolution in the LU parameterisation (Sec. 3.2,
 *    Table 1): W = P L (U + diag(sign(s) exp(log|s|))), P fixed, log-det = H W sum log|s|. On
 *    vectors [B, D] the same layer is an invertible dense map (H W = 1).
 *  - `MultiScale`: levels of image layers, half the channels factored out to the base density after
 *    each level but the last (RealNVP Sec. 3.6, Eqs. 13-14; Glow Fig. 2b), as one vector layer.
 *
 * Same conventions as ./layers.ts: `forward` is the density direction (x -> z), `inverse` the
 * sampling one, callers tidy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { invert, luDecompose, randomRotation, type Matrix } from '../../core/linalg.js';
import type { Rng } from '../../core/rng.js';
import { applyConv2d, conv2d, type Conv2d } from '../../nn/conv.js';
import type { Parameters } from '../../nn/parameters.js';
import { alternatingMask, initializeChain, softClamp, type Bijector, type FlowLayer, type VectorOrImage } from './layers.js';

/** A layer on images [B, H, W, C]; one that changes the shape says how. */
export interface ImageFlowLayer extends Bijector<tf.Tensor4D> {
  /** The shape [H, W, C] of one output image, given one input image's; absent: unchanged. */
  outputShape?(inputShape: number[]): number[];
}

function zeroLogDet(x: tf.Tensor): tf.Tensor1D {
  return tf.zeros([x.shape[0]]);
}

/** Space to depth (RealNVP Sec. 3.6): [B, H, W, C] -> [B, H/2, W/2, 4C], channels in (row, column, channel) order of each 2 x 2 block. */
export class Squeeze implements ImageFlowLayer {
  outputShape([H, W, C]: number[]): number[] {
    check(H % 2 === 0 && W % 2 === 0, () => `squeeze: the image's height and width must be even, got ${H} x ${W}`);
    return [H / 2, W / 2, 4 * C];
  }

  forward(x: tf.Tensor4D) {
    return tf.tidy(() => {
      const [B, H, W, C] = x.shape;
      const blocks = tf.reshape(x, [B, H / 2, 2, W / 2, 2, C]); // [B, H/2, row in block, W/2, column in block, C]
      const y = tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [B, H / 2, W / 2, 4 * C]) as tf.Tensor4D;
      return { y, logDet: zeroLogDet(x) };
    });
  }

  inverse(y: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [B, h, w, C4] = y.shape;
      const blocks = tf.reshape(y, [B, h, w, 2, 2, C4 / 4]); // [B, H/2, W/2, row in block, column in block, C]
      return tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [B, 2 * h, 2 * w, C4 / 4]) as tf.Tensor4D;
    });
  }
}

/** Glow's initialisation of the hidden convolutions (N(0, 0.05^2)). */
const CONV_INIT = { type: 'normal', std: 0.05 } as const;

/**
 * A coupling's network (Glow Sec. 3.3, smaller): a 3 x 3 convolution to hidden[0] channels, 1 x 1
 * convolutions through the rest of `hidden`, ReLUs between, then a 3 x 3 convolution to `outChannels`
 * whose filter and bias start at zero.
 */
class CouplingConvNet {
  private readonly layers: { conv: Conv2d }[] = [];

  constructor(params: Parameters, name: string, inChannels: number, hidden: number[], outChannels: number) {
    const sizes = [inChannels, ...hidden, outChannels];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const first = l === 0;
      const last = l + 2 === sizes.length;
      const kernel = first || last ? 3 : 1;
      this.layers.push({ conv: conv2d(params, `${name}/conv${l}`, kernel, sizes[l], sizes[l + 1], { init: last ? { type: 'zeros' } : CONV_INIT }) });
    }
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    let h = x;
    this.layers.forEach(({ conv }, l) => {
      const a = applyConv2d(h, conv, 1, 'same');
      h = l + 1 < this.layers.length ? tf.relu(a) : a;
    });
    return h;
  }
}

/** How a coupling on images splits its input: a (row + column) checkerboard, or the channels in halves. */
export type ImageMask = 'checkerboard' | 'channel';

/**
 * RealNVP's affine coupling on images (Eqs. 7-9) with a convolutional network. 'checkerboard':
 * the network reads b x (b the checkerboard of `alternatingMask`, flipped by odd `parity`) and s, t
 * act where b = 0, like the vector layer. 'channel': the kept half of the channels (the first for
 * even parity, the second for odd) is the network's whole input and s, t act on the other half,
 * so the network reads C/2 channels, not C with zeros. log-det = sum of s over the changed entries.
 */
export class ConvAffineCoupling implements ImageFlowLayer {
  private readonly net: CouplingConvNet;
  private readonly keep: tf.Tensor4D | null = null;
  private readonly change: tf.Tensor4D | null = null;

  constructor(
    params: Parameters,
    name: string,
    shape: number[],
    private readonly mask: ImageMask,
    private readonly parity: number,
    hidden: number[],
    private readonly scaleClamp: number,
  ) {
    const [H, W, C] = shape;
    if (mask === 'checkerboard') {
      const b = alternatingMask(shape, parity);
      this.keep = tf.tensor4d(b, [1, H, W, C]);
      this.change = tf.tensor4d(b.map((v) => 1 - v), [1, H, W, C]);
      this.net = new CouplingConvNet(params, name, C, hidden, 2 * C);
    } else {
      check(C % 2 === 0, () => `${name}: a channel-wise coupling needs an even number of channels, got ${C}`);
      this.net = new CouplingConvNet(params, name, C / 2, hidden, C);
    }
  }

  /** The channel-wise split: [kept half, changed half], and the inverse join. */
  private split(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const [a, b] = tf.split(x, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return this.parity % 2 === 0 ? [a, b] : [b, a];
  }

  private join(kept: tf.Tensor4D, changed: tf.Tensor4D): tf.Tensor4D {
    return this.parity % 2 === 0 ? tf.concat([kept, changed], 3) : tf.concat([changed, kept], 3);
  }

  /** s (clamped) and t from the network's output [B, H, W, 2c]: s the first c channels, t the rest. */
  private scaleShift(input: tf.Tensor4D): { s: tf.Tensor4D; t: tf.Tensor4D } {
    const [rawS, t] = tf.split(this.net.apply(input), 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return { s: softClamp(rawS, this.scaleClamp), t };
  }

  forward(x: tf.Tensor4D) {
    return tf.tidy(() => {
      if (this.mask === 'checkerboard') {
        const raw = this.scaleShift(tf.mul(x, this.keep!) as tf.Tensor4D);
        // On kept entries s = t = 0, so this is y = x there.
        const s = tf.mul(raw.s, this.change!) as tf.Tensor4D;
        const t = tf.mul(raw.t, this.change!);
        return { y: tf.add(tf.mul(x, tf.exp(s)), t) as tf.Tensor4D, logDet: tf.sum(s, [1, 2, 3]) as tf.Tensor1D };
      }
      const [kept, changed] = this.split(x);
      const { s, t } = this.scaleShift(kept);
      return { y: this.join(kept, tf.add(tf.mul(changed, tf.exp(s)), t) as tf.Tensor4D), logDet: tf.sum(s, [1, 2, 3]) as tf.Tensor1D };
    });
  }

  inverse(y: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      if (this.mask === 'checkerboard') {
        const raw = this.scaleShift(tf.mul(y, this.keep!) as tf.Tensor4D); // the kept entries of y are x's
        const s = tf.mul(raw.s, this.change!);
        const t = tf.mul(raw.t, this.change!);
        return tf.mul(tf.sub(y, t), tf.exp(tf.neg(s))) as tf.Tensor4D;
      }
      const [kept, changed] = this.split(y);
      const { s, t } = this.scaleShift(kept);
      return this.join(kept, tf.mul(tf.sub(changed, t), tf.exp(tf.neg(s))) as tf.Tensor4D);
    });
  }

  dispose(): void {
    tf.dispose([this.keep, this.change].filter((m): m is tf.Tensor4D => m !== null));
  }
}

/**
 * Glow's invertible 1 x 1 convolution, LU-decomposed (Sec. 3.2): every position's channel vector
 * x becomes W x with W = P L (U + diag(sign(s) exp(logS))), L unit lower triangular (its strictly
 * lower part trained), U strictly upper (trained), logS trained, P and sign(s) fixed. Then
 * log |det W| = sum logS without a determinant, and the log-det is (H W) sum logS. W starts as a
 * random rotation (the Q of a Gaussian matrix's QR) through its LU factors (P, L, U = scipy's lu).
 * The inverse (sampling only, no gradient) inverts W in float64 in JS.
 */
export class Invertible1x1Conv {
  private readonly lower: tf.Variable;
  private readonly upper: tf.Variable;
  private readonly logS: tf.Variable;
  /** Fixed parts, checkpointed as state: the permutation P and sign(s). */
  private readonly permutation: tf.Variable;
  private readonly signS: tf.Variable;
  private readonly lowerMask: tf.Tensor2D;
  private readonly upperMask: tf.Tensor2D;
  private readonly eye: tf.Tensor2D;

  constructor(
    params: Parameters,
    name: string,
    private readonly channels: number,
    rng: Rng,
  ) {
    const C = channels;
    const { P, L, U } = luDecompose(randomRotation(C, rng));
    const flat = (m: Matrix) => Float32Array.from(m.flat());
    this.lower = params.add(`${name}/lower`, [C, C], { type: 'zeros' });
    this.upper = params.add(`${name}/upper`, [C, C], { type: 'zeros' });
    this.logS = params.add(`${name}/logS`, [C], { type: 'zeros' });
    this.permutation = params.addState(`${name}/permutation`, [C, C], { type: 'zeros' });
    this.signS = params.addState(`${name}/signS`, [C], { type: 'zeros' });
    tf.tidy(() => {
      this.lower.assign(tf.tensor2d(flat(L.map((row, i) => row.map((v, j) => (j < i ? v : 0)))), [C, C]));
      this.upper.assign(tf.tensor2d(flat(U.map((row, i) => row.map((v, j) => (j > i ? v : 0)))), [C, C]));
      this.logS.assign(tf.tensor1d(U.map((row, i) => Math.log(Math.abs(row[i])))));
      this.permutation.assign(tf.tensor2d(flat(P), [C, C]));
      this.signS.assign(tf.tensor1d(U.map((row, i) => Math.sign(row[i]))));
    });
    this.lowerMask = tf.tensor2d(Float32Array.from({ length: C * C }, (_, k) => (k % C < Math.floor(k / C) ? 1 : 0)), [C, C]);
    this.upperMask = tf.tensor2d(Float32Array.from({ length: C * C }, (_, k) => (k % C > Math.floor(k / C) ? 1 : 0)), [C, C]);
    this.eye = tf.eye(C) as tf.Tensor2D;
  }

  /** W = P L (U + diag(sign(s) exp(logS))), [C, C] (output channel, input channel). */
  weight(): tf.Tensor2D {
    return tf.tidy(() => {
      const L = tf.add(tf.mul(this.lower, this.lowerMask), this.eye) as tf.Tensor2D;
      // diag(sign(s) exp(logS)) as I times a row (tf.diag has no gradient in tfjs 4.22).
      const diagonal = tf.mul(this.eye, tf.reshape(tf.mul(this.signS, tf.exp(this.logS)), [1, this.channels]));
      const U = tf.add(tf.mul(this.upper, this.upperMask), diagonal) as tf.Tensor2D;
      return tf.matMul(this.permutation as tf.Tensor2D, tf.matMul(L, U));
    });
  }

  /** Each position's channels times W^T: x [..., C] -> [..., C]. */
  private applyMatrix<T extends VectorOrImage>(x: T, W: tf.Tensor2D): T {
    const rows = tf.reshape(x, [-1, this.channels]) as tf.Tensor2D; // [B * H * W, C]
    return tf.reshape(tf.matMul(rows, W, false, true), x.shape) as T;
  }

  forward<T extends VectorOrImage>(x: T): { y: T; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const positions = x.size / (x.shape[0] * this.channels); // H W for images, 1 for vectors
      return {
        y: this.applyMatrix(x, this.weight()),
        logDet: tf.mul(tf.ones([x.shape[0]]), tf.mul(tf.sum(this.logS), positions)) as tf.Tensor1D,
      };
    });
  }

  inverse<T extends VectorOrImage>(y: T): T {
    const C = this.channels;
    const W = this.weight();
    const w = W.dataSync();
    W.dispose();
    const inv = invert(Array.from({ length: C }, (_, i) => Array.from(w.subarray(i * C, (i + 1) * C))));
    return tf.tidy(() => this.applyMatrix(y, tf.tensor2d(Float32Array.from(inv.flat()), [C, C])));
  }

  dispose(): void {
    tf.dispose([this.lowerMask, this.upperMask, this.eye]);
  }
}

/**
 * The multi-scale architecture (RealNVP Sec. 3.6; Glow Fig. 2b) as one layer on flat vectors
 * [B, H W C]: the levels' image layers run in turn, and after every level but the last the second
 * half of the channels leaves for the base density (factor-out), the rest going on. The output is
 * the factored parts in order, then the last level's output, each flattened: since the base is a
 * standard Gaussian on all of it, log p_Z sums over every factored part (Eq. 14) with no further
 * bookkeeping.
 */
export class MultiScale implements FlowLayer {
  /** Each level's output image shape (before its factor-out). */
  private readonly levelShapes: number[][] = [];

  constructor(
    private readonly inputShape: number[],
    private readonly levels: ImageFlowLayer[][],
  ) {
    let shape = inputShape;
    levels.forEach((layers, l) => {
      for (const layer of layers) shape = layer.outputShape?.(shape) ?? shape;
      this.levelShapes.push(shape);
      if (l + 1 < levels.length) {
        check(shape[2] % 2 === 0, () => `multi-scale flow: level ${l + 1} ends with ${shape[2]} channels, an odd number cannot be halved`);
        shape = [shape[0], shape[1], shape[2] / 2];
      }
    });
  }

  private layers(): ImageFlowLayer[] {
    return this.levels.flat();
  }

  /** Runs the levels, with `step` for each level's chain; returns the flat output. */
  private run(x: tf.Tensor2D, step: (layers: ImageFlowLayer[], h: tf.Tensor4D) => tf.Tensor4D): tf.Tensor2D {
    const B = x.shape[0];
    const [H, W, C] = this.inputShape;
    let h = tf.reshape(x, [B, H, W, C]) as tf.Tensor4D;
    const parts: tf.Tensor2D[] = [];
    this.levels.forEach((layers, l) => {
      h = step(layers, h);
      if (l + 1 < this.levels.length) {
        const [kept, out] = tf.split(h, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
        parts.push(tf.reshape(out, [B, -1])); // [B, h w c/2]: to the base density
        h = kept;
      }
    });
    parts.push(tf.reshape(h, [B, -1]));
    return tf.concat(parts, 1);
  }

  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      let logDet: tf.Tensor1D = tf.zeros([x.shape[0]]);
      const y = this.run(x, (layers, h) => {
        for (const layer of layers) {
          const out = layer.forward(h);
          h = out.y;
          logDet = tf.add(logDet, out.logDet) as tf.Tensor1D;
        }
        return h;
      });
      return { y, logDet };
    });
  }

  inverse(y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const B = y.shape[0];
      const sizes = this.levelShapes.map(([h, w, c], l) => (l + 1 < this.levels.length ? (h * w * c) / 2 : h * w * c));
      const parts = tf.split(y, sizes, 1);
      let h: tf.Tensor4D | null = null;
      for (let l = this.levels.length - 1; l >= 0; l--) {
        const [hh, ww, cc] = this.levelShapes[l];
        const last = l + 1 === this.levels.length;
        const part = tf.reshape(parts[l], [B, hh, ww, last ? cc : cc / 2]) as tf.Tensor4D;
        let out: tf.Tensor4D = h === null ? part : tf.concat([h, part], 3);
        for (let k = this.levels[l].length - 1; k >= 0; k--) out = this.levels[l][k].inverse(out);
        h = out;
      }
      return tf.reshape(h!, [B, -1]) as tf.Tensor2D;
    });
  }

  needsInit(): boolean {
    return this.layers().some((layer) => layer.needsInit?.());
  }

  /** Each actnorm initialised on its own inputs, level by level. */
  initialize(x: tf.Tensor2D): void {
    tf.tidy(() => {
      this.run(x, (layers, h) => initializeChain(layers, h));
    });
  }

  reset(): void {
    for (const layer of this.layers()) layer.reset?.();
  }

  dispose(): void {
    for (const layer of this.layers()) layer.dispose?.();
  }
}
