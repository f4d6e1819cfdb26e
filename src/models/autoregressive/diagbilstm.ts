/**
 * PixelRNN with Diagonal BiLSTM layers (van den Oord, Kalchbrenner & Kavukcuoglu 2016, "Pixel
 * Recurrent Neural Networks", ICML; arXiv:1601.06759, Sec. 3.2). An image is modelled in raster
 * order, rows top to bottom, pixels left to right, channels R -> G -> B within a pixel (Eqs. 1-2),
 * every conditional a Bernoulli (binary data) or a K-way softmax (Sec. 2.2), as in PixelCnn.
 *
 * A Diagonal BiLSTM layer scans the image along its diagonals. The input map is skewed, row r
 * shifted r columns to the right (Fig. 3; [H, W] -> [H, W + H - 1], src/nn/lstm.ts' skew), so that
 * each diagonal r + c = j becomes column j, and an LSTM runs over the columns left to right, all
 * positions of a column in parallel. Its input-to-state component K^is is a 1 x 1 convolution
 * (mask B), its state-to-state component K^ss a convolution of kernel 2 along the previous column,
 * which in the skewed map holds the pixel to the left (same row) and the pixel above (row above):
 *
 *   [o_j, f_j, i_j, g_j] = [sigmoid, sigmoid, sigmoid, tanh](K^ss * h_{j-1} + K^is * x_j)   (Eq. 3)
 *   c_j = f_j . c_{j-1} + i_j . g_j,   h_j = o_j . tanh(c_j)
 *
 * so the state at (r, c) has seen every pixel above and to the left of it. A second LSTM does the
 * same on the mirrored image (right to left: every pixel above and to the right, but also the
 * pixels to the right in its own row, which are still to come); its output map is shifted down by
 * one row before it is added to the left-to-right one, leaving rows r' < r from it.
 *
 * Together they cover the whole past after one layer (Fig. 4) but for one pixel: the last pixel
 * of the row above, (r - 1, W - 1), when c < W - 1 - a (a = (firstKernel - 1) / 2). Mask A keeps
 * it out of its own position's features, so only positions after it in raster order carry it (the
 * first convolution's reach in row r, from c >= W - 1 - a), and neither direction brings those to
 * (r, c). More layers do not change this. The tests compose the fields layer by layer and compare
 * them with the autograd ones, pixel for pixel.
 *
 * The network (Sec. 3.3 and the paper's architecture table, Table 1; the stream and head in ./pixelrnn.ts):
 *
 *   firstKernel^2 (7x7) conv, mask A                                              C -> 2h
 *   `layers` Diagonal BiLSTM layers, each residual: s + [1x1 conv, mask B](BiLSTM_h(s))   2h -> 2h
 *   ReLU, 1x1 conv 2h -> 2h, ReLU, 1x1 conv 2h -> C * K', mask B
 *
 * with K' = 1 logit per channel for binary data and K otherwise. Colour channels (Sec. 3.4): every
 * feature map is split into C contiguous groups, the gates of a hidden unit in the unit's group; the
 * 1 x 1 convolutions at a pixel's own position carry the channel masks, K^ss reads earlier pixels
 * only and needs none.
 *
 * Both directions run in one loop of W + H - 1 steps: their gates and states sit side by side, and
 * K^ss is one block-diagonal convolution so that neither reads the other's states. The mirrored
 * map skewed right is the map skewed left with its columns reversed, so the right-to-left LSTM
 * reads the left skew from its last column back (no mirroring). Sampling draws one (pixel,
 * channel) at a time, each pass one step of the left-to-right recurrence at that pixel; the
 * right-to-left one runs once a row is complete.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gateBias, gateMask, GATES, concatSteps, lstmCell, skew, splitSteps, unskew } from '../../nn/lstm.js';
import { type MaskedConv2d, maskedConv2d, maskValues } from '../../nn/maskedConv2d.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { GenerativeModel } from '../model.js';
import { outputLogits, logitsPerChannel, imageWindow, type RasterSampler } from './images.js';
import { defaultsOf } from '../options.js';
import { PixelRnnModel, pixelRnnOptions, type PixelRnnConfig } from './pixelrnn.js';

/**
 * PixelRnnConfig (./pixelrnn.ts). Timing: h = 16 with 1 layer trains a 28 x 28 MNIST batch of 32 in
 * ~0.6 s on two CPU cores with the wasm backend (~19 minutes per 60k-image epoch; binary data):
 * W + H - 1 = 55 small recurrent steps per direction and layer. One layer already sees all earlier
 * pixels (but one, see the header); more add depth, each costing about as much as the first
 * (2 layers: ~1.4 s per MNIST step).
 */
export type DiagonalBiLstmConfig = PixelRnnConfig;

export const DIAGBILSTM_OPTIONS = pixelRnnOptions(1);

export const DIAGBILSTM_DEFAULTS: Readonly<DiagonalBiLstmConfig> = defaultsOf(DIAGBILSTM_OPTIONS);

/** An LSTM's hidden and cell states, h and c. */
type LstmState = { h: tf.Tensor4D; c: tf.Tensor };

/** One direction's LSTM in a Diagonal BiLSTM layer (Sec. 3.2). */
interface DiagonalLstm {
  /** K^is: 1 x 1, mask B, 2h -> 4h gate pre-activations [o | f | i | g]. */
  inputWeight: tf.Variable;
  inputBias: tf.Variable;
  /** K^ss: kernel 2 down the previous column (taps: row r - 1, row r), h -> 4h, no mask. */
  stateWeight: tf.Variable;
}

/** One Diagonal BiLSTM layer with its residual connection (Sec. 3.2, 3.3). */
interface DiagonalLayer {
  leftToRight: DiagonalLstm;
  rightToLeft: DiagonalLstm;
  /** 1 x 1, mask B, h -> 2h: the summed directions back to the residual stream. */
  output: MaskedConv2d;
}

export class DiagonalBiLstm extends PixelRnnModel<DiagonalLayer> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'diagbilstm';
  readonly densityKind = 'exact';
  /** K^is's mask [1, 1, 2h, 4h]: mask B by colour group, the same for every gate of a unit. */
  private readonly inputMask: tf.Tensor4D;

  constructor(config: Partial<DiagonalBiLstmConfig>, readonly inputShape: number[]) {
    super('diagbilstm', { ...DIAGBILSTM_DEFAULTS, ...config }, inputShape);
    const { hiddenChannels: h } = this.config;
    const C = this.spec.colors;
    const unitMask = maskValues({ kernel: 1, inChannels: 2 * h, outChannels: h, mask: 'B', groups: C }); // [1, 1, 2h, h]
    this.inputMask = tf.tensor4d(gateMask(unitMask, h), [1, 1, 2 * h, GATES * h]);

    const lstm = (name: string): DiagonalLstm => ({
      inputWeight: this.params.add(`${name}/inputToState/W`, [1, 1, 2 * h, GATES * h], { type: 'glorot', fanIn: 2 * h, fanOut: GATES * h }),
      inputBias: gateBias(this.params, `${name}/inputToState/b`, h),
      stateWeight: this.params.add(`${name}/stateToState/W`, [2, 1, h, GATES * h], { type: 'glorot', fanIn: 2 * h, fanOut: 2 * GATES * h }),
    });
    this.build((l) => ({
      leftToRight: lstm(`layer${l}/leftToRight`),
      rightToLeft: lstm(`layer${l}/rightToLeft`),
      output: this.conv(`layer${l}/output`, 1, h, 2 * h, 'B'),
    }));
  }

  /** One direction's K^is of the stream s, [B, h, w, 2h] -> gate pre-activations [B, h, w, 4h]. */
  private inputToState(direction: DiagonalLstm, s: tf.Tensor4D): tf.Tensor4D {
    return maskedConv2d(s, direction.inputWeight as tf.Tensor4D, direction.inputBias as tf.Tensor1D, this.inputMask);
  }

  /**
   * One Diagonal BiLSTM over the residual stream s, [B, H, W, 2h] -> [B, H, W, h]: the
   * left-to-right states plus the right-to-left ones from the row above.
   */
  protected recurrent(layer: DiagonalLayer, s: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [B, H, W] = s.shape;
      const h = this.config.hiddenChannels;
      const { leftToRight: ltr, rightToLeft: rtl } = layer;
      // 1. K^is at every pixel, skewed so that each step is one column: S = W + H - 1 columns
      //    [B, H, 1, 4h]. Left to right runs down the diagonals r + c = j (right skew, columns first
      //    to last). Right to left would run on the mirror image skewed the same way; its column j is
      //    column S - 1 - j of the left skew, which is what it reads here (no mirroring needed).
      const ltrInputs = splitSteps(skew(this.inputToState(ltr, s), 'right'), 2);
      const rtlInputs = splitSteps(skew(this.inputToState(rtl, s), 'left'), 2);
      const S = ltrInputs.length;
      // 2. K^ss of both directions as one block-diagonal kernel 2 x 1 convolution, 2h -> 8h, on the
      //    states [left-to-right | right-to-left] of the previous column at rows r - 1 and r: the
      //    pixel above and the pixel to the left (right) of (r, c). The top padding row ends it at r.
      const zeros = tf.zeros([2, 1, h, GATES * h]);
      const stateWeight = tf.concat(
        [tf.concat([ltr.stateWeight, zeros], 3), tf.concat([zeros, rtl.stateWeight], 3)],
        2,
      ) as tf.Tensor4D; // [2, 1, 2h, 8h]
      // 3. Eq. 3 column by column, from h_{-1} = c_{-1} = 0, both directions side by side on the
      //    width axis: [B, H, 2, 4h] gates -> [B, H, 2, h] states. The skew pads K^is with zeros
      //    (its bias is inside), and an LSTM fed zeros from a zero state stays at zero (g = tanh(0)),
      //    so the states before a row's first pixel are zero, as above the first row: each row's
      //    recurrence starts at its edge, and sampling can start it there too.
      const ltrStates: tf.Tensor4D[] = [];
      const rtlStates: tf.Tensor4D[] = [];
      let states: tf.Tensor4D | null = null; // [B, H, 1, 2h]
      let c: tf.Tensor | null = null;
      for (let j = 0; j < S; j++) {
        let pre: tf.Tensor4D = tf.concat([ltrInputs[j], rtlInputs[S - 1 - j]], 3); // [B, H, 1, 8h]
        if (states !== null) pre = tf.add(pre, tf.conv2d(states, stateWeight, 1, [[0, 0], [1, 0], [0, 0], [0, 0]]));
        const next = lstmCell(tf.reshape(pre, [B, H, 2, GATES * h]), c);
        c = next.c;
        states = tf.reshape(next.h, [B, H, 1, 2 * h]);
        const [l, r] = tf.split(states, 2, 3) as tf.Tensor4D[]; // [B, H, 1, h] each
        ltrStates.push(l);
        rtlStates.unshift(r); // back in left-skew column order
      }
      // 4. Unskew both; shift right to left down one row: (r, c) gets the right-to-left states of
      //    (r - 1, c), which have seen rows 0..r-1 only.
      const left = unskew(concatSteps(ltrStates, 2), W, 'right'); // [B, H, W, h]
      if (H === 1) return left;
      const right = unskew(concatSteps(rtlStates, 2), W, 'left'); // [B, H, W, h]
      const rightDown = tf.pad(tf.slice(right, [0, 0, 0, 0], [B, H - 1, W, h]), [[0, 0], [1, 0], [0, 0], [0, 0]]); // [B, H, W, h]
      return tf.add(left, rightDown);
    });
  }

  /**
   * Eq. 3 at one pixel for one direction (sampling): its K^is pre-activations `input` [n, 1, 1, 4h]
   * plus K^ss of the states of the pixel above (`above`, h only) and of the pixel before it in the
   * direction's row (`before`, whose c the cell carries on); null outside the image.
   */
  private pixelStep(direction: DiagonalLstm, input: tf.Tensor4D, above: tf.Tensor4D | null, before: LstmState | null): LstmState {
    return tf.tidy(() => {
      if (above === null && before === null) return lstmCell(input, null) as LstmState;
      const zeros = () => tf.zeros([input.shape[0], 1, 1, this.config.hiddenChannels]) as tf.Tensor4D;
      const column = tf.concat([above ?? zeros(), before?.h ?? zeros()], 1) as tf.Tensor4D; // [n, 2, 1, h]: rows r - 1, r
      const pre = tf.add(input, tf.conv2d(column, direction.stateWeight as tf.Tensor4D, 1, 'valid'));
      return lstmCell(pre, before?.c ?? null) as LstmState;
    });
  }

  /**
   * Sampling's passes for n images, one pixel at a time as the recurrences run: the logits of (r, c)
   * from each layer's left-to-right states of (r, c - 1) and (r - 1, c) and right-to-left states of
   * row r - 1, kept as pixels and rows become final, and the first convolution on the window around
   * (r, c) that it reads. Once row r is final, each layer's right-to-left LSTM runs along it from
   * the right: row r + 1 needs its states. Exact because states outside the image are zero.
   */
  protected sampler(n: number): RasterSampler {
    const { width: W, colors: C, levels: K } = this.spec;
    const h = this.config.hiddenChannels;
    const KL = logitsPerChannel(K);
    const reach = (this.config.firstKernel - 1) / 2;
    // Per layer, both directions' hidden states of row r - 1, [n, 1, W, h] each (null on row 0) ...
    let above: { ltr: tf.Tensor4D; rtl: tf.Tensor4D }[] | null = null;
    // ... and, along row r so far, per layer and pixel: the layer's input [n, 1, 1, 2h] and left-to-right states.
    let inputs: tf.Tensor4D[][] = this.lstms.map(() => []);
    let ltrRow: LstmState[][] = this.lstms.map(() => []);
    const at = (row: tf.Tensor4D, c: number) => tf.slice(row, [0, 0, c, 0], [n, 1, 1, h]) as tf.Tensor4D; // [n, 1, 1, h]

    // 1. One pass at (r, c): the logits [n, C, K'], and each layer's input and left-to-right states there.
    const pass = (x: Float32Array, r: number, c: number) =>
      tf.tidy(() => {
        const [r0, c0, c1] = [Math.max(0, r - reach), Math.max(0, c - reach), Math.min(W - 1, c + reach)];
        const window = imageWindow(x, n, this.spec, r0, r - r0 + 1, c0, c1 - c0 + 1); // [n, rows, cols, C]
        let s = tf.slice(this.features(window), [0, r - r0, c - c0, 0], [n, 1, 1, 2 * h]) as tf.Tensor4D; // [n, 1, 1, 2h]
        const layerInputs: tf.Tensor4D[] = [];
        const ltr: LstmState[] = [];
        this.lstms.forEach((layer, l) => {
          layerInputs.push(s);
          const d = layer.leftToRight;
          const state = this.pixelStep(d, this.inputToState(d, s), above && at(above[l].ltr, c), c > 0 ? ltrRow[l][c - 1] : null);
          ltr.push(state);
          // The right-to-left states of (r - 1, c): its output map shifted down one row.
          s = tf.add(s, layer.output.apply(above === null ? state.h : tf.add(state.h, at(above[l].rtl, c))));
        });
        return { logits: tf.reshape(outputLogits(this.head, s, this.spec), [n, C, KL]) as tf.Tensor3D, inputs: layerInputs, ltr };
      });
    const statesOf = (states: LstmState[]) => states.flatMap((state) => [state.h, state.c]);
    const release = () => {
      tf.dispose([...(above ?? []).flatMap((a) => [a.ltr, a.rtl]), ...inputs.flat(), ...statesOf(ltrRow.flat())]);
      above = null;
      inputs = this.lstms.map(() => []);
      ltrRow = this.lstms.map(() => []);
    };
    return {
      logits: (x, r, c) => {
        const p = pass(x, r, c);
        tf.dispose([...p.inputs, ...statesOf(p.ltr)]);
        return p.logits;
      },
      pixelDone: (x, r, c) => {
        const p = pass(x, r, c);
        p.logits.dispose();
        p.inputs.forEach((t, l) => inputs[l].push(t));
        p.ltr.forEach((state, l) => ltrRow[l].push(state));
      },
      // 2. Row r is final: run each layer's right-to-left LSTM along it, from the right.
      rowDone: () => {
        const next = tf.tidy(() =>
          this.lstms.map((layer, l) => {
            const d = layer.rightToLeft;
            const rtl: tf.Tensor4D[] = new Array(W);
            let before: LstmState | null = null;
            for (let c = W - 1; c >= 0; c--) {
              before = this.pixelStep(d, this.inputToState(d, inputs[l][c]), above && at(above[l].rtl, c), before);
              rtl[c] = before.h;
            }
            const ltr = tf.concat(ltrRow[l].map((state) => state.h), 2) as tf.Tensor4D; // [n, 1, W, h]
            return { ltr, rtl: tf.concat(rtl, 2) as tf.Tensor4D };
          }),
        );
        release();
        above = next;
      },
      dispose: release,
    };
  }

  override dispose(): void {
    super.dispose();
    this.inputMask.dispose();
  }
}
