/**
 * A plain deterministic autoencoder: x -> encoder -> code z -> decoder -> x^, trained on the
 * reconstruction term alone, -log p(x | z = enc(x)) (Bernoulli: cross-entropy; Gaussian with a
 * fixed sigma: squared error / 2 sigma^2 + const), with no prior and no KL.
 *
 * It is here to contrast with the VAE (same networks, ../../nn/encoderDecoder.ts): nothing ties the codes to
 * N(0, I), so `sample` (decode z ~ N(0, I)) lands mostly where no training code lies and gives poor
 * images, and the model has no likelihood (no logProb: an implicit model with a latent space).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { standardNormals, type Rng } from '../../core/rng.js';
import { tensorValues } from '../../nn/chunks.js';
import { dequantize } from '../../data/dequantize.js';
import type { LatentModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, SampleOptions, TrainContext } from '../model.js';
import { NeuralModel } from '../neuralModel.js';
import { Likelihood } from '../../distributions/decoders.js';
import { Decoder, Encoder } from '../../nn/encoderDecoder.js';
import { LATENT_NET, validateNetConfig, type LatentNetConfig } from './common.js';
import { defaultsOf } from '../options.js';

export type AeConfig = LatentNetConfig;

export const AE_OPTIONS = LATENT_NET;

export const AE_DEFAULTS: Readonly<AeConfig> = defaultsOf(AE_OPTIONS);

export class Autoencoder extends NeuralModel<AeConfig> implements GenerativeModel, LatentModel {
  readonly name = 'ae';
  readonly latentSize: number;
  private readonly encoder: Encoder;
  private readonly decoder: Decoder;
  private readonly likelihood: Likelihood;
  private readonly D: number;

  constructor(config: Partial<AeConfig>, readonly inputShape: number[]) {
    super({ ...AE_DEFAULTS, ...config });
    validateNetConfig('ae', this.config, inputShape);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    this.latentSize = this.config.latent;
    const spec = { ...this.config, inputShape, classes: 0 };
    this.encoder = new Encoder(this.params, spec, ['code']);
    this.decoder = new Decoder(this.params, spec);
    this.likelihood = new Likelihood(this.params, this.config.decoder, this.D, this.config.decoderStd, this.config.minStd, this.config.dequantize);
  }

  /** -log p(x | dec(enc(x))) per example, [B]. */
  reconstructionLoss(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const [code] = this.encoder.apply(this.likelihood.encoderInput(x), null);
      const out = tf.reshape(this.decoder.apply(code, null), [1, x.shape[0], this.D]) as tf.Tensor3D; // [1, B, D]
      return tf.neg(tf.reshape(this.likelihood.logProb(x, out), [x.shape[0]])) as tf.Tensor1D;
    });
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    this.checkBatch(batch);
    const values = this.config.dequantize ? dequantize(batch.x, ctx.rng) : batch.x;
    const loss = tf.mean(this.reconstructionLoss(tf.tensor2d(values, [batch.n, this.D]))) as tf.Scalar;
    return { loss, reconstruction: tf.neg(loss) as tf.Scalar };
  }

  /** The codes enc(x), [n * latentSize]. */
  async encode(batch: Batch): Promise<Float32Array> {
    this.checkBatch(batch);
    return tensorValues(() => this.encoder.apply(this.likelihood.encoderInput(tf.tensor2d(batch.x, [batch.n, this.D])), null)[0]);
  }

  /** Decoder means for codes [n * latentSize], in data units (Bernoulli: probabilities). */
  async decode(z: Float32Array, n: number): Promise<Float32Array> {
    check(z.length === n * this.latentSize, () => `ae: expected ${n} x ${this.latentSize} codes, got ${z.length}`);
    return tensorValues(() => this.likelihood.mean(this.decoder.apply(tf.tensor2d(z, [n, this.latentSize]), null)));
  }

  /**
   * Decodes z ~ N(0, T^2 I): what a VAE does, but nothing trained these codes to look Gaussian. The
   * decoder's mean or a draw from p(x|z): options.mode, else the config's sampleMode.
   */
  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    const T = options.temperature ?? 1;
    check(Number.isFinite(T) && T >= 0, `ae: temperature must be a number >= 0, got ${T}`);
    const z = standardNormals(rng, n * this.latentSize);
    if (T !== 1) for (let i = 0; i < z.length; i++) z[i] *= T;
    if ((options.mode ?? this.config.sampleMode) === 'mean') return this.decode(z, n);
    const out = tf.tidy(() => this.decoder.apply(tf.tensor2d(z, [n, this.latentSize]), null));
    const values = Float32Array.from(await out.data());
    out.dispose();
    return this.likelihood.sample(values, rng);
  }

  private checkBatch(batch: Batch): void {
    check(batch.x.length === batch.n * this.D, () => `ae: expected ${batch.n} x ${this.D} values, got ${batch.x.length}`);
    this.likelihood.checkData('ae', batch.x);
  }

}
