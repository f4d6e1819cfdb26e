/**
 * Importance weighted autoencoder (Burda, Grosse & Salakhutdinov 2016, "Importance Weighted
 * Autoencoders", ICLR; arXiv:1509.00519): the VAE's networks (./vae.ts) trained on the tighter bound
 *
 *   L_k(x) = E_{z_1..z_k ~ q(z|x)} [ log (1/k) sum_j p(x, z_j) / q(z_j|x) ] <= log p(x)    (Eq. 8)
 *
 * with reparameterised z_j = mu + sigma * eps_j, one draw of the k samples per example and step.
 * L_1 is the ELBO (with the KL estimated by sampling), and L_k increases with k (their Theorem 1).
 * The gradient weights each sample's gradient by its normalised importance weight (their Sec. 3), which
 * tf's gradient of logSumExp gives. `logProb` is the VAE's estimate with `evalSamples` k.
 *
 * Training reports { loss: -L_k (one draw, batch mean), reconstruction, kl }, where reconstruction
 * and kl are the ELBO terms of z_1 with the analytic KL: kl - reconstruction >= loss on average.
 * Deviation from the paper: one stochastic layer, ReLU units; the paper's k-sample evaluation uses
 * k = 5000 (our default `evalSamples`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { LossTerms } from '../model.js';
import { gaussianKl } from './common.js';
import { defaultsOf, defineOptions } from '../options.js';
import { Vae, VAE_OPTIONS, type VaeConfig } from './vae.js';

export interface IwaeConfig extends VaeConfig {
  /** Importance samples k of the training bound (5: the middle of Burda et al.'s k = 1, 5, 50). */
  trainSamples: number;
}

export const IWAE_OPTIONS = defineOptions<IwaeConfig>({
  ...VAE_OPTIONS,
  beta: { ...VAE_OPTIONS.beta, min: 1, max: 1, help: 'L_k has no KL weight: always 1' },
  trainSamples: { type: 'int', default: 5, min: 1, help: 'importance samples k of the training bound L_k' },
});

export const IWAE_DEFAULTS: Readonly<IwaeConfig> = defaultsOf(IWAE_OPTIONS);

export class Iwae extends Vae {
  declare readonly config: IwaeConfig;

  constructor(config: Partial<IwaeConfig>, inputShape: number[]) {
    super({ ...IWAE_DEFAULTS, ...config }, inputShape, 0, 'iwae');
    const { trainSamples, beta } = this.config;
    check(Number.isInteger(trainSamples) && trainSamples >= 1, `iwae: trainSamples must be an integer >= 1, got ${trainSamples}`);
    check(beta === 1, `iwae: L_k has no KL weight; beta must be 1, got ${beta}`);
  }

  protected override get samplesPerStep(): number {
    return this.config.trainSamples;
  }

  protected override objective(x: tf.Tensor2D, y: tf.Tensor2D | null, eps: Float32Array, _step: number): LossTerms {
    const k = this.config.trainSamples;
    const B = x.shape[0];
    const { mu, logVar } = this.posterior(x, y);
    const t = this.importanceTerms(x, y, mu, logVar, tf.tensor3d(eps, [k, B, this.latentSize]));
    // L_k per example: log (1/k) sum_j w_j, [B].
    const bound = tf.sub(tf.logSumExp(tf.add(t.logLikelihood, t.logPriorRatio), 0), Math.log(k));
    const reconstruction = tf.mean(tf.slice(t.logLikelihood, [0, 0], [1, B])) as tf.Scalar;
    return { loss: tf.neg(tf.mean(bound)) as tf.Scalar, reconstruction, kl: tf.mean(gaussianKl(mu, logVar)) as tf.Scalar };
  }
}
