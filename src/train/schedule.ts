/**
 * Learning-rate decay over a run. At a constant step size an adversarial game (the AAE's encoder
 * against its discriminator) can keep circling its equilibrium, as measured for the AAE in
 * docs/RESULTS.md; shrinking the step toward the end of the run lets it settle where it is. The
 * factor depends only on the fraction of the run done, so a resumed run continues the same curve,
 * provided the number of epochs is unchanged.
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

/** Each optimizer's step size before any scheduling, kept across train() calls on the same optimizers. */
const baseRates = new WeakMap<tf.Optimizer, number>();

/**
 * Scales each optimizer's step size relative to the one it was created with (an AAE's optimizers
 * can start at different rates). tfjs optimizers read `learningRate` at every update, so setting
 * it between steps is enough; it is not part of their saved state. The base rate is remembered per
 * optimizer, so a second run on the same optimizers starts from it, not from where the first ended.
 */
export class LearningRateScheduler {
  private readonly optimizers: tf.Optimizer[];

  constructor(optimizers: Record<string, tf.Optimizer>) {
    this.optimizers = Object.values(optimizers);
    for (const opt of this.optimizers) if (!baseRates.has(opt)) baseRates.set(opt, rateOf(opt));
  }

  scale(factor: number): void {
    for (const opt of this.optimizers) (opt as unknown as { learningRate: number }).learningRate = baseRates.get(opt)! * factor;
  }
}

function rateOf(opt: tf.Optimizer): number {
  const rate = (opt as unknown as { learningRate?: unknown }).learningRate;
  check(typeof rate === 'number', () => `cannot schedule the learning rate of a ${opt.getClassName()} optimizer`);
  return rate;
}
