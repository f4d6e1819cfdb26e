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
import type { DiscriminatorNet, GeneratorNet, Phase, WeightReader } from './networks.js';

const KERNEL = 4;
const STRIDE = 2;

/** The feature-map size after `layers` stride-2 steps, checked to divide evenly. */
function reducedSize(shape: number[], layers: number, who: string): [number, number] {
  const [H, W] = shape;
  const f = 2 ** layers;
  check(H % f === 0 && W % f === 0, () => `${who}: ${layers} stride-2 layers need H and W divisible by ${f}, got ${H} x ${W}`);
  return [H / f, W / f];
}

export class ConvGenerator implements GeneratorNet {
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
  ) {
    check(channels.length >= 1, 'dcgan: generatorChannels needs at least one entry');
    this.base = reducedSize(shape, channels.length, 'dcgan generator');
    const [h, w] = this.base;
    const projected = h * w * channels[0];
    this.project = {
      W: params.add('generator/project/W', [inputSize, projected], DCGAN_INIT),
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
      let maps = tf.reshape(tf.add(tf.matMul(input, this.project.W), this.project.b), [B, h, w, this.channels[0]]) as tf.Tensor4D; // [B, H/2^L, W/2^L, c0]
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
  readonly featureSize: number;
  readonly spectralWeights: readonly { name: string; layout: WeightLayout }[];

  constructor(
    params: Parameters,
    private readonly shape: number[],
    private readonly conditionSize: number,
    channels: number[],
    private readonly leak: number,
    batchNorm: boolean,
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
    this.featureSize = h * w * channels[channels.length - 1];
    this.spectralWeights = channels.map((_, l) => ({ name: `discriminator/conv${l}/filter`, layout: 'conv2d' as const }));
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
      return tf.reshape(maps, [B, -1]) as tf.Tensor2D; // [B, h, w, c] -> [B, featureSize]
    });
  }
}
