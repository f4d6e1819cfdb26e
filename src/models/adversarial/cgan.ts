/**
 * Conditional GAN (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets",
 * arXiv:1411.1784): both players see the class y,
 *
 *   min_G max_D E_{x,y}[log D(x | y)] + E_{z,y}[log(1 - D(G(z | y) | y))]                 (Eq. 2)
 *
 * with y one-hot, appended to z for G and beside x for D (their Sec. 4.1 joins y to each network's
 * first hidden layer, which is the same map as one layer on the concatenation); the convolutional
 * D of ./dcgan.ts gets y as K constant feature planes. The generated samples' classes are drawn
 * uniformly during training; `sample` draws the classes asked for (`genlab sample RUN --label 7`),
 * or every class in turn.
 */
import type { Rng } from '../../core/rng.js';
import type { ConditionalModel } from '../capabilities.js';
import type { Batch } from '../model.js';
import { defaultsOf, defineOptions } from '../options.js';
import { classesInTurn } from '../../nn/oneHot.js';
import { batchLabels, checkedClasses, labelsOrUniform, oneHotValues } from './conditioning.js';
import { Gan, GAN_OPTIONS, type Conditions, type GanConfig } from './gan.js';

export interface CganConfig extends GanConfig {
  /** Classes K of the label (the CLI passes the data set's count). */
  numClasses: number;
}

export const CGAN_OPTIONS = defineOptions<CganConfig>({
  ...GAN_OPTIONS,
  numClasses: { type: 'int', default: 10, min: 2, help: 'classes K of the label', fromData: 'the classes of the labels' },
});

export const CGAN_DEFAULTS: Readonly<CganConfig> = defaultsOf(CGAN_OPTIONS);

export class Cgan extends Gan<CganConfig> implements ConditionalModel {
  readonly numClasses: number;

  constructor(config: CganConfig, inputShape: number[]) {
    const K = checkedClasses('cgan', config.numClasses);
    super('cgan', config, inputShape, { generatorCondition: K, discriminatorCondition: K, heads: {} });
    this.numClasses = K;
  }

  protected override drawConditions(n: number, rng: Rng, labels?: Int32Array): Conditions {
    const y = labelsOrUniform(n, this.numClasses, rng, labels);
    const code = oneHotValues(y, this.numClasses);
    return { generator: code, discriminator: code, labels: y };
  }

  protected override dataConditions(batch: Batch): Conditions {
    const y = batchLabels('cgan', batch);
    return { discriminator: oneHotValues(y, this.numClasses), labels: y };
  }

  protected override labelsInTurn(start: number, n: number): Int32Array {
    return classesInTurn(start, n, this.numClasses);
  }
}
