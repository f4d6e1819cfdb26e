/** One gradient step with named loss terms, leaving no tensors behind. */
import * as tf from '@tensorflow/tfjs-core';
import type { StepMetrics } from '../models/model.js';

/** What a model's loss function returns: the scalar to minimise and any terms to log. */
export type LossTerms = { loss: tf.Scalar } & Record<string, tf.Scalar>;

/**
 * Minimises `lossFn()['loss']` over `vars` with `optimizer`, and returns every term as a number.
 * Runs `lossFn` under the gradient tape once; the optimizer update happens in the same tidy scope.
 */
export async function gradientStep(optimizer: tf.Optimizer, vars: tf.Variable[], lossFn: () => LossTerms): Promise<StepMetrics> {
  const kept: Record<string, tf.Scalar> = {};
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const terms = lossFn();
      for (const [k, t] of Object.entries(terms)) if (k !== 'loss') kept[k] = tf.keep(t);
      return terms.loss;
    }, vars);
    kept.loss = tf.keep(value);
    optimizer.applyGradients(grads);
  });
  const metrics: Record<string, number> = {};
  for (const [k, t] of Object.entries(kept)) {
    metrics[k] = (await t.data())[0];
    t.dispose();
  }
  return metrics as StepMetrics;
}
