/**
 * PNG files in and out: a folder of PNGs as a Dataset (kind 'uint8'), and `readPng` / `writePng`
 * for single images (the CLI writes its sample grids with `writePng`).
 *
 * Folder layout: either PNG files directly in the folder (no labels), or only subfolders, each one
 * a class holding its PNG files (labels = subfolder index in sorted order, classNames = their names),
 * as torchvision's ImageFolder. Names starting with '.' are ignored; files are taken in sorted order.
 *
 * Pixels: 8-bit, channels last. Transparent pixels are composited over black (the background of
 * MNIST-style white-on-black images). RGB -> gray uses the ITU-R BT.601 luma weights
 * 0.299 R + 0.587 G + 0.114 B (as PIL's 'L' mode).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { UserError, check } from '../../core/errors.js';
import { writeFileAtomic as writeFileAtomicRaw } from '../fsAtomic.js';
import { Dataset } from '../../data/dataset.js';

/** An 8-bit image, [height, width, channels] row-major. */
export interface RasterImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** A decoded PNG: 1 channel if the file stores gray, 3 if colour (palette included). */
export interface PngImage extends RasterImage {
  channels: 1 | 3;
}

export type ResizeMethod = 'bilinear' | 'area';

export interface ImageFolderOptions {
  /** [height, width] every image is resized to (default: the first image's size; then all must match). */
  size?: [number, number];
  /** 1 = gray, 3 = RGB (default: 1 if every image is gray, i.e. R = G = B everywhere, else 3). */
  channels?: 1 | 3;
  /**
   * How to resize (default: 'area' along an axis that shrinks, which averages every covered pixel and
   * so does not alias, and 'bilinear' along one that grows).
   */
  resize?: ResizeMethod;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads one PNG file; a missing, non-PNG or corrupt file is a UserError naming it. */
export function readPng(file: string): PngImage {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read image ${file}: ${describeFsError(e)}`);
  }
  check(buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE), () => `${file}: not a PNG file (no PNG signature)`);
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(buf);
  } catch (e) {
    throw new UserError(`${file}: corrupt PNG (${(e as Error).message})`);
  }
  const { width, height } = png;
  const channels: 1 | 3 = png.color ? 3 : 1;
  const data = new Uint8Array(width * height * channels);
  const rgba = png.data; // pngjs always decodes to 8-bit RGBA
  for (let p = 0; p < width * height; p++) {
    const a = rgba[4 * p + 3];
    for (let c = 0; c < channels; c++) {
      const v = rgba[4 * p + c];
      data[p * channels + c] = a === 255 ? v : Math.round((v * a) / 255);
    }
  }
  return { width, height, channels, data };
}

/** Writes an 8-bit gray (1), RGB (3) or RGBA (4) image as PNG, atomically (temporary file, then rename). */
export function writePng(file: string, img: RasterImage): void {
  const { width, height, channels, data } = img;
  check(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0, () => `writePng ${file}: bad size ${width} x ${height}`);
  check(channels === 1 || channels === 3 || channels === 4, () => `writePng ${file}: channels must be 1, 3 or 4, got ${channels}`);
  check(data.length === width * height * channels, () => `writePng ${file}: ${data.length} bytes for ${height} x ${width} x ${channels}`);
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  // pngjs' packer takes any {width, height, data}; with inputColorType = colorType it packs the bytes as they are.
  const meta = { width, height, data: Buffer.from(data.buffer, data.byteOffset, data.length) } as unknown as PNG;
  const bytes = PNG.sync.write(meta, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
  writeFileAtomic(file, bytes);
}

/** Every PNG in `dir` (or in its class subfolders) as one Dataset of kind 'uint8', shape [H, W, C]. */
export function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): Dataset {
  // 1. The files, and their classes when the folder holds only subfolders.
  check(fs.existsSync(dir), () => `no such folder: ${dir}`);
  check(fs.statSync(dir).isDirectory(), () => `${dir} is not a folder`);
  const entries = visibleEntries(dir);
  const files: string[] = [];
  let labels: Int32Array | undefined;
  let classNames: string[] | undefined;
  if (entries.length > 0 && entries.every((e) => fs.statSync(path.join(dir, e)).isDirectory())) {
    classNames = entries;
    const perFile: number[] = [];
    classNames.forEach((cls, k) => {
      const pngs = pngFiles(path.join(dir, cls));
      check(pngs.length > 0, () => `${path.join(dir, cls)}: no .png files (every subfolder of ${dir} is read as a class)`);
      for (const f of pngs) {
        files.push(f);
        perFile.push(k);
      }
    });
    labels = Int32Array.from(perFile);
  } else {
    files.push(...pngFiles(dir));
    check(files.length > 0, () => `${dir}: no .png files`);
  }

  // 2. Decode everything, then settle the common size and channel count.
  const images = files.map(readPng);
  const [H, W] = opts.size ?? [images[0].height, images[0].width];
  check(Number.isInteger(H) && H > 0 && Number.isInteger(W) && W > 0, () => `image size must be two positive integers [height, width], got [${H}, ${W}]`);
  if (!opts.size) {
    images.forEach((img, i) =>
      check(img.height === H && img.width === W, () =>
        `${files[i]} is ${img.height} x ${img.width} (height x width) but ${files[0]} is ${H} x ${W}; give a size to resize them all`,
      ),
    );
  }
  const C = opts.channels ?? (images.every(isGray) ? 1 : 3);
  check(C === 1 || C === 3, () => `channels must be 1 or 3, got ${C}`);

  // 3. Convert and resize each image into its slot; values stay integers 0..255.
  const D = H * W * C;
  const x = new Float32Array(files.length * D);
  images.forEach((img, i) => {
    const converted = convertChannels(img, C);
    const out = x.subarray(i * D, (i + 1) * D);
    if (img.height === H && img.width === W) out.set(converted);
    else resizeInto(converted, img.height, img.width, C, out, H, W, opts.resize);
  });
  for (let i = 0; i < x.length; i++) x[i] = Math.min(255, Math.max(0, Math.round(x[i])));

  const d: Dataset = { name: `images:${path.basename(path.resolve(dir))}`, x, n: files.length, shape: [H, W, C], kind: 'uint8' };
  if (labels) Object.assign(d, { labels, classNames });
  return d;
}

function visibleEntries(dir: string): string[] {
  return fs.readdirSync(dir).filter((e) => !e.startsWith('.')).sort();
}

function pngFiles(dir: string): string[] {
  return visibleEntries(dir)
    .filter((e) => e.toLowerCase().endsWith('.png'))
    .map((e) => path.join(dir, e))
    .filter((f) => fs.statSync(f).isFile());
}

function isGray(img: PngImage): boolean {
  if (img.channels === 1) return true;
  const d = img.data;
  for (let p = 0; p < d.length; p += 3) if (d[p] !== d[p + 1] || d[p] !== d[p + 2]) return false;
  return true;
}

/** The image's pixels with `C` channels: gray replicated to RGB, or RGB reduced to BT.601 luma. */
function convertChannels(img: PngImage, C: number): Uint8Array {
  if (img.channels === C) return img.data;
  const P = img.width * img.height;
  const out = new Uint8Array(P * C);
  for (let p = 0; p < P; p++) {
    if (C === 3) out.fill(img.data[p], 3 * p, 3 * p + 3);
    else out[p] = Math.round(0.299 * img.data[3 * p] + 0.587 * img.data[3 * p + 1] + 0.114 * img.data[3 * p + 2]);
  }
  return out;
}

/** Source indices and weights for each output position along one axis. */
interface Taps {
  index: number[][];
  weight: number[][];
}

function axisTaps(inSize: number, outSize: number, method: ResizeMethod | undefined): Taps {
  const scale = inSize / outSize;
  const index: number[][] = [];
  const weight: number[][] = [];
  const area = method === 'area' || (method === undefined && outSize < inSize);
  for (let o = 0; o < outSize; o++) {
    if (area) {
      // Output pixel o covers source interval [o * scale, (o + 1) * scale): weight = overlap / scale.
      const lo = o * scale;
      const hi = (o + 1) * scale;
      const idx: number[] = [];
      const w: number[] = [];
      for (let i = Math.floor(lo); i < Math.min(inSize, Math.ceil(hi)); i++) {
        const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
        if (overlap > 0) {
          idx.push(i);
          w.push(overlap / scale);
        }
      }
      index.push(idx);
      weight.push(w);
    } else {
      // Bilinear with pixel centres aligned (half-pixel offsets), clamped at the borders.
      const src = Math.min(inSize - 1, Math.max(0, (o + 0.5) * scale - 0.5));
      const i0 = Math.floor(src);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const f = src - i0;
      index.push([i0, i1]);
      weight.push([1 - f, f]);
    }
  }
  return { index, weight };
}

/** Separable resize of [h, w, C] `src` into [H, W, C] `out`: rows first, then columns. */
function resizeInto(src: Uint8Array, h: number, w: number, C: number, out: Float32Array, H: number, W: number, method?: ResizeMethod): void {
  const tx = axisTaps(w, W, method);
  const ty = axisTaps(h, H, method);
  const tmp = new Float32Array(h * W * C); // [h, W, C]
  for (let y = 0; y < h; y++) {
    for (let X = 0; X < W; X++) {
      const idx = tx.index[X];
      const wt = tx.weight[X];
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let t = 0; t < idx.length; t++) s += wt[t] * src[(y * w + idx[t]) * C + c];
        tmp[(y * W + X) * C + c] = s;
      }
    }
  }
  for (let Y = 0; Y < H; Y++) {
    const idx = ty.index[Y];
    const wt = ty.weight[Y];
    for (let X = 0; X < W; X++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let t = 0; t < idx.length; t++) s += wt[t] * tmp[(idx[t] * W + X) * C + c];
        out[(Y * W + X) * C + c] = s;
      }
    }
  }
}

/** The shared atomic write, its failures as one-line UserErrors naming the file. */
function writeFileAtomic(file: string, bytes: Uint8Array): void {
  try {
    writeFileAtomicRaw(file, bytes);
  } catch (e) {
    throw new UserError(`cannot write ${file}: ${describeFsError(e)}`);
  }
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? (e as Error).message;
}
