/** Pieces several commands share: writing sample images, printing JSON, reading input files. */
import * as path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import { loadCsv } from '../node/data/csv.js';
import { readPng } from '../node/data/images.js';
import { writeFileAtomic } from '../node/fsAtomic.js';

export { imageShape, valueRange, writeSampleGrid } from '../node/pictures.js';

/** Samples as CSV, one example per row, values as the model produced them. */
export function writeSamplesCsv(file: string, samples: Float32Array, n: number, featureNames?: string[]): void {
  const D = samples.length / n;
  const rows: string[] = featureNames?.length === D ? [featureNames.map(csvCell).join(',')] : [];
  for (let i = 0; i < n; i++) rows.push(Array.from(samples.subarray(i * D, (i + 1) * D), (v) => String(v)).join(','));
  writeFileAtomic(file, rows.join('\n') + '\n');
}

/** A header cell, quoted when it holds a comma, a quote or outer spaces. */
function csvCell(name: string): string {
  return /[",]|^\s|\s$/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

export interface InputOptions {
  /** A CSV's column of class labels (conditional models), kept as the examples' `labels`. */
  labelColumn?: string;
  /**
   * The class names the model was trained with (label i = name i), asked for only when the labels in
   * the file are names rather than numbers, so that 'cat' means the class it meant in training.
   * Without it, names are numbered in sorted order (the file's own `classNames`).
   */
  classNames?: () => string[] | undefined;
}

/** Input examples for score / complete: a CSV (one example per row) or one PNG image. */
export function readInput(file: string, shape: number[], opts: InputOptions = {}): Dataset {
  const D = shape.reduce((a, b) => a * b, 1);
  const ext = path.extname(file).toLowerCase();
  let d: Dataset;
  if (ext === '.png') {
    if (opts.labelColumn !== undefined) throw new UserError(`${file}: --label-column needs a .csv input (a PNG holds no label)`);
    const img = readPng(file);
    const channels = shape.length === 3 ? shape[2] : 1;
    if (img.width * img.height * channels !== D || (shape.length === 3 && (img.height !== shape[0] || img.width !== shape[1]))) {
      throw new UserError(`${file}: image is ${img.width}x${img.height}, the model expects ${shape.join('x')} (H x W x C)`);
    }
    const x = new Float32Array(D);
    for (let i = 0; i < img.width * img.height; i++) {
      for (let c = 0; c < channels; c++) {
        // Gray input to an RGB model repeats the channel; RGB input to a gray model averages.
        x[i * channels + c] =
          img.channels === channels ? img.data[i * img.channels + c] : channels === 1 ? grayOf(img.data, i, img.channels) : img.data[i * img.channels];
      }
    }
    d = { name: file, x, n: 1, shape, kind: 'uint8' };
  } else if (ext === '.csv' || ext === '.txt') {
    d = loadCsv(file, { labelColumn: opts.labelColumn });
    if (d.shape[0] !== D) {
      const label = opts.labelColumn === undefined ? '' : ` besides the label column '${opts.labelColumn}'`;
      throw new UserError(`${file}: rows have ${d.shape[0]} values${label}, the model expects ${D}`);
    }
    d = { ...d, shape };
    if (d.classNames && opts.classNames) d = { ...d, labels: trainingLabels(file, d.labels!, d.classNames, opts.classNames()), classNames: undefined };
  } else {
    throw new UserError(`${file}: expected a .csv (one example per row) or a .png image`);
  }
  return d;
}

/** Labels read as the file's own class names, renumbered as the classes the model was trained on. */
function trainingLabels(file: string, labels: Int32Array, names: string[], trained: string[] | undefined): Int32Array {
  if (!trained) throw new UserError(`${file}: the labels are names (e.g. '${names[0]}'), but the model was trained on numbered classes 0, 1, ...`);
  const index = new Map(trained.map((name, k) => [name, k]));
  const unknown = names.find((name) => !index.has(name));
  if (unknown !== undefined) throw new UserError(`${file}: class '${unknown}' is not one the model was trained on (${trained.join(', ')})`);
  return Int32Array.from(labels, (k) => index.get(names[k])!);
}

function grayOf(data: Uint8Array, i: number, channels: number): number {
  if (channels < 3) return data[i * channels];
  return Math.round((data[i * channels] + data[i * channels + 1] + data[i * channels + 2]) / 3);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
