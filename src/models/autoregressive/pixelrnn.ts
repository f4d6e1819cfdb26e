/**
 * What the two PixelRNN models (van den Oord, Kalchbrenner & Kavukcuoglu 2016, "Pixel Recurrent
 * Neural Networks", ICML, Sec. 3.3 and Table 1) share: a residual stream of 2h feature maps from a
 * mask-A first convolution, `layers` recurrent layers that each add their output (a 1 x 1 mask-B
 * convolution of their states) back to the stream, and a ReLU / 1 x 1 mask-B head:
 *
 *   firstKernel^2 conv, mask A                                         C -> 2h
 *   `layers` x residual: s + [1x1 conv, mask B](LSTM_h(s))             2h -> 2h
 *   ReLU, 1x1 conv 2h -> 2h, ReLU, 1x1 conv 2h -> C * K', mask B
 *
 * Row LSTM (./rowlstm.ts) and Diagonal BiLSTM (./diagbilstm.ts) differ in the recurrent layer
 * (`recurrent`) and in how sampling steps it (`sampler`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { MaskedConv2d } from '../../nn/maskedConv2d.js';
import { defineOptions, type OptionDeclaration } from '../options.js';
import { RasterImageModel, checkImageSpec, networkInput, outputLogits, logitsPerChannel, type ImageSpec } from './images.js';

export interface PixelRnnConfig {
  /**
   * LSTM units h of each layer (of each direction, for the Diagonal BiLSTM); the residual stream
   * between layers has 2h feature maps (Sec. 3.3). 16 is the paper's MNIST width. For RGB, h >= 3.
   */
  hiddenChannels: number;
  /** Recurrent layers (the paper: 7 Diagonal BiLSTM layers on MNIST, 12 on CIFAR-10). */
  layers: number;
  /** Kernel size of the first, mask-A convolution (odd; 7 in the paper). */
  firstKernel: number;
  /**
   * Values per channel K: 2 = binary data with a Bernoulli per channel; K > 2 = integers 0..K-1
   * with a K-way softmax per channel (256 for 8-bit images, what the registry picks for 'uint8').
   */
  levels: number;
  /** Seed of the initial weights. */
  seed: number;
}

/** The options of Row LSTM and Diagonal BiLSTM, which differ only in their default depth. */
export function pixelRnnOptions(layers: number): OptionDeclaration<PixelRnnConfig> {
  return defineOptions<PixelRnnConfig>({
    hiddenChannels: { type: 'int', default: 16, min: 1, help: 'LSTM units h of each layer (the residual stream has 2h feature maps; 16: the paper\'s MNIST width)' },
    layers: { type: 'int', default: layers, min: 0, help: 'recurrent layers (the paper: 7 Diagonal BiLSTM layers on MNIST)' },
    firstKernel: { type: 'int', default: 7, min: 1, help: 'kernel size of the first, mask-A convolution (odd; 7 in the paper)' },
    levels: { type: 'int', default: 2, min: 2, help: 'values per channel K: 2 = Bernoulli, K > 2 = K-way softmax', fromData: '2 for binary data, 256 for 8-bit' },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
  });
}

/** A recurrent layer; `output` is its 1 x 1 mask-B convolution h -> 2h back to the stream. */
export interface PixelRnnLayer {
  output: MaskedConv2d;
}

export abstract class PixelRnnModel<Layer extends PixelRnnLayer> extends RasterImageModel<PixelRnnConfig> {
  protected readonly spec: ImageSpec;
  protected first!: MaskedConv2d;
  protected readonly lstms: Layer[] = [];
  protected head!: [MaskedConv2d, MaskedConv2d];

  /** Checks the configuration; the subclass then calls `build` with its layer factory. */
  constructor(name: string, config: PixelRnnConfig, inputShape: number[]) {
    super(config);
    const { hiddenChannels: h, layers, firstKernel, levels, seed } = this.config;
    this.spec = checkImageSpec(name, inputShape, levels);
    const C = this.spec.colors;
    check(Number.isInteger(h) && h >= C, `${name}: hiddenChannels must be an integer >= ${C}, got ${h}`);
    check(Number.isInteger(layers) && layers >= 0, `${name}: layers must be an integer >= 0, got ${layers}`);
    check(
      Number.isInteger(firstKernel) && firstKernel >= 1 && firstKernel % 2 === 1,
      `${name}: firstKernel must be an odd integer >= 1, got ${firstKernel}`,
    );
    check(Number.isInteger(seed), `${name}: seed must be an integer, got ${seed}`);
  }

  /** A convolution with colour-group masks, its parameters named `name/...`. */
  protected conv(name: string, kernel: number, inChannels: number, outChannels: number, mask: 'A' | 'B'): MaskedConv2d {
    return new MaskedConv2d(this.params, name, { kernel, inChannels, outChannels, mask, groups: this.spec.colors });
  }

  /** Creates the parameters in a fixed order (first convolution, layers 0..L-1, head): the initial weights follow from the seed. */
  protected build(makeLayer: (l: number) => Layer): void {
    const h = this.config.hiddenChannels;
    this.first = this.conv('input', this.config.firstKernel, this.spec.colors, 2 * h, 'A');
    for (let l = 0; l < this.config.layers; l++) this.lstms.push(makeLayer(l));
    this.head = [this.conv('head0', 1, 2 * h, 2 * h, 'B'), this.conv('head1', 1, 2 * h, this.spec.colors * logitsPerChannel(this.config.levels), 'B')];
  }

  /** One recurrent layer over the residual stream s, [B, H, W, 2h] -> its states [B, H, W, h]. */
  protected abstract recurrent(layer: Layer, s: tf.Tensor4D): tf.Tensor4D;

  /**
   * Logits of every conditional for images of values 0..K-1, of any height and width:
   * [B, h, w, C] -> [B, h, w, C] (binary: logit p(x = 1)) or [B, h, w, C, K] (softmax logits).
   */
  logits(x: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      let s = this.features(x); // [B, h, w, 2h]
      for (const layer of this.lstms) s = tf.add(s, layer.output.apply(this.recurrent(layer, s))); // Sec. 3.3
      return outputLogits(this.head, s, this.spec);
    });
  }

  /** The first, mask-A convolution of images of values 0..K-1: [B, h, w, 2h]. */
  protected features(x: tf.Tensor4D): tf.Tensor4D {
    return this.first.apply(networkInput(x, this.config.levels));
  }

  /** Number of scalar parameters (masked-out weights included). */
  parameterCount(): number {
    return this.params.count();
  }

  override dispose(): void {
    super.dispose();
    for (const layer of [this.first, ...this.lstms.map((l) => l.output), ...this.head]) layer.dispose();
  }
}
