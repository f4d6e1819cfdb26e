/**
 * Class conditioning shared by the conditional GANs (./cgan.ts, ./acgan.ts): the class count, one-hot
 * codes as plain arrays, and the labels a conditional model draws when none are given.
 */
import { check, UserError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { Batch } from '../model.js';

/** Labels [n] as one-hot rows [n * K]. */
export function oneHotValues(labels: Int32Array, K: number): Float32Array {
  const out = new Float32Array(labels.length * K);
  labels.forEach((y, i) => {
    check(Number.isInteger(y) && y >= 0 && y < K, () => `class label ${y} is outside 0..${K - 1}`);
    out[i * K + y] = 1;
  });
  return out;
}

/** The given labels, or n classes drawn uniformly (the generator's classes during training). */
export function labelsOrUniform(n: number, K: number, rng: Rng, labels?: Int32Array): Int32Array {
  if (labels) {
    check(labels.length === n, () => `expected ${n} labels, got ${labels.length}`);
    return labels;
  }
  return Int32Array.from({ length: n }, () => rng.int(K));
}

/** A training batch's labels, refused with a clear message when the data have none. */
export function batchLabels(model: string, batch: Batch): Int32Array {
  if (!batch.labels) throw new UserError(`${model} is conditional and needs class labels with every example`);
  return batch.labels;
}

/** The class count from the config (filled from the data by the registry), checked. */
export function checkedClasses(model: string, numClasses: number): number {
  check(Number.isInteger(numClasses) && numClasses >= 2, () => `${model}: numClasses must be an integer >= 2, got ${numClasses}`);
  return numClasses;
}
