/** Samples as pictures on disk: an image grid, a heat-map table of vectors, or a scatter plot / histogram of real values. */
import type { ValueKind } from '../data/dataset.js';
import { imageShape, makeGrid } from '../io/grid.js';
import { heatMap } from '../io/heatmap.js';
import { histogram, scatterPlot } from '../io/scatter.js';
import { writePng } from './data/images.js';

/** The value range a kind of data is drawn in, for turning samples into pixels. */
export function valueRange(kind: ValueKind, values: Float32Array): [number, number] {
  if (kind === 'uint8') return [0, 255];
  if (kind === 'binary' || kind === 'continuous') return [0, 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo < hi ? [lo, hi] : [lo - 1, lo + 1];
}

export { imageShape };

/** Image pixels are drawn this many screen pixels wide at least, per side (28 x 28 MNIST: 2x). */
const MIN_IMAGE_SIDE = 56;

/** The integer scale that draws an H x W image at least MIN_IMAGE_SIDE pixels on its longer side. */
export function imageScale(shape: number[]): number {
  return Math.max(1, Math.ceil(MIN_IMAGE_SIDE / Math.max(shape[0], shape[1])));
}

/**
 * Samples as a picture: images ([H, W, C]) as a grid, magnified to a readable size; vectors ([D]) of
 * real values as a scatter plot (2-D) or a histogram (1-D); other vectors (tabular rows) as a
 * heat-map table, one row per sample and one cell per feature.
 */
export function writeSampleGrid(file: string, samples: Float32Array, n: number, shape: number[], kind: ValueKind): void {
  const D = shape.reduce((a, b) => a * b, 1);
  if (kind === 'real' && D === 2) return writePng(file, scatterPlot(samples, n));
  if (kind === 'real' && D === 1) return writePng(file, histogram(samples, n));
  const range = valueRange(kind, samples);
  if (shape.length !== 3) return writePng(file, heatMap(samples, n, D, { valueRange: range }));
  writePng(file, makeGrid(samples, n, imageShape(shape), { valueRange: range, scale: imageScale(shape) }));
}

