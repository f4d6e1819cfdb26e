/**
 * Uniform dequantization of 8-bit intensities (Theis, van den Oord & Bethge 2016, "A note on the
 * evaluation of generative models", Sec. 3.1). Levels k / 255 (kind 'continuous') are spread over
 * disjoint intervals [k/255, k/255 + 1/256), so a density p fitted to y = x + u / 256 defines a
 * discrete model, and by Jensen, for every x,
 *   log P(x) >= E_u[log p(x + u / 256)] - D log 256.
 * Models with a continuous density on 8-bit data (RNADE, the Gaussian-decoder VAEs) train on such y;
 * `genlab eval` reports the bound (`evaluateSplit`, src/eval/likelihood.ts).
 */
import type { Rng } from '../core/rng.js';

/** Levels of 8-bit data; the width of a dequantization interval is 1 / LEVELS. */
export const LEVELS = 256;

/** y = x + u / 256, u ~ U(0, 1): 8-bit levels k / 255 spread over [k/255, k/255 + 1/256). */
export function dequantize(x: Float32Array, rng: Rng): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] + rng.uniform() / LEVELS;
  return y;
}

/**
 * The level k / 255 whose dequantization interval holds y (the inverse of `dequantize`), clamped to
 * [0, 1]. 255 y lies in [k, k + 255/256) on the interval; the 1e-3 absorbs float32 rounding of k / 255.
 */
export function quantize(y: number): number {
  return Math.min(255, Math.max(0, Math.floor(255 * y + 1e-3))) / 255;
}
