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
  const Cg = C / groups;
  // Channels stay innermost throughout: statistics per example and channel, [B, 1, 1, C], are
  // broadcast along H and W, which the backends do at memory speed (broadcasts over the last axis
  // of a [B, H, W, G, C/G] view do not), and the means over H and W are a global average pool.
  /** Each example's mean over its group of `t` [B, H, W, C], per channel: [B, 1, 1, C]. */
  const groupMean = (t: tf.Tensor4D): tf.Tensor4D => {
    const perChannel = tf.avgPool(t, [H, W], 1, 'valid'); // [B, 1, 1, C]
    if (Cg === 1) return perChannel;
    const perGroup = tf.mean(tf.reshape(perChannel, [B, groups, Cg]), 2, true); // [B, G, 1]
    return tf.reshape(tf.tile(perGroup, [1, 1, Cg]), [B, 1, 1, C]);
  };
  // customGrad passes the inputs, then a save function.
  const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, shift] = args as [tf.Tensor4D, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const centered = tf.sub(input, groupMean(input));
    const inverseSd = tf.rsqrt(tf.add(groupMean(tf.square(centered) as tf.Tensor4D), epsilon)); // [B, 1, 1, C]
    const normalised = tf.mul(centered, inverseSd); // x^
    save([normalised, inverseSd, scale]);
    return {
      value: tf.add(tf.mul(normalised, scale), shift),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xHat, invSd, gammaSaved] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
        const dOut = dy as tf.Tensor4D;
        const dBeta = tf.sum(dOut, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dOut, xHat), [0, 1, 2]);
        const g = tf.mul(dOut, gammaSaved) as tf.Tensor4D;
        const dx = tf.mul(tf.sub(tf.sub(g, groupMean(g)), tf.mul(xHat, groupMean(tf.mul(g, xHat) as tf.Tensor4D))), invSd);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return normalise(x, gamma, beta) as tf.Tensor4D;
}
