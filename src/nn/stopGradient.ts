/**
 * tf.stopGradient, which tfjs 4.22 lacks: the identity, differentiated as a constant (its
 * gradient is zero, and the zero's own gradient is zero, so it may sit inside a loss that is
 * differentiated twice). Spectral normalisation uses it for the power-iteration vectors, which
 * Miyato et al. 2018 treat as constants in the gradient (their Sec. 2.1, below Eq. 12).
 */
import * as tf from '@tensorflow/tfjs-core';

// customGrad passes the inputs, then a save function; the single input is the tensor.
const constant = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
});

/** x, through which no gradient flows. Not tidied (a single op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return constant(x) as T;
}
