/**
 * Principal component analysis (Pearson 1901; Hotelling 1933), for drawing codes of more than two
 * dimensions in the plane: the top-k eigenvectors of the sample covariance
 *
 *   C = 1/n sum_i (z_i - mean)(z_i - mean)^T,   C u_k = lambda_k u_k,   lambda_1 >= lambda_2 >= ...
 *
 * and the projections (z - mean) . u_k. C is diagonalised exactly by cyclic Jacobi rotations
 * (Golub & Van Loan, "Matrix Computations", Sec. 8.5): d^3 work per sweep, fine for latent sizes up
 * to a few hundred, and no convergence trouble when eigenvalues are close (as for the near-isotropic
 * codes of a VAE, where power iteration would crawl). An eigenvector's sign is arbitrary; each is
 * flipped so its entry of largest magnitude is positive (scikit-learn's svd_flip), which makes the
 * picture deterministic. Plain JS in float64, browser-safe.
 */
import { check } from '../core/errors.js';

export interface Pca {
  /** Feature means, [d]. */
  mean: Float64Array;
  /** The top k principal axes, unit length, [k * d] row-major. */
  components: Float64Array;
  /** Variance along each axis (the eigenvalues lambda_1..k), [k]. */
  variances: Float64Array;
  /** Sum of all eigenvalues (the trace of C): variances / totalVariance is the explained fraction. */
  totalVariance: number;
}

/** PCA of n points x [n * d] (example-major), keeping k <= d components. */
export function fitPca(x: ArrayLike<number>, n: number, d: number, k = 2): Pca {
  check(Number.isInteger(n) && n >= 1, () => `pca: need at least one point, got ${n}`);
  check(Number.isInteger(d) && d >= 1 && x.length >= n * d, () => `pca: ${x.length} values cannot hold ${n} points of ${d}`);
  check(Number.isInteger(k) && k >= 1 && k <= d, () => `pca: k must be an integer in 1..${d}, got ${k}`);
  // 1. Mean and covariance (upper triangle, mirrored).
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[a * d + b] += (row[a] * row[b]) / n;
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a];
  let totalVariance = 0;
  for (let a = 0; a < d; a++) totalVariance += cov[a * d + a];

  // 2. Eigen-decomposition; sort by eigenvalue, fix signs.
  const { values, vectors } = symmetricEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const components = new Float64Array(k * d);
  const variances = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const col = order[c];
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(vectors[j * d + col]) > Math.abs(vectors[big * d + col])) big = j;
    const sign = vectors[big * d + col] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[c * d + j] = sign * vectors[j * d + col];
    variances[c] = Math.max(0, values[col]);
  }
  return { mean, components, variances, totalVariance };
}

/** Coordinates of the n points x [n * d] along the principal axes: [n * k]. */
export function projectPca(pca: Pca, x: ArrayLike<number>, n: number): Float32Array {
  const d = pca.mean.length;
  const k = pca.variances.length;
  check(x.length >= n * d, () => `pca: ${x.length} values cannot hold ${n} points of ${d}`);
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - pca.mean[j]) * pca.components[c * d + j];
      out[i * k + c] = s;
    }
  }
  return out;
}

/**
 * Eigenvalues and eigenvectors of a symmetric d x d matrix (row-major; not modified) by cyclic
 * Jacobi rotations: A = V diag(values) V^T, eigenvector i in column i of `vectors` [d * d].
 */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  let scale = 0;
  for (const value of a) scale += value * value;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        // The rotation in the (p, q) plane that zeroes a_pq (Golub & Van Loan, Algorithm 8.5.1).
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < d; r++) {
          // A <- A J (columns p, q), then A <- J^T A (rows p, q); V <- V J.
          const arp = a[r * d + p];
          const arq = a[r * d + q];
          a[r * d + p] = c * arp - s * arq;
          a[r * d + q] = s * arp + c * arq;
        }
        for (let r = 0; r < d; r++) {
          const apr = a[p * d + r];
          const aqr = a[q * d + r];
          a[p * d + r] = c * apr - s * aqr;
          a[q * d + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < d; r++) {
          const vrp = v[r * d + p];
          const vrq = v[r * d + q];
          v[r * d + p] = c * vrp - s * vrq;
          v[r * d + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}
