/**
 * PixelCNN (van den Oord, Kalchbrenner & Kavukcuoglu 2016, "Pixel Recurrent Neural Networks",
 * ICML; arXiv:1601.06759). An image x of n x n pixels with colour channels is modelled in raster
 * order, rows top to bottom, pixels left to right, channels R -> G -> B within a pixel:
 *
 *   p(x) = prod_i p(x_i | x_1, ..., x_{i-1})                                            (Eq. 1)
 *   p(x_i | x_<i) = p(x_i,R | x_<i) p(x_i,G | x_<i, x_i,R) p(x_i,B | x_<i, x_i,R, x_i,G)   (Eq. 2)
 *
 * All conditionals come out of one fully convolutional pass whose convolutions are masked
 * (Sec. 3.4, Fig. 2 right; src/nn/maskedConv2d.ts) so that the output at (pixel i, channel c) sees
 * only the inputs before it. The network (Sec. 3.5 and the paper's architecture table, Fig. 5 left):
 *
 *   firstKernel^2 (7x7) conv, mask A                              C -> h
 *   `layers` residual blocks: h + [ReLU, 1x1 conv h -> h/2, ReLU, kernel^2 (3x3) conv h/2 -> h/2,
 *                                   ReLU, 1x1 conv h/2 -> h], all mask B
 *   ReLU, 1x1 conv h -> h, ReLU, 1x1 conv h -> C * K', mask B
 *
 * with K' = 1 logit per channel for binary data (a Bernoulli, the paper's MNIST sigmoid) or K' = K
 * logits per channel for integer data 0..K-1 (a K-way softmax, the paper's 256-way softmax, Sec.
 * 2.2). Fig. 5 writes the block as 2h -> h -> h -> 2h: our h is its 2h. Inputs are fed as they are
 * when binary, scaled to [0, 1] as x / (K - 1) otherwise.
 *
 * Training evaluates every conditional of a batch in one pass (teacher forcing); sampling needs one
 * pass per (pixel, channel). Because the masks never look down, and each k x k layer reaches
 * (k - 1) / 2 pixels up, left and right, the output at (r, c) depends only on the window of rows
 * r - R .. r and columns c - R .. c + R, R = (firstKernel - 1) / 2 + layers (kernel - 1) / 2; sampling
 * runs the network on that window only, which gives the same logits as the whole image.
 *
 * This is the original PixelCNN, with its blind spot (a wedge of earlier pixels up and to the right
 * that no stack of these masks reaches); Gated PixelCNN (van den Oord et al. 2016b) removes it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { MaskedConv2d } from '../../nn/maskedConv2d.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { GenerativeModel } from '../model.js';
import { defaultsOf, defineOptions } from '../options.js';
import {
  RasterImageModel,
  checkImageSpec,
  imageWindow,
  networkInput,
  outputLogits,
  logitsPerChannel,
  type ImageSpec,
  type RasterSampler,
} from './images.js';

export interface PixelCnnConfig {
  /**
   * Hidden feature maps h (the residual stream; the blocks' bottleneck has h / 2). 32 keeps a 28 x 28 MNIST epoch (60k images, batch 32) near 6 minutes
   * on two CPU cores with the wasm backend (~0.2 s per step; binary data); 64 costs ~3x (~0.6 s per
   * step, ~18 minutes), 256 levels instead of 2 ~2.5x. For RGB, h / 2 must be at least 3.
   */
  channels: number;
  /**
   * Residual blocks between the first and the output layers (the paper: 15 layers in all). With
   * the default kernels, 5 blocks let a pixel see 3 + 5 = 8 pixels up, left and right.
   */
  layers: number;
  /** Kernel size of the first, mask-A convolution (odd; 7 in the paper). */
  firstKernel: number;
  /** Kernel size of the mask-B convolution in each residual block (odd; 3 in the paper). */
  kernel: number;
  /**
   * Values per channel K: 2 = binary data with a Bernoulli per channel; K > 2 = integers 0..K-1
   * with a K-way softmax per channel (256 for 8-bit images, what the registry picks for 'uint8').
   */
  levels: number;
  /** Seed of the initial weights. */
  seed: number;
}

export const PIXELCNN_OPTIONS = defineOptions<PixelCnnConfig>({
  channels: { type: 'int', default: 32, min: 2, help: 'hidden feature maps h of the residual stream (even; the blocks\' bottleneck has h / 2)' },
  layers: { type: 'int', default: 5, min: 0, help: 'residual blocks between the first and the output layers' },
  firstKernel: { type: 'int', default: 7, min: 1, help: 'kernel size of the first, mask-A convolution (odd; 7 in the paper)' },
  kernel: { type: 'int', default: 3, min: 1, help: 'kernel size of the mask-B convolution in each residual block (odd; 3 in the paper)' },
  levels: { type: 'int', default: 2, min: 2, help: 'values per channel K: 2 = Bernoulli, K > 2 = K-way softmax', fromData: '2 for binary data, 256 for 8-bit' },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const PIXELCNN_DEFAULTS: Readonly<PixelCnnConfig> = defaultsOf(PIXELCNN_OPTIONS);


/** The three mask-B convolutions of one residual block (Fig. 5 left). */
interface ResidualBlock {
  reduce: MaskedConv2d;
  conv: MaskedConv2d;
  expand: MaskedConv2d;
}

export class PixelCnn extends RasterImageModel<PixelCnnConfig> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'pixelcnn';
  readonly densityKind = 'exact';
  /** How many pixels up, left and right the output at a pixel can see (see the header). */
  readonly reach: number;
  protected readonly spec: ImageSpec;
  /** Colour channels C (1 or 3); also the number of mask channel groups. */
  private readonly first: MaskedConv2d;
  private readonly blocks: ResidualBlock[] = [];
  private readonly head: [MaskedConv2d, MaskedConv2d];

  constructor(config: Partial<PixelCnnConfig>, readonly inputShape: number[]) {
    super({ ...PIXELCNN_DEFAULTS, ...config });
    const { channels: h, layers, firstKernel, kernel, levels, seed } = this.config;
    this.spec = checkImageSpec('pixelcnn', inputShape, levels);
    const C = this.spec.colors;
    check(
      Number.isInteger(h) && h % 2 === 0 && h / 2 >= C,
      `pixelcnn: channels must be an even integer >= ${2 * C}, got ${h}`,
    );
    check(Number.isInteger(layers) && layers >= 0, `pixelcnn: layers must be an integer >= 0, got ${layers}`);
    for (const [key, k] of [['firstKernel', firstKernel], ['kernel', kernel]] as const) {
      check(Number.isInteger(k) && k >= 1 && k % 2 === 1, `pixelcnn: ${key} must be an odd integer >= 1, got ${k}`);
    }
    check(Number.isInteger(seed), `pixelcnn: seed must be an integer, got ${seed}`);
    this.reach = (firstKernel - 1) / 2 + (layers * (kernel - 1)) / 2;

    const conv = (name: string, k: number, inChannels: number, outChannels: number, mask: 'A' | 'B') =>
      new MaskedConv2d(this.params, name, { kernel: k, inChannels, outChannels, mask, groups: C });
    this.first = conv('input', firstKernel, C, h, 'A');
    for (let l = 0; l < layers; l++) {
      this.blocks.push({
        reduce: conv(`block${l}/reduce`, 1, h, h / 2, 'B'),
        conv: conv(`block${l}/conv`, kernel, h / 2, h / 2, 'B'),
        expand: conv(`block${l}/expand`, 1, h / 2, h, 'B'),
      });
    }
    this.head = [conv('head0', 1, h, h, 'B'), conv('head1', 1, h, C * this.logitsPerChannel, 'B')];
  }

  /** 1 logit per channel (Bernoulli) for binary data, K (softmax) otherwise. */
  private get logitsPerChannel(): number {
    return logitsPerChannel(this.config.levels);
  }

  /**
   * Logits of every conditional for images of values 0..K-1, of any height and width:
   * [B, h, w, C] -> [B, h, w, C] (binary: logit p(x = 1)) or [B, h, w, C, K] (softmax logits).
   */
  logits(x: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      let h = this.first.apply(networkInput(x, this.config.levels));
      for (const b of this.blocks) {
        const r = b.expand.apply(tf.relu(b.conv.apply(tf.relu(b.reduce.apply(tf.relu(h))))));
        h = tf.add(h, r);
      }
      return outputLogits(this.head, h as tf.Tensor4D, this.spec);
    });
  }

  /** log p(x) per example, [B]; `x` holds values 0..K-1, [B * H * W * C]. */
  /** Sampling's passes: one network pass on the reach window of each pixel. */
  protected sampler(n: number): RasterSampler {
    return { logits: (x, r, c) => this.pixelLogits(x, n, r, c) };
  }

  /**
   * The logits of pixel (r, c) of n images `x` ([n * H * W * C], values 0..K-1), from one pass on
   * the window the pixel depends on, rows r - R .. r and columns c - R .. c + R: [n, C, K'].
   */
  pixelLogits(x: Float32Array, n: number, r: number, c: number): tf.Tensor3D {
    const { height: H, width: W, colors: C } = this.spec;
    const R = this.reach;
    check(Number.isInteger(r) && Number.isInteger(c) && r >= 0 && r < H && c >= 0 && c < W, `pixelcnn: no pixel (${r}, ${c})`);
    const r0 = Math.max(0, r - R);
    const c0 = Math.max(0, c - R);
    const rows = r - r0 + 1;
    const cols = Math.min(W - 1, c + R) - c0 + 1;
    return tf.tidy(() => {
      const window = imageWindow(x, n, this.spec, r0, rows, c0, cols); // [n, rows, cols, C]
      const logits = tf.reshape(this.logits(window), [n, rows, cols, C * this.logitsPerChannel]); // [n, rows, cols, C * K']
      const at = tf.slice(logits, [0, r - r0, c - c0, 0], [n, 1, 1, C * this.logitsPerChannel]);
      return tf.reshape(at, [n, C, this.logitsPerChannel]); // [n, C, K']
    });
  }

  /** Number of scalar parameters (masked-out weights included). */
  parameterCount(): number {
    return this.params.count();
  }

  override dispose(): void {
    super.dispose();
    for (const layer of [this.first, ...this.blocks.flatMap((b) => [b.reduce, b.conv, b.expand]), ...this.head]) layer.dispose();
  }
}
