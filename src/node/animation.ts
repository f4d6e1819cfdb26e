/**
 * Frames as an animated GIF (GIF89a, looping), encoded by gifenc. All frames share one 256-colour
 * palette quantized from a spread of them, so a colour does not flicker between frames; the
 * pictures genlab animates (the GAN lab's heat maps, dots and lines) have far fewer colours than that.
 */
import gifenc from 'gifenc';
import { check } from '../core/errors.js';
import type { GridImage } from '../io/grid.js';
import { writeFileAtomic } from './fsAtomic.js';

/** An animation keeps at most this many frames (evenly spaced, first and last included). */
export const MAX_GIF_FRAMES = 100;
/** The palette is quantized from this many frames, evenly spaced. */
const PALETTE_FRAMES = 8;
/** The last frame stays this much longer, so a looping animation shows where training ended. */
const LAST_FRAME_HOLD_MS = 1000;

/** Indices of at most `max` of `count` frames, evenly spaced, the first and the last always kept. */
export function framesToKeep(count: number, max = MAX_GIF_FRAMES): number[] {
  check(Number.isInteger(max) && max >= 2, () => `framesToKeep: max must be an integer >= 2, got ${max}`);
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.round((i * (count - 1)) / (max - 1)));
}

/**
 * Writes `frames` (all one size, 1 or 3 channels) to `file` as a looping GIF, `delayMs` per frame
 * (GIF counts in hundredths of a second) and the last held LAST_FRAME_HOLD_MS longer; more than
 * MAX_GIF_FRAMES frames are thinned to that many (`framesToKeep`).
 */
export function writeGif(file: string, frames: GridImage[], delayMs: number): void {
  check(frames.length > 0, () => `writeGif ${file}: no frames`);
  check(Number.isFinite(delayMs) && delayMs >= 0, () => `writeGif ${file}: delay must be >= 0 ms, got ${delayMs}`);
  const { width, height } = frames[0];
  for (const f of frames) {
    check(f.width === width && f.height === height, () => `writeGif ${file}: frames of ${f.width} x ${f.height} and ${width} x ${height}`);
    check(f.channels === 1 || f.channels === 3, () => `writeGif ${file}: frames need 1 or 3 channels, got ${f.channels}`);
    check(f.data.length === width * height * f.channels, () => `writeGif ${file}: ${f.data.length} bytes for ${width} x ${height} x ${f.channels}`);
  }
  const kept = framesToKeep(frames.length).map((i) => rgba(frames[i]));

  // 1. One palette for every frame, from a spread of them.
  const sampled = framesToKeep(kept.length, PALETTE_FRAMES).map((i) => kept[i]);
  const pool = new Uint8Array(sampled.length * width * height * 4);
  sampled.forEach((pixels, k) => pool.set(pixels, k * pixels.length));
  const palette = gifenc.quantize(pool, 256);

  // 2. Each frame as indices into it, written with its delay. Only the first frame names the palette:
  // it becomes the global colour table, which later frames use instead of a local one of their own.
  const gif = gifenc.GIFEncoder();
  kept.forEach((pixels, i) => {
    const delay = i === kept.length - 1 ? delayMs + LAST_FRAME_HOLD_MS : delayMs;
    gif.writeFrame(gifenc.applyPalette(pixels, palette), width, height, { ...(i === 0 && { palette }), delay, repeat: 0 });
  });
  gif.finish();
  writeFileAtomic(file, gif.bytesView());
}

/** Gray or RGB pixels as RGBA, opaque. */
function rgba(img: GridImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) out[4 * p + c] = img.data[p * img.channels + (img.channels === 3 ? c : 0)];
    out[4 * p + 3] = 255;
  }
  return out;
}
