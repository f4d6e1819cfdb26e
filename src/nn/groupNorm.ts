/**
 * Group normalisation (Wu & He 2018, "Group Normalization", Eq. 1 with the groups of Sec. 3.1):
 * the C channels of an NHWC image are split into G groups of C / G channels, and each example's
 * group is normalised by its own mean and variance over H, W and the group's channels, then
 * scaled and shifted per channel (gamma, beta). Unlike batch norm it has no batch statistics, so
 * training and sampling compute the same function whatever the batch size (the U-Nets of
 * diffusion models use it, Ho et al. 2020 Appendix B).
 *
 * Variables: `${name}/gamma` (ones) and `${name}/beta` (zeros), [C].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Parameters } from './parameters.js';

export interface GroupNorm {
  readonly groups: number;
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
}

/** Creates a group norm over `channels` channels in `groups` groups (groups must divide channels). */
export function groupNorm(params: Parameters, name: string, channels: number, groups: number): GroupNorm {
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new Error(`groupNorm ${name}: ${groups} groups do not divide ${channels} channels`);
  }
  return {
    groups,
    gamma: params.add(`${name}/gamma`, [channels], { type: 'constant', value: 1 }),
    beta: params.add(`${name}/beta`, [channels], { type: 'zeros' }),
  };
}

/**
 * x [B, H, W, C] -> the same shape, normalised per example and group. Not tidied.
 *
 * With x^ = (x - mu) / sigma over a group of n = H W C/G values and y = gamma x^ + beta, the
 * gradient is written out (Wu & He's Eq. 1 differentiated as Ioffe & Szegedy 2015 Sec. 3 do for
 * batch norm): with g = dL/dy gamma,
 *
 *   dL/dx = (g - mean(g) - x^ mean(g x^)) / sigma,   dL/dgamma = sum dL/dy x^,   dL/dbeta = sum dL/dy,
 *
 * means and sums over each example's group. That takes about half the passes over the activations
 * that differentiating the forward ops one by one does (a DDPM U-Net step spends a fifth of its
 * time in group norms). First-order only: no model differentiates a group norm twice.
 */
export function applyGroupNorm(x: tf.Tensor4D, { groups, gamma, beta }: GroupNorm, epsilon = 1e-5): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const grouped: [number, number, number, number, number] = [B, H, W, groups, C / groups];
  const axes = [1, 2, 4];
  // customGrad passes the inputs, then a save function.
  const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, shift] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const values = tf.reshape(input, grouped); // [B, H, W, G, C/G]
    const centered = tf.sub(values, tf.mean(values, axes, true));
    const inverseSd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axes, true), epsilon)); // [B, 1, 1, G, 1]
    const normalised = tf.mul(centered, inverseSd); // x^, grouped
    save([normalised, inverseSd, scale]);
    return {
      value: tf.add(tf.mul(tf.reshape(normalised, [B, H, W, C]), scale), shift),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xHat, invSd, gammaSaved] = saved;
        const dOut = dy as tf.Tensor4D;
        const dBeta = tf.sum(dOut, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dOut, tf.reshape(xHat, [B, H, W, C])), [0, 1, 2]);
        const g = tf.reshape(tf.mul(dOut, gammaSaved), grouped);
        const centeredG = tf.sub(g, tf.mean(g, axes, true));
        const dx = tf.mul(tf.sub(centeredG, tf.mul(xHat, tf.mean(tf.mul(g, xHat), axes, true))), invSd);
        return [tf.reshape(dx, [B, H, W, C]), dGamma, dBeta];
      },
    };
  });
  return normalise(x, gamma, beta) as tf.Tensor4D;
}
