/**
 * Activations whose gradients can themselves be differentiated, for losses that contain a
 * gradient: the R1 / WGAN-GP penalties |grad_x D(x)|^2 (Mescheder et al. 2018, Eq. 9; Gulrajani et
 * al. 2017, Eq. 3) are minimised over D's weights, so backpropagation runs through D's backward pass.
 *
 * tfjs 4.22's tf.leakyRelu (and tf.maximum(x, a x)) take their gradient with a Greater / Less
 * mask, and those ops have no gradient of their own, so a second derivative through them throws
 * ("Cannot compute gradient: gradient function not found for Greater"). tf.relu is fine: its
 * gradient goes through Step, which has one (zero).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Leaky ReLU, max(x, alpha x) for 0 <= alpha <= 1 (Maas, Hannun & Ng 2013), written as
 *
 *   0.5 (1 + alpha) x + 0.5 (1 - alpha) |x|,
 *
 * equal to it everywhere. Its gradient 0.5 (1 + alpha) + 0.5 (1 - alpha) sign(x) goes through
 * Abs, whose gradient is a Step, which tfjs can differentiate again (to zero). At x = 0 the slope
 * is alpha, as tfjs' (Abs's gradient takes the step as -1 there).
 */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha = 0.2): T {
  return tf.tidy(() => tf.add(tf.mul(x, 0.5 * (1 + alpha)), tf.mul(tf.abs(x), 0.5 * (1 - alpha))) as T);
}

/**
 * SiLU / swish, x sigmoid(x) (Elfwing, Uchibe & Doya 2018; Ramachandran et al. 2017), the
 * nonlinearity of the diffusion U-Nets (Ho et al. 2020, Appendix B).
 */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)) as T);
}
