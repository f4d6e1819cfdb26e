/** Samples as pictures on disk: an image grid, or a scatter plot / histogram of real values. */
import type { ValueKind } from '../data/dataset.js';
import { makeGrid } from '../io/grid.js';
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

/** Image shape of one example: vectors are drawn as a one-pixel-high strip. */
export function imageShape(shape: number[]): [number, number, number] {
  return shape.length === 3 ? [shape[0], shape[1], shape[2]] : [1, shape.reduce((a, b) => a * b, 1), 1];
}

/** Samples as a picture: an image grid, or a scatter plot (2-D) / histogram (1-D) of real values. */
export function writeSampleGrid(file: string, samples: Float32Array, n: number, shape: number[], kind: ValueKind): void {
  const D = shape.reduce((a, b) => a * b, 1);
  if (kind === 'real' && D === 2) return writePng(file, scatterPlot(samples, n));
  if (kind === 'real' && D === 1) return writePng(file, histogram(samples, n));
  writePng(file, makeGrid(samples, n, imageShape(shape), { valueRange: valueRange(kind, samples) }));
}

