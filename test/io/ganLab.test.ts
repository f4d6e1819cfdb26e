import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, standardNormals } from '../../src/core/rng.js';
import type { GridImage } from '../../src/io/grid.js';
import {
  discriminatorColor,
  ganLabFrame,
  ganLabGrid,
  ganLabSnapshot,
  GENERATED_COLOR,
  REAL_COLOR,
  type GanLabInput,
} from '../../src/io/ganLab.js';
import type { AdversarialModel } from '../../src/models/capabilities.js';
import { framesToKeep, MAX_GIF_FRAMES, writeGif } from '../../src/node/animation.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** A stand-in for a GAN: D(x) = sigmoid(x0 + x1 / 2) (or the critic 3 x0 + 1), G(z) = 2 z in its first `dim` coordinates. */
function fakeGan(latentSize: number, dim: number, discriminatorOutput: 'probability' | 'critic' = 'probability'): AdversarialModel & { calls: number[] } {
  const calls: number[] = [];
  return {
    latentSize,
    discriminatorOutput,
    calls,
    async discriminate(x, n) {
      calls.push(n);
      return Float32Array.from({ length: n }, (_, i) => {
        const x1 = dim === 2 ? x[2 * i + 1] : 0;
        return discriminatorOutput === 'probability' ? sigmoid(x[dim * i] + x1 / 2) : 3 * x[dim * i] + 1;
      });
    },
    async generate(z, n) {
      return Float32Array.from({ length: n * dim }, (_, k) => 2 * z[Math.floor(k / dim) * latentSize + Math.min(k % dim, latentSize - 1)]);
    },
  };
}

/** Panel pixel (col, row) of the frame: the left panel's top-left is (8, 40), the right one's (S + 16, 40). */
function pixel(img: GridImage, panel: 'left' | 'right', col: number, row: number, S: number): number[] {
  const x = (panel === 'left' ? 8 : S + 16) + col;
  const o = ((40 + row) * img.width + x) * 3;
  return [...img.data.subarray(o, o + 3)];
}

test('D colour scale: purple (fake) through white (0.5) to green (real), linear between its stops', () => {
  assert.deepEqual(discriminatorColor(0), [194, 165, 207]);
  assert.deepEqual(discriminatorColor(0.5), [247, 247, 247]);
  assert.deepEqual(discriminatorColor(1), [166, 219, 160]);
  assert.deepEqual(discriminatorColor(0.125), [213, 189, 220], 'half way between the stops at 0 and 0.25, rounded');
  assert.deepEqual(discriminatorColor(-3), discriminatorColor(0), 'clamped');
});

test('2-D frame: size, D heat map where D is known, real and generated dots at their pixels', async () => {
  // 9 cells of 0.5 over [-2.25, 2.25], 8 pixels each: the centre cell is at (0, 0), where D = 0.5.
  const S = 72;
  const range: [number, number] = [-2.25, 2.25];
  const model = fakeGan(2, 2);
  const input = await ganLabSnapshot(model, Float32Array.from([1, 1]), 2, 1234, new Rng(3), { range, resolution: 9, generatedCount: 1 });
  // A generated point of our own, away from the cells the test reads.
  input.generated = Float32Array.from([-1, 0.5]);
  const img = ganLabFrame(input, { size: S });
  assert.deepEqual([img.width, img.height, img.channels], [2 * S + 24, S + 64, 3]);
  assert.deepEqual(pixel(img, 'left', 4 * 8 + 3, 4 * 8 + 5, S), [247, 247, 247], 'D(0, 0) = 0.5 is white');
  // Cell row 1, column 2 (row 0 at the top): centre x = -2.25 + 2.5 * 0.5 = -1, y = 2.25 - 1.5 * 0.5 = 1.5.
  assert.deepEqual(pixel(img, 'left', 2 * 8 + 1, 8 + 6, S), discriminatorColor(sigmoid(-1 + 0.75)));
  assert.notDeepEqual(discriminatorColor(sigmoid(-1 + 0.75)), discriminatorColor(sigmoid(-1 - 0.75)), 'a flipped y axis would show');
  // Real (1, 1): column floor(3.25 / 4.5 * 72) = 52, row 71 - 52 = 19; a 2 x 2 dot.
  assert.deepEqual(pixel(img, 'left', 52, 19, S), [...REAL_COLOR]);
  assert.deepEqual(pixel(img, 'left', 53, 20, S), [...REAL_COLOR]);
  // Generated (-1, 0.5): column floor(1.25 / 4.5 * 72) = 20, row 71 - floor(2.75 / 4.5 * 72) = 27.
  assert.deepEqual(pixel(img, 'left', 20, 27, S), [...GENERATED_COLOR]);
  // Its left neighbour: cell column 2, row 3, centre (-1, 0.5).
  assert.deepEqual(pixel(img, 'left', 19, 27, S), discriminatorColor(sigmoid(-1 + 0.25)), 'nothing left of the dot');
});

test('a critic is drawn on its own range in the frame: its lowest cell at the scale bottom, its highest at the top', async () => {
  const model = fakeGan(2, 2, 'critic');
  const input = await ganLabSnapshot(model, Float32Array.from([0, 0]), 2, 1, new Rng(3), { range: [-2, 2], resolution: 8, generatedCount: 1 });
  input.generated = new Float32Array(0);
  input.real = Float32Array.from([1.9, 1.9]);
  const img = ganLabFrame(input, { size: 64 });
  assert.deepEqual(pixel(img, 'left', 0, 40, 64), discriminatorColor(0));
  assert.deepEqual(pixel(img, 'left', 63, 40, 64), discriminatorColor(1));
  // Cell column 3 of 8: centre -0.25, critic 0.25, on the frame's range [3 * -1.75 + 1, 3 * 1.75 + 1].
  assert.deepEqual(pixel(img, 'left', 3 * 8 + 4, 40, 64), discriminatorColor((0.25 + 4.25) / 10.5));
});

test('snapshot: D on the view grid, G of fixed noise (the rng is not advanced), G of the z grid lines', async () => {
  const model = fakeGan(2, 2);
  const rng = new Rng(11);
  const before = rng.getState();
  const opts = { range: [-5, 5] as [number, number], resolution: 80, generatedCount: 3 };
  const a = await ganLabSnapshot(model, Float32Array.from([0, 0, 1, 1]), 2, 10, rng, opts);
  const b = await ganLabSnapshot(model, Float32Array.from([0, 0, 1, 1]), 2, 20, rng, opts);
  assert.deepEqual(rng.getState(), before);
  assert.deepEqual(a.generated, b.generated, 'the same noise at every frame');
  assert.deepEqual(a.generated, standardNormals(new Rng(11), 6).map((v) => 2 * v));
  // D in chunks of at most 4096 points: the 6400 of an 80 x 80 grid take two calls.
  assert.deepEqual(model.calls.slice(0, 2), [4096, 2304]);
  const grid = ganLabGrid([-5, 5], 80, 2);
  assert.equal(a.discriminator[81], Math.fround(sigmoid(grid[162] + grid[163] / 2)));
  assert.deepEqual([grid[162], grid[163]], [-4.8125, 4.8125], 'row 1, column 1: centres of cells 0.125 wide');
  // Mesh: 11 lines of 41 points per direction over [-2, 2]^2.
  const { mesh } = a;
  assert.deepEqual([mesh.lines, mesh.pointsPerLine, mesh.alongZ1.length, mesh.alongZ2!.length], [11, 41, 902, 902]);
  assert.deepEqual([...mesh.alongZ1.subarray(0, 2)], [-4, -4], 'line z2 = -2, first point z1 = -2: G = 2 z');
  // Along z2, line 3 (z1 = -2 + 4 * 3 / 10 = -0.8), point 10 (z2 = -2 + 4 * 10 / 40 = -1).
  const p = 3 * 41 + 10;
  assert.ok(Math.abs(mesh.alongZ2![2 * p] - -1.6) < 1e-6 && Math.abs(mesh.alongZ2![2 * p + 1] - -2) < 1e-6);

  // Drawn: the vertical line z1 = 0 (line 5 along z2) is G's image x = 0, red, between the
  // horizontal lines (blue, y = 0.8 k, rows 64 - (y + 5) * 6.4); row 29 crosses none of them.
  const img = ganLabFrame({ ...a, real: Float32Array.from([4.9, 4.9]) }, { size: 64 });
  assert.deepEqual(pixel(img, 'right', 32, 29, 64), [214, 39, 40]);
  assert.deepEqual(pixel(img, 'right', 32, 26, 64), [31, 119, 180], 'the line y = 0.8 crosses it at row 26, drawn over it');
  assert.deepEqual(pixel(img, 'right', 20, 29, 64), [255, 255, 255]);
});

test('1-D frame: D as bands and a curve, histograms, G(z) as a curve', async () => {
  const S = 64;
  const model = fakeGan(1, 1);
  const input = await ganLabSnapshot(model, Float32Array.from([0.5, 1, 1.5]), 1, 5, new Rng(1), { range: [-5, 5], resolution: 16, generatedCount: 100 });
  assert.deepEqual([input.discriminator.length, input.mesh.lines, input.mesh.pointsPerLine, input.mesh.alongZ2], [16, 1, 101, undefined]);
  const img = ganLabFrame(input, { size: S });
  assert.deepEqual([img.width, img.height], [2 * S + 24, S + 64]);
  // Column 10 lies in cell 2 (centre -5 + 2.5 * 0.625 = -3.4375); row 2 is above every curve there.
  assert.deepEqual(pixel(img, 'left', 10, 2, S), discriminatorColor(sigmoid(-3.4375)));
  // D's curve at cell 12 (centre 2.8125): row (S - 2) (1 - D), two pixels thick.
  const row = Math.floor(62 * (1 - sigmoid(2.8125)));
  assert.deepEqual(pixel(img, 'left', Math.floor((12.5 * S) / 16), row, S), [0, 0, 0]);
  // G(0) = 0: point 50 of 101, column 50 / 100 * 63 = 31.5, row 64 - 32 = 32.
  assert.deepEqual(pixel(img, 'right', 31, 32, S), [...GENERATED_COLOR]);
  assert.deepEqual(pixel(img, 'right', 20, 10, S), [255, 255, 255]);
});

test('frames the GAN lab cannot draw are refused', async () => {
  const input: GanLabInput = {
    step: 0,
    dim: 3,
    range: [0, 1],
    real: new Float32Array(3),
    generated: new Float32Array(3),
    discriminator: new Float32Array(8),
    discriminatorOutput: 'probability',
    mesh: { alongZ1: new Float32Array(6), lines: 1, pointsPerLine: 2, zRange: 2 },
    latentSize: 2,
  };
  assert.throws(() => ganLabFrame(input), /1-D or 2-D/);
  await assert.rejects(ganLabSnapshot(fakeGan(2, 3), new Float32Array(3), 3, 0, new Rng(0)), /1-D or 2-D/);
});

/** The frames of a GIF, walking its blocks: the delay (hundredths of a second) of each image. */
function gifFrames(bytes: Uint8Array): { header: string; width: number; height: number; delays: number[]; images: number } {
  const header = String.fromCharCode(...bytes.subarray(0, 6));
  const width = bytes[6] | (bytes[7] << 8);
  const height = bytes[8] | (bytes[9] << 8);
  let p = 13 + (bytes[10] & 0x80 ? 3 << ((bytes[10] & 7) + 1) : 0);
  const skipSubBlocks = () => {
    while (bytes[p] !== 0) p += bytes[p] + 1;
    p++;
  };
  const delays: number[] = [];
  let images = 0;
  for (;;) {
    const block = bytes[p++];
    if (block === 0x3b) break;
    if (block === 0x21) {
      const label = bytes[p++];
      if (label === 0xf9) delays.push(bytes[p + 2] | (bytes[p + 3] << 8));
      skipSubBlocks();
    } else if (block === 0x2c) {
      const flags = bytes[p + 8];
      p += 9 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0) + 1; // descriptor, local table, LZW code size
      skipSubBlocks();
      images++;
    } else {
      throw new Error(`unexpected GIF block 0x${block.toString(16)} at ${p - 1}`);
    }
  }
  return { header, width, height, delays, images };
}

test('GIF: a GIF89a of every frame, their delays, the last held a second longer; long runs thinned', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-gif-'));
  try {
    const frame = (k: number, channels: number): GridImage => ({ width: 10, height: 6, channels, data: new Uint8Array(60 * channels).fill(20 * k) });
    const file = path.join(dir, 'a.gif');
    writeGif(file, [frame(1, 3), frame(2, 3), frame(3, 3)], 50);
    const gif = gifFrames(fs.readFileSync(file));
    assert.deepEqual(gif, { header: 'GIF89a', width: 10, height: 6, delays: [5, 5, 105], images: 3 });
    writeGif(file, Array.from({ length: 150 }, (_, k) => frame(k % 10, 1)), 100);
    assert.equal(gifFrames(fs.readFileSync(file)).images, MAX_GIF_FRAMES);
    assert.throws(() => writeGif(file, [frame(1, 3), { ...frame(1, 3), width: 5, data: new Uint8Array(90) }], 50), /frames of/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('framesToKeep: evenly spaced, first and last kept, all when few', () => {
  assert.deepEqual(framesToKeep(4, 10), [0, 1, 2, 3]);
  assert.deepEqual(framesToKeep(7, 4), [0, 2, 4, 6]);
  const kept = framesToKeep(250);
  assert.equal(kept.length, 100);
  assert.deepEqual([kept[0], kept[99]], [0, 249]);
  assert.ok(kept.every((k, i) => i === 0 || k > kept[i - 1]));
});
