/**
 * Pictures of low-dimensional real samples, where an image grid means nothing: a 2-D scatter plot,
 * or a histogram for 1-D data; and a colour scatter plot of labelled points (latent maps).
 * Browser-safe; returns the same image form as makeGrid.
 */
import { check } from '../core/errors.js';
import { drawText, type GridImage } from './grid.js';

export interface PlotOptions {
  /** Width and height in pixels. */
  size?: number;
  /** Data range shown, [lo, hi] on both axes (default: the samples' range with a margin). */
  range?: [number, number];
}

/** The smallest and largest finite values ([0, 1] when there are none). */
export function finiteRange(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** The range a plot of `values` shows by default: their finite range with a 5% margin. */
export function dataRange(values: Float32Array): [number, number] {
  const [lo, hi] = finiteRange(values);
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

/** Ten distinguishable colours (matplotlib's tab10), class k drawn in PALETTE[k % 10]. */
export const PALETTE: readonly (readonly [number, number, number])[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export interface ColorPlotOptions extends PlotOptions {
  /** Legend text of class k (default: k); cut to 10 characters. */
  classNames?: string[];
}

/** Legend geometry: a 5 x 5 swatch, a 3-pixel gap, then the name; one entry per 8 pixels. */
const LEGEND_ENTRY_H = 8;
const LEGEND_NAME_CHARS = 10;

/**
 * [n * 2] points with class labels [n] -> an RGB scatter plot, each point a 2 x 2 dot in its class's
 * colour (later points drawn over earlier ones), with a legend strip on the right listing the classes
 * present (as many as fit). Without labels every point is PALETTE[0] and there is no legend.
 * Both axes share one range, so distances in the picture are distances in the plane.
 */
export function colorScatterPlot(points: Float32Array, n: number, labels?: ArrayLike<number>, opts: ColorPlotOptions = {}): GridImage {
  check(points.length >= 2 * n, `colorScatterPlot: ${points.length} values cannot hold ${n} 2-D points`);
  check(!labels || labels.length >= n, () => `colorScatterPlot: ${labels!.length} labels for ${n} points`);
  const size = opts.size ?? 256;
  const [lo, hi] = opts.range ?? dataRange(points.subarray(0, 2 * n));
  // 1. The classes present, for the legend (its strip is as wide as the longest name).
  const present = new Set<number>();
  if (labels) for (let i = 0; i < n; i++) present.add(labels[i]);
  const classes = [...present].sort((a, b) => a - b);
  const name = (k: number) => (opts.classNames?.[k] ?? String(k)).slice(0, LEGEND_NAME_CHARS);
  const legendW = classes.length ? 4 + 5 + 3 + 4 * Math.max(...classes.map((k) => name(k).length)) + 2 : 0;
  const width = size + legendW;
  const img: GridImage = { width, height: size, channels: 3, data: new Uint8Array(width * size * 3).fill(255) };
  const gray = new Uint8Array(size * size).fill(255);
  drawAxes(gray, size, lo, hi);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) img.data.fill(gray[y * size + x], (y * width + x) * 3, (y * width + x) * 3 + 3);
  const fill = (x: number, y: number, w: number, h: number, rgb: readonly number[]) => {
    for (let yy = Math.max(0, y); yy < Math.min(size, y + h); yy++) {
      for (let xx = Math.max(0, x); xx < Math.min(width, x + w); xx++) img.data.set(rgb, (yy * width + xx) * 3);
    }
  };
  // 2. The points.
  for (let i = 0; i < n; i++) {
    const [px, py] = colorScatterPixel(points[2 * i], points[2 * i + 1], size, [lo, hi]);
    if (px >= 0 && px < size - 1 && py >= 0 && py < size - 1) fill(px, py, 2, 2, PALETTE[labels ? mod(labels[i], PALETTE.length) : 0]);
  }
  // 3. The legend: swatch and name per class, top to bottom, as many as fit.
  classes.slice(0, Math.floor((size - 4) / LEGEND_ENTRY_H)).forEach((k, row) => {
    const top = 4 + row * LEGEND_ENTRY_H;
    fill(size + 4, top, 5, 5, PALETTE[mod(k, PALETTE.length)]);
    drawText(img, size + 12, top, name(k), [0, 0, 0]);
  });
  return img;
}

/** The pixel (column, row) where `colorScatterPlot` draws point (x, y): the top left of its 2 x 2 dot. */
export function colorScatterPixel(x: number, y: number, size: number, [lo, hi]: [number, number]): [number, number] {
  return [Math.floor(((x - lo) / (hi - lo)) * (size - 2)), size - 2 - Math.floor(((y - lo) / (hi - lo)) * (size - 2))];
}

/** The point of the plane at pixel (px, py) of a `colorScatterPlot` of `size` over `range` (the centre of the pixel's cell). */
export function colorScatterPoint(px: number, py: number, size: number, [lo, hi]: [number, number]): [number, number] {
  const cell = (hi - lo) / (size - 2);
  return [lo + (px + 0.5) * cell, lo + (size - 2 - py + 0.5) * cell];
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
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
