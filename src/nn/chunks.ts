/** Batched evaluation in bounded memory. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A per-example quantity (e.g. log p(x)) of n examples [n * D], computed `chunk` examples at a
 * time so that the largest activation tensor stays bounded; returned as float64 in input order.
 */
export async function perExampleInChunks(
  x: Float32Array,
  n: number,
  D: number,
  chunk: number,
  f: (x: tf.Tensor2D) => tf.Tensor1D,
): Promise<Float64Array> {
  const out = new Float64Array(n);
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const values = tf.tidy(() => f(tf.tensor2d(x.subarray(start * D, (start + m) * D), [m, D])));
    out.set(await values.data(), start);
    values.dispose();
  }
  return out;
}
