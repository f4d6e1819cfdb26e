/**
 * What the latent-variable models (AE, VAE, beta-VAE, CVAE, IWAE, AAE) share beyond their
 * building blocks:
 * - the configuration of their networks, decoder and sampling (`LatentNetConfig`), its defaults and
 *   its validation, and the decoder chosen from the data's kind;
 * - the Gaussian algebra of q(z|x) = N(mu, diag sigma^2) against the prior p(z) = N(0, I)
 *   (Kingma & Welling 2014, Appendix B).
 * The networks are in ../../nn/encoderDecoder.ts, the observation models p(x|z) in
 * ../../distributions/decoders.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { ValueKind } from '../../data/dataset.js';
import { DECODERS, type DecoderKind } from '../../distributions/decoders.js';
import { ARCHITECTURES, type Architecture } from '../../nn/encoderDecoder.js';
import { defaultsOf, defineOptions } from '../options.js';

/** What `sample` returns: the decoder's mean E[x|z] (smooth images) or a draw x ~ p(x|z). */
export type SampleMode = 'mean' | 'sample';
export const SAMPLE_MODES: readonly SampleMode[] = ['mean', 'sample'];

/** The configuration every latent-variable model shares (networks, decoder, sampling, seed). */
export interface LatentNetConfig {
  /** 'mlp' on the flattened input, or 'conv' for [H, W, C] images (see `channels`). */
  architecture: Architecture;
  /**
   * Units of the encoder's hidden layers, first to last; the decoder mirrors them (last to first).
   * 500 is Kingma & Welling's MNIST network (one hidden layer of 500 per network, their Sec. 5);
   * [] gives linear networks. For 'conv', these dense layers follow the flattened convolutions.
   */
  hidden: number[];
  /**
   * 'conv' only: channels of the stride-2 4x4 convolutions of the encoder (the decoder mirrors them
   * with stride-2 4x4 transposed convolutions); H and W must be divisible by 2^channels.length.
   */
  channels: number[];
  /**
   * Size of z. 20, one of Kingma & Welling's MNIST sizes (their Fig. 2 tries 3 to 200): enough for
   * MNIST, and few unused dimensions for the importance estimate to integrate over. Burda et al.'s
   * one-layer models use 50.
   */
  latent: number;
  /** The observation model p(x|z); the registry picks it from the data's kind. */
  decoder: DecoderKind;
  /**
   * Gaussian sigma or logistic scale s of p(x|z): 'learned' (one log-value per dimension, starting
   * at 1) or a fixed positive number (e.g. 0.1; 1 makes the Gaussian AE a squared-error AE).
   */
  decoderStd: 'learned' | number;
  /** Floor added to a learned sigma / scale (sigma = minStd + exp(.)), so no dimension collapses. */
  minStd: number;
  /**
   * Gaussian decoder on [0, 1] 8-bit intensities: train on x + u / 256, u ~ U(0, 1), as RNADE does
   * (see src/models/autoregressive/rnade.ts), and map means / samples back to [0, 1] levels.
   */
  dequantize: boolean;
  /**
   * What `sample` returns unless its options say (`decode` always returns means): 'mean' E[x|z]
   * (Bernoulli: probabilities), 'sample' a draw from p(x|z).
   */
  sampleMode: SampleMode;
  /** Seed of the initial weights. */
  seed: number;
}

/** The options every latent model has; each model's declaration adds its own to these. */
export const LATENT_NET = defineOptions<LatentNetConfig>({
  architecture: { type: 'choice', default: 'mlp', choices: ARCHITECTURES, help: "'mlp' on the flattened input, or 'conv' for [H, W, C] images" },
  hidden: { type: 'int-list', default: [500], min: 1, help: 'units of the encoder\'s hidden layers (the decoder mirrors them); empty: linear networks' },
  channels: { type: 'int-list', default: [32, 64], min: 1, help: "'conv' only: channels of the stride-2 4x4 encoder convolutions" },
  latent: { type: 'int', default: 20, min: 1, help: 'size of z (20: one of Kingma & Welling\'s MNIST sizes)' },
  decoder: {
    type: 'choice',
    default: 'bernoulli',
    choices: DECODERS,
    help: 'the observation model p(x|z)',
    fromData: 'bernoulli for binary data, gaussian for real values and [0, 1] intensities, logistic for 8-bit',
  },
  decoderStd: { type: 'number', default: 'learned', min: 0, choices: ['learned'], help: "sigma / scale of a gaussian or logistic p(x|z): 'learned' or a fixed number > 0" },
  minStd: { type: 'number', default: 1e-3, min: 0, help: 'floor added to a learned sigma / scale, so no dimension collapses' },
  dequantize: {
    type: 'boolean',
    default: false,
    help: 'gaussian decoder on 8-bit intensities: train on x + u / 256, u ~ U(0, 1)',
    fromData: 'on for a gaussian decoder on [0, 1] intensities, else off',
  },
  sampleMode: { type: 'choice', default: 'mean', choices: SAMPLE_MODES, help: "what sample returns (sample grids): 'mean' E[x|z], 'sample' a draw from p(x|z); CSVs of binary data are draws unless genlab sample --mean" },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const LATENT_NET_DEFAULTS: Readonly<LatentNetConfig> = defaultsOf(LATENT_NET);

/** Largest activation tensor (floats) one network pass builds while scoring: 2^22 = 16 MiB. */
export const MAX_ACTIVATIONS = 2 ** 22;

/**
 * The decoder and its data conventions for data of a given kind, unless the user chose them:
 * binary -> Bernoulli; [0, 1] intensities -> dequantized Gaussian; 8-bit levels -> discretized
 * logistic; other reals -> Gaussian. For the registry's `create`.
 */
export function withDataDefaults(kind: ValueKind, config: Record<string, unknown>): Record<string, unknown> {
  const byKind: Record<ValueKind, DecoderKind> = { binary: 'bernoulli', continuous: 'gaussian', uint8: 'logistic', real: 'gaussian' };
  const decoder = (config.decoder as DecoderKind | undefined) ?? byKind[kind];
  return { decoder, dequantize: decoder === 'gaussian' && kind === 'continuous', ...config };
}

/** Normalises list options given as one number (--hidden 500) and checks every field. */
export function validateNetConfig(model: string, config: LatentNetConfig, inputShape: number[]): void {
  if (typeof config.hidden === 'number') config.hidden = [config.hidden];
  if (typeof config.channels === 'number') config.channels = [config.channels];
  const { architecture, hidden, channels, latent, decoder, decoderStd, minStd, dequantize, sampleMode, seed } = config;
  const sizes = (v: unknown) => Array.isArray(v) && v.every((h) => Number.isInteger(h) && h >= 1);
  check(inputShape.length >= 1 && inputShape.every((d) => Number.isInteger(d) && d >= 1), `${model}: bad input shape [${inputShape.join(', ')}]`);
  check(ARCHITECTURES.includes(architecture), `${model}: architecture must be one of ${ARCHITECTURES.join(', ')}, got '${architecture}'`);
  check(sizes(hidden), `${model}: hidden must be a list of layer sizes >= 1, got ${JSON.stringify(hidden)}`);
  check(Number.isInteger(latent) && latent >= 1, `${model}: latent must be an integer >= 1, got ${latent}`);
  check(DECODERS.includes(decoder), `${model}: decoder must be one of ${DECODERS.join(', ')}, got '${decoder}'`);
  check(
    decoderStd === 'learned' || (typeof decoderStd === 'number' && Number.isFinite(decoderStd) && decoderStd > 0),
    `${model}: decoderStd must be 'learned' or a number > 0, got ${JSON.stringify(decoderStd)}`,
  );
  check(Number.isFinite(minStd) && minStd >= 0, `${model}: minStd must be a number >= 0, got ${minStd}`);
  check(typeof dequantize === 'boolean', `${model}: dequantize must be true or false, got ${dequantize}`);
  check(!dequantize || decoder === 'gaussian', `${model}: dequantize applies to the gaussian decoder only (decoder is '${decoder}')`);
  check(SAMPLE_MODES.includes(sampleMode), `${model}: sampleMode must be one of ${SAMPLE_MODES.join(', ')}, got '${sampleMode}'`);
  check(Number.isInteger(seed), `${model}: seed must be an integer, got ${seed}`);
  if (architecture === 'conv') {
    check(sizes(channels) && channels.length >= 1, `${model}: channels must be a non-empty list of sizes >= 1, got ${JSON.stringify(channels)}`);
    check(inputShape.length === 3, `${model}: architecture 'conv' needs images [H, W, C], got shape [${inputShape.join(', ')}]`);
    const f = 2 ** channels.length;
    check(
      inputShape[0] % f === 0 && inputShape[1] % f === 0,
      `${model}: ${channels.length} stride-2 convolutions need H and W divisible by ${f}, got ${inputShape[0]} x ${inputShape[1]}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Gaussian algebra of the posterior and the prior

/**
 * KL(N(mu, diag exp(logVar)) || N(0, I)) = -1/2 sum_j (1 + logVar_j - mu_j^2 - exp(logVar_j))
 * (Kingma & Welling 2014, Appendix B), [B, L] -> [B].
 */
export function gaussianKl(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), tf.add(logVar, 1)), 1), 0.5) as tf.Tensor1D);
}

/** z = mu + sigma * eps (the reparameterisation, Eq. 10): mu, logVar [B, L], eps [S, B, L] -> [S, B, L]. */
export function reparameterize(mu: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor3D);
}

/**
 * log p(z) - log q(z|x) at z = mu + sigma * eps: sum_j (eps_j^2 - z_j^2 + logVar_j) / 2 (the
 * log 2 pi terms cancel), [S, B, L] -> [S, B].
 */
export function logPriorRatio(z: tf.Tensor3D, eps: tf.Tensor3D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sum(tf.add(tf.sub(tf.square(eps), tf.square(z)), logVar), 2), 0.5) as tf.Tensor2D);
}
