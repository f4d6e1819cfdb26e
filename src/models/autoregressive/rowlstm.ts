/**
 * PixelRNN with Row LSTM layers (van den Oord, Kalchbrenner & Kavukcuoglu 2016, "Pixel Recurrent
 * Neural Networks", ICML; arXiv:1601.06759, Sec. 3.1). An image is modelled in raster order, rows
 * top to bottom, pixels left to right, channels R -> G -> B within a pixel (Eqs. 1-2), every
 * conditional a Bernoulli (binary data) or a K-way softmax (Sec. 2.2), as in PixelCnn.
 *
 * A Row LSTM layer processes the image one row at a time, all pixels of a row in parallel. Its
 * input-to-state component K^is is a masked 1 x 3 convolution along the row (mask B: the pixel to
 * the left, and the pixel's own earlier colour groups), computed for all rows at once; its
 * state-to-state component K^ss a 1 x 3 convolution of the previous row's hidden states h_{r-1}
 * (unmasked: the whole previous row comes before row r):
 *
 *   [o_r, f_r, i_r, g_r] = [sigmoid, sigmoid, sigmoid, tanh](K^ss * h_{r-1} + K^is * x_r)     (Eq. 3)
 *   c_r = f_r . c_{r-1} + i_r . g_r,   h_r = o_r . tanh(c_r)
 *
 * The state at (r, c) reads the states of the row above at columns c - 1 .. c + 1, which read
 * columns c - 2 .. c + 2 of the row above them, and so on: the inputs of row r - d at columns
 * c - d - 1 .. c + d, a triangle opening upwards (Fig. 4), plus (r, c - 1) in its own row; the
 * first convolution widens it by its reach. Each further layer adds one pixel on the left (in the
 * pixel's own row too); pixels beyond the triangle's edges, such as the upper right corner seen
 * from the bottom left, stay out of the field. The tests compose the fields layer by layer and
 * compare them with the autograd ones, pixel for pixel.
 *
 * The network (Sec. 3.3 and the paper's architecture table, Table 1; the stream and head in ./pixelrnn.ts):
 *
 *   firstKernel^2 (7x7) conv, mask A                                     C -> 2h
 *   `layers` Row LSTM layers, each residual: s + [1x1 conv, mask B](RowLSTM_h(s))   2h -> 2h
 *   ReLU, 1x1 conv 2h -> 2h, ReLU, 1x1 conv 2h -> C * K', mask B
 *
 * with K' = 1 logit per channel for binary data and K otherwise. Colour channels (Sec. 3.4): every
 * feature map is split into C contiguous groups, the gates of a hidden unit in the unit's group
 * (src/nn/lstm.ts' gateMask), and only K^is and the 1x1 convolutions at a pixel's own
 * position need channel masks.
 *
 * Training evaluates every conditional in one pass of H recurrent steps per layer. Sampling draws
 * one (pixel, channel) at a time, each pass one step of the recurrence: row r from the states of
 * row r - 1, kept while row r is drawn.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gateBias, gateMask, GATES, concatSteps, lstmCell, splitSteps } from '../../nn/lstm.js';
import { type MaskedConv2d, maskedConv2d, maskValues } from '../../nn/maskedConv2d.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { GenerativeModel } from '../model.js';
import { outputLogits, logitsPerChannel, imageWindow, type RasterSampler } from './images.js';
import { defaultsOf } from '../options.js';
import { PixelRnnModel, pixelRnnOptions, type PixelRnnConfig } from './pixelrnn.js';

/**
 * PixelRnnConfig (./pixelrnn.ts). Timing: h = 16 with 2 layers trains a 28 x 28 MNIST batch of 128
 * in ~1.1 s on the wasm backend (one thread; ~9 minutes per 60k-image epoch; binary data); h = 32
 * costs ~2.5x, 256 levels instead of 2 ~2x. Each layer widens the field by one pixel on the left,
 * in a pixel's own row and in the triangle above.
 */
export type RowLstmConfig = PixelRnnConfig;

export const ROWLSTM_OPTIONS = pixelRnnOptions(2);

export const ROWLSTM_DEFAULTS: Readonly<RowLstmConfig> = defaultsOf(ROWLSTM_OPTIONS);

/** An LSTM's hidden and cell states, h and c. */
type LstmState = { h: tf.Tensor4D; c: tf.Tensor };

/** One Row LSTM layer with its residual connection (Sec. 3.1, 3.3). */
interface RowLstmLayer {
  /** K^is: 1 x 3 along the row, mask B, 2h -> 4h gate pre-activations [o | f | i | g]. */
  inputWeight: tf.Variable;
  inputBias: tf.Variable;
  inputMask: tf.Tensor4D;
  /** K^ss: 1 x 3 along the previous row's states, h -> 4h, no mask (and no bias: K^is has it). */
  stateWeight: tf.Variable;
  /** 1 x 1, mask B, h -> 2h: the LSTM's output back to the residual stream. */
  output: MaskedConv2d;
}

export class RowLstm extends PixelRnnModel<RowLstmLayer> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'rowlstm';
  readonly densityKind = 'exact';

  constructor(config: Partial<RowLstmConfig>, readonly inputShape: number[]) {
    super('rowlstm', { ...ROWLSTM_DEFAULTS, ...config }, inputShape);
    const { hiddenChannels: h } = this.config;
    const C = this.spec.colors;
    // K^is's mask: the middle row of a 3 x 3 mask B onto the h units (left tap open, centre tap by
    // colour group, right tap closed), repeated for the four gates.
    const square = maskValues({ kernel: 3, inChannels: 2 * h, outChannels: h, mask: 'B', groups: C }); // [3, 3, 2h, h]
    const middleRow = square.subarray(3 * 2 * h * h, 6 * 2 * h * h); // [1, 3, 2h, h]
    this.build((l) => ({
      inputWeight: this.params.add(`layer${l}/inputToState/W`, [1, 3, 2 * h, GATES * h], {
        type: 'glorot',
        fanIn: 3 * 2 * h,
        fanOut: 3 * GATES * h,
      }),
      inputBias: gateBias(this.params, `layer${l}/inputToState/b`, h),
      inputMask: tf.tensor4d(gateMask(middleRow, h), [1, 3, 2 * h, GATES * h]),
      stateWeight: this.params.add(`layer${l}/stateToState/W`, [1, 3, h, GATES * h], {
        type: 'glorot',
        fanIn: 3 * h,
        fanOut: 3 * GATES * h,
      }),
      output: this.conv(`layer${l}/output`, 1, h, 2 * h, 'B'),
    }));
  }

  /** K^is of the stream s, [B, h, w, 2h] -> gate pre-activations [B, h, w, 4h]. */
  private inputToState(layer: RowLstmLayer, s: tf.Tensor4D): tf.Tensor4D {
    return maskedConv2d(s, layer.inputWeight as tf.Tensor4D, layer.inputBias as tf.Tensor1D, layer.inputMask);
  }

  /** Eq. 3 for one row: its K^is pre-activations [B, 1, W, 4h] plus K^ss of the row above's states (null above row 0). */
  private rowStep(layer: RowLstmLayer, input: tf.Tensor4D, above: LstmState | null): LstmState {
    return tf.tidy(() => {
      if (above === null) return lstmCell(input, null) as LstmState;
      const pre = tf.add(input, tf.conv2d(above.h, layer.stateWeight as tf.Tensor4D, 1, 'same'));
      return lstmCell(pre, above.c) as LstmState;
    });
  }

  /** One Row LSTM over the residual stream s, [B, H, W, 2h] -> hidden states [B, H, W, h]. */
  protected recurrent(layer: RowLstmLayer, s: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // 1. K^is for every row at once, then split into rows: H x [B, 1, W, 4h].
      const inputs = splitSteps(this.inputToState(layer, s), 1);
      // 2. Eq. 3 row by row, from h_{-1} = c_{-1} = 0.
      const states: tf.Tensor4D[] = [];
      let state: LstmState | null = null;
      for (const input of inputs) {
        state = this.rowStep(layer, input, state);
        states.push(state.h); // [B, 1, W, h]
      }
      return concatSteps(states, 1); // [B, H, W, h]
    });
  }

  /**
   * Sampling's passes for n images, one row at a time as the recurrence runs (Sec. 3.1): the
   * logits of row r come from each layer's states of row r - 1, kept once row r - 1 is final, and
   * the first convolution on rows r - a .. r (a its reach).
   */
  protected sampler(n: number): RasterSampler {
    const { width: W, colors: C, levels: K } = this.spec;
    const KL = logitsPerChannel(K);
    const reach = (this.config.firstKernel - 1) / 2;
    let above: LstmState[] | null = null; // per layer, row r - 1
    const row = (x: Float32Array, r: number) =>
      tf.tidy(() => {
        const r0 = Math.max(0, r - reach);
        const window = imageWindow(x, n, this.spec, r0, r + 1 - r0); // [n, rows, W, C]
        const stream = 2 * this.config.hiddenChannels;
        let s = tf.slice(this.features(window), [0, r - r0, 0, 0], [n, 1, W, stream]) as tf.Tensor4D; // [n, 1, W, 2h]
        const states = this.lstms.map((layer, l) => {
          const state = this.rowStep(layer, this.inputToState(layer, s), above === null ? null : above[l]);
          s = tf.add(s, layer.output.apply(state.h));
          return state;
        });
        return { logits: tf.reshape(outputLogits(this.head, s, this.spec), [n, W, C, KL]) as tf.Tensor4D, states }; // [n, W, C, K']
      });
    const release = () => above?.forEach((state) => tf.dispose([state.h, state.c]));
    return {
      logits: (x, r, c) => {
        const { logits, states } = row(x, r);
        const pixel = tf.tidy(() => tf.reshape(tf.slice(logits, [0, c, 0, 0], [n, 1, C, KL]), [n, C, KL])); // [n, C, K']
        tf.dispose([logits, ...states.flatMap((state) => [state.h, state.c])]);
        return pixel;
      },
      rowDone: (x, r) => {
        const { logits, states } = row(x, r);
        logits.dispose();
        release();
        above = states;
      },
      dispose: release,
    };
  }

  override dispose(): void {
    super.dispose();
    for (const layer of this.lstms) layer.inputMask.dispose();
  }
}
