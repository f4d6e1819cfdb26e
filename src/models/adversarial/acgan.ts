/**
 * Auxiliary classifier GAN (Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary
 * Classifier GANs", ICML). G(z, c) draws class c; D does not see the class but has a second head,
 * a classifier P(C | x), and the two log-likelihoods
 *
 *   L_S = E[log P(S = real | x_real)] + E[log P(S = fake | x_fake)]                        (Eq. 2)
 *   L_C = E[log P(C = c | x_real)] + E[log P(C = c | x_fake)]                              (Eq. 3)
 *
 * are maximised as L_S + L_C by D and L_C - L_S by G (Sec. 3). Here the source term is the game's
 * loss (./losses.ts, non-saturating by default) and the class term is the softmax cross-entropy,
 * weighted by `classWeight`: D's on real and generated samples, G's on its own. `genlab sample
 * RUN --label 7` draws a chosen class; the classifier head's accuracy on real data is logged.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import type { ConditionalModel } from '../capabilities.js';
import type { Batch } from '../model.js';
import { defaultsOf, defineOptions } from '../options.js';
import { classesInTurn } from '../../nn/oneHot.js';
import { batchLabels, checkedClasses, labelsOrUniform, oneHotValues } from './conditioning.js';
import { Gan, GAN_OPTIONS, type Conditions, type DiscriminatorOutputs, type GanConfig } from './gan.js';

export interface AcganConfig extends GanConfig {
  /** Classes K (the CLI passes the data set's count). */
  numClasses: number;
  /** Weight of the class cross-entropy L_C beside the adversarial loss (1, the paper's). */
  classWeight: number;
}

export const ACGAN_OPTIONS = defineOptions<AcganConfig>({
  ...GAN_OPTIONS,
  numClasses: { type: 'int', default: 10, min: 2, help: 'classes K of the label', fromData: 'the classes of the labels' },
  classWeight: { type: 'number', default: 1, min: 0, help: 'weight of the auxiliary classifier cross-entropy L_C' },
});

export const ACGAN_DEFAULTS: Readonly<AcganConfig> = defaultsOf(ACGAN_OPTIONS);

/** Mean softmax cross-entropy of logits [B, K] against labels [B]. */
function crossEntropy(logits: tf.Tensor2D, labels: Int32Array, K: number): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.tensor2d(oneHotValues(labels, K), [labels.length, K]);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

export class Acgan extends Gan<AcganConfig> implements ConditionalModel {
  readonly numClasses: number;

  constructor(config: AcganConfig, inputShape: number[]) {
    const K = checkedClasses('acgan', config.numClasses);
    super('acgan', config, inputShape, { generatorCondition: K, discriminatorCondition: 0, heads: { classes: K } });
    this.numClasses = K;
  }

  protected override drawConditions(n: number, rng: Rng, labels?: Int32Array): Conditions {
    const y = labelsOrUniform(n, this.numClasses, rng, labels);
    return { generator: oneHotValues(y, this.numClasses), labels: y };
  }

  protected override dataConditions(batch: Batch): Conditions {
    return { labels: batchLabels('acgan', batch) };
  }

  protected override labelsInTurn(start: number, n: number): Int32Array {
    return classesInTurn(start, n, this.numClasses);
  }

  /** L_C on generated samples for both players, and on real samples for D (with the head's accuracy there). */
  protected override extraTerms(
    player: 'discriminator' | 'generator',
    fake: DiscriminatorOutputs,
    fakeConditions: Conditions,
    real?: DiscriminatorOutputs,
    realConditions?: Conditions,
  ): Record<string, tf.Scalar> {
    const K = this.numClasses;
    const w = this.config.classWeight;
    const terms: Record<string, tf.Scalar> = {};
    terms[`${player}ClassFake`] = tf.mul(crossEntropy(fake.heads.classes, fakeConditions.labels!, K), w);
    if (player === 'discriminator' && real && realConditions) {
      terms.discriminatorClassReal = tf.mul(crossEntropy(real.heads.classes, realConditions.labels!, K), w);
    }
    return terms;
  }
}
