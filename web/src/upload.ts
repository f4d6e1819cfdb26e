/**
 * Data from the user's own files, read in the page as `genlab train --data csv:FILE` and
 * `--data images:DIR` read them from disk: the same CSV parser (`parseCsv`), the same folder layout
 * and image assembly (`imageFolderFiles`, `imageDataset`); only the PNG decoder is the browser's.
 */
import { fromRgba, imageDataset, imageFolderFiles, isPng, parseCsv, pathListing, pngStoresColor, UserError, type PngImage } from '../../src/index.js';
import type { Upload } from './data.js';

/** A picked CSV file; `labelColumn` names its column of class labels, as --label-column does. */
export async function readCsvFile(file: File, labelColumn?: string): Promise<Upload> {
  const dataset = parseCsv(await file.text(), file.name, { labelColumn });
  return { dataset, source: { spec: `csv:${file.name}`, ...(labelColumn !== undefined && { labelColumn }) } };
}

/** The files of a folder picked with `<input webkitdirectory>`, resized to `size` ([height, width]) as --size does. */
export async function readImageFolder(files: File[], size?: [number, number]): Promise<Upload> {
  if (files.length === 0) throw new UserError('the picked folder holds no files');
  const byPath = new Map(files.map((f) => [f.webkitRelativePath || f.name, f]));
  const folderName = [...byPath.keys()][0].split('/')[0];
  const folder = imageFolderFiles(pathListing([...byPath.keys()]), folderName);
  const images: PngImage[] = [];
  // One at a time: a folder of thousands would otherwise hold every bitmap at once.
  for (const file of folder.files) images.push(await decodePng(file, byPath.get(file)!));
  const dataset = imageDataset(`images:${folderName}`, folder, images, { size });
  return { dataset, source: { spec: `images:${folderName}`, ...(size && { size }) } };
}

/** One PNG decoded by the browser, gray or RGB as the file stores it (as the CLI's pngjs reads it). */
async function decodePng(name: string, file: File): Promise<PngImage> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!isPng(bytes)) throw new UserError(`${name}: not a PNG file (no PNG signature)`);
  let bitmap: ImageBitmap;
  try {
    // No colour management: the file's 8-bit values, as pngjs returns them.
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: 'image/png' }), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    throw new UserError(`${name}: corrupt PNG (${(e as Error).message || 'the browser cannot decode it'})`);
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  // Drawn over opaque black: transparency composited over black, as the CLI composites it (and the
  // canvas then holds no partly transparent pixel whose colour it would round).
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return fromRgba(ctx.getImageData(0, 0, width, height).data, width, height, pngStoresColor(bytes) ? 3 : 1);
}
