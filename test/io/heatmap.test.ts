import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { heatMap, heatMapCell } from '../../src/io/heatmap.js';
import { readPng } from '../../src/node/data/images.js';
import { writeSampleGrid } from '../../src/node/pictures.js';

test('heat map: one row per sample, one cell per feature, gray by value inside a 1-pixel frame', () => {
  // Two samples of three features in [-1, 1].
  const img = heatMap(Float32Array.from([-1, 0, 1, 1, 1, -3]), 2, 3, { valueRange: [-1, 1] });
  const [w, h] = heatMapCell(3);
  assert.deepEqual([w, h], [16, 12]);
  assert.deepEqual([img.width, img.height, img.channels], [3 * 17 + 1, 2 * 13 + 1, 3]);
  const at = (x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
  const cell = (i: number, j: number) => at(1 + j * 17 + 8, 1 + i * 13 + 6);
  assert.deepEqual([cell(0, 0), cell(0, 1), cell(0, 2)], [[0, 0, 0], [128, 128, 128], [255, 255, 255]]);
  assert.deepEqual(cell(1, 2), [0, 0, 0], 'clamped below the range');
  assert.deepEqual(at(0, 0), at(17, 5), 'the frame: outer edge and the line between cells');
  assert.notDeepEqual(at(17, 5), [0, 0, 0]);
  assert.throws(() => heatMap(new Float32Array(5), 2, 3), UserError);
});

test('heat-map cells are at least 8 pixels for up to 128 features, narrower beyond', () => {
  for (const D of [1, 3, 10, 64, 100, 128]) {
    const [w, h] = heatMapCell(D);
    assert.ok(w >= 8 && h >= 8, `D = ${D}: ${w} x ${h}`);
  }
  assert.deepEqual(heatMapCell(784), [2, 8]); // a flattened MNIST row: 2353 pixels wide
});

test('sample pictures: images at 2x or more, tabular rows as a heat map, 2-D real points as a scatter plot', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-pictures-'));
  const sizeOf = (shape: number[], kind: 'binary' | 'real' | 'uint8', n: number): [number, number] => {
    const D = shape.reduce((a, b) => a * b, 1);
    const file = path.join(dir, `${shape.join('x')}-${kind}.png`);
    writeSampleGrid(file, Float32Array.from({ length: n * D }, (_, i) => (i * 7) % 3 / 2), n, shape, kind);
    const img = readPng(file);
    return [img.width, img.height];
  };
  try {
    assert.deepEqual(sizeOf([28, 28, 1], 'binary', 4), [2 * (2 * 28 + 1) + 1, 2 * (2 * 28 + 1) + 1]); // MNIST: 2x
    assert.deepEqual(sizeOf([8, 8, 3], 'uint8', 1), [7 * 8 + 2, 7 * 8 + 2]); // 8 x 8 images: 7x
    assert.deepEqual(sizeOf([64, 64, 1], 'binary', 1), [66, 66]); // large images as they are
    assert.deepEqual(sizeOf([21], 'real', 9), [21 * 17 + 1, 9 * 13 + 1]); // was a 3 x 3 grid of 21 x 1 strips, 67 x 7 pixels
    assert.deepEqual(sizeOf([6], 'binary', 4), [6 * 17 + 1, 4 * 13 + 1]);
    assert.deepEqual(sizeOf([2], 'real', 50), [256, 256]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
