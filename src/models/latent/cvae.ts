/**
 * Conditional VAE (Sohn, Lee & Yan 2015, "Learning Structured Output Representation using Deep
 * Conditional Generative Models", NIPS): the VAE of ./vae.ts with a class label y as the condition,
 *
 *   log p(x|y) >= E_q(z|x,y)[log p(x|z,y)] - KL(q(z|x,y) || p(z))
 *
 * (their Eq. 4 with the roles renamed: their condition x is our label y, their output y our x).
 * where y enters both networks as a one-hot vector: concatenated to the encoder's input (for the
 * conv architecture, as K constant feature maps beside the image) and to z at the decoder's input.
 * The prior stays N(0, I) (the paper's p(z|x) prior network is not needed when the condition is a
 * class: Sohn et al. Sec. 4 condition on an input image). `bound` and `logProb` are conditional on
 * `batch.labels`: they bound / estimate log p(x|y).
 *
 * `sample(n, rng, { labels })` draws the classes asked for; without labels it cycles 0..K-1, so a
 * grid shows every class in turn.
 */
import { check } from '../../core/errors.js';
import { classesInTurn } from '../../nn/oneHot.js';
import type { ConditionalModel } from '../capabilities.js';
import { defaultsOf, defineOptions } from '../options.js';
import { Vae, VAE_OPTIONS, type VaeConfig } from './vae.js';

export interface CvaeConfig extends VaeConfig {
  /** Classes K of the label (the CLI passes the data set's count; 10 fits MNIST-like data). */
  numClasses: number;
}

export const CVAE_OPTIONS = defineOptions<CvaeConfig>({
  ...VAE_OPTIONS,
  numClasses: { type: 'int', default: 10, min: 2, help: 'classes K of the label', fromData: 'the classes of the labels' },
});

export const CVAE_DEFAULTS: Readonly<CvaeConfig> = defaultsOf(CVAE_OPTIONS);

function checkedClasses(config: Partial<CvaeConfig>): number {
  const K = config.numClasses ?? CVAE_DEFAULTS.numClasses;
  check(Number.isInteger(K) && K >= 2, `cvae: numClasses must be an integer >= 2, got ${K}`);
  return K;
}

export class Cvae extends Vae implements ConditionalModel {
  declare readonly config: CvaeConfig;
  /** Classes K of the label (the config's `numClasses`). */
  readonly numClasses: number;

  constructor(config: Partial<CvaeConfig>, inputShape: number[]) {
    const full: CvaeConfig = { ...CVAE_DEFAULTS, ...config, numClasses: checkedClasses(config) };
    super(full, inputShape, full.numClasses, 'cvae');
    this.numClasses = full.numClasses;
  }

  /** Labels as given (one per sample), else 0, 1, ..., K-1, 0, 1, ... */
  protected override sampleLabels(n: number, labels: Int32Array | undefined): Int32Array {
    if (labels) {
      check(labels.length === n, () => `cvae: ${labels.length} labels for ${n} samples`);
      return labels;
    }
    return classesInTurn(0, n, this.numClasses);
  }
}
