/**
 * Masked 2-D convolution (van den Oord, Kalchbrenner & Kavukcuoglu 2016, "Pixel Recurrent Neural
 * Networks", Sec. 3.4 and Fig. 2 right): a k x k convolution whose weights are multiplied by a
 * constant 0/1 mask so that the output at pixel i sees only pixels before i in raster order (the
 * rows above, and the pixels to the left in the same row), and, at pixel i itself, only the colour
 * channels before it (R -> G -> B), which keeps
 *
 *   p(x_i | x_<i) = p(x_i,R | x_<i) p(x_i,G | x_<i, x_i,R) p(x_i,B | x_<i, x_i,R, x_i,G)   (Eq. 2)
 *
 * autoregressive. Input and output feature maps are split into `groups` contiguous channel groups
 * (3 for RGB: R, G, B; 1 for grey images). At the centre tap,
 *   mask 'A' (first layer) connects output group g to input groups g' < g (never to itself),
 *   mask 'B' (later layers) connects output group g to input groups g' <= g.
 * Every tap above the centre row, or left of the centre in the centre row, connects all groups.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import type { Parameters } from './parameters.js';

export type MaskType = 'A' | 'B';

export interface MaskedConv2dSpec {
  /** Kernel size k (odd): the kernel is k x k, centred on the output pixel. */
  kernel: number;
  inChannels: number;
  outChannels: number;
  /** 'A': the centre pixel's own channel group is excluded (first layer); 'B': included. */
  mask: MaskType;
  /** Colour channel groups the feature maps are split into (1 or 3); default 1. */
  groups?: number;
}

/**
 * Which of `groups` contiguous groups channel i of n belongs to: floor(i * groups / n). For the
 * output layer with n = C * K channels and groups = C, channel c * K + k falls in group c.
 */
export function channelGroup(i: number, n: number, groups: number): number {
  return Math.floor((i * groups) / n);
}

/** The mask as values, [k, k, Cin, Cout] row-major (tfjs' conv2d filter layout). */
export function maskValues(spec: MaskedConv2dSpec): Float32Array {
  const { kernel: k, inChannels: cin, outChannels: cout, mask } = spec;
  const groups = spec.groups ?? 1;
  check(Number.isInteger(k) && k >= 1 && k % 2 === 1, `masked conv: kernel must be an odd integer >= 1, got ${k}`);
  check(Number.isInteger(groups) && groups >= 1, `masked conv: groups must be an integer >= 1, got ${groups}`);
  check(
    Number.isInteger(cin) && Number.isInteger(cout) && cin >= groups && cout >= groups,
    `masked conv: ${cin} -> ${cout} channels cannot be split into ${groups} groups`,
  );
  const m = (k - 1) / 2;
  const values = new Float32Array(k * k * cin * cout);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      const before = r < m || (r === m && c < m);
      const centre = r === m && c === m;
      if (!before && !centre) continue; // below, or right of the centre: the future
      for (let i = 0; i < cin; i++) {
        const gi = channelGroup(i, cin, groups);
        for (let o = 0; o < cout; o++) {
          const go = channelGroup(o, cout, groups);
          const open = before || (mask === 'A' ? gi < go : gi <= go);
          if (open) values[((r * k + c) * cin + i) * cout + o] = 1;
        }
      }
    }
  }
  return values;
}

/** The mask as a constant tensor, [k, k, Cin, Cout]. */
export function convMask(spec: MaskedConv2dSpec): tf.Tensor4D {
  const { kernel: k, inChannels, outChannels } = spec;
  return tf.tensor4d(maskValues(spec), [k, k, inChannels, outChannels]);
}

/**
 * One masked convolution layer: weights W [k, k, Cin, Cout] and bias b [Cout] registered in a
 * Parameters set (which owns and disposes them), and the constant mask (which this layer owns).
 */
export class MaskedConv2d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly mask: tf.Tensor4D;
  /** The mask's rows 0..m (the centre row and those above), [m + 1, k, Cin, Cout]. */
  private readonly upperMask: tf.Tensor4D;

  constructor(params: Parameters, name: string, readonly spec: MaskedConv2dSpec) {
    this.mask = convMask(spec);
    const half = (spec.kernel - 1) / 2;
    this.upperMask = tf.slice(this.mask, [0, 0, 0, 0], [half + 1, spec.kernel, spec.inChannels, spec.outChannels]);
    const { kernel: k, inChannels: cin, outChannels: cout } = spec;
    // Glorot over the full (unmasked) fan, the Keras convention for conv kernels.
    this.weight = params.add(`${name}/W`, [k, k, cin, cout], { type: 'glorot', fanIn: k * k * cin, fanOut: k * k * cout });
    this.bias = params.add(`${name}/b`, [cout], { type: 'zeros' });
  }

  /**
   * conv2d(x, W * mask) + b with 'same' padding, stride 1: [B, H, W, Cin] -> [B, H, W, Cout].
   * Every tap below the centre row is masked out, so only rows 0..m of the kernel are convolved,
   * over the input padded by m rows above and none below: the same sums (to float rounding) with
   * (m + 1) / k of the work, in the forward pass and in both gradients (PixelCNN's 3x3 layers: 6
   * taps of 9; its 7x7 first layer: 28 of 49). The variable keeps the whole k x k kernel; the
   * rows below get a zero gradient, as the mask gave them before.
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const k = this.spec.kernel;
    const half = (k - 1) / 2;
    if (half === 0) return maskedConv2d(x, this.weight as tf.Tensor4D, this.bias as tf.Tensor1D, this.mask);
    return tf.tidy(() => {
      const upper = tf.slice(this.weight, [0, 0, 0, 0], [half + 1, k, this.spec.inChannels, this.spec.outChannels]);
      const padding: [[0, 0], [number, number], [number, number], [0, 0]] = [[0, 0], [half, 0], [half, half], [0, 0]];
      return tf.add(tf.conv2d(x, tf.mul(upper, this.upperMask) as tf.Tensor4D, 1, padding), this.bias) as tf.Tensor4D;
    });
  }

  /** Frees the masks (the variables belong to the Parameters set). */
  dispose(): void {
    this.mask.dispose();
    this.upperMask.dispose();
  }
}

/** conv2d(x, W * mask) + b, 'same' padding, stride 1, NHWC: [B, H, W, Cin] -> [B, H, W, Cout]. */
export function maskedConv2d(x: tf.Tensor4D, weight: tf.Tensor4D, bias: tf.Tensor1D, mask: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.conv2d(x, tf.mul(weight, mask) as tf.Tensor4D, 1, 'same'), bias) as tf.Tensor4D);
}
