/**
 * PNG files in and out: a folder of PNGs as a Dataset (kind 'uint8'), and `readPng` / `writePng`
 * for single images (the CLI writes its sample grids with `writePng`). Reading decodes with pngjs;
 * the folder layout, channels, sizes and resizing are the browser-safe core's (src/data/images.ts,
 * which documents them), shared with the studio.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { UserError, check } from '../../core/errors.js';
import { writeFileAtomic as writeFileAtomicRaw } from '../fsAtomic.js';
import type { Dataset } from '../../data/dataset.js';
import { fromRgba, imageDataset, imageFolderFiles, isPng, pngStoresColor, type FolderListing, type ImageFolderOptions, type PngImage, type RasterImage } from '../../data/images.js';

export type { ImageFolderOptions, PngImage, RasterImage, ResizeMethod } from '../../data/images.js';

/** Reads one PNG file; a missing, non-PNG or corrupt file is a UserError naming it. */
export function readPng(file: string): PngImage {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read image ${file}: ${describeFsError(e)}`);
  }
  check(isPng(buf), () => `${file}: not a PNG file (no PNG signature)`);
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(buf);
  } catch (e) {
    throw new UserError(`${file}: corrupt PNG (${(e as Error).message})`);
  }
  // pngjs always decodes to 8-bit RGBA.
  return fromRgba(png.data, png.width, png.height, pngStoresColor(buf) ? 3 : 1);
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
  check(fs.existsSync(dir), () => `no such folder: ${dir}`);
  check(fs.statSync(dir).isDirectory(), () => `${dir} is not a folder`);
  const folder = imageFolderFiles(DISK, dir);
  return imageDataset(`images:${path.basename(path.resolve(dir))}`, folder, folder.files.map(readPng), opts);
}

/** Folders on disk, as the image folder layout reads them. */
const DISK: FolderListing = {
  entries: (dir) =>
    fs.readdirSync(dir).map((name) => {
      // A dangling link (an editor's lock file) is no image and no class: skipped, not fatal.
      const stat = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
      return { name, kind: stat?.isFile() ? 'file' : stat?.isDirectory() ? 'folder' : 'other' };
    }),
  join: (dir, name) => path.join(dir, name),
};

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
