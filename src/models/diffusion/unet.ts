/**
 * A small U-Net eps_theta(x_t, t [, y]) for [H, W, C] images, after Ho et al. 2020 (Appendix B,
 * itself after PixelCNN++ and the Wide ResNet): a 3 x 3 input convolution, then per resolution
 * level a residual block (group norm, SiLU, 3 x 3 convolution; the timestep embedding projected and
 * added per channel; group norm, SiLU, 3 x 3 convolution; a 1 x 1 convolution on the skip path
 * when the channels change) whose output is kept for the skip connection, and a strided 3 x 3
 * convolution down to the next level. At the lowest resolution: residual block, one single-head
 * self-attention block (Vaswani et al. 2017 over the H W positions), residual block. The way up
 * mirrors it: concatenate the level's skip, residual block, nearest-neighbour upsampling and a
 * 3 x 3 convolution. The output (group norm, SiLU, zero-initialised 3 x 3 convolution) predicts eps.
 *
 * Ho et al. use two residual blocks per level, four levels and 128 channels for 32 x 32 images;
 * the defaults here (one block per level, two levels, 32 channels) keep a step affordable on the
 * one-thread wasm backend: 28 x 28 -> 14 x 14 with attention over 196 positions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { silu } from '../../nn/activations.js';
import { applyConv2d, conv2d, type Conv2d } from '../../nn/conv.js';
import { applyDense, dense, type Dense } from '../../nn/dense.js';
import { applyGroupNorm, groupNorm, type GroupNorm } from '../../nn/groupNorm.js';
import type { Parameters } from '../../nn/parameters.js';
import { TimeEmbedding, type Denoiser } from './networks.js';

export interface UnetSettings {
  /** Channels at the first level. */
  channels: number;
  /** Channels of each level as multiples of `channels`; its length is the number of levels. */
  channelMults: readonly number[];
  /** Groups of every group norm (fewer where they do not divide the channels). */
  groups: number;
  /** One self-attention block at the lowest resolution. */
  attention: boolean;
  /** Size of the timestep embedding. */
  embeddingDim: number;
  /** Classes K of a conditional model (0: unconditional). */
  classes: number;
}

/** A 3 x 3 (or 1 x 1) convolution with Glorot-uniform weights over its receptive field. */
function convLayer(params: Parameters, name: string, kernel: number, cin: number, cout: number, zero = false): Conv2d {
  return conv2d(params, name, kernel, cin, cout, { init: zero ? { type: 'zeros' } : { type: 'glorot', fanIn: kernel * kernel * cin, fanOut: kernel * kernel * cout } });
}

/** The largest divisor of `channels` that is at most `groups`. */
function groupsFor(channels: number, groups: number): number {
  let g = Math.min(groups, channels);
  while (channels % g !== 0) g--;
  return g;
}

class ResidualBlock {
  private readonly norm1: GroupNorm;
  private readonly conv1: Conv2d;
  private readonly time: Dense;
  private readonly norm2: GroupNorm;
  private readonly conv2: Conv2d;
  private readonly skip: Conv2d | null;

  constructor(params: Parameters, name: string, cin: number, cout: number, embeddingDim: number, groups: number) {
    this.norm1 = groupNorm(params, `${name}/norm1`, cin, groupsFor(cin, groups));
    this.conv1 = convLayer(params, `${name}/conv1`, 3, cin, cout);
    this.time = dense(params, `${name}/time`, embeddingDim, cout);
    this.norm2 = groupNorm(params, `${name}/norm2`, cout, groupsFor(cout, groups));
    this.conv2 = convLayer(params, `${name}/conv2`, 3, cout, cout);
    this.skip = cin === cout ? null : convLayer(params, `${name}/skip`, 1, cin, cout);
  }

  /** x [B, H, W, cin], temb [B, E] (already through SiLU) -> [B, H, W, cout]. */
  apply(x: tf.Tensor4D, temb: tf.Tensor2D): tf.Tensor4D {
    const [B] = x.shape;
    let h = applyConv2d(silu(applyGroupNorm(x, this.norm1)), this.conv1, 1);
    const cout = h.shape[3];
    h = tf.add(h, tf.reshape(applyDense(temb, this.time), [B, 1, 1, cout])); // per-channel shift
    h = applyConv2d(silu(applyGroupNorm(h, this.norm2)), this.conv2, 1);
    return tf.add(this.skip ? applyConv2d(x, this.skip, 1) : x, h);
  }
}

/** Single-head self-attention over the H W positions, with a residual connection. */
class AttentionBlock {
  private readonly norm: GroupNorm;
  private readonly qkv: Dense;
  private readonly out: Dense;

  constructor(params: Parameters, name: string, channels: number, groups: number) {
    this.norm = groupNorm(params, `${name}/norm`, channels, groupsFor(channels, groups));
    this.qkv = dense(params, `${name}/qkv`, channels, 3 * channels);
    this.out = dense(params, `${name}/out`, channels, channels);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const [B, H, W, C] = x.shape;
    const h = tf.reshape(applyGroupNorm(x, this.norm), [B * H * W, C]) as tf.Tensor2D; // [B HW, C]
    const qkv = tf.reshape(applyDense(h, this.qkv), [B, H * W, 3 * C]); // [B, HW, 3C]
    const [q, k, v] = tf.split(qkv, 3, 2) as tf.Tensor3D[]; // [B, HW, C] each
    const weights = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(C))); // [B, HW, HW]
    const attended = tf.reshape(tf.matMul(weights, v), [B * H * W, C]) as tf.Tensor2D; // [B HW, C]
    return tf.add(x, tf.reshape(applyDense(attended, this.out), [B, H, W, C]));
  }
}

export class Unet implements Denoiser {
  private readonly embedding: TimeEmbedding;
  private readonly input: Conv2d;
  private readonly down: ResidualBlock[] = [];
  private readonly downsample: Conv2d[] = [];
  private readonly middle1: ResidualBlock;
  private readonly attention: AttentionBlock | null;
  private readonly middle2: ResidualBlock;
  private readonly up: ResidualBlock[] = [];
  private readonly upsample: Conv2d[] = [];
  private readonly outNorm: GroupNorm;
  private readonly output: Conv2d;

  constructor(
    params: Parameters,
    private readonly shape: readonly number[],
    s: UnetSettings,
  ) {
    const [H, W, C] = shape;
    const levels = s.channelMults.length;
    const factor = 2 ** (levels - 1);
    if (H % factor !== 0 || W % factor !== 0) {
      throw new Error(`unet: ${levels} levels halve the image ${levels - 1} times, so H and W must be multiples of ${factor}; got ${H} x ${W}`);
    }
    const width = s.channelMults.map((m) => m * s.channels);
    this.embedding = new TimeEmbedding(params, s.embeddingDim, s.classes);
    this.input = convLayer(params, 'unet/in', 3, C, s.channels);
    let ch = s.channels;
    for (let l = 0; l < levels; l++) {
      this.down.push(new ResidualBlock(params, `unet/down${l}`, ch, width[l], s.embeddingDim, s.groups));
      ch = width[l];
      if (l < levels - 1) this.downsample.push(convLayer(params, `unet/downsample${l}`, 3, ch, ch));
    }
    this.middle1 = new ResidualBlock(params, 'unet/mid1', ch, ch, s.embeddingDim, s.groups);
    this.attention = s.attention ? new AttentionBlock(params, 'unet/attention', ch, s.groups) : null;
    this.middle2 = new ResidualBlock(params, 'unet/mid2', ch, ch, s.embeddingDim, s.groups);
    for (let l = levels - 1; l >= 0; l--) {
      this.up.push(new ResidualBlock(params, `unet/up${l}`, ch + width[l], width[l], s.embeddingDim, s.groups));
      ch = width[l];
      if (l > 0) this.upsample.push(convLayer(params, `unet/upsample${l}`, 3, ch, ch));
    }
    this.outNorm = groupNorm(params, 'unet/outNorm', ch, groupsFor(ch, s.groups));
    this.output = convLayer(params, 'unet/out', 3, ch, C, true);
  }

  predict(x: tf.Tensor2D, t: Int32Array, condition: tf.Tensor2D | null): tf.Tensor2D {
    const [H, W, C] = this.shape;
    const B = x.shape[0];
    const temb = silu(this.embedding.apply(t, condition));
    let h = applyConv2d(tf.reshape(x, [B, H, W, C]), this.input, 1); // [B, H, W, channels]
    const skips: tf.Tensor4D[] = [];
    this.down.forEach((block, l) => {
      h = block.apply(h, temb);
      skips.push(h);
      if (l < this.downsample.length) h = applyConv2d(h, this.downsample[l], 2); // [B, H / 2, W / 2, ch]
    });
    h = this.middle1.apply(h, temb);
    if (this.attention) h = this.attention.apply(h);
    h = this.middle2.apply(h, temb);
    this.up.forEach((block, i) => {
      h = block.apply(tf.concat([h, skips[skips.length - 1 - i]], 3), temb);
      if (i < this.upsample.length) {
        const [, h0, w0] = h.shape;
        h = applyConv2d(tf.image.resizeNearestNeighbor(h, [2 * h0, 2 * w0]), this.upsample[i], 1); // [B, 2 h, 2 w, ch]
      }
    });
    const out = applyConv2d(silu(applyGroupNorm(h, this.outNorm)), this.output, 1); // [B, H, W, C]
    return tf.reshape(out, [B, H * W * C]);
  }
}
