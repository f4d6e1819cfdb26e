/**
 * The two players' networks as the game in ./gan.ts sees them, and their multilayer-perceptron form
 * (Goodfellow et al. 2014's MNIST nets, with ReLU / leaky ReLU in place of maxout; the toy nets of
 * Metz et al. 2017). The convolutional form is in ./dcgan.ts.
 *
 * A discriminator reads its weight matrices through a `WeightReader`, so one network serves three
 * uses: as it is, spectrally normalised (Miyato et al. 2018: the reader returns W / sigma(W)), and
 * with unrolled weights that are tensors rather than variables (Metz et al. 2017: the reader maps
 * each variable to its k-steps-ahead value). Every variable of D goes through the reader.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Parameters } from '../../nn/parameters.js';
import { dense, type Dense } from '../../nn/dense.js';
import { leakyRelu } from '../../nn/activations.js';
import type { WeightLayout } from '../../nn/spectralNorm.js';

/**
 * How a network is being run: 'advance' (its own player's update: batch-norm statistics of the
 * batch, running statistics and spectral-norm vectors move), 'batch' (the other player's update,
 * or the gradient penalty: batch statistics, nothing moves), 'eval' (sampling and measuring:
 * running statistics, nothing moves).
 */
export type Phase = 'advance' | 'batch' | 'eval';

/** The value a discriminator uses for one of its variables (see the header; spectral norm maps only the matrices). */
export type WeightReader = (w: tf.Variable) => tf.Tensor;

export const readAsIs: WeightReader = (w) => w;

export interface GeneratorNet {
  /** [B, latent + condition] -> [B, D], before the output nonlinearity (the game applies it). */
  apply(input: tf.Tensor2D, phase: Phase): tf.Tensor2D;
}

export interface DiscriminatorNet {
  /** Size of the features the heads read. */
  readonly featureSize: number;
  /**
   * x [B, D] (in D's input scale, ./gan.ts) and an optional condition [B, C] (cGAN's one-hot label)
   * -> features [B, featureSize].
   */
  features(x: tf.Tensor2D, condition: tf.Tensor2D | null, phase: Phase, read: WeightReader): tf.Tensor2D;
  /** Its weight matrices and filters by checkpoint name, not biases (the spectral norm keeps one vector for each). */
  readonly spectralWeights: readonly { name: string; layout: WeightLayout }[];
}

/** z -> ReLU dense layers -> a linear layer of D units. */
export class MlpGenerator implements GeneratorNet {
  private readonly layers: Dense[];

  constructor(params: Parameters, inputSize: number, hidden: readonly number[], outputSize: number) {
    const sizes = [inputSize, ...hidden, outputSize];
    this.layers = sizes.slice(1).map((out, l) => dense(params, l < hidden.length ? `generator/dense${l}` : 'generator/output', sizes[l], out));
  }

  apply(input: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = input;
      this.layers.forEach(({ W, b }, l) => {
        const a = tf.add(tf.matMul(h, W), b) as tf.Tensor2D;
        h = l + 1 < this.layers.length ? tf.relu(a) : a;
      });
      return h;
    });
  }
}

/** [x, condition] -> leaky-ReLU dense layers (Radford et al. 2016's slope 0.2); the heads are the game's. */
export class MlpDiscriminator implements DiscriminatorNet {
  private readonly layers: Dense[];
  readonly featureSize: number;
  readonly spectralWeights: readonly { name: string; layout: WeightLayout }[];

  constructor(
    params: Parameters,
    inputSize: number,
    hidden: readonly number[],
    private readonly leak: number,
  ) {
    const sizes = [inputSize, ...hidden];
    this.layers = hidden.map((out, l) => dense(params, `discriminator/dense${l}`, sizes[l], out));
    this.featureSize = sizes[sizes.length - 1];
    this.spectralWeights = hidden.map((_, l) => ({ name: `discriminator/dense${l}/W`, layout: 'dense' as const }));
  }

  features(x: tf.Tensor2D, condition: tf.Tensor2D | null, _phase: Phase, read: WeightReader): tf.Tensor2D {
    return tf.tidy(() => {
      let h = condition ? (tf.concat([x, condition], 1) as tf.Tensor2D) : x;
      // The twice-differentiable leaky ReLU: the WGAN-GP penalty differentiates D's gradient.
      for (const { W, b } of this.layers) h = leakyRelu(tf.add(tf.matMul(h, read(W)), read(b)) as tf.Tensor2D, this.leak);
      return h === x ? tf.clone(x) : h;
    });
  }
}
