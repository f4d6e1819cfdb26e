/**
 * beta-VAE (Higgins et al. 2017, "beta-VAE: Learning Basic Visual Concepts with a Constrained
 * Variational Framework", ICLR): the VAE of ./vae.ts trained on
 *
 *   E_q[log p(x|z)] - beta KL(q(z|x) || p(z)),   beta > 1                          (Eq. 4)
 *
 * which presses q(z|x) towards the factorised prior (disentangling, at the cost of reconstructions).
 *
 * Two schedules:
 * - `warmupSteps`: beta_t = beta min(1, t / warmupSteps), the linear KL warm-up of Bowman et al.
 *   2016 / Sonderby et al. 2016 (beta starts at 0, so the decoder learns to use z first);
 * - `capacity` > 0: the controlled-capacity objective of Burgess et al. 2018 ("Understanding
 *   disentangling in beta-VAE", their controlled capacity increase), which replaces beta KL by
 *       gamma |KL - C_t|,   C_t = capacity min(1, t / capacitySteps),
 *   on the batch-mean KL, so the KL is steered towards a target that grows linearly.
 *
 * Training reports { loss, reconstruction, kl, beta } (beta: the KL weight of this step; gamma under
 * the capacity objective, which also reports `capacity`, C_t). The ELBO and logProb are the VAE's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { LossTerms } from '../model.js';
import { defaultsOf, defineOptions } from '../options.js';
import { Vae, VAE_OPTIONS, type VaeConfig } from './vae.js';

export interface BetaVaeConfig extends VaeConfig {
  /** KL weight after warm-up (> 1; Higgins et al. tune it per data set, 4 is a moderate start). */
  beta: number;
  /** Steps over which beta ramps linearly from 0 (0 = no warm-up). */
  warmupSteps: number;
  /** Target KL C_max in nats for Burgess et al.'s objective (0 = off: Higgins' beta objective). */
  capacity: number;
  /** Steps over which C grows linearly from 0 to `capacity` (100,000 in Burgess et al.). */
  capacitySteps: number;
  /** Weight gamma of |KL - C| (1000 in Burgess et al.). */
  gamma: number;
}

export const BETAVAE_OPTIONS = defineOptions<BetaVaeConfig>({
  ...VAE_OPTIONS,
  beta: { ...VAE_OPTIONS.beta, default: 4, help: 'KL weight after warm-up (> 1; 4 is a moderate start)' },
  warmupSteps: { type: 'int', default: 0, min: 0, help: 'steps over which beta ramps linearly from 0 (0: no warm-up)' },
  capacity: { type: 'number', default: 0, min: 0, help: 'target KL C_max in nats of Burgess et al.\'s objective (0: off)' },
  capacitySteps: { type: 'int', default: 100000, min: 0, help: 'steps over which C grows linearly from 0 to capacity' },
  gamma: { type: 'number', default: 1000, min: 0, help: 'weight gamma of |KL - C| (1000 in Burgess et al.)' },
});

export const BETAVAE_DEFAULTS: Readonly<BetaVaeConfig> = defaultsOf(BETAVAE_OPTIONS);

export class BetaVae extends Vae {
  declare readonly config: BetaVaeConfig;

  constructor(config: Partial<BetaVaeConfig>, inputShape: number[]) {
    super({ ...BETAVAE_DEFAULTS, ...config }, inputShape, 0, 'betavae');
    const { warmupSteps, capacity, capacitySteps, gamma } = this.config;
    check(Number.isInteger(warmupSteps) && warmupSteps >= 0, `betavae: warmupSteps must be an integer >= 0, got ${warmupSteps}`);
    check(Number.isFinite(capacity) && capacity >= 0, `betavae: capacity must be a number >= 0, got ${capacity}`);
    check(Number.isInteger(capacitySteps) && capacitySteps >= 0, `betavae: capacitySteps must be an integer >= 0, got ${capacitySteps}`);
    check(Number.isFinite(gamma) && gamma >= 0, `betavae: gamma must be a number >= 0, got ${gamma}`);
  }

  /** beta_t: the KL weight at step t (linear warm-up from 0). */
  betaAt(step: number): number {
    const { beta, warmupSteps } = this.config;
    return warmupSteps > 0 ? beta * Math.min(1, step / warmupSteps) : beta;
  }

  /** C_t: the KL target at step t under the capacity objective. */
  capacityAt(step: number): number {
    const { capacity, capacitySteps } = this.config;
    return capacitySteps > 0 ? capacity * Math.min(1, step / capacitySteps) : capacity;
  }

  protected override objective(x: tf.Tensor2D, y: tf.Tensor2D | null, eps: Float32Array, step: number): LossTerms {
    const { reconstruction, kl } = this.elboTerms(x, tf.tensor2d(eps, [x.shape[0], this.latentSize]), y);
    const rec = tf.mean(reconstruction) as tf.Scalar;
    const klMean = tf.mean(kl) as tf.Scalar;
    if (this.config.capacity > 0) {
      // Burgess et al.: -E[log p(x|z)] + gamma |KL - C|.
      const C = this.capacityAt(step);
      const penalty = tf.mul(tf.abs(tf.sub(klMean, C)), this.config.gamma);
      return { loss: tf.sub(penalty, rec) as tf.Scalar, reconstruction: rec, kl: klMean, beta: tf.scalar(this.config.gamma), capacity: tf.scalar(C) };
    }
    // Higgins et al. Eq. 4, with beta warmed up.
    const beta = this.betaAt(step);
    return { loss: tf.neg(tf.sub(rec, tf.mul(klMean, beta))) as tf.Scalar, reconstruction: rec, kl: klMean, beta: tf.scalar(beta) };
  }
}
