import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.js';
import { makeGrid } from '../../src/io/grid.js';

test('three 2 x 2 gray images in 2 columns with 1-pixel borders', () => {
  const images = Float32Array.from([0, 0.5, 1, 1, 0.2, 0.2, 0.2, 0.2, 2, -1, 1, 0]);
  const g = makeGrid(images, 3, [2, 2, 1], { cols: 2 });
  assert.deepEqual([g.width, g.height, g.channels], [7, 7, 1]);
  const px = (x: number, y: number) => g.data[y * g.width + x];
  assert.deepEqual([px(1, 1), px(2, 1), px(1, 2), px(2, 2)], [0, 128, 255, 255]); // image 0
  assert.deepEqual([px(4, 1), px(5, 2)], [51, 51]); // image 1 at (4, 1)
  assert.deepEqual([px(1, 4), px(2, 4)], [255, 0]); // image 2, clamped to [0, 1]
  assert.deepEqual([px(0, 0), px(3, 1), px(6, 6), px(4, 4)], [128, 128, 128, 128]); // borders, empty cell
});

test('RGB, a value range of [0, 255], padding 2, default columns', () => {
  const images = new Float32Array(4 * 3).fill(0);
  images.set([255, 10, 20], 9); // last pixel of 4 RGB 1 x 1 images
  const g = makeGrid(images, 4, [1, 1, 3], { valueRange: [0, 255], padding: 2, padValue: 0 });
  assert.deepEqual([g.width, g.height, g.channels], [8, 8, 3]); // 2 x 2 grid
  const at = (x: number, y: number) => [...g.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)];
  assert.deepEqual(at(5, 5), [255, 10, 20]);
  assert.deepEqual(at(2, 2), [0, 0, 0]);
});

test('labels add a 7-pixel black strip with white 3 x 5 glyphs', () => {
  const g = makeGrid(new Float32Array(2 * 8 * 8), 2, [8, 8], { labels: ['1', 'T-shirt'] });
  assert.deepEqual([g.width, g.height], [19, 1 + 8 + 7 + 1]);
  // '1' = .#. / ##. / .#. / .#. / ### under image 0 at x 1..3, glyph rows y 10..14.
  const row = (y: number, x0: number) => [...g.data.subarray(y * g.width + x0, y * g.width + x0 + 3)].map((v) => (v === 255 ? '#' : '.')).join('');
  assert.deepEqual([9, 10, 11, 12, 13, 14, 15].map((y) => row(y, 1)), ['...', '.#.', '##.', '.#.', '.#.', '###', '...']);
  // 'T-shirt' is cut to two glyphs ('T-') under the 8-pixel-wide image 1, which starts at x = 10.
  assert.equal(row(10, 10), '###');
  assert.equal(row(12, 14), '###');
  assert.equal(g.data[12 * g.width + 17], 0); // no third glyph: 3 + 1 pixels each, 8 pixels wide
});

test('bad arguments are UserErrors', () => {
  assert.throws(() => makeGrid(new Float32Array(4), 2, [2, 2, 1]), UserError);
  assert.throws(() => makeGrid(new Float32Array(8), 1, [2, 2, 2]), UserError);
  assert.throws(() => makeGrid(new Float32Array(4), 1, [2, 2], { valueRange: [1, 1] }), UserError);
  assert.throws(() => makeGrid(new Float32Array(4), 1, [2, 2], { labels: [] }), UserError);
});

test('scale draws each pixel as an s x s block; the borders stay one pixel', () => {
  const g = makeGrid(Float32Array.from([0, 1, 1, 0, 0.5, 0.5, 0.5, 0.5]), 2, [2, 2], { cols: 2, scale: 3 });
  assert.deepEqual([g.width, g.height], [2 * (2 * 3 + 1) + 1, 2 * 3 + 2]);
  const px = (x: number, y: number) => g.data[y * g.width + x];
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((x) => px(x, 1)), [0, 0, 0, 255, 255, 255]); // image 0, first row
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((x) => px(x, 6)), [255, 255, 255, 0, 0, 0]); // its second row, 3x
  assert.deepEqual([px(7, 3), px(8, 3), px(13, 6), px(14, 6)], [128, 128, 128, 128]); // border, image 1, border
  assert.throws(() => makeGrid(new Float32Array(4), 1, [2, 2], { scale: 0 }), UserError);
});
