/**
 * Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein 2017, "Unrolled Generative Adversarial
 * Networks", ICLR). The generator minimises its loss against the discriminator as it will be after
 * K more of its own gradient steps,
 *
 *   theta_D^0 = theta_D,   theta_D^{k+1} = theta_D^k + eta dV(theta_G, theta_D^k) / dtheta_D^k   (Eq. 5-6)
 *   f_K(theta_G, theta_D) = V(theta_G, theta_D^K(theta_G, theta_D)),                      (Eq. 7)
 *
 * and differentiates through the unrolling (Eq. 12 keeps the term dtheta_D^K / dtheta_G that
 * anticipates D's reaction): a generator that piles its samples on one mode sees D learn to reject
 * that mode within the K steps, and spreads out. D itself is trained as in the plain GAN.
 *
 * Deviations: the unrolled steps are plain gradient steps of size `unrollLearningRate` on the
 * step's own minibatch and noise (the paper unrolls the Adam updates D actually takes, on fresh
 * batches). MLP players only, without spectral norm: batch-norm statistics and power-iteration
 * vectors would have to be unrolled too. Cost: K + 1 discriminator passes and K second-order
 * backward passes per generator step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Batch, LossTerms } from '../model.js';
import { defaultsOf, defineOptions } from '../options.js';
import { Gan, GAN_OPTIONS, type Conditions, type GanConfig } from './gan.js';
import { discriminatorLoss } from './losses.js';
import type { WeightReader } from './networks.js';

export interface UnrolledConfig extends GanConfig {
  /** Discriminator steps K the generator looks ahead (5; the paper's toy runs use 5-10). */
  unrollSteps: number;
  /** Step size eta of each unrolled gradient step. */
  unrollLearningRate: number;
}

export const UNROLLED_OPTIONS = defineOptions<UnrolledConfig>({
  ...GAN_OPTIONS,
  unrollSteps: { type: 'int', default: 5, min: 1, help: "discriminator steps K the generator's loss looks ahead" },
  unrollLearningRate: { type: 'number', default: 0.05, min: 0, help: 'step size eta of each unrolled discriminator step' },
});

export const UNROLLED_DEFAULTS: Readonly<UnrolledConfig> = defaultsOf(UNROLLED_OPTIONS);

export class UnrolledGan extends Gan<UnrolledConfig> {
  constructor(config: UnrolledConfig, inputShape: number[]) {
    check(config.architecture === 'mlp' && !config.spectralNorm, 'unrolled: MLP players without spectral norm only (see the file header)');
    check(config.featureMatching === 0, 'unrolled: feature matching is not combined with the unrolled generator loss');
    check(Number.isInteger(config.unrollSteps) && config.unrollSteps >= 1, () => `unrolled: unrollSteps must be an integer >= 1, got ${config.unrollSteps}`);
    super('unrolled', config, inputShape);
  }

  /** G's loss against D unrolled K steps on this minibatch, differentiable through the unrolling. */
  protected override generatorTerms(z: Float32Array, fake: Conditions, batch: Batch): LossTerms {
    const n = batch.n;
    const real = this.dataConditions(batch);
    const xReal = this.toDiscriminatorScale(tf.tensor2d(batch.x, [n, this.D]));
    const xFake = this.toDiscriminatorScale(this.generateTensor(z, fake, n, 'advance'));
    const variables = [...this.params.named('discriminator').values()];
    const readFrom = (values: tf.Tensor[]): WeightReader => {
      const byVariable = new Map(variables.map((v, i) => [v, values[i]]));
      return (w) => byVariable.get(w) ?? w;
    };
    let weights: tf.Tensor[] = variables;
    for (let k = 0; k < this.config.unrollSteps; k++) {
      const dLoss = (...values: tf.Tensor[]) => {
        const read = readFrom(values);
        return discriminatorLoss(this.config.loss, this.discriminatorOutputs(xReal, real, 'batch', read).score, this.discriminatorOutputs(xFake, fake, 'batch', read).score);
      };
      const grads = tf.grads(dLoss)(weights);
      weights = weights.map((w, i) => tf.sub(w, tf.mul(grads[i], this.config.unrollLearningRate)));
    }
    return this.generatorLossTerms(this.discriminatorOutputs(xFake, fake, 'batch', readFrom(weights)), fake);
  }
}
