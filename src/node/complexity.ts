/**
 * Input complexity L(x) for the complexity-corrected anomaly score of Serra et al. 2020 (see
 * src/eval/anomaly.ts): the length in bits of x losslessly compressed, here as a PNG file.
 *
 * Compressor: pngjs' encoder (the `pngjs` dependency), 8-bit grey (colour type 0) or RGB (2), all
 * five PNG row filters tried per row (filterType -1, pngjs' heuristic picks one), zlib deflate at
 * level 9 with the default strategy (pngjs' own default is the run-length strategy, which
 * compresses worse). Serra et al. used OpenCV's PNG at its highest compression, the closest plain
 * compressor to ours. L(x) is the whole file, signature and header chunks included: ~57 bytes of
 * fixed overhead, the same for every image of a size, which moves every score alike and so
 * changes no ranking.
 *
 * Values are drawn as the model sees them, scaled to 0..255: intensities in [0, 1] as round(255 x),
 * 8-bit values as they are, binary images as 0/255 (so a binarized image is compressed as the
 * black-and-white picture the model scored, not as its grey original).
 */
import { PNG } from 'pngjs';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { UserError } from '../core/errors.js';

const PNG_OPTIONS = { deflateLevel: 9, deflateStrategy: 0, filterType: -1 };

/** Why the PNG length does not apply to these data (undefined when it does). */
export function complexityUnavailable(d: Pick<Dataset, 'shape' | 'kind' | 'name'>): string | undefined {
  if (d.shape.length !== 3 || (d.shape[2] !== 1 && d.shape[2] !== 3)) {
    return `'${d.name}' is not images (shape ${d.shape.join('x')}): PNG compression measures the complexity of gray or RGB images`;
  }
  if (d.kind === 'real') return `'${d.name}' holds real values, not pixel intensities: PNG compression does not apply`;
  return undefined;
}

/** L(x): bits of each example's PNG file, in input order. */
export function pngLengthBits(d: Dataset): Float64Array {
  const reason = complexityUnavailable(d);
  if (reason) throw new UserError(reason);
  const [height, width, channels] = d.shape;
  const D = exampleSize(d);
  const scale = d.kind === 'uint8' ? 1 : 255;
  const colorType = channels === 1 ? 0 : 2;
  const pixels = Buffer.alloc(D);
  const bits = new Float64Array(d.n);
  for (let i = 0; i < d.n; i++) {
    const x = d.x.subarray(i * D, (i + 1) * D);
    for (let j = 0; j < D; j++) pixels[j] = Math.min(255, Math.max(0, Math.round(x[j] * scale)));
    // pngjs' packer takes any {width, height, data}; with inputColorType = colorType it packs the bytes as they are.
    const image = { width, height, data: pixels } as unknown as PNG;
    bits[i] = 8 * PNG.sync.write(image, { ...PNG_OPTIONS, colorType, inputColorType: colorType, inputHasAlpha: false }).length;
  }
  return bits;
}
