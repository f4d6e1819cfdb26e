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
 *
 * Above JACOBI_MAX_DIMS dimensions (a flow's code has the data's 784) a full decomposition costs too
 * much (d^3 per sweep: a second at d = 256, half a minute at 784, in plain JS), and only the top k
 * axes are wanted: they come from orthogonal iteration with Rayleigh-Ritz steps (Golub & Van Loan
 * Sec. 8.2.4; Saad, "Numerical Methods for Large Eigenvalue Problems", Alg. 5.3), d^2 per iteration
 * and axis, run until every wanted axis u satisfies ||C u - lambda u|| <= 1e-9 lambda_1.
 */
import { check } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** Covariances up to this size are diagonalised whole (Jacobi); larger ones by orthogonal iteration. */
export const JACOBI_MAX_DIMS = 128;

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

  // 2. Eigen-decomposition (whole, or the top k axes of a large C); sort by eigenvalue, fix signs.
  const full = d <= JACOBI_MAX_DIMS;
  const { values, vectors } = full ? symmetricEigen(cov, d) : topEigen(cov, d, k);
  const cols = full ? d : k;
  const order = Array.from({ length: cols }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const components = new Float64Array(k * d);
  const variances = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const col = order[c];
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(vectors[j * cols + col]) > Math.abs(vectors[big * cols + col])) big = j;
    const sign = vectors[big * cols + col] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[c * d + j] = sign * vectors[j * cols + col];
    variances[c] = Math.max(0, values[col]);
  }
  return { mean, components, variances, totalVariance };
}

/** The code of the point with coordinates `coords` [k] along the axes: mean + sum_c coords_c u_c, [d]. */
export function unprojectPca(pca: Pca, coords: ArrayLike<number>): Float32Array {
  const d = pca.mean.length;
  const k = pca.variances.length;
  check(coords.length === k, () => `pca: ${coords.length} coordinates for ${k} components`);
  const out = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    let s = pca.mean[j];
    for (let c = 0; c < k; c++) s += coords[c] * pca.components[c * d + j];
    out[j] = s;
  }
  return out;
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

/**
 * The k largest eigenvalues of a symmetric positive semi-definite d x d matrix (row-major; not
 * modified) and their eigenvectors, by orthogonal iteration on m = min(d, 2k + 8) vectors with a
 * Rayleigh-Ritz step each iteration (the extra vectors speed convergence: the error of axis i falls
 * as (lambda_{m+1} / lambda_i)^t). Stops when every wanted residual ||A v - theta v|| is at most
 * `tolerance` theta_1, or after `maxIterations`; then the axes are orthonormal all the same and the
 * values are the variances along them. Eigenvector i is column i of `vectors` [d * k]; values descend.
 */
export function topEigen(matrix: Float64Array, d: number, k: number, opts: { tolerance?: number; maxIterations?: number } = {}): { values: Float64Array; vectors: Float64Array; iterations: number } {
  check(Number.isInteger(k) && k >= 1 && k <= d, () => `topEigen: k must be an integer in 1..${d}, got ${k}`);
  const tolerance = opts.tolerance ?? 1e-9;
  const maxIterations = opts.maxIterations ?? 1000;
  const m = Math.min(d, 2 * k + 8);
  const rng = new Rng(0); // a fixed start: the same matrix gives the same axes
  let q: Float64Array[] = Array.from({ length: m }, () => Float64Array.from({ length: d }, () => rng.normal()));
  orthonormalize(q, rng);
  const z = Array.from({ length: m }, () => new Float64Array(d));
  const h = new Float64Array(m * m);
  let values = new Float64Array(k);
  let vectors: Float64Array[] = [];
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    // 1. Z = A Q, H = Q^T A Q (symmetric, m x m).
    for (let c = 0; c < m; c++) {
      const qc = q[c];
      const zc = z[c];
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += matrix[i * d + j] * qc[j];
        zc[i] = s;
      }
    }
    for (let a = 0; a < m; a++) for (let b = a; b < m; b++) h[a * m + b] = h[b * m + a] = dot(q[a], z[b]);
    // 2. Rayleigh-Ritz: Ritz vectors V = Q W and A V = Z W, in order of decreasing Ritz value.
    const ritz = symmetricEigen(h, m);
    const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => ritz.values[b] - ritz.values[a] || a - b);
    const v = order.map((col) => combine(q, ritz.vectors, m, col));
    const av = order.map((col) => combine(z, ritz.vectors, m, col));
    values = Float64Array.from(order.slice(0, k), (col) => ritz.values[col]);
    vectors = v.slice(0, k);
    // 3. Converged when every wanted Ritz pair nearly satisfies A v = theta v.
    let worst = 0;
    for (let i = 0; i < k; i++) {
      let r = 0;
      for (let j = 0; j < d; j++) r += (av[i][j] - values[i] * v[i][j]) ** 2;
      worst = Math.max(worst, Math.sqrt(r));
    }
    if (worst <= tolerance * Math.max(values[0], Number.MIN_VALUE)) break;
    // 4. The next basis: orth(A V), which spans A Q.
    q = av;
    orthonormalize(q, rng);
  }
  const out = new Float64Array(d * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) out[j * k + i] = vectors[i][j];
  return { values, vectors: out, iterations };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** sum_c basis_c W[c, col] for W [m * m] row-major. */
function combine(basis: Float64Array[], w: Float64Array, m: number, col: number): Float64Array {
  const out = new Float64Array(basis[0].length);
  for (let c = 0; c < m; c++) {
    const coef = w[c * m + col];
    const bc = basis[c];
    for (let j = 0; j < out.length; j++) out[j] += coef * bc[j];
  }
  return out;
}

/**
 * Modified Gram-Schmidt, twice over ("twice is enough", Giraud et al. 2005), in place. A column
 * that vanishes (a rank-deficient A maps Q onto fewer directions) is replaced by a random one.
 */
function orthonormalize(q: Float64Array[], rng: Rng): void {
  for (let c = 0; c < q.length; c++) {
    for (let attempt = 0; ; attempt++) {
      const before = Math.sqrt(dot(q[c], q[c]));
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < c; p++) {
          const s = dot(q[p], q[c]);
          for (let j = 0; j < q[c].length; j++) q[c][j] -= s * q[p][j];
        }
      }
      const norm = Math.sqrt(dot(q[c], q[c]));
      if (norm > 1e-10 * before && norm > 0) {
        for (let j = 0; j < q[c].length; j++) q[c][j] /= norm;
        break;
      }
      check(attempt < 10, 'topEigen: cannot complete an orthonormal basis');
      for (let j = 0; j < q[c].length; j++) q[c][j] = rng.normal();
    }
  }
}
