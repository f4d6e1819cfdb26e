/**
 * The Frechet distance between two Gaussians fitted to feature sets (Dowson & Landau 1982; the
 * distance behind FID, Heusel et al. 2017, eq. 6):
 *
 *   d^2 = ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1^(1/2) S2 S1^(1/2))^(1/2))
 *
 * The last trace equals tr((S1 S2)^(1/2)); it is taken through the symmetric PSD matrix
 * S1^(1/2) S2 S1^(1/2), whose eigenvalues are real and >= 0 (tiny negative ones from rounding are
 * clipped), so no non-symmetric matrix square root is needed. Covariances are unbiased (n - 1),
 * as in the reference FID code. Which features, and so what the number means, is the caller's to
 * name (see referenceClassifier.ts).
 */
import { check } from '../core/errors.js';
import { symmetricEigen } from './pca.js';

export interface FeatureMoments {
  /** [d] */
  mean: Float64Array;
  /** [d * d], row-major. */
  covariance: Float64Array;
  d: number;
  n: number;
}

/** Mean and unbiased covariance of n feature vectors x [n * d]. */
export function featureMoments(x: ArrayLike<number>, n: number, d: number): FeatureMoments {
  check(n >= 2, () => `moments need at least 2 feature vectors, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const covariance = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      for (let b = a; b < d; b++) covariance[a * d + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = covariance[a * d + b] / (n - 1);
      covariance[a * d + b] = v;
      covariance[b * d + a] = v;
    }
  }
  return { mean, covariance, d, n };
}

/** Square root of a symmetric PSD matrix through its eigendecomposition (negative eigenvalues clipped to 0). */
function symmetricSqrt(matrix: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s === 0) continue;
    for (let a = 0; a < d; a++) {
      const va = vectors[a * d + k] * s;
      for (let b = 0; b < d; b++) out[a * d + b] += va * vectors[b * d + k];
    }
  }
  return out;
}

function multiply(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  }
  return out;
}

/** The squared Frechet distance between N(m1.mean, m1.covariance) and N(m2.mean, m2.covariance). */
export function frechetDistance(m1: FeatureMoments, m2: FeatureMoments): number {
  check(m1.d === m2.d, () => `feature dimensions differ: ${m1.d} vs ${m2.d}`);
  const d = m1.d;
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (m1.mean[j] - m2.mean[j]) ** 2;
  let traces = 0;
  for (let j = 0; j < d; j++) traces += m1.covariance[j * d + j] + m2.covariance[j * d + j];
  const root1 = symmetricSqrt(m1.covariance, d);
  const inner = multiply(multiply(root1, m2.covariance, d), root1, d);
  // Symmetrise against rounding before the eigendecomposition.
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) inner[a * d + b] = inner[b * d + a] = 0.5 * (inner[a * d + b] + inner[b * d + a]);
  const { values } = symmetricEigen(inner, d);
  let crossTrace = 0;
  for (const v of values) crossTrace += Math.sqrt(Math.max(v, 0));
  return Math.max(0, meanTerm + traces - 2 * crossTrace);
}
