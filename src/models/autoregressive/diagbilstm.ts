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
 * one row before it is added to the left-to-right one, leaving rows r' < r from it. Both together
 * give (r, c) every earlier pixel: the receptive field is the whole past after one layer (Fig. 4).
 *
 * The network (Sec. 3.3 and the paper's architecture table, Table 1):
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
 * Both directions run in one loop of W + H - 1 steps: their gates and states sit side by side in
 * the channels, and K^ss is masked block-diagonal so that neither reads the other's states.
 * Sampling draws one (pixel, channel) at a time, each pass on rows 0..r (nothing looks down).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { gateBias, GATES, lstmCell, repeatOutputMask, skew, unskew } from '../../nn/lstm.js';
import { MaskedConv2d, maskedConv2d, maskValues } from '../../nn/maskedConv2d.js';
import { Parameters } from '../../nn/parameters.js';
import { gradientStep } from '../../nn/step.js';
import type { Batch, Capabilities, GenerativeModel, NamedArray, SampleOptions, StepMetrics, TrainContext } from '../model.js';
import {
  checkImageBatch,
  checkImageSpec,
  completionInput,
  fillRaster,
  imageLogProb,
  type ImageSpec,
  logitsPerChannel,
  topRows,
} from './images.js';

export interface DiagonalBiLstmConfig {
  /**
   * LSTM units h of each direction of each layer; the residual stream between layers has 2h
   * feature maps (Sec. 3.3). 16 is the paper's MNIST width; with 1 layer a 28 x 28 MNIST batch
   * of 32 trains in ~0.5 s on two CPU cores with the wasm backend (~16 minutes per 60k-image epoch;
   * binary data). For RGB, h >= 3.
   */
  hiddenChannels: number;
  /**
   * Diagonal BiLSTM layers (the paper: 7 on MNIST, 12 on CIFAR-10). One already sees every
   * earlier pixel; more add depth, each costing as much as the first.
   */
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

export const DIAGBILSTM_DEFAULTS: Readonly<DiagonalBiLstmConfig> = Object.freeze({
  hiddenChannels: 16,
  layers: 1,
  firstKernel: 7,
  levels: 2,
  seed: 0,
});

export const DIAGBILSTM_CAPABILITIES: Capabilities = Object.freeze({ density: 'exact', latent: false, conditional: false, completion: true });

/** The two LSTM directions, side by side in the channels: [left-to-right | right-to-left]. */
const DIRECTIONS = 2;

/** One Diagonal BiLSTM layer with its residual connection (Sec. 3.2, 3.3). */
interface DiagonalLayer {
  /**
   * K^is of both directions: 1 x 1, mask B, 2h -> 8h gate pre-activations, laid out
   * [o | f | i | g] x [left-to-right | right-to-left] x h.
   */
  inputWeight: tf.Variable;
  inputBias: tf.Variable;
  /** K^ss of both directions: kernel 2 down the column (row r - 1, row r), 2h states -> 8h. */
  stateWeight: tf.Variable;
  /** 1 x 1, mask B, h -> 2h: the summed directions back to the residual stream. */
  output: MaskedConv2d;
}

export class DiagonalBiLstm implements GenerativeModel {
  readonly name = 'diagbilstm';
  readonly capabilities = DIAGBILSTM_CAPABILITIES;
  readonly optimizerNames = ['main'];
  readonly config: DiagonalBiLstmConfig;
  private readonly spec: ImageSpec;
  private readonly params: Parameters;
  private readonly first: MaskedConv2d;
  private readonly lstms: DiagonalLayer[] = [];
  private readonly head: [MaskedConv2d, MaskedConv2d];
  /** K^is's mask [1, 1, 2h, 8h]: mask B by colour group for every gate of both directions. */
  private readonly inputMask: tf.Tensor4D;
  /** K^ss's mask [2, 1, 2h, 8h]: block-diagonal, each direction reads its own states only. */
  private readonly stateMask: tf.Tensor4D;
  /** [8h] 1 on the left-to-right gates, 0 on the right-to-left ones. */
  private readonly leftToRight: tf.Tensor1D;
  /** [8h] the complement of `leftToRight`. */
  private readonly rightToLeft: tf.Tensor1D;

  constructor(config: Partial<DiagonalBiLstmConfig>, readonly inputShape: number[]) {
    this.config = { ...DIAGBILSTM_DEFAULTS, ...config };
    const { hiddenChannels: h, layers, firstKernel, levels, seed } = this.config;
    this.spec = checkImageSpec('diagbilstm', inputShape, levels);
    const C = this.spec.colors;
    check(Number.isInteger(h) && h >= C, `diagbilstm: hiddenChannels must be an integer >= ${C}, got ${h}`);
    check(Number.isInteger(layers) && layers >= 0, `diagbilstm: layers must be an integer >= 0, got ${layers}`);
    check(
      Number.isInteger(firstKernel) && firstKernel >= 1 && firstKernel % 2 === 1,
      `diagbilstm: firstKernel must be an odd integer >= 1, got ${firstKernel}`,
    );
    check(Number.isInteger(seed), `diagbilstm: seed must be an integer, got ${seed}`);

    // Channel b * h + j of the 8h gates is unit j of gate floor(b / 2), direction b mod 2.
    const gates = GATES * DIRECTIONS * h;
    const unitMask = maskValues({ kernel: 1, inChannels: 2 * h, outChannels: h, mask: 'B', groups: C }); // [1, 1, 2h, h]
    this.inputMask = tf.tensor4d(repeatOutputMask(unitMask, h, GATES * DIRECTIONS), [1, 1, 2 * h, gates]);
    const stateMask = new Float32Array(2 * 2 * h * gates); // [2, 1, 2h, 8h]
    for (let tap = 0; tap < 2; tap++) {
      for (let i = 0; i < 2 * h; i++) {
        for (let o = 0; o < gates; o++) {
          if (Math.floor(i / h) === Math.floor(o / h) % DIRECTIONS) stateMask[(tap * 2 * h + i) * gates + o] = 1;
        }
      }
    }
    this.stateMask = tf.tensor4d(stateMask, [2, 1, 2 * h, gates]);
    const direction = Float32Array.from({ length: gates }, (_, o) => Math.floor(o / h) % DIRECTIONS);
    this.leftToRight = tf.tensor1d(direction.map((d) => 1 - d));
    this.rightToLeft = tf.tensor1d(direction);

    this.params = new Parameters(new Rng(seed));
    const conv = (name: string, k: number, inChannels: number, outChannels: number, mask: 'A' | 'B') =>
      new MaskedConv2d(this.params, name, { kernel: k, inChannels, outChannels, mask, groups: C });
    this.first = conv('input', firstKernel, C, 2 * h, 'A');
    for (let l = 0; l < layers; l++) {
      this.lstms.push({
        // Glorot per direction: each direction's gates read the 2h stream, resp. its own h states over 2 taps.
        inputWeight: this.params.add(`layer${l}/inputToState/W`, [1, 1, 2 * h, gates], { type: 'glorot', fanIn: 2 * h, fanOut: GATES * h }),
        inputBias: gateBias(this.params, `layer${l}/inputToState/b`, DIRECTIONS * h),
        stateWeight: this.params.add(`layer${l}/stateToState/W`, [2, 1, 2 * h, gates], { type: 'glorot', fanIn: 2 * h, fanOut: 2 * GATES * h }),
        output: conv(`layer${l}/output`, 1, h, 2 * h, 'B'),
      });
    }
    this.head = [conv('head0', 1, 2 * h, 2 * h, 'B'), conv('head1', 1, 2 * h, C * logitsPerChannel(levels), 'B')];
  }

  private get size(): number {
    return this.spec.height * this.spec.width * this.spec.colors;
  }

  /**
   * Logits of every conditional for images of values 0..K-1, of any height and width:
   * [B, h, w, C] -> [B, h, w, C] (binary: logit p(x = 1)) or [B, h, w, C, K] (softmax logits).
   */
  logits(x: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      const K = this.config.levels;
      let s = this.first.apply(K === 2 ? x : tf.div(x, K - 1)); // [B, h, w, 2h]
      for (const layer of this.lstms) s = tf.add(s, layer.output.apply(this.diagonalBiLstm(layer, s))); // Sec. 3.3
      const out = this.head[1].apply(tf.relu(this.head[0].apply(tf.relu(s)))); // [B, h, w, C * K']
      if (K === 2) return out;
      const [B, rows, cols] = out.shape;
      return tf.reshape(out, [B, rows, cols, this.spec.colors, K]); // [B, h, w, C, K]: channel c * K + k
    });
  }

  /**
   * One Diagonal BiLSTM over the residual stream s, [B, H, W, 2h] -> [B, H, W, h]: the
   * left-to-right states plus the right-to-left ones from the row above.
   */
  private diagonalBiLstm(layer: DiagonalLayer, s: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [B, H, W] = s.shape;
      const h = this.config.hiddenChannels;
      const gates = GATES * DIRECTIONS * h;
      // 1. K^is of both directions at once (1 x 1, so it commutes with mirroring); the right-to-left
      //    LSTM is a left-to-right one on the mirror image, so its gates are mirrored: [B, H, W, 8h].
      const isBoth = maskedConv2d(s, layer.inputWeight as tf.Tensor4D, layer.inputBias as tf.Tensor1D, this.inputMask);
      const pre = tf.add(tf.mul(isBoth, this.leftToRight), tf.mul(tf.reverse(isBoth, 2), this.rightToLeft));
      // 2. Skew: column j holds the diagonal r + c = j; unstack (not slice) so the backward pass is one stack.
      const columns = tf.unstack(skew(pre as tf.Tensor4D), 2); // (W + H - 1) x [B, H, 8h]
      // 3. Eq. 3 column by column from h_{-1} = c_{-1} = 0. K^ss reads the previous column at rows
      //    r - 1 and r: padding one row on top makes the kernel-2 convolution end at row r.
      const stateWeight = tf.mul(layer.stateWeight, this.stateMask) as tf.Tensor4D;
      const states: tf.Tensor4D[] = [];
      let hPrev: tf.Tensor4D | null = null;
      let c: tf.Tensor | null = null;
      for (const column of columns) {
        let preJ: tf.Tensor4D = tf.reshape(column, [B, H, 1, gates]); // [B, H, 1, 8h]
        if (hPrev !== null) {
          preJ = tf.add(preJ, tf.conv2d(hPrev, stateWeight, 1, [[0, 0], [1, 0], [0, 0], [0, 0]]));
        }
        const next = lstmCell(preJ, c);
        hPrev = next.h as tf.Tensor4D; // [B, H, 1, 2h]: [left-to-right | right-to-left]
        c = next.c;
        states.push(hPrev);
      }
      // 4. Unskew, mirror the right-to-left states back, and shift them down one row: (r, c) gets the
      //    right-to-left states of (r - 1, c), which have seen rows 0..r-1 only.
      const [ltr, rtlMirrored] = tf.split(unskew(tf.concat(states, 2), W), 2, 3); // [B, H, W, h] each
      const rtl = tf.reverse(rtlMirrored, 2);
      if (H === 1) return ltr as tf.Tensor4D;
      const rtlDown = tf.pad(tf.slice(rtl, [0, 0, 0, 0], [B, H - 1, W, h]), [[0, 0], [1, 0], [0, 0], [0, 0]]); // [B, H, W, h]
      return tf.add(ltr, rtlDown);
    });
  }

  async trainStep(batch: Batch, ctx: TrainContext): Promise<StepMetrics> {
    checkImageBatch('diagbilstm', this.spec, batch);
    return gradientStep(ctx.optimizers.main, this.params.list(), () => ({
      loss: tf.neg(tf.mean(imageLogProb(this.spec, batch.x, batch.n, (images) => this.logits(images)))) as tf.Scalar,
    }));
  }

  async logProb(batch: Batch): Promise<Float64Array> {
    checkImageBatch('diagbilstm', this.spec, batch);
    const logp = imageLogProb(this.spec, batch.x, batch.n, (images) => this.logits(images));
    const out = Float64Array.from(await logp.data());
    logp.dispose();
    return out;
  }

  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    check(Number.isInteger(n) && n >= 0, `diagbilstm: sample count must be an integer >= 0, got ${n}`);
    const all = new Uint8Array(this.size).fill(1);
    return fillRaster('diagbilstm', this.spec, this.rowLogits, new Float32Array(n * this.size), n, all, rng, options.temperature ?? 1);
  }

  /**
   * Draws the entries where `missing` ([H * W * C], shared by the batch) is 1 in raster order, each
   * given the observed and already drawn values before it; observed entries stay (exact for
   * p(missing | observed) when every missing entry comes after all observed ones).
   */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    const x = completionInput('diagbilstm', this.spec, batch, missing);
    return fillRaster('diagbilstm', this.spec, this.rowLogits, x, batch.n, missing, rng, 1);
  }

  /**
   * The logits of row r from a pass on rows 0..r: [n, W, C, K']. Exact: the skewed map of fewer
   * rows is narrower, but a position's states depend only on positions above and to the left in it.
   */
  readonly rowLogits = (x: Float32Array, n: number, r: number): tf.Tensor4D =>
    tf.tidy(() => {
      const { width: W, colors: C, levels: K } = this.spec;
      const rows = tf.tensor4d(topRows(x, n, this.spec, r + 1), [n, r + 1, W, C]);
      const KL = logitsPerChannel(K);
      const logits = tf.reshape(this.logits(rows), [n, r + 1, W, C * KL]); // [n, r + 1, W, C * K']
      return tf.reshape(tf.slice(logits, [0, r, 0, 0], [n, 1, W, C * KL]), [n, W, C, KL]); // [n, W, C, K']
    });

  getConfig(): Record<string, unknown> {
    return { ...this.config };
  }

  getWeights(): NamedArray[] {
    return this.params.getWeights();
  }

  setWeights(weights: NamedArray[]): void {
    this.params.setWeights(weights);
  }

  /** Number of scalar parameters (masked-out weights included). */
  parameterCount(): number {
    return this.params.count();
  }

  dispose(): void {
    this.params.dispose();
    for (const t of [this.inputMask, this.stateMask, this.leftToRight, this.rightToLeft]) t.dispose();
    for (const layer of [this.first, ...this.lstms.map((l) => l.output), ...this.head]) layer.dispose();
  }
}
