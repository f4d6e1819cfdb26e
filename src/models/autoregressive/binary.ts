/**
 * Shared pieces of the binary autoregressive models (FVSBN, NADE, MADE, PixelCNN, PixelRNN):
 * the Bernoulli log-likelihood from logits, and sampling / completion one variable at a time.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { check, UserError } from '../../core/errors.js';

/**
 * log p(x) = sum_i x_i log sigma(l_i) + (1 - x_i) log sigma(-l_i) = sum_i x_i l_i - softplus(l_i),
 * per example: [B, D] x and logits -> [B].
 */
export function bernoulliLogProb(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D);
}

/** All D conditionals' logits for a batch: logits[:, i] = logit p(x_i = 1 | x_<i), [B, D] -> [B, D]. */
export type LogitsFn = (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * Fills the entries of `x` ([n * D]) where `missing` is 1, in `order`, each drawn from
 * p(x_i | everything before it in the order), with one network pass per missing variable.
 * Observed entries stay. Sampling is the case where every entry is missing.
 */
export function fillSequentially(
  logitsFn: LogitsFn,
  x: Float32Array,
  n: number,
  order: Int32Array,
  missing: Uint8Array,
  rng: Rng,
): Float32Array {
  const D = order.length;
  check(x.length === n * D, `expected ${n} x ${D} values, got ${x.length}`);
  check(missing.length === D, `mask has ${missing.length} entries, the model expects ${D}`);
  for (const i of order) {
    if (!missing[i]) continue;
    const probs = tf.tidy(() => {
      const logits = logitsFn(tf.tensor2d(x, [n, D]));
      return tf.sigmoid(tf.slice(logits, [0, i], [n, 1]));
    });
    const p = probs.dataSync();
    probs.dispose();
    for (let b = 0; b < n; b++) x[b * D + i] = rng.uniform() < p[b] ? 1 : 0;
  }
  return x;
}

/**
 * Rejects values other than 0 and 1 (intensities would otherwise be scored as a cross-entropy: a
 * silent wrong answer), naming the model and the first offending value.
 */
export function checkBinary(model: string, batch: { x: Float32Array; n: number }): void {
  const D = batch.x.length / Math.max(1, batch.n);
  for (let i = 0; i < batch.x.length; i++) {
    const v = batch.x[i];
    if (v !== 0 && v !== 1) {
      throw new UserError(
        `${model} needs binary values (0 or 1); example ${Math.floor(i / D)}, value ${i % D} is ${v} (binarize images with --binarize)`,
      );
    }
  }
}
