/**
 * Learning-rate decay over a run. At a constant step size an adversarial game (the AAE's encoder
 * against its discriminator) can keep circling its equilibrium, as measured for the AAE in
 * docs/RESULTS.md; shrinking the step toward the end of the run lets it settle where it is. The
 * factor depends only on the fraction of the run done, so a resumed run continues the same curve,
 * provided the number of epochs is unchanged. The trainer sets each optimizer's public step size
 * from these factors (./trainer.ts scaleLearningRates).
 */
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
 * The step-size multiplier at step `step` (from 0) of `totalSteps`: a linear warm-up from
 * 1 / warmupSteps to 1 over the first `warmupSteps` steps (Goyal et al. 2017; DDPM trainers warm up
 * over thousands of steps), times the decay over the run.
 */
export function learningRateFactor(schedule: { decay?: LearningRateDecay; warmupSteps?: number }, step: number, totalSteps: number): number {
  const warmup = schedule.warmupSteps ?? 0;
  check(Number.isInteger(warmup) && warmup >= 0, () => `warm-up steps must be an integer >= 0, got ${warmup}`);
  const warm = warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1;
  return warm * decayFactor(schedule.decay ?? 'constant', step / totalSteps);
}
