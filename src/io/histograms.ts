/**
 * Overlaid histograms of two (or more) sets of scores on shared bins, one panel per score, side by
 * side, with a title, a legend and the range of the axis: how the in- and out-of-distribution
 * scores of `genlab anomaly` overlap. Each set's bars are its share of its own examples (sets of
 * different sizes compare), drawn half-transparent over each other with a solid top edge, so the
 * overlap shows as the mixed colour. Browser-safe; returns the image form of makeGrid (RGB).
 */
import { check } from '../core/errors.js';
import { drawText, type GridImage } from './grid.js';
import { PALETTE } from './scatter.js';

export interface HistogramSeries {
  /** Legend text (upper-cased, cut to 30 characters; the 3 x 5 font has letters, digits and - . : / _ + = % ( ) ?). */
  name: string;
  values: ArrayLike<number>;
  /** RGB (default: PALETTE[series index]). */
  color?: readonly [number, number, number];
}

export interface HistogramPanel {
  title: string;
  series: HistogramSeries[];
  /** One line under the axis (e.g. which direction is anomalous). */
  caption?: string;
}

export interface HistogramOptions {
  /** Panel width and height in pixels before magnification (default 240 x 140). */
  width?: number;
  height?: number;
  bins?: number;
  /** Every pixel drawn as scale x scale (default 2), as the 3 x 5 font is small. */
  scale?: number;
}

const GAP = 8;
const ALPHA = 0.45;
const CHAR_W = 4;
/** Legend names are cut to this many characters (the title shares their line). */
const LEGEND_CHARS = 30;

/** Panels side by side on white, magnified by `scale`. */
export function histogramPanels(panels: HistogramPanel[], opts: HistogramOptions = {}): GridImage {
  check(panels.length > 0, 'histogramPanels: no panels');
  const w = opts.width ?? 240;
  const h = opts.height ?? 140;
  const width = panels.length * w + (panels.length - 1) * GAP;
  const img: GridImage = { width, height: h, channels: 3, data: new Uint8Array(width * h * 3).fill(255) };
  panels.forEach((panel, p) => drawPanel(img, p * (w + GAP), w, h, panel, opts.bins ?? 48));
  return magnify(img, opts.scale ?? 2);
}

function drawPanel(img: GridImage, left: number, w: number, h: number, panel: HistogramPanel, binCount: number): void {
  // 1. Plot area: the title (left) and legend (right) above it, two lines of axis text below.
  const top = Math.max(10, 4 + 8 * panel.series.length);
  const bottom = h - 16; // first row below the plot
  const x0 = left + 4;
  const plotW = w - 8;
  const bins = Math.max(1, Math.min(binCount, plotW));
  const binW = plotW / bins;
  drawText(img, x0, 2, panel.title, [0, 0, 0]);

  // 2. Shared bins over the finite values of every set; each set's bars are its share of its examples.
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of panel.series) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  if (!(hi > lo)) [lo, hi] = Number.isFinite(lo) ? [lo - 1, lo + 1] : [0, 1];
  const shares = panel.series.map((s) => {
    const counts = new Float64Array(bins);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
    }
    return counts.map((c) => c / Math.max(1, s.values.length));
  });
  let tallest = 0;
  for (const share of shares) for (const v of share) tallest = Math.max(tallest, v);
  const plotH = bottom - top;

  // 3. Bars: half-transparent fills, then a solid top edge per bar, set by set.
  const colors = panel.series.map((s, k) => s.color ?? PALETTE[k % PALETTE.length]);
  shares.forEach((share, k) => {
    share.forEach((v, b) => {
      const barH = tallest > 0 ? Math.round((v / tallest) * plotH) : 0;
      if (barH === 0) return;
      const xa = x0 + Math.round(b * binW);
      const xb = x0 + Math.round((b + 1) * binW);
      for (let y = bottom - barH; y < bottom; y++) {
        for (let x = xa; x < xb; x++) blend(img, x, y, colors[k], y === bottom - barH ? 1 : ALPHA);
      }
    });
  });

  // 4. Axis line, its ends' values and the caption.
  for (let x = x0; x < x0 + plotW; x++) blend(img, x, bottom, [0, 0, 0], 1);
  const loText = formatTick(lo);
  const hiText = formatTick(hi);
  drawText(img, x0, bottom + 2, loText, [0, 0, 0]);
  drawText(img, x0 + plotW - hiText.length * CHAR_W + 1, bottom + 2, hiText, [0, 0, 0]);
  if (panel.caption) drawText(img, x0 + Math.max(0, Math.floor((plotW - panel.caption.length * CHAR_W) / 2)), bottom + 9, panel.caption, [90, 90, 90]);

  // 5. Legend above the plot, right-aligned: a swatch and the name per set.
  const names = panel.series.map((s) => s.name.slice(0, LEGEND_CHARS));
  const legendX = x0 + plotW - (Math.max(...names.map((name) => name.length)) * CHAR_W + 8);
  names.forEach((name, k) => {
    const y = 2 + k * 8;
    for (let yy = y; yy < y + 5; yy++) for (let xx = legendX; xx < legendX + 5; xx++) blend(img, xx, yy, colors[k], 1);
    drawText(img, legendX + 8, y, name, [0, 0, 0]);
  });
}

/** A tick value in at most 7 characters of the font. */
function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-2)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

function blend(img: GridImage, x: number, y: number, rgb: readonly number[], alpha: number): void {
  if (x < 0 || x >= img.width || y < 0 || y >= img.height) return;
  const at = (y * img.width + x) * 3;
  for (let c = 0; c < 3; c++) img.data[at + c] = Math.round((1 - alpha) * img.data[at + c] + alpha * rgb[c]);
}

function magnify(img: GridImage, s: number): GridImage {
  check(Number.isInteger(s) && s >= 1, `histogramPanels: scale must be a positive integer, got ${s}`);
  if (s === 1) return img;
  const width = img.width * s;
  const height = img.height * s;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / s) * img.width + Math.floor(x / s)) * 3;
      data.set(img.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { width, height, channels: 3, data };
}
