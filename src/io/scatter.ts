/**
 * Pictures of low-dimensional real samples, where an image grid means nothing: a 2-D scatter plot,
 * or a histogram for 1-D data. Browser-safe; returns the same image form as makeGrid.
 */
import { check } from '../core/errors.js';
import type { GridImage } from './grid.js';

export interface PlotOptions {
  /** Width and height in pixels. */
  size?: number;
  /** Data range shown, [lo, hi] on both axes (default: the samples' range with a margin). */
  range?: [number, number];
}

function dataRange(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!(hi > lo)) return [lo - 1, lo + 1];
  const margin = 0.05 * (hi - lo);
  return [lo - margin, hi + margin];
}

/** [n * 2] points -> a gray image, darker where more points fall (one pixel per point, additive). */
export function scatterPlot(points: Float32Array, n: number, opts: PlotOptions = {}): GridImage {
  check(points.length >= 2 * n, `scatterPlot: ${points.length} values cannot hold ${n} 2-D points`);
  const size = opts.size ?? 256;
  const [lo, hi] = opts.range ?? dataRange(points.subarray(0, 2 * n));
  const counts = new Float32Array(size * size);
  for (let i = 0; i < n; i++) {
    const px = Math.floor(((points[2 * i] - lo) / (hi - lo)) * (size - 1));
    const py = size - 1 - Math.floor(((points[2 * i + 1] - lo) / (hi - lo)) * (size - 1));
    if (px >= 0 && px < size && py >= 0 && py < size) counts[py * size + px]++;
  }
  const data = new Uint8Array(size * size).fill(255);
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) data[i] = Math.max(0, 200 - 60 * Math.log2(1 + counts[i]));
  drawAxes(data, size, lo, hi);
  return { width: size, height: size, channels: 1, data };
}

/** [n] values -> a histogram with `size` / 4 bins. */
export function histogram(values: Float32Array, n: number, opts: PlotOptions = {}): GridImage {
  const size = opts.size ?? 256;
  const [lo, hi] = opts.range ?? dataRange(values.subarray(0, n));
  const bins = new Float32Array(Math.floor(size / 4));
  for (let i = 0; i < n; i++) {
    const b = Math.floor(((values[i] - lo) / (hi - lo)) * bins.length);
    if (b >= 0 && b < bins.length) bins[b]++;
  }
  const top = Math.max(1, ...bins);
  const data = new Uint8Array(size * size).fill(255);
  bins.forEach((count, b) => {
    const height = Math.round((count / top) * (size - 8));
    for (let y = size - height; y < size; y++) for (let x = b * 4; x < b * 4 + 3; x++) data[y * size + x] = 60;
  });
  return { width: size, height: size, channels: 1, data };
}

/** Light lines through 0 on each axis, when 0 is in range. */
function drawAxes(data: Uint8Array, size: number, lo: number, hi: number): void {
  if (lo >= 0 || hi <= 0) return;
  const zero = Math.floor((-lo / (hi - lo)) * (size - 1));
  for (let k = 0; k < size; k++) {
    const row = size - 1 - zero;
    if (data[row * size + k] === 255) data[row * size + k] = 225;
    if (data[k * size + zero] === 255) data[k * size + zero] = 225;
  }
}
