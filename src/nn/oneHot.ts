/** Class labels for conditional networks (CVAE, AAE's discriminator, cGAN, DDPM): one-hot encodings, and every class in turn for sample grids. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Class labels as a one-hot float matrix, [n] -> [n, K]; not on any gradient path. Built as int32
 * and cast: tfjs-backend-wasm 4.22's OneHot with dtype 'float32' writes the int32 bit pattern
 * (1 becomes 1.4e-45).
 */
export function oneHotLabels(labels: Int32Array, K: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), K), 'float32') as tf.Tensor2D);
}

/** Classes start, start + 1, ... mod K: every class in turn in a sample grid. */
export function classesInTurn(start: number, n: number, K: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (start + i) % K);
}
