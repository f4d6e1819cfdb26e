/**
 * Building blocks of PixelRNN's two-dimensional LSTM layers (van den Oord, Kalchbrenner &
 * Kavukcuoglu 2016, "Pixel Recurrent Neural Networks", ICML; arXiv:1601.06759, Sec. 3.1-3.2):
 * the LSTM cell of Eq. 3 on gate pre-activations, the mask and forget-gate bias of a masked
 * input-to-state convolution whose outputs are gates, the skew / unskew of a feature map that
 * turns diagonals into columns (Fig. 3), and the split of a map into its recurrent steps.
 *
 * Gate layout, everywhere: gate-major blocks [o | f | i | g] of u units each (channel b * u + j is
 * gate b of unit j), so that one split and one sigmoid serve the three sigmoid gates.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Parameters } from './parameters.js';

/** LSTM gates per unit: output o, forget f, input i, content g (Eq. 3). */
export const GATES = 4;

/**
 * One LSTM step (Eq. 3) from pre-activations [..., 4u] = [o | f | i | g] (the sum of the
 * input-to-state and state-to-state convolutions):
 *
 *   o, f, i = sigmoid(.), g = tanh(.);   c = f * c_prev + i * g;   h = o * tanh(c)
 *
 * `cPrev` null is the zero state of a sequence's first step. Returns h and c, [..., u] each.
 */
export function lstmCell(pre: tf.Tensor, cPrev: tf.Tensor | null): { h: tf.Tensor; c: tf.Tensor } {
  return tf.tidy(() => {
    const u = pre.shape[pre.rank - 1] / GATES;
    const [ofi, gPre] = tf.split(pre, [3 * u, u], -1);
    const [o, f, i] = tf.split(tf.sigmoid(ofi), 3, -1);
    const ig = tf.mul(i, tf.tanh(gPre));
    const c = cPrev === null ? ig : tf.add(tf.mul(f, cPrev), ig);
    return { h: tf.mul(o, tf.tanh(c)), c };
  });
}

/**
 * The mask of a convolution onto the four gates of `units` hidden units, [o | f | i | g]: output
 * channel b * units + j (gate b of unit j) gets unit j's connections, so that every gate of a unit
 * keeps the unit's colour group. `base` is the mask onto the units alone, [taps, Cin, units]
 * row-major (src/nn/maskedConv2d.ts' maskValues). Returns [taps, Cin, 4 * units].
 */
export function gateMask(base: Float32Array, units: number): Float32Array {
  const rows = base.length / units; // taps * Cin
  const out = new Float32Array(rows * GATES * units);
  for (let t = 0; t < rows; t++) {
    const from = base.subarray(t * units, (t + 1) * units);
    for (let b = 0; b < GATES; b++) out.set(from, (t * GATES + b) * units);
  }
  return out;
}

/**
 * The bias of the gate pre-activations [o | f | i | g] of `units` units: zero but for the forget
 * gates, which start at 1 (Gers, Schmidhuber & Cummins 2000; Jozefowicz et al. 2015) so that the
 * cell state is carried along the rows / diagonals from the first step of training.
 */
export function gateBias(params: Parameters, name: string, units: number): tf.Variable {
  const bias = params.add(name, [GATES * units], { type: 'zeros' });
  tf.tidy(() => bias.assign(tf.tensor1d(new Float32Array(GATES * units).fill(1, units, 2 * units))));
  return bias;
}

/** Which way `skew` shifts the rows: 'right' (row r by r) or 'left' (row r by H - 1 - r, i.e. row r - 1 sits one column right of row r). */
export type SkewDirection = 'right' | 'left';

/**
 * Skews a map so that its diagonals become columns (Fig. 3), [B, H, W, C] -> [B, H, W + H - 1, C],
 * zeros elsewhere:
 *   'right': out[:, r, r + c] = x[:, r, c]; column j is the diagonal r + c = j, top to bottom;
 *   'left':  out[:, r, H - 1 - r + c] = x[:, r, c]; column j is the anti-diagonal c - r = j - H + 1.
 * In both, the pixel above (r - 1, c) sits in the column next to (r, c): the previous one for
 * 'right', the next one for 'left'. No gather: the rows are padded and the flat buffer re-read with
 * a row stride one shorter ('right') or one longer ('left'); r P + c = r (P - 1) + (r + c) puts
 * x[r, c] r columns further right, r P + c = r (P + 1) + (c - r) r columns further left, and what
 * the re-read rows pick up besides x is padding.
 */
export function skew(x: tf.Tensor4D, direction: SkewDirection): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, W, C] = x.shape;
    if (H === 1) return x.clone();
    const S = W + H - 1;
    if (direction === 'right') {
      const padded = tf.pad(x, [[0, 0], [0, 0], [0, H], [0, 0]]); // [B, H, S + 1, C]
      const flat = tf.slice(tf.reshape(padded, [B, H * (S + 1), C]), [0, 0, 0], [B, H * S, C]); // [B, H S, C]
      return tf.reshape(flat, [B, H, S, C]); // [B, H, S, C]
    }
    const padded = tf.pad(x, [[0, 0], [0, 0], [H - 1, 0], [0, 0]]); // [B, H, S, C]: x[r, c] at column H - 1 + c
    const flat = tf.pad(tf.reshape(padded, [B, H * S, C]), [[0, 0], [0, H], [0, 0]]); // [B, H (S + 1), C]
    const rows = tf.reshape(flat, [B, H, S + 1, C]); // [B, H, S + 1, C]: the last column is padding
    return tf.slice(rows, [0, 0, 0, 0], [B, H, S, C]) as tf.Tensor4D; // [B, H, S, C]
  });
}

/** The inverse of `skew`: [B, H, W + H - 1, C] -> [B, H, W, C], the same index identities read backwards. */
export function unskew(s: tf.Tensor4D, width: number, direction: SkewDirection): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, S, C] = s.shape;
    const W = width;
    if (S !== W + H - 1) throw new Error(`unskew: width ${S} is not ${W} + ${H} - 1`);
    if (H === 1) return s.clone();
    if (direction === 'right') {
      const flat = tf.pad(tf.reshape(s, [B, H * S, C]), [[0, 0], [0, H], [0, 0]]); // [B, H (S + 1), C]
      const rows = tf.reshape(flat, [B, H, S + 1, C]); // [B, H, S + 1, C]: x[r, c] at column c
      return tf.slice(rows, [0, 0, 0, 0], [B, H, W, C]) as tf.Tensor4D; // [B, H, W, C]
    }
    const padded = tf.pad(s, [[0, 0], [0, 0], [0, 1], [0, 0]]); // [B, H, S + 1, C]
    const flat = tf.slice(tf.reshape(padded, [B, H * (S + 1), C]), [0, H - 1, 0], [B, H * S, C]); // [B, H S, C]
    const rows = tf.reshape(flat, [B, H, S, C]); // [B, H, S, C]: x[r, c] at column c
    return tf.slice(rows, [0, 0, 0, 0], [B, H, W, C]) as tf.Tensor4D; // [B, H, W, C]
  });
}

/**
 * The slices of x along `axis` (the recurrence's steps: rows, or columns of a skewed map) as
 * separate tensors, the axis kept with size 1: what tf.split(x, n, axis) gives. Done step-major and
 * in two levels, about sqrt(n) chunks of about sqrt(n) steps each, because a slice on the wasm
 * backend copies its whole source before it picks its part: n slices of x cost n copies of x, the
 * two levels about 2 sqrt(n). The backward pass is concatenations.
 */
export function splitSteps(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D[] {
  return tf.tidy(() => {
    const n = x.shape[axis];
    const perm = axis === 1 ? [1, 0, 2, 3] : [2, 0, 1, 3];
    const stepMajor = tf.transpose(x, perm); // [n, ...]: each step one contiguous block
    const chunk = Math.ceil(Math.sqrt(n));
    const sizes: number[] = [];
    for (let s = 0; s < n; s += chunk) sizes.push(Math.min(chunk, n - s));
    const steps = tf.split(stepMajor, sizes, 0).flatMap((c) => (c.shape[0] === 1 ? [c] : tf.split(c, c.shape[0], 0)));
    const shape: [number, number, number, number] = [...x.shape];
    shape[axis] = 1;
    return steps.map((step) => tf.reshape(step, shape) as tf.Tensor4D); // [1, ...] -> x's shape with axis = 1
  });
}

/**
 * The inverse of `splitSteps`: the steps' outputs concatenated along `axis`, in two levels so that
 * the backward pass (a split) costs about 2 sqrt(n) copies of the result on wasm, not n.
 */
export function concatSteps(steps: tf.Tensor4D[], axis: 1 | 2): tf.Tensor4D {
  return tf.tidy(() => {
    const chunk = Math.ceil(Math.sqrt(steps.length));
    const chunks: tf.Tensor4D[] = [];
    for (let s = 0; s < steps.length; s += chunk) chunks.push(tf.concat(steps.slice(s, s + chunk), axis));
    return tf.concat(chunks, axis);
  });
}
