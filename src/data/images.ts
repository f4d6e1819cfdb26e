/**
 * A folder of images as a Dataset (kind 'uint8', shape [H, W, C]), after decoding: which files a
 * folder holds and their classes, the common channel count, the size check, resizing, assembly. The
 * CLI decodes PNG files with pngjs (src/node/data/images.ts), the studio with the browser's own
 * decoder; both hand the decoded images here, so a folder becomes the same Dataset in either.
 *
 * Folder layout: either PNG files directly in the folder (no labels), or only subfolders, each one
 * a class holding its PNG files (labels = subfolder index in sorted order, classNames = their names),
 * as torchvision's ImageFolder. Names starting with '.' are ignored; files are taken in sorted order.
 *
 * Pixels: 8-bit, channels last. Transparent pixels are composited over black (the background of
 * MNIST-style white-on-black images). RGB -> gray uses the ITU-R BT.601 luma weights
 * 0.299 R + 0.587 G + 0.114 B (as PIL's 'L' mode).
 */
import { check } from '../core/errors.js';
import type { Dataset } from './dataset.js';

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

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Whether a PNG stores colour: bit 2 of the colour type in its IHDR chunk (byte 25), which is set for
 * RGB, RGBA and palette images (pngjs' `color`). A decoder that only returns RGBA (the browser's)
 * learns from it whether the file was gray.
 */
export function pngStoresColor(bytes: Uint8Array): boolean {
  return bytes.length > 25 && (bytes[25] & 2) !== 0;
}

/**
 * A decoded RGBA image [height, width, 4] as `channels` 1 (the R plane: the file stores gray, so
 * R = G = B) or 3, transparency composited over black.
 */
export function fromRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: 1 | 3): PngImage {
  const data = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const a = rgba[4 * p + 3];
    for (let c = 0; c < channels; c++) {
      const v = rgba[4 * p + c];
      data[p * channels + c] = a === 255 ? v : Math.round((v * a) / 255);
    }
  }
  return { width, height, channels, data };
}

/** One entry of a folder: a file, a folder, or anything else (a socket, a broken link). */
export interface FolderEntry {
  name: string;
  kind: 'file' | 'folder' | 'other';
}

/** A folder tree to read images from: the disk (Node) or the files of a folder picked in the browser. */
export interface FolderListing {
  /** The entries of folder `dir`, in any order. */
  entries(dir: string): FolderEntry[];
  /** The path of `name` inside `dir`, as messages and `entries` name it. */
  join(dir: string, name: string): string;
}

/**
 * The folders of a list of file paths ('/'-separated, e.g. the webkitRelativePath of every file of a
 * folder picked in the browser, 'digits/3/a.png'): a folder is any path's proper prefix. Nothing but
 * files is listed, so an empty folder does not exist here.
 */
export function pathListing(paths: string[]): FolderListing {
  const children = new Map<string, Map<string, FolderEntry>>();
  for (const p of paths) {
    const parts = p.split('/').filter((s) => s !== '');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      let inside = children.get(dir);
      if (!inside) children.set(dir, (inside = new Map()));
      const kind = i === parts.length - 1 ? 'file' : 'folder';
      if (!inside.has(parts[i]) || kind === 'folder') inside.set(parts[i], { name: parts[i], kind });
    }
  }
  return {
    entries: (dir) => [...(children.get(dir)?.values() ?? [])],
    join: (dir, name) => `${dir}/${name}`,
  };
}

/** The image files of a folder, in the order they become examples, with their classes when it has class subfolders. */
export interface ImageFolderFiles {
  files: string[];
  labels?: Int32Array;
  classNames?: string[];
}

/** The PNG files of folder `dir` and their classes, by the layout rules above. */
export function imageFolderFiles(listing: FolderListing, dir: string): ImageFolderFiles {
  const visible = (d: string): FolderEntry[] => listing.entries(d).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const pngFiles = (d: string): string[] => visible(d).filter((e) => e.kind === 'file' && e.name.toLowerCase().endsWith('.png')).map((e) => listing.join(d, e.name));
  const entries = visible(dir);
  if (entries.length > 0 && entries.every((e) => e.kind === 'folder')) {
    const classNames = entries.map((e) => e.name);
    const files: string[] = [];
    const perFile: number[] = [];
    classNames.forEach((cls, k) => {
      const sub = listing.join(dir, cls);
      const pngs = pngFiles(sub);
      check(pngs.length > 0, () => `${sub}: no .png files (every subfolder of ${dir} is read as a class)`);
      for (const f of pngs) {
        files.push(f);
        perFile.push(k);
      }
    });
    return { files, labels: Int32Array.from(perFile), classNames };
  }
  const files = pngFiles(dir);
  check(files.length > 0, () => `${dir}: no .png files`);
  return { files };
}

/**
 * Decoded images (images[i] read from folder.files[i]) as one Dataset named `name`: a common size
 * (opts.size, or the first image's, which all must then have), a common channel count, values the
 * integers 0..255.
 */
export function imageDataset(name: string, folder: ImageFolderFiles, images: PngImage[], opts: ImageFolderOptions = {}): Dataset {
  const { files } = folder;
  check(images.length === files.length && images.length > 0, () => `${name}: ${images.length} images for ${files.length} files`);
  // 1. The common size and channel count.
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

  // 2. Convert and resize each image into its slot; values stay integers 0..255.
  const D = H * W * C;
  const x = new Float32Array(files.length * D);
  images.forEach((img, i) => {
    const converted = convertChannels(img, C);
    const out = x.subarray(i * D, (i + 1) * D);
    if (img.height === H && img.width === W) out.set(converted);
    else resizeInto(converted, img.height, img.width, C, out, H, W, opts.resize);
  });
  for (let i = 0; i < x.length; i++) x[i] = Math.min(255, Math.max(0, Math.round(x[i])));

  const d: Dataset = { name, x, n: files.length, shape: [H, W, C], kind: 'uint8' };
  if (folder.labels) Object.assign(d, { labels: folder.labels, classNames: folder.classNames });
  return d;
}

/** An image size written HxW (e.g. 28x28) as [height, width]; `what` names the setting in the message. */
export function parseImageSize(text: string, what: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(text);
  check(m && +m[1] >= 1 && +m[2] >= 1, () => `${what} must be HxW, e.g. 28x28, got '${text}'`);
  return [+m[1], +m[2]];
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
