/**
 * Walks in the code space of a latent model, shared by the CLI's latent commands
 * (src/cli/commands/latent.ts) and the studio's latent explorer:
 * - the plane of the codes: the codes themselves when L = 2, on the x axis when L = 1, else their
 *   first two principal components (./pca.ts), and the way back from a point of that plane to a code;
 * - straight lines between two codes (Kingma & Welling 2014, Fig. 4 style interpolations);
 * - traversals, one dimension swept with the others fixed (Higgins et al. 2017, Fig. 1 style).
 * Browser-safe: plain arrays, no model calls.
 */
import { check } from '../core/errors.js';
import { fitPca, projectPca, unprojectPca, type Pca } from './pca.js';

/** How the codes were put in the plane. */
export type CodePlaneProjection = 'none' | 'pad' | 'pca';

export interface CodePlane {
  latentSize: number;
  projection: CodePlaneProjection;
  /** The n codes as points of the plane, [n * 2]. */
  points: Float32Array;
  /** The principal axes ('pca' only). */
  pca?: Pca;
  /** The fraction of the codes' variance along each of the two axes ('pca' only). */
  explained?: [number, number];
}

/** n codes [n * L] as points of a plane: as they are (L = 2), on the x axis (L = 1), or their top two principal components. */
export function codePlane(codes: Float32Array, n: number, latentSize: number): CodePlane {
  const L = latentSize;
  check(Number.isInteger(L) && L >= 1 && codes.length >= n * L, () => `codePlane: ${codes.length} values cannot hold ${n} codes of ${L}`);
  if (L === 2) return { latentSize: L, projection: 'none', points: codes.subarray(0, 2 * n) };
  if (L === 1) {
    const points = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) points[2 * i] = codes[i];
    return { latentSize: L, projection: 'pad', points };
  }
  const pca = fitPca(codes, n, L, 2);
  const share = (s: number): number => (pca.totalVariance > 0 ? s / pca.totalVariance : 0);
  return { latentSize: L, projection: 'pca', points: projectPca(pca, codes, n), pca, explained: [share(pca.variances[0]), share(pca.variances[1])] };
}

/**
 * The code drawn at point (x, y) of the plane: the point itself (L = 2), its x (L = 1), or the mean
 * code moved x along the first principal axis and y along the second: the other directions stay at
 * the codes' mean, the most typical value a point of the picture can stand for.
 */
export function codeAtPoint(plane: CodePlane, x: number, y: number): Float32Array {
  switch (plane.projection) {
    case 'none':
      return Float32Array.of(x, y);
    case 'pad':
      return Float32Array.of(x);
    case 'pca':
      return unprojectPca(plane.pca!, [x, y]);
  }
}

/** z(t) = (1 - t) a + t b at t = 0, 1/(steps-1), ..., 1: [steps * L], both ends included. */
export function interpolateCodes(a: ArrayLike<number>, b: ArrayLike<number>, steps: number): Float32Array {
  const L = a.length;
  check(b.length === L, () => `interpolateCodes: codes of ${L} and ${b.length} values`);
  check(Number.isInteger(steps) && steps >= 2, () => `interpolateCodes: steps must be an integer >= 2, got ${steps}`);
  const z = new Float32Array(steps * L);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    for (let j = 0; j < L; j++) z[s * L + j] = (1 - t) * a[j] + t * b[j];
  }
  return z;
}

/**
 * Codes with one dimension swept: row r sets dimension dims[r] to -range + 2 range s / (steps - 1),
 * s = 0..steps-1, the others at `base`: [dims.length * steps * L].
 */
export function traversalCodes(base: ArrayLike<number>, dims: readonly number[], range: number, steps: number): Float32Array {
  const L = base.length;
  check(dims.every((d) => Number.isInteger(d) && d >= 0 && d < L), () => `traversalCodes: dimensions must be in 0..${L - 1}, got ${dims.join(', ')}`);
  check(Number.isInteger(steps) && steps >= 2, () => `traversalCodes: steps must be an integer >= 2, got ${steps}`);
  const z = new Float32Array(dims.length * steps * L);
  dims.forEach((dim, r) => {
    for (let s = 0; s < steps; s++) {
      const i = r * steps + s;
      for (let j = 0; j < L; j++) z[i * L + j] = base[j];
      z[i * L + dim] = -range + (2 * range * s) / (steps - 1);
    }
  });
  return z;
}
