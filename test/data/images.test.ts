import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import { fromRgba, imageDataset, imageFolderFiles, isPng, parseImageSize, pathListing, pngStoresColor } from '../../src/data/images.js';
import { splitDeterministically } from '../../src/data/split.js';
import { loadImageFolder, writePng } from '../../src/node/data/images.js';
import { loadDataSpec } from '../../src/node/data/spec.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-imgcore-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function noise(width: number, height: number, channels: number, seed: number) {
  const rng = new Rng(seed);
  return { width, height, channels, data: Uint8Array.from({ length: width * height * channels }, () => rng.int(256)) };
}

/** Every file under `dir` as a browser's folder picker lists it: 'FOLDER/sub/name' (folders themselves are not listed). */
function pickedPaths(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}/${e.name}`);
      else out.push(`${rel}/${e.name}`);
    }
  };
  walk(dir, path.basename(dir));
  return out.reverse(); // the picker's order is not sorted; the layout must sort
}

/** The studio's path: the picked files' paths, each PNG decoded to RGBA (pngjs here, the browser's decoder there). */
function asStudio(dir: string, opts: { size?: [number, number] } = {}) {
  const folderName = path.basename(dir);
  const folder = imageFolderFiles(pathListing(pickedPaths(dir)), folderName);
  const images = folder.files.map((f) => {
    const bytes = fs.readFileSync(path.join(path.dirname(dir), f));
    assert.ok(isPng(bytes));
    const png = PNG.sync.read(bytes);
    return fromRgba(png.data, png.width, png.height, pngStoresColor(bytes) ? 3 : 1);
  });
  return imageDataset(`images:${folderName}`, folder, images, opts);
}

test('a folder of class subfolders: the studio\'s listing and decoding give the Dataset loadImageFolder reads', () => {
  const dir = path.join(root, 'shapes');
  fs.mkdirSync(path.join(dir, 'zebra', 'deeper'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'ant'));
  writePng(path.join(dir, 'zebra', 'b.png'), noise(6, 5, 1, 1));
  writePng(path.join(dir, 'zebra', 'a.png'), noise(6, 5, 3, 2));
  writePng(path.join(dir, 'zebra', 'deeper', 'ignored.png'), noise(6, 5, 1, 3));
  writePng(path.join(dir, 'ant', 'c.PNG'), noise(6, 5, 4, 4)); // RGBA: composited over black
  writePng(path.join(dir, 'ant', '.hidden.png'), noise(6, 5, 1, 5));
  fs.writeFileSync(path.join(dir, 'ant', 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(dir, '.DS_Store'), 'hidden');

  const fromDisk = loadImageFolder(dir);
  assert.deepEqual(fromDisk.classNames, ['ant', 'zebra']);
  assert.deepEqual([...fromDisk.labels!], [0, 1, 1]);
  assert.deepEqual(fromDisk.shape, [5, 6, 3]);
  assert.deepEqual(asStudio(dir), fromDisk);
  // Resized, and split as the CLI splits images:DIR.
  assert.deepEqual(splitDeterministically(asStudio(dir, { size: [3, 4] })), loadDataSpec(`images:${dir}`, { size: [3, 4] }));
});

test('PNG files directly in the folder, gray when all are gray (an RGB file with R = G = B included)', () => {
  const dir = path.join(root, 'flat');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  for (let i = 0; i < 12; i++) writePng(path.join(dir, `${String(i).padStart(2, '0')}.png`), noise(4, 4, 1, 10 + i));
  const gray = noise(4, 4, 1, 99);
  const rgb = new Uint8Array(48);
  gray.data.forEach((v, p) => rgb.fill(v, 3 * p, 3 * p + 3));
  writePng(path.join(dir, '12.png'), { width: 4, height: 4, channels: 3, data: rgb });
  writePng(path.join(dir, 'sub', 'x.png'), noise(4, 4, 3, 7)); // a subfolder beside files is not a class
  const fromDisk = loadImageFolder(dir);
  assert.deepEqual(fromDisk.shape, [4, 4, 1]);
  assert.equal(fromDisk.n, 13);
  assert.deepEqual([...fromDisk.x.subarray(12 * 16)], [...gray.data]);
  assert.deepEqual(asStudio(dir), fromDisk);
});

test('pngStoresColor reads the colour bit of the IHDR chunk (gray, gray + alpha, RGB, RGBA)', () => {
  const file = path.join(root, 'c.png');
  for (const [channels, color] of [[1, false], [3, true], [4, true]] as const) {
    writePng(file, noise(2, 2, channels, 1));
    assert.equal(pngStoresColor(fs.readFileSync(file)), color, `${channels} channels`);
  }
  const grayAlpha = PNG.sync.write(Object.assign(new PNG({ width: 1, height: 1 }), { data: Buffer.from([9, 9, 9, 128]) }), { colorType: 4 });
  assert.equal(pngStoresColor(grayAlpha), false);
  assert.equal(isPng(Buffer.from('not a png at all')), false);
});

test('the layout rules give the same messages from a picked folder as from the disk', () => {
  const listing = pathListing(['pics/a/1.png', 'pics/b/notes.txt']);
  assert.throws(() => imageFolderFiles(listing, 'pics'), (e: Error) => e instanceof UserError && e.message === 'pics/b: no .png files (every subfolder of pics is read as a class)');
  assert.throws(() => imageFolderFiles(pathListing(['pics/readme.md']), 'pics'), /pics: no \.png files/);
  assert.deepEqual(parseImageSize('28x14', 'size'), [28, 14]);
  assert.throws(() => parseImageSize('28', 'size'), /size must be HxW, e\.g\. 28x28, got '28'/);
  assert.throws(() => parseImageSize('0x5', '--size'), /--size must be HxW/);
});
