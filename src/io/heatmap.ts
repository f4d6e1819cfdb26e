/**
 * Vector samples (tabular rows) as a heat-map table: one row per sample, one cell per feature, the
 * value as a gray level (low black, high white, as in image grids), cells framed by a thin blue
 * line so that equal neighbours stay two cells. A table of a few features is a legible picture
 * where a one-pixel-high image strip is not. Browser-safe; returns the same image form as makeGrid.
 */
import { check } from '../core/errors.js';
import type { GridImage } from './grid.js';

export interface HeatMapOptions {
  /** Values mapped to black and white, clamped outside (default [0, 1]). */
  valueRange?: [number, number];
}

/** Cell widths in pixels: as wide as fits 1024 pixels of features, between 2 and 16. */
const MAX_CELL = 16;
const MIN_CELL = 2;
const TARGET_WIDTH = 1024;
/** Cell height: at least 8 pixels, at most 12, so long tables of samples stay compact. */
const MIN_ROW = 8;
const MAX_ROW = 12;
const FRAME: readonly number[] = [70, 110, 160];

/** Cell size [width, height] in pixels for D features: 16 x 12 up to 64 features, 8 x 8 at 128. */
export function heatMapCell(D: number): [number, number] {
  const w = Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor(TARGET_WIDTH / D)));
  return [w, Math.max(MIN_ROW, Math.min(MAX_ROW, w))];
}

/**
 * The first `n` rows of `values` ([n, D]) as an RGB table. Output size: D * (w + 1) + 1 wide,
 * n * (h + 1) + 1 high, [w, h] = heatMapCell(D).
 */
export function heatMap(values: Float32Array, n: number, D: number, opts: HeatMapOptions = {}): GridImage {
  check(Number.isInteger(n) && n > 0, () => `heatMap: n must be a positive integer, got ${n}`);
  check(Number.isInteger(D) && D > 0, () => `heatMap: D must be a positive integer, got ${D}`);
  check(values.length >= n * D, () => `heatMap: ${values.length} values cannot hold ${n} rows of ${D}`);
  const [lo, hi] = opts.valueRange ?? [0, 1];
  check(hi > lo, () => `heatMap: valueRange [${lo}, ${hi}] is empty`);
  const [w, h] = heatMapCell(D);
  const width = D * (w + 1) + 1;
  const height = n * (h + 1) + 1;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(FRAME, p * 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) {
      const gray = Math.min(255, Math.max(0, Math.round(((values[i * D + j] - lo) / (hi - lo)) * 255)));
      const top = 1 + i * (h + 1);
      const left = 1 + j * (w + 1);
      for (let y = top; y < top + h; y++) data.fill(gray, (y * width + left) * 3, (y * width + left + w) * 3);
    }
  }
  return { width, height, channels: 3, data };
}
