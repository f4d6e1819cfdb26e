/**
 * Inpainting with a model that can complete (a `CompletionModel`): masks of image regions and K
 * completions per input, shared by `genlab complete` and the studio's density view. Browser-safe.
 */
import { check } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { imageShape } from '../io/grid.js';
import type { CompletionModel } from '../models/capabilities.js';
import type { GenerativeModel } from '../models/model.js';

export const MASK_REGIONS = ['top', 'bottom', 'left', 'right'] as const;
export type MaskRegion = (typeof MASK_REGIONS)[number];

/** The missing-value mask [H * W * C] (1 = missing) of half an image of `shape`, all channels. */
export function regionMask(region: MaskRegion, shape: number[]): Uint8Array {
  check(MASK_REGIONS.includes(region), () => `a mask region is one of ${MASK_REGIONS.join(', ')}, got '${region}'`);
  const [H, W, C] = imageShape(shape);
  const missing = (r: number, c: number): boolean => {
    switch (region) {
      case 'top':
        return r < Math.floor(H / 2);
      case 'bottom':
        return r >= Math.floor(H / 2);
      case 'left':
        return c < Math.floor(W / 2);
      case 'right':
        return c >= Math.floor(W / 2);
    }
  };
  const mask = new Uint8Array(H * W * C);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) mask.fill(missing(r, c) ? 1 : 0, (r * W + c) * C, (r * W + c + 1) * C);
  return mask;
}

/**
 * k completions of each of the n inputs x [n * D] (one batch of n k copies): [n * k * D], input i's
 * completions at rows i k .. i k + k - 1, observed values unchanged.
 */
export async function completeEach(model: GenerativeModel & CompletionModel, x: Float32Array, n: number, missing: Uint8Array, k: number, rng: Rng, labels?: Int32Array): Promise<Float32Array> {
  const D = missing.length;
  check(x.length >= n * D, () => `completeEach: ${x.length} values cannot hold ${n} inputs of ${D}`);
  check(Number.isInteger(k) && k >= 1, () => `completeEach: k must be an integer >= 1, got ${k}`);
  const repeated = new Float32Array(n * k * D);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) repeated.set(x.subarray(i * D, (i + 1) * D), (i * k + j) * D);
  const repeatedLabels = labels && Int32Array.from({ length: n * k }, (_, i) => labels[Math.floor(i / k)]);
  return model.complete({ x: repeated, n: n * k, ...(repeatedLabels && { labels: repeatedLabels }) }, missing, rng);
}
