/** One-hot encodings of class labels, the condition fed to conditional networks (CVAE, AAE's discriminator). */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Class labels as a one-hot float matrix, [n] -> [n, K]; not on any gradient path. Built as int32
 * and cast: tfjs-backend-wasm 4.22's OneHot with dtype 'float32' writes the int32 bit pattern
 * (1 becomes 1.4e-45).
 */
export function oneHotLabels(labels: Int32Array, K: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), K), 'float32') as tf.Tensor2D);
}
