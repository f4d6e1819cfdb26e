import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colorScatterPixel, colorScatterPlot, colorScatterPoint, PALETTE } from '../../src/io/scatter.js';

test('colour scatter: points in their class colour, a legend strip for the classes present', () => {
  // Two points at opposite corners of the range [0, 1].
  const img = colorScatterPlot(Float32Array.from([0, 0, 1, 1]), 2, Int32Array.from([3, 12]), { size: 64, range: [0, 1] });
  assert.equal(img.channels, 3);
  assert.equal(img.height, 64);
  const legend = 4 + 5 + 3 + 4 * 2 + 2; // swatch, gap, '12'
  assert.equal(img.width, 64 + legend);
  const at = (x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
  assert.deepEqual(at(0, 62), [...PALETTE[3]]); // (0, 0): bottom left, a 2 x 2 dot
  assert.deepEqual(at(1, 63), [...PALETTE[3]]);
  assert.deepEqual(at(62, 0), [...PALETTE[2]]); // (1, 1): top right; class 12 cycles to colour 2
  assert.deepEqual(at(30, 30), [255, 255, 255]);
  assert.deepEqual(at(64 + 4, 4), [...PALETTE[3]]); // first legend swatch: class 3
  assert.deepEqual(at(64 + 4, 12), [...PALETTE[2]]); // second: class 12
  // Unlabelled points: one colour, no legend.
  const plain = colorScatterPlot(Float32Array.from([0.5, 0.5]), 1, undefined, { size: 32, range: [0, 1] });
  assert.equal(plain.width, 32);
});

test('colorScatterPoint inverts the plot: a point drawn at a pixel reads back within one cell, and the pixel holds its colour', () => {
  const size = 100;
  const range: [number, number] = [-2, 3];
  const cell = 5 / (size - 2);
  for (const [x, y] of [[-1.9, 2.9], [0, 0], [1.234, -0.5]]) {
    const img = colorScatterPlot(Float32Array.of(x, y), 1, Int32Array.of(1), { size, range });
    const [px, py] = colorScatterPixel(x, y, size, range);
    assert.deepEqual(Array.from(img.data.subarray((py * img.width + px) * 3, (py * img.width + px) * 3 + 3)), [...PALETTE[1]], `the dot of (${x}, ${y}) is at (${px}, ${py})`);
    const [bx, by] = colorScatterPoint(px, py, size, range);
    assert.ok(Math.abs(bx - x) <= cell / 2 + 1e-9 && Math.abs(by - y) <= cell / 2 + 1e-9, `(${x}, ${y}) read back as (${bx}, ${by})`);
    assert.deepEqual(colorScatterPixel(bx, by, size, range), [px, py]);
  }
});
