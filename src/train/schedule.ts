/**
 * Learning-rate decay over a run. A constant step size keeps an adversarial game (the AAE's
 * encoder against its discriminator, a GAN's generator against its critic) circling its
 * equilibrium; shrinking the step toward the end of the run lets it settle where it is (the same
 * reason Makhzani et al. 2016 lower their AAE rates in stages, Sec. 3). The factor depends only on
 * the fraction of the run done, so a resumed run continues the same curve, provided the number of
 * epochs is unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';

export type LearningRateDecay = 'constant' | 'linear' | 'cosine';
export const LEARNING_RATE_DECAYS: readonly LearningRateDecay[] = ['constant', 'linear', 'cosine'];

/** The step-size multiplier at `progress` = steps done / total steps, in [0, 1]: 1 at the start. */
export function decayFactor(decay: LearningRateDecay, progress: number): number {
  check(LEARNING_RATE_DECAYS.includes(decay), () => `learning-rate decay must be one of ${LEARNING_RATE_DECAYS.join(', ')}, got '${decay}'`);
  const t = Math.min(Math.max(progress, 0), 1);
  switch (decay) {
    case 'constant':
      return 1;
    case 'linear':
      return 1 - t;
    case 'cosine':
      return 0.5 * (1 + Math.cos(Math.PI * t));
  }
}

/**
 * Scales each optimizer's step size relative to the one it was created with (an AAE's optimizers
 * can start at different rates). tfjs optimizers read `learningRate` at every update, so setting
 * it between steps is enough; it is not part of their saved state.
 */
export class LearningRateScheduler {
  private readonly initial = new Map<tf.Optimizer, number>();

  constructor(optimizers: Record<string, tf.Optimizer>) {
    for (const opt of Object.values(optimizers)) this.initial.set(opt, rateOf(opt));
  }

  scale(factor: number): void {
    for (const [opt, rate] of this.initial) (opt as unknown as { learningRate: number }).learningRate = rate * factor;
  }
}

function rateOf(opt: tf.Optimizer): number {
  const rate = (opt as unknown as { learningRate?: unknown }).learningRate;
  check(typeof rate === 'number', () => `cannot schedule the learning rate of a ${opt.getClassName()} optimizer`);
  return rate;
}
