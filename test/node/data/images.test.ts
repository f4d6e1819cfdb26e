import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../../src/core/rng.js';
import { UserError } from '../../../src/core/errors.js';
import { loadImageFolder, readPng, writePng } from '../../../src/node/data/images.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-img-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let count = 0;
function freshDir(): string {
  const d = path.join(root, `d${count++}`);
  fs.mkdirSync(d);
  return d;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function constant(width: number, height: number, channels: number, v: number) {
  return { width, height, channels, data: new Uint8Array(width * height * channels).fill(v) };
}

/** fn must throw a UserError whose message includes every fragment. */
function assertUserError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `'${e.message}' lacks '${f}'`);
    return true;
  });
}

test('gray and RGB images survive writePng -> readPng exactly; nothing temporary is left behind', () => {
  const dir = freshDir();
  for (const channels of [1, 3] as const) {
    const img = { width: 7, height: 5, channels, data: randomBytes(7 * 5 * channels, channels) };
    const file = path.join(dir, `c${channels}.png`);
    writePng(file, img);
    assert.deepEqual(readPng(file), img);
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), ['c1.png', 'c3.png']);
});

test('RGBA is read with transparency composited over black', () => {
  const file = path.join(freshDir(), 'a.png');
  writePng(file, { width: 2, height: 1, channels: 4, data: Uint8Array.from([200, 100, 50, 255, 200, 100, 50, 0]) });
  assert.deepEqual(readPng(file), { width: 2, height: 1, channels: 3, data: Uint8Array.from([200, 100, 50, 0, 0, 0]) });
});

test('a folder of PNGs, in name order, gray when every image is gray', () => {
  const dir = freshDir();
  writePng(path.join(dir, 'b.png'), constant(5, 4, 1, 20));
  writePng(path.join(dir, 'a.png'), constant(5, 4, 3, 10)); // RGB file, gray content
  writePng(path.join(dir, 'c.png'), constant(5, 4, 1, 30));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
  const d = loadImageFolder(dir);
  assert.equal(d.n, 3);
  assert.deepEqual(d.shape, [4, 5, 1]);
  assert.equal(d.kind, 'uint8');
  assert.deepEqual([d.x[0], d.x[20], d.x[40]], [10, 20, 30]);
  assert.equal(d.labels, undefined);
});

test('colour images give RGB by default; channels: 1 asks for BT.601 luma', () => {
  const dir = freshDir();
  writePng(path.join(dir, 'a.png'), { width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0]) });
  writePng(path.join(dir, 'b.png'), { width: 1, height: 1, channels: 1, data: Uint8Array.from([7]) });
  assert.deepEqual([...loadImageFolder(dir).x], [255, 0, 0, 7, 7, 7]);
  assert.deepEqual([...loadImageFolder(dir, { channels: 1 }).x], [76, 7]); // round(0.299 * 255)
});

test('subfolders are classes, in sorted order', () => {
  const dir = freshDir();
  for (const [cls, v] of [['zebra', 1], ['ant', 2]] as const) {
    fs.mkdirSync(path.join(dir, cls));
    writePng(path.join(dir, cls, '0.png'), constant(2, 2, 1, v));
    writePng(path.join(dir, cls, '1.png'), constant(2, 2, 1, v));
  }
  const d = loadImageFolder(dir);
  assert.deepEqual(d.classNames, ['ant', 'zebra']);
  assert.deepEqual([...d.labels!], [0, 0, 1, 1]);
  assert.deepEqual([d.x[0], d.x[8]], [2, 1]);
});

test('resize: area averages 2 x 2 blocks exactly, bilinear keeps a constant image constant', () => {
  const dir = freshDir();
  // 4 x 4 image whose 2 x 2 blocks have means 10, 50, 90, 130.
  const data = Uint8Array.from([0, 20, 40, 60, 0, 20, 40, 60, 80, 100, 120, 140, 80, 100, 120, 140]);
  writePng(path.join(dir, 'a.png'), { width: 4, height: 4, channels: 1, data });
  writePng(path.join(dir, 'b.png'), constant(3, 2, 1, 99));
  assertUserError(() => loadImageFolder(dir), path.join(dir, 'b.png'), 'size');
  const d = loadImageFolder(dir, { size: [2, 2] });
  assert.deepEqual([...d.x], [10, 50, 90, 130, 99, 99, 99, 99]);
  const up = loadImageFolder(dir, { size: [8, 8], resize: 'bilinear' });
  assert.ok(up.x.subarray(64).every((v) => v === 99));
  assert.equal(up.x[0], 0); // the corner stays the corner pixel
  assert.ok(up.x.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
});

test('a corrupt or non-PNG file, an empty folder, a missing folder: UserErrors that name them', () => {
  const dir = freshDir();
  const bad = path.join(dir, 'bad.png');
  fs.writeFileSync(bad, 'not a png at all');
  assertUserError(() => readPng(bad), bad, 'not a PNG');
  assertUserError(() => loadImageFolder(dir), bad);
  const good = path.join(dir, 'good.png');
  writePng(good, constant(4, 4, 1, 1));
  const truncated = path.join(dir, 'trunc.png');
  fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, 40));
  assertUserError(() => readPng(truncated), truncated, 'corrupt');
  assertUserError(() => loadImageFolder(freshDir()), 'no .png files');
  assertUserError(() => loadImageFolder(path.join(root, 'nope')), 'no such folder', 'nope');
  assertUserError(() => writePng(path.join(dir, 'x.png'), { width: 2, height: 2, channels: 1, data: new Uint8Array(3) }), 'x.png');
});
