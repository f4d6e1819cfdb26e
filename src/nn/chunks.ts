/** Reading results out of the engine: one tensor's values, or a per-example quantity in bounded memory. */
import * as tf from '@tensorflow/tfjs-core';

/** The values of the tensor that `f` builds (inside tf.tidy), which is then freed. */
export async function tensorValues(f: () => tf.Tensor): Promise<Float32Array> {
  const t = tf.tidy(f);
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

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
    out.set(await tensorValues(() => f(tf.tensor2d(x.subarray(start * D, (start + m) * D), [m, D]))), start);
  }
  return out;
}
