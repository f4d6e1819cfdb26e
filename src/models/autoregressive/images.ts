/**
 * Shared pieces of the PixelRNN image models (src/models/autoregressive/rowlstm.ts and
 * diagbilstm.ts; van den Oord, Kalchbrenner & Kavukcuoglu 2016): the conditionals of Eq. 2 as one
 * Bernoulli (binary data) or K-way softmax (Sec. 2.2) per channel, input checks, and sampling /
 * completion in raster order, R -> G -> B within a pixel. PixelCnn keeps its own copies, with its
 * window crop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check, UserError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { Batch, LossTerms, SampleOptions, TrainContext } from '../model.js';
import { NeuralModel } from '../neuralModel.js';
import type { MaskedConv2d } from '../../nn/maskedConv2d.js';
import { bernoulliLogProb } from './binary.js';

/** An image model's input: [H, W, C] with values 0..levels-1 per channel. */
export interface ImageSpec {
  height: number;
  width: number;
  /** Colour channels C (1 or 3). */
  colors: number;
  /** Values per channel K: 2 = Bernoulli, K > 2 = K-way softmax. */
  levels: number;
}

/** Logits per channel: 1 (Bernoulli) for binary data, K (softmax) otherwise. */
export function logitsPerChannel(levels: number): number {
  return levels === 2 ? 1 : levels;
}

/** Checks an image shape and the levels (the config's other fields are the model's to check). */
/** Values per image, H * W * C. */
export function imageSize(spec: ImageSpec): number {
  return spec.height * spec.width * spec.colors;
}

/** What the first layer sees: binary images as they are, K-level values scaled to [0, 1]. */
export function networkInput(x: tf.Tensor4D, levels: number): tf.Tensor4D {
  return levels === 2 ? x : (tf.div(x, levels - 1) as tf.Tensor4D);
}

/**
 * The output layers shared by PixelCNN and PixelRNN: ReLU, 1x1, ReLU, 1x1 (both mask B), from the
 * feature stream [B, h, w, F] to logits [B, h, w, C] (binary) or [B, h, w, C, K] (K-way softmax).
 */
export function outputLogits(head: readonly [MaskedConv2d, MaskedConv2d], s: tf.Tensor4D, spec: ImageSpec): tf.Tensor {
  return tf.tidy(() => {
    const out = head[1].apply(tf.relu(head[0].apply(tf.relu(s)))); // [B, h, w, C * K']
    if (spec.levels === 2) return out;
    const [B, rows, cols] = out.shape;
    return tf.reshape(out, [B, rows, cols, spec.colors, spec.levels]); // [B, h, w, C, K]: channel c * K + k
  });
}

export function checkImageSpec(model: string, inputShape: number[], levels: number): ImageSpec {
  check(
    inputShape.length === 3 && inputShape.every((d) => Number.isInteger(d) && d >= 1),
    `${model}: needs images [H, W, C], got shape [${inputShape.join(', ')}]`,
  );
  const [height, width, colors] = inputShape;
  check(colors === 1 || colors === 3, `${model}: images need 1 or 3 channels, got ${colors}`);
  check(Number.isInteger(levels) && levels >= 2, `${model}: levels must be an integer >= 2, got ${levels}`);
  return { height, width, colors, levels };
}

/** Rejects batches of the wrong size or with values outside 0..K-1 (a silent wrong answer otherwise). */
export function checkImageBatch(model: string, spec: ImageSpec, batch: Batch): void {
  const D = spec.height * spec.width * spec.colors;
  check(batch.x.length === batch.n * D, () => `${model}: expected ${batch.n} x ${D} values, got ${batch.x.length}`);
  const top = spec.levels - 1;
  for (let i = 0; i < batch.x.length; i++) {
    const v = batch.x[i];
    if (!(Number.isInteger(v) && v >= 0 && v <= top)) {
      throw new UserError(`${model}: value ${v} at index ${i} is not an integer in 0..${top} (levels = ${top + 1})`);
    }
  }
}

/**
 * log p(x) per example, [B], from `logits` mapping images [B, H, W, C] (values 0..K-1) to [B, H, W, C]
 * (binary) or [B, H, W, C, K] logits; `x` is [B * H * W * C].
 */
export function imageLogProb(spec: ImageSpec, x: Float32Array, n: number, logits: (images: tf.Tensor4D) => tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const { height: H, width: W, colors: C, levels: K } = spec;
    const D = H * W * C;
    const images = tf.tensor4d(x, [n, H, W, C]);
    const l = logits(images);
    if (K === 2) return bernoulliLogProb(tf.reshape(images, [n, D]), tf.reshape(l, [n, D])); // [B, D]
    // Picking log p(observed level) with a one-hot product keeps gathers off the gradient path.
    const observed = tf.oneHot(tf.tensor1d(Int32Array.from(x), 'int32'), K); // [B * D, K]
    const logp = tf.mul(tf.logSoftmax(tf.reshape(l, [n * D, K])), observed); // [B * D, K]
    return tf.sum(tf.reshape(logp, [n, D * K]), 1) as tf.Tensor1D; // [B]
  });
}

/**
 * What raster sampling asks of a model, for one batch of n images x ([n * H * W * C]) being filled.
 * `logits(x, r, c)`: the logits of pixel (r, c), [n, C, K'], from the values before it (later ones
 * are never read). `pixelDone(x, r, c)` and `rowDone(x, r)`: pixel (r, c), resp. row r, is final
 * (called for every pixel and row, in raster order), so a model may keep what later pixels need,
 * e.g. the states of its recurrences. `dispose()`: sampling is over.
 */
export interface RasterSampler {
  logits(x: Float32Array, r: number, c: number): tf.Tensor;
  pixelDone?(x: Float32Array, r: number, c: number): void;
  rowDone?(x: Float32Array, r: number): void;
  dispose?(): void;
}

/**
 * Rows r0 .. r0 + rows - 1 and columns c0 .. c0 + cols - 1 of n images [H, W, C] (all columns by
 * default), as a tensor [n, rows, cols, C].
 */
export function imageWindow(x: Float32Array, n: number, spec: ImageSpec, r0: number, rows: number, c0 = 0, cols = spec.width): tf.Tensor4D {
  const { height: H, width: W, colors: C } = spec;
  const out = new Float32Array(n * rows * cols * C);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = r0; r < r0 + rows; r++) {
      const start = ((b * H + r) * W + c0) * C;
      out.set(x.subarray(start, start + cols * C), o);
      o += cols * C;
    }
  }
  return tf.tensor4d(out, [n, rows, cols, C]);
}

/** The batch's values with missing entries zeroed (any value may stand there), checked. */
export function completionInput(model: string, spec: ImageSpec, batch: Batch, missing: Uint8Array): Float32Array {
  const D = spec.height * spec.width * spec.colors;
  check(batch.x.length === batch.n * D, () => `${model}: expected ${batch.n} x ${D} values, got ${batch.x.length}`);
  check(missing.length === D, `${model}: mask has ${missing.length} entries, the model expects ${D}`);
  const x = Float32Array.from(batch.x);
  for (let i = 0; i < x.length; i++) if (missing[i % D]) x[i] = 0;
  checkImageBatch(model, spec, { x, n: batch.n });
  return x;
}

/**
 * Draws the entries of `x` ([n * H * W * C]) where `missing` ([H * W * C], shared by the batch) is
 * 1 in place, in raster order, R -> G -> B within a pixel, each from p(x_i | x_<i) with the observed
 * and already drawn values before it, one `logits` pass per missing entry. Observed entries stay;
 * observed values after a missing one are not conditioned on (the model cannot look ahead), so this
 * is exact for p(missing | observed) only when every missing entry comes after all observed ones.
 */
export async function fillRaster(
  model: string,
  spec: ImageSpec,
  sampler: RasterSampler,
  x: Float32Array,
  n: number,
  missing: Uint8Array,
  rng: Rng,
  temperature: number,
): Promise<Float32Array> {
  check(temperature > 0 && Number.isFinite(temperature), `${model}: temperature must be > 0, got ${temperature}`);
  if (n === 0) return x;
  const { height: H, width: W, colors: C, levels: K } = spec;
  const KL = logitsPerChannel(K);
  const D = H * W * C;
  const probs = new Float64Array(K);
  try {
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        for (let ch = 0; ch < C; ch++) {
          const i = (r * W + c) * C + ch;
          if (!missing[i]) continue;
          // 1. One pass for pixel (r, c), keeping channel ch's logits: [n, K'].
          const p = tf.tidy(() => {
            const pixel = tf.reshape(sampler.logits(x, r, c), [n, C, KL]); // [n, C, K']
            const l = tf.div(tf.reshape(tf.slice(pixel, [0, ch, 0], [n, 1, KL]), [n, KL]), temperature);
            return K === 2 ? tf.sigmoid(l) : tf.softmax(l);
          });
          const values = await p.data();
          p.dispose();
          // 2. Draw x_i for every example: Bernoulli, or the inverse CDF of the softmax.
          for (let b = 0; b < n; b++) {
            if (K === 2) {
              x[b * D + i] = rng.uniform() < values[b] ? 1 : 0;
            } else {
              for (let k = 0; k < K; k++) probs[k] = values[b * K + k];
              x[b * D + i] = drawCategorical(probs, rng.uniform());
            }
          }
        }
        sampler.pixelDone?.(x, r, c);
      }
      sampler.rowDone?.(x, r);
    }
  } finally {
    sampler.dispose?.();
  }
  return x;
}

/** The smallest k with p_0 + ... + p_k > u; the last state with p_k > 0 if rounding leaves u uncovered. */
export function drawCategorical(p: Float64Array, u: number): number {
  let cum = 0;
  let last = 0;
  for (let k = 0; k < p.length; k++) {
    if (p[k] > 0) last = k;
    cum += p[k];
    if (cum > u && p[k] > 0) return k;
  }
  return last;
}

/**
 * What PixelCNN, Row LSTM and Diagonal BiLSTM share: training on and scoring the exact raster-order
 * log-likelihood, and sampling / completing one (pixel, channel) at a time. A model supplies its
 * image spec, its logits for whole images and its sampler (the passes that give one pixel's logits).
 */
export abstract class RasterImageModel<Config extends { seed: number }> extends NeuralModel<Config> {
  abstract readonly name: string;
  protected abstract readonly spec: ImageSpec;
  /** Logits of every conditional for images of values 0..K-1: [B, h, w, C] or [B, h, w, C, K]. */
  abstract logits(x: tf.Tensor4D): tf.Tensor;
  /** The passes that give the logits of pixel (r, c) while n images are drawn in raster order. */
  protected abstract sampler(n: number): RasterSampler;

  protected get size(): number {
    return imageSize(this.spec);
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    checkImageBatch(this.name, this.spec, batch);
    return {
      loss: tf.neg(tf.mean(imageLogProb(this.spec, batch.x, batch.n, (images) => this.logits(images)))) as tf.Scalar,
    };
  }

  async logProb(batch: Batch): Promise<Float64Array> {
    checkImageBatch(this.name, this.spec, batch);
    const logp = imageLogProb(this.spec, batch.x, batch.n, (images) => this.logits(images));
    const out = Float64Array.from(await logp.data());
    logp.dispose();
    return out;
  }

  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    check(Number.isInteger(n) && n >= 0, `${this.name}: sample count must be an integer >= 0, got ${n}`);
    const all = new Uint8Array(this.size).fill(1);
    return fillRaster(this.name, this.spec, this.sampler(n), new Float32Array(n * this.size), n, all, rng, options.temperature ?? 1);
  }

  /**
   * Draws the entries where `missing` ([H * W * C], shared by the batch) is 1 in raster order, each
   * from p(x_i | x_<i) with the observed and already drawn values before it; observed entries stay.
   * Observed pixels after a missing one are not conditioned on (the model cannot look ahead), so
   * this is exact for p(missing | observed) only when every missing entry comes after all observed
   * ones, e.g. completing the bottom of an image from its top.
   */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    const x = completionInput(this.name, this.spec, batch, missing);
    return fillRaster(this.name, this.spec, this.sampler(batch.n), x, batch.n, missing, rng, 1);
  }
}
