/**
 * Building blocks of PixelRNN's two-dimensional LSTM layers (van den Oord, Kalchbrenner &
 * Kavukcuoglu 2016, "Pixel Recurrent Neural Networks", ICML; arXiv:1601.06759, Sec. 3.1-3.2):
 * the LSTM cell of Eq. 3 on gate pre-activations, the mask and forget-gate bias of a masked
 * input-to-state convolution whose outputs are gates, and the skew / unskew of a feature map that
 * turns the Diagonal BiLSTM's diagonals into columns (Fig. 3).
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
 * The mask of a convolution onto `copies` blocks of the same `units` hidden units (an LSTM's gates,
 * possibly for two directions), block-major: output channel b * units + j is copy b of unit j and
 * gets unit j's connections. `base` is the mask onto the units alone, [taps, Cin, units] row-major
 * (from src/nn/maskedConv2d.ts' maskValues), so every gate of a unit keeps the unit's colour group.
 * Returns [taps, Cin, copies * units].
 */
export function repeatOutputMask(base: Float32Array, units: number, copies: number): Float32Array {
  const rows = base.length / units; // taps * Cin
  const out = new Float32Array(rows * copies * units);
  for (let t = 0; t < rows; t++) {
    const from = base.subarray(t * units, (t + 1) * units);
    for (let b = 0; b < copies; b++) out.set(from, (t * copies + b) * units);
  }
  return out;
}

/**
 * The bias of `GATES * blockUnits` gate pre-activations in the layout [o | f | i | g]: zero but for
 * the forget gates, which start at 1 (Gers, Schmidhuber & Cummins 2000; Jozefowicz et al. 2015) so
 * that the cell state is carried along the rows / diagonals from the first step of training.
 */
export function gateBias(params: Parameters, name: string, blockUnits: number): tf.Variable {
  const bias = params.add(name, [GATES * blockUnits], { type: 'zeros' });
  const values = new Float32Array(GATES * blockUnits).fill(1, blockUnits, 2 * blockUnits);
  tf.tidy(() => bias.assign(tf.tensor1d(values)));
  return bias;
}

/**
 * Skews a map so that row r starts r columns further right (Fig. 3): out[:, r, r + c] = x[:, r, c],
 * zeros elsewhere, [B, H, W, C] -> [B, H, W + H - 1, C]. Column j of the result is the diagonal
 * r + c = j of the input, top to bottom. No gather: each row padded with H zeros to width W + H
 * and the flat buffer re-read with row stride W + H - 1 lands x[r, c] at row r, column r + c, since
 * r (W + H) + c = r (W + H - 1) + (r + c), and what it reads before column r is the previous row's
 * padding.
 */
export function skew(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, W, C] = x.shape;
    if (H === 1) return x.clone();
    const padded = tf.pad(x, [[0, 0], [0, 0], [0, H], [0, 0]]); // [B, H, W + H, C]
    const flat = tf.reshape(padded, [B, H * (W + H), C]); // [B, H (W + H), C]
    const kept = tf.slice(flat, [0, 0, 0], [B, H * (W + H - 1), C]); // [B, H (W + H - 1), C]
    return tf.reshape(kept, [B, H, W + H - 1, C]); // [B, H, W + H - 1, C]
  });
}

/**
 * The inverse of `skew`: out[:, r, c] = s[:, r, r + c], [B, H, W + H - 1, C] -> [B, H, W, C]. The
 * same index identity read backwards: flatten, pad the end with H entries, re-read with row stride
 * W + H and keep the first W columns.
 */
export function unskew(s: tf.Tensor4D, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, skewedWidth, C] = s.shape;
    if (H === 1) return s.clone();
    const W = width;
    if (skewedWidth !== W + H - 1) throw new Error(`unskew: width ${skewedWidth} is not ${W} + ${H} - 1`);
    const flat = tf.reshape(s, [B, H * (W + H - 1), C]); // [B, H (W + H - 1), C]
    const padded = tf.pad(flat, [[0, 0], [0, H], [0, 0]]); // [B, H (W + H), C]
    const rows = tf.reshape(padded, [B, H, W + H, C]); // [B, H, W + H, C]
    return tf.slice(rows, [0, 0, 0, 0], [B, H, W, C]) as tf.Tensor4D; // [B, H, W, C]
  });
}
