/**
 * The encoder and decoder networks of the latent-variable models (AE, VAE, beta-VAE, CVAE, IWAE,
 * AAE): an MLP on the flattened input, or a small convolutional net on [H, W, C] images, either
 * optionally fed a one-hot class label (CVAE). Kingma & Welling 2014's MNIST networks are the MLP
 * with one hidden layer (their Sec. 5 and Appendix C); the convolutional net halves the image with
 * each stride-2 4x4 convolution, and the decoder doubles it back with transposed convolutions.
 *
 * The networks only map tensors to tensors; what the outputs mean (posterior heads, Bernoulli
 * logits, Gaussian means) is the model's and the likelihood's business. Variable names
 * ('encoder/conv0/filter', 'decoder/dense0/W', ...) are checkpoint keys and must not change.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Parameters } from './parameters.js';
import { applyDense, dense, Mlp, type Dense } from './dense.js';

export type Architecture = 'mlp' | 'conv';
export const ARCHITECTURES: readonly Architecture[] = ['mlp', 'conv'];

/** What the encoder and decoder are built for. */
export interface NetSpec {
  inputShape: number[];
  architecture: Architecture;
  /** Units of the encoder's hidden dense layers, first to last; the decoder mirrors them. */
  hidden: number[];
  /** 'conv' only: channels of the encoder's stride-2 convolutions, first to last. */
  channels: number[];
  latent: number;
  /** Classes of the one-hot label fed to the network; 0 = none. */
  classes: number;
}

interface Conv {
  filter: tf.Variable;
  bias: tf.Variable;
}

/** Kernel size and stride of every (transposed) convolution. */
const KERNEL = 4;
const STRIDE = 2;

/** Feature-map shapes [h, w, c] after each stride-2 convolution of the encoder. */
function convShapes(spec: NetSpec): [number, number, number][] {
  const [H, W] = spec.inputShape;
  return spec.channels.map((c, i) => [H / STRIDE ** (i + 1), W / STRIDE ** (i + 1), c]);
}

/** Floats per example in the largest activation of either network (for chunking). */
export function widestActivation(spec: NetSpec): number {
  const D = spec.inputShape.reduce((a, b) => a * b, 1);
  const widths = [D + spec.classes, ...spec.hidden];
  if (spec.architecture === 'conv') for (const [h, w, c] of convShapes(spec)) widths.push(h * w * c);
  if (spec.architecture === 'conv' && spec.classes > 0) widths.push((D / spec.inputShape[2]) * (spec.inputShape[2] + spec.classes));
  return Math.max(...widths);
}

/**
 * x [B, D] (and a one-hot label [B, K]) -> one [B, latent] output per head.
 * MLP: [x, y] -> ReLU dense layers -> linear heads.
 * Conv: [B, H, W, C] with the label broadcast as K extra constant channels -> ReLU stride-2 4x4
 * convolutions -> flatten -> ReLU dense layers -> linear heads.
 */
export class Encoder {
  private readonly convs: Conv[] = [];
  private readonly body: Mlp;
  private readonly heads: Dense[];

  constructor(params: Parameters, private readonly spec: NetSpec, headNames: string[]) {
    const D = spec.inputShape.reduce((a, b) => a * b, 1);
    let width = D + spec.classes;
    if (spec.architecture === 'conv') {
      let cin = spec.inputShape[2] + spec.classes;
      spec.channels.forEach((cout, i) => {
        const fanIn = KERNEL * KERNEL * cin;
        this.convs.push({
          filter: params.add(`encoder/conv${i}/filter`, [KERNEL, KERNEL, cin, cout], { type: 'glorot', fanIn, fanOut: KERNEL * KERNEL * cout }),
          bias: params.add(`encoder/conv${i}/bias`, [cout], { type: 'zeros' }),
        });
        cin = cout;
      });
      const [h, w, c] = convShapes(spec).at(-1)!;
      width = h * w * c;
    }
    this.body = new Mlp(params, spec.hidden.map((_, l) => `encoder/dense${l}`), [width, ...spec.hidden], 'activation');
    width = spec.hidden.at(-1) ?? width;
    this.heads = headNames.map((name) => dense(params, `encoder/${name}`, width, spec.latent));
  }

  apply(x: tf.Tensor2D, y: tf.Tensor2D | null): tf.Tensor2D[] {
    return tf.tidy(() => {
      const B = x.shape[0];
      let h: tf.Tensor2D;
      if (this.spec.architecture === 'conv') {
        const [H, W, C] = this.spec.inputShape;
        let maps: tf.Tensor4D = tf.reshape(x, [B, H, W, C]); // [B, H, W, C]
        if (y) {
          const K = this.spec.classes;
          const planes = tf.mul(tf.ones([B, H, W, 1]), tf.reshape(y, [B, 1, 1, K])); // [B, H, W, K]
          maps = tf.concat([maps, planes as tf.Tensor4D], 3); // [B, H, W, C + K]
        }
        for (const { filter, bias } of this.convs) maps = tf.relu(tf.add(tf.conv2d(maps, filter as tf.Tensor4D, STRIDE, 'same'), bias)) as tf.Tensor4D;
        h = tf.reshape(maps, [B, -1]); // [B, h * w * c]
      } else {
        h = y ? tf.concat([x, y], 1) : x; // [B, D + K]
      }
      h = this.body.apply(h); // [B, hidden.at(-1)]
      return this.heads.map((head) => applyDense(h, head));
    });
  }
}

/**
 * z [N, latent] (and a one-hot label [N, K]) -> [N, D] decoder outputs (Bernoulli logits, Gaussian
 * means or logistic locations), the mirror of the Encoder:
 * MLP: [z, y] -> ReLU dense layers (hidden reversed) -> linear output.
 * Conv: [z, y] -> ReLU dense layers -> ReLU dense to the last feature map -> ReLU stride-2 4x4
 * transposed convolutions -> a linear transposed convolution to C channels.
 */
export class Decoder {
  /** The dense layers, ending in 'decoder/output' (MLP, linear) or 'decoder/project' (conv, ReLU). */
  private readonly body: Mlp;
  private readonly deconvs: Conv[] = [];

  constructor(params: Parameters, private readonly spec: NetSpec) {
    const D = spec.inputShape.reduce((a, b) => a * b, 1);
    const hidden = [...spec.hidden].reverse();
    const names = hidden.map((_, l) => `decoder/dense${l}`);
    const sizes = [spec.latent + spec.classes, ...hidden];
    if (spec.architecture === 'conv') {
      const shapes = convShapes(spec);
      const [h, w, c] = shapes.at(-1)!;
      this.body = new Mlp(params, [...names, 'decoder/project'], [...sizes, h * w * c], 'activation');
      for (let i = shapes.length - 1; i >= 0; i--) {
        const cin = shapes[i][2];
        const cout = i > 0 ? shapes[i - 1][2] : spec.inputShape[2];
        // conv2dTranspose filters are [k, k, out, in].
        this.deconvs.push({
          filter: params.add(`decoder/deconv${i}/filter`, [KERNEL, KERNEL, cout, cin], {
            type: 'glorot',
            fanIn: KERNEL * KERNEL * cin,
            fanOut: KERNEL * KERNEL * cout,
          }),
          bias: params.add(`decoder/deconv${i}/bias`, [cout], { type: 'zeros' }),
        });
      }
    } else {
      this.body = new Mlp(params, [...names, 'decoder/output'], [...sizes, D], 'linear');
    }
  }

  apply(z: tf.Tensor2D, y: tf.Tensor2D | null): tf.Tensor2D {
    return tf.tidy(() => {
      const N = z.shape[0];
      const h = this.body.apply(y ? tf.concat([z, y], 1) : z); // [N, L + K] -> [N, D] (MLP) or [N, h * w * c] (conv)
      if (this.spec.architecture !== 'conv') return h;
      const shapes = convShapes(this.spec);
      const [fh, fw, fc] = shapes.at(-1)!;
      let maps: tf.Tensor4D = tf.reshape(h, [N, fh, fw, fc]); // [N, h, w, c]
      this.deconvs.forEach(({ filter, bias }, j) => {
        const i = shapes.length - 1 - j; // undoes encoder convolution i
        const [oh, ow] = i > 0 ? shapes[i - 1] : this.spec.inputShape;
        const oc = filter.shape[2]!;
        const out = tf.add(tf.conv2dTranspose(maps, filter as tf.Tensor4D, [N, oh, ow, oc], STRIDE, 'same'), bias) as tf.Tensor4D;
        maps = i > 0 ? tf.relu(out) : out;
      });
      return tf.reshape(maps, [N, -1]); // [N, H * W * C]
    });
  }
}
