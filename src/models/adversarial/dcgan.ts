/**
 * The DCGAN players (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
 * Convolutional Generative Adversarial Networks", ICLR; their Sec. 3 guidelines and Fig. 1):
 *
 * - G: z -> a dense projection to an (H / 2^L) x (W / 2^L) x c_0 map, then L stride-2 4x4
 *   transposed convolutions doubling the size, each but the last followed by batch norm and ReLU;
 *   the game applies the output nonlinearity (their tanh; a sigmoid on [0, 1] data here).
 * - D: L stride-2 4x4 convolutions with leaky ReLU (slope 0.2), batch norm after all but the first
 *   ("not applying batchnorm to the discriminator input layer", Sec. 3), no pooling, then the
 *   flattened map as features for the game's heads.
 *
 * Optional dense layers (`generatorDense`, `discriminatorDense`) between z and G's projection and
 * after D's convolutions (with batch norm when the convolutions have it; ReLU in G, leaky ReLU in
 * D) give the MNIST players of Chen et al. 2016 (InfoGAN, Appendix C.1: D conv 64, conv 128,
 * FC 1024; G FC 1024, FC 7 x 7 x 128, two transposed convolutions): D's features then combine the
 * whole image non-linearly, where two 4x4 stride-2 convolutions see 10 x 10 pixels each.
 *
 * Weights start from N(0, 0.02^2) (Sec. 4). Batch-norm running statistics are checkpointed state:
 * G samples with them ('eval'), and trains with each minibatch's statistics. With L = 2 and
 * channels [128, 64] / [64, 128] on MNIST this is the common 28 x 28 DCGAN (7 -> 14 -> 28). A cGAN's
 * condition enters D as K constant planes beside the image's channels (./cgan.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Parameters } from '../../nn/parameters.js';
import { BatchNorm } from '../../nn/batchNorm.js';
import { applyConv2dTranspose, conv2d, conv2dTranspose, DCGAN_INIT, type Conv2d } from '../../nn/conv.js';
import { leakyRelu } from '../../nn/activations.js';
import type { WeightLayout } from '../../nn/spectralNorm.js';
import { readAsIs, type DiscriminatorNet, type GeneratorNet, type Phase, type WeightReader } from './networks.js';

const KERNEL = 4;
const STRIDE = 2;

/** The feature-map size after `layers` stride-2 steps, checked to divide evenly. */
function reducedSize(shape: number[], layers: number, who: string): [number, number] {
  const [H, W] = shape;
  const f = 2 ** layers;
  check(H % f === 0 && W % f === 0, () => `${who}: ${layers} stride-2 layers need H and W divisible by ${f}, got ${H} x ${W}`);
  return [H / f, W / f];
}

/** Dense layers, each followed by batch norm (when given) and the activation. */
class DenseStack {
  private readonly layers: { W: tf.Variable; b: tf.Variable | null }[] = [];
  private readonly norms: BatchNorm[] = [];

  constructor(
    params: Parameters,
    private readonly prefix: string,
    inputSize: number,
    sizes: readonly number[],
    batchNorm: boolean,
  ) {
    let fanIn = inputSize;
    sizes.forEach((units, l) => {
      // DCGAN's initial weights; no bias where batch norm follows.
      const W = params.add(`${prefix}/fc${l}/W`, [fanIn, units], DCGAN_INIT);
      this.layers.push({ W, b: batchNorm ? null : params.add(`${prefix}/fc${l}/b`, [units], { type: 'zeros' }) });
      if (batchNorm) this.norms.push(new BatchNorm(params, `${prefix}/fcbn${l}`, units));
      fanIn = units;
    });
  }

  /** Not tidied: call it inside the caller's tf.tidy. */
  apply(h: tf.Tensor2D, training: boolean, activation: (a: tf.Tensor2D) => tf.Tensor2D, read: WeightReader = readAsIs): tf.Tensor2D {
    this.layers.forEach(({ W, b }, l) => {
      let a: tf.Tensor2D = tf.matMul(h, read(W) as tf.Tensor2D);
      if (b) a = tf.add(a, read(b)) as tf.Tensor2D;
      if (this.norms.length > 0) a = this.norms[l].apply(a, training);
      h = activation(a);
    });
    return h;
  }

  /** The weight matrices by checkpoint name (for spectral normalisation). */
  matrixNames(): string[] {
    return this.layers.map((_, l) => `${this.prefix}/fc${l}/W`);
  }
}

export class ConvGenerator implements GeneratorNet {
  private readonly hidden: DenseStack;
  private readonly project: { W: tf.Variable; b: tf.Variable };
  private readonly norms: BatchNorm[] = [];
  private readonly deconvs: Conv2d[] = [];
  private readonly base: [number, number];

  constructor(
    params: Parameters,
    inputSize: number,
    private readonly shape: number[],
    private readonly channels: number[],
    private readonly batchNorm: boolean,
    dense: readonly number[] = [],
  ) {
    check(channels.length >= 1, 'dcgan: generatorChannels needs at least one entry');
    this.base = reducedSize(shape, channels.length, 'dcgan generator');
    const [h, w] = this.base;
    const projected = h * w * channels[0];
    this.hidden = new DenseStack(params, 'generator', inputSize, dense, batchNorm);
    const projectFrom = dense.length > 0 ? dense[dense.length - 1] : inputSize;
    this.project = {
      W: params.add('generator/project/W', [projectFrom, projected], DCGAN_INIT),
      b: params.add('generator/project/b', [projected], { type: 'zeros' }),
    };
    if (batchNorm) this.norms.push(new BatchNorm(params, 'generator/bn0', channels[0]));
    for (let l = 1; l <= channels.length; l++) {
      const last = l === channels.length;
      const out = last ? shape[2] : channels[l];
      this.deconvs.push(conv2dTranspose(params, last ? 'generator/output' : `generator/deconv${l}`, KERNEL, channels[l - 1], out, { bias: last || !batchNorm }));
      if (!last && batchNorm) this.norms.push(new BatchNorm(params, `generator/bn${l}`, out));
    }
  }

  apply(input: tf.Tensor2D, phase: Phase): tf.Tensor2D {
    return tf.tidy(() => {
      const training = phase !== 'eval';
      const B = input.shape[0];
      const [h, w] = this.base;
      const hidden = this.hidden.apply(input, training, (a) => tf.relu(a));
      let maps = tf.reshape(tf.add(tf.matMul(hidden, this.project.W), this.project.b), [B, h, w, this.channels[0]]) as tf.Tensor4D; // [B, H/2^L, W/2^L, c0]
      if (this.batchNorm) maps = this.norms[0].apply(maps, training);
      maps = tf.relu(maps);
      this.deconvs.forEach((layer, l) => {
        maps = applyConv2dTranspose(maps, layer, STRIDE); // doubles H and W
        if (l + 1 < this.deconvs.length) {
          if (this.batchNorm) maps = this.norms[l + 1].apply(maps, training);
          maps = tf.relu(maps);
        }
      });
      return tf.reshape(maps, [B, -1]) as tf.Tensor2D; // [B, H, W, C] -> [B, D]
    });
  }
}

export class ConvDiscriminator implements DiscriminatorNet {
  private readonly convs: Conv2d[] = [];
  private readonly norms: (BatchNorm | null)[] = [];
  private readonly hidden: DenseStack;
  readonly featureSize: number;
  readonly spectralWeights: readonly { name: string; layout: WeightLayout }[];

  constructor(
    params: Parameters,
    private readonly shape: number[],
    private readonly conditionSize: number,
    channels: number[],
    private readonly leak: number,
    batchNorm: boolean,
    dense: readonly number[] = [],
  ) {
    check(channels.length >= 1, 'dcgan: discriminatorChannels needs at least one entry');
    const [h, w] = reducedSize(shape, channels.length, 'dcgan discriminator');
    let inChannels = shape[2] + conditionSize;
    channels.forEach((out, l) => {
      const normed = batchNorm && l > 0;
      this.convs.push(conv2d(params, `discriminator/conv${l}`, KERNEL, inChannels, out, { bias: !normed }));
      this.norms.push(normed ? new BatchNorm(params, `discriminator/bn${l}`, out) : null);
      inChannels = out;
    });
    const flat = h * w * channels[channels.length - 1];
    this.hidden = new DenseStack(params, 'discriminator', flat, dense, batchNorm);
    this.featureSize = dense.length > 0 ? dense[dense.length - 1] : flat;
    this.spectralWeights = [
      ...channels.map((_, l) => ({ name: `discriminator/conv${l}/filter`, layout: 'conv2d' as const })),
      ...this.hidden.matrixNames().map((name) => ({ name, layout: 'dense' as const })),
    ];
  }

  features(x: tf.Tensor2D, condition: tf.Tensor2D | null, phase: Phase, read: WeightReader): tf.Tensor2D {
    return tf.tidy(() => {
      const B = x.shape[0];
      const [H, W, C] = this.shape;
      let maps = tf.reshape(x, [B, H, W, C]) as tf.Tensor4D;
      if (condition) {
        // The class as K constant planes beside the image: [B, K] -> [B, H, W, K].
        const planes = tf.tile(tf.reshape(condition, [B, 1, 1, this.conditionSize]), [1, H, W, 1]) as tf.Tensor4D;
        maps = tf.concat([maps, planes], 3);
      }
      this.convs.forEach((layer, l) => {
        // Through the reader: spectral normalisation of the filter when the game asks for it.
        maps = tf.conv2d(maps, read(layer.filter) as tf.Tensor4D, STRIDE, 'same');
        if (layer.bias) maps = tf.add(maps, read(layer.bias));
        const norm = this.norms[l];
        if (norm) maps = norm.apply(maps, phase !== 'eval');
        maps = leakyRelu(maps, this.leak); // twice differentiable: the WGAN-GP penalty
      });
      const flat = tf.reshape(maps, [B, -1]) as tf.Tensor2D; // [B, h, w, c] -> [B, h w c]
      return this.hidden.apply(flat, phase !== 'eval', (a) => leakyRelu(a, this.leak), read); // [B, featureSize]
    });
  }
}
