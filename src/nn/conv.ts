/**
 * Convolution and transposed convolution layers on NHWC images ([B, H, W, C]), the building blocks
 * of DCGAN's discriminator and generator (Radford, Metz & Chintala 2016, "Unsupervised
 * Representation Learning with Deep Convolutional GANs", Sec. 3-4): strided convolutions in place
 * of pooling, strided transposed convolutions in place of upsampling, and weights drawn from
 * N(0, 0.02^2) (their Sec. 4), the default here.
 *
 * A layer's variables are named `${name}/filter` and `${name}/bias` (checkpoint keys). Both apply
 * functions take the filter to use as an optional last argument, so a caller can pass a transformed
 * filter in place of the variable, e.g. spectrally normalised (./spectralNorm.ts):
 *
 *   applyConv2d(x, layer, 2, 'same', norm.normalize(layer.filter, training))
 *   applyConv2dTranspose(x, layer, 2, 'same', norm.normalize(layer.filter, training))
 *
 * Both are twice differentiable in tfjs 4.22 with respect to their input and weights (the second
 * derivative of a gradient penalty runs Conv2DBackpropInput's gradient; see ./activations.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Init, Parameters } from './parameters.js';

/** One (transposed) convolution's variables. */
export interface Conv2d {
  /** conv2d: [k, k, in, out]; conv2dTranspose: [k, k, out, in] (tfjs' layout for both). */
  readonly filter: tf.Variable;
  /** [out], or null for a layer created with `bias: false` (followed by batch norm, whose beta plays its part). */
  readonly bias: tf.Variable | null;
}

export interface ConvOptions {
  /** Initialisation of the filter. Default: normal with std 0.02 (DCGAN, Sec. 4). The bias starts at zero. */
  init?: Init;
  /** Whether the layer has a bias. Default: true. */
  bias?: boolean;
}

export const DCGAN_INIT: Init = Object.freeze({ type: 'normal', std: 0.02 });

export type Padding = 'same' | 'valid';

/** Creates a convolution's filter [kernel, kernel, inChannels, outChannels] and bias [outChannels], in that order. */
export function conv2d(params: Parameters, name: string, kernel: number, inChannels: number, outChannels: number, options: ConvOptions = {}): Conv2d {
  return {
    filter: params.add(`${name}/filter`, [kernel, kernel, inChannels, outChannels], options.init ?? DCGAN_INIT),
    bias: options.bias === false ? null : params.add(`${name}/bias`, [outChannels], { type: 'zeros' }),
  };
}

/**
 * x [B, H, W, in] -> [B, ceil(H / stride), ceil(W / stride), out] ('same') or
 * [B, floor((H - k) / stride) + 1, ...] ('valid'), plus the bias. `filter` replaces the layer's
 * filter (same shape), e.g. by its spectral normalisation. Not tidied: call it inside the
 * caller's tf.tidy.
 */
export function applyConv2d(x: tf.Tensor4D, layer: Conv2d, stride: number, pad: Padding = 'same', filter: tf.Tensor4D = layer.filter as tf.Tensor4D): tf.Tensor4D {
  const out = tf.conv2d(x, filter, stride, pad);
  return layer.bias ? tf.add(out, layer.bias) : out;
}

/**
 * Creates a transposed convolution's filter and bias, in that order. The filter is
 * [kernel, kernel, outChannels, inChannels] (tfjs' conv2dTranspose layout: the filter of the
 * convolution it is the adjoint of, which maps out channels back to in channels); bias [outChannels].
 */
export function conv2dTranspose(params: Parameters, name: string, kernel: number, inChannels: number, outChannels: number, options: ConvOptions = {}): Conv2d {
  return {
    filter: params.add(`${name}/filter`, [kernel, kernel, outChannels, inChannels], options.init ?? DCGAN_INIT),
    bias: options.bias === false ? null : params.add(`${name}/bias`, [outChannels], { type: 'zeros' }),
  };
}

/**
 * x [B, H, W, in] -> [B, H * stride, W * stride, out] ('same') or
 * [B, (H - 1) * stride + k, (W - 1) * stride + k, out] ('valid'; e.g. 1 x 1 -> k x k at stride 1, the
 * first layer of a DCGAN generator), plus the bias: the adjoint of applyConv2d(., stride, pad) with
 * the same filter, from an input of the output's shape to x's shape. `filter` replaces the layer's
 * filter (same shape). Not tidied: call it inside the caller's tf.tidy.
 */
export function applyConv2dTranspose(x: tf.Tensor4D, layer: Conv2d, stride: number, pad: Padding = 'same', filter: tf.Tensor4D = layer.filter as tf.Tensor4D): tf.Tensor4D {
  const [B, H, W] = x.shape;
  const [kh, kw, outChannels] = filter.shape;
  const outShape: [number, number, number, number] =
    pad === 'same' ? [B, H * stride, W * stride, outChannels] : [B, (H - 1) * stride + kh, (W - 1) * stride + kw, outChannels];
  const out = tf.conv2dTranspose(x, filter, outShape, stride, pad);
  return layer.bias ? tf.add(out, layer.bias) : out;
}
