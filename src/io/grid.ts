/**
 * A grid of example images as one 8-bit image (for sample sheets, reconstructions, data previews),
 * in the manner of torchvision's make_grid: images in row-major order, `padding` pixels of border
 * around and between them, optional text labels under each image in a built-in 3 x 5 pixel font.
 * Browser-safe: the result is plain bytes; the Node side writes it with writePng.
 */
import { check } from '../core/errors.js';

export interface GridImage {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB), as the examples. */
  channels: number;
  /** [height, width, channels] row-major. */
  data: Uint8Array;
}

/** Image shape [H, W, C] of one example of `shape`: a vector is drawn as a one-pixel-high strip. */
export function imageShape(shape: number[]): [number, number, number] {
  return shape.length === 3 ? [shape[0], shape[1], shape[2]] : [1, shape.reduce((a, b) => a * b, 1), 1];
}

export interface GridOptions {
  /** Images per row (default: ceil(sqrt(n))). */
  cols?: number;
  /** Border width in pixels around and between images (default 1). */
  padding?: number;
  /** Border gray level 0..255 (default 128, visible against both black and white backgrounds). */
  padValue?: number;
  /** Values mapped to 0 and 255, clamped outside (default [0, 1]; use [0, 255] for 8-bit data). */
  valueRange?: [number, number];
  /** One caption per image, drawn white on black under it (uppercased; cut to the image width). */
  labels?: string[];
  /** Each image pixel drawn as scale x scale pixels (default 1), so small images stay readable. */
  scale?: number;
}

// 3 x 5 glyphs, rows top to bottom, '#' = on.
const FONT: Record<string, string> = {
  '0': '###|#.#|#.#|#.#|###', '1': '.#.|##.|.#.|.#.|###', '2': '###|..#|###|#..|###', '3': '###|..#|.##|..#|###',
  '4': '#.#|#.#|###|..#|..#', '5': '###|#..|###|..#|###', '6': '###|#..|###|#.#|###', '7': '###|..#|.#.|.#.|.#.',
  '8': '###|#.#|###|#.#|###', '9': '###|#.#|###|..#|###',
  A: '.#.|#.#|###|#.#|#.#', B: '##.|#.#|##.|#.#|##.', C: '.##|#..|#..|#..|.##', D: '##.|#.#|#.#|#.#|##.',
  E: '###|#..|##.|#..|###', F: '###|#..|##.|#..|#..', G: '.##|#..|#.#|#.#|.##', H: '#.#|#.#|###|#.#|#.#',
  I: '###|.#.|.#.|.#.|###', J: '..#|..#|..#|#.#|.#.', K: '#.#|#.#|##.|#.#|#.#', L: '#..|#..|#..|#..|###',
  M: '#.#|###|#.#|#.#|#.#', N: '##.|#.#|#.#|#.#|#.#', O: '.#.|#.#|#.#|#.#|.#.', P: '##.|#.#|##.|#..|#..',
  Q: '.#.|#.#|#.#|##.|.##', R: '##.|#.#|##.|#.#|#.#', S: '.##|#..|.#.|..#|##.', T: '###|.#.|.#.|.#.|.#.',
  U: '#.#|#.#|#.#|#.#|###', V: '#.#|#.#|#.#|#.#|.#.', W: '#.#|#.#|#.#|###|#.#', X: '#.#|#.#|.#.|#.#|#.#',
  Y: '#.#|#.#|.#.|.#.|.#.', Z: '###|..#|.#.|#..|###',
  ' ': '...|...|...|...|...', '-': '...|...|###|...|...', '.': '...|...|...|...|.#.', ':': '...|.#.|...|.#.|...',
  '/': '..#|..#|.#.|#..|#..', '_': '...|...|...|...|###', '+': '...|.#.|###|.#.|...', '=': '...|###|...|###|...',
  '%': '#.#|..#|.#.|#..|#.#', '(': '.#.|#..|#..|#..|.#.', ')': '.#.|..#|..#|..#|.#.', '?': '###|..#|.##|...|.#.',
};
const GLYPH_W = 3;
const GLYPH_H = 5;
/** Caption strip height: 1 pixel above the glyphs, 1 below. */
const LABEL_H = GLYPH_H + 2;

/**
 * The first `n` examples of `images` ([n, H, W, C] values, C = 1 or 3; [H, W] means C = 1)
 * laid out in a grid. Output size: cols * (sW + p) + p wide, rows * (sH + p [+ 7 with labels]) + p
 * high, s the scale.
 */
export function makeGrid(images: Float32Array, n: number, shape: number[], opts: GridOptions = {}): GridImage {
  const [H, W, C = 1] = shape;
  check(shape.length === 2 || shape.length === 3, () => `makeGrid: shape must be [H, W] or [H, W, C], got [${shape.join(', ')}]`);
  check(C === 1 || C === 3, () => `makeGrid: images need 1 or 3 channels, got ${C}`);
  check(Number.isInteger(n) && n > 0, () => `makeGrid: n must be a positive integer, got ${n}`);
  check(images.length >= n * H * W * C, () => `makeGrid: ${images.length} values cannot hold ${n} images of ${shape.join(' x ')}`);
  const cols = Math.min(n, opts.cols ?? Math.ceil(Math.sqrt(n)));
  check(Number.isInteger(cols) && cols > 0, () => `makeGrid: cols must be a positive integer, got ${opts.cols}`);
  const rows = Math.ceil(n / cols);
  const pad = opts.padding ?? 1;
  check(Number.isInteger(pad) && pad >= 0, () => `makeGrid: padding must be a non-negative integer, got ${pad}`);
  const [lo, hi] = opts.valueRange ?? [0, 1];
  check(hi > lo, () => `makeGrid: valueRange [${lo}, ${hi}] is empty`);
  const labels = opts.labels;
  check(!labels || labels.length >= n, () => `makeGrid: ${labels!.length} labels for ${n} images`);
  const labelH = labels ? LABEL_H : 0;
  const s = opts.scale ?? 1;
  check(Number.isInteger(s) && s >= 1, () => `makeGrid: scale must be a positive integer, got ${opts.scale}`);

  const cellW = W * s + pad;
  const cellH = H * s + labelH + pad;
  const width = cols * cellW + pad;
  const height = rows * cellH + pad;
  const data = new Uint8Array(width * height * C).fill(opts.padValue ?? 128);
  const scale = 255 / (hi - lo);

  for (let i = 0; i < n; i++) {
    const top = pad + Math.floor(i / cols) * cellH;
    const left = pad + (i % cols) * cellW;
    // 1. The image, values mapped from valueRange to 0..255, each pixel an s x s block.
    for (let y = 0; y < H * s; y++) {
      for (let x = 0; x < W * s; x++) {
        for (let c = 0; c < C; c++) {
          const v = (images[((i * H + Math.floor(y / s)) * W + Math.floor(x / s)) * C + c] - lo) * scale;
          data[((top + y) * width + left + x) * C + c] = Math.min(255, Math.max(0, Math.round(v)));
        }
      }
    }
    // 2. Its caption on a black strip below, as many characters as fit (4 pixels each).
    if (labels) {
      const stripTop = top + H * s;
      for (let y = 0; y < LABEL_H; y++) data.fill(0, ((stripTop + y) * width + left) * C, ((stripTop + y) * width + left + W * s) * C);
      drawText({ width, height, channels: C, data }, left, stripTop + 1, labels[i].slice(0, Math.floor((W * s + 1) / (GLYPH_W + 1))));
    }
  }
  return { width, height, channels: C, data };
}

/**
 * Writes `text` (uppercased) into `img` in the 3 x 5 font, top-left corner at (x, y), 4 pixels per
 * character, in `color` (one value per channel; default white). Pixels outside the image are skipped.
 */
export function drawText(img: GridImage, x: number, y: number, text: string, color: readonly number[] = [255, 255, 255]): void {
  const { width, height, channels: C, data } = img;
  [...text.toUpperCase()].forEach((ch, k) => {
    const rowsOfGlyph = (FONT[ch] ?? FONT['?']).split('|');
    for (let gy = 0; gy < GLYPH_H; gy++) {
      for (let gx = 0; gx < GLYPH_W; gx++) {
        const px = x + k * (GLYPH_W + 1) + gx;
        const py = y + gy;
        if (rowsOfGlyph[gy][gx] !== '#' || px < 0 || px >= width || py < 0 || py >= height) continue;
        for (let c = 0; c < C; c++) data[(py * width + px) * C + c] = color[Math.min(c, color.length - 1)];
      }
    }
  });
}
