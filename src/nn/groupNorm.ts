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

/** x [B, H, W, C] -> the same shape, normalised per example and group. Not tidied. */
export function applyGroupNorm(x: tf.Tensor4D, { groups, gamma, beta }: GroupNorm, epsilon = 1e-5): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const grouped = tf.reshape(x, [B, H, W, groups, C / groups]); // [B, H, W, G, C/G]
  const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
  const normalised = tf.reshape(tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, epsilon))), [B, H, W, C]); // [B, H, W, C]
  return tf.add(tf.mul(normalised, gamma), beta);
}
