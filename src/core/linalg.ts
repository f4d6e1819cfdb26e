/**
 * Small dense linear algebra in float64 JS arrays (row-major number[][]), for the few n x n
 * matrices a model builds once or inverts outside the gradient: the random rotation and LU
 * factors of Glow's invertible 1x1 convolution (Kingma & Dhariwal 2018, Sec. 3.2), its inverse for
 * sampling. O(n^3) each; n is a channel count (tens), so cost does not matter.
 */
import type { Rng } from './rng.js';

export type Matrix = number[][];

export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

export function matMul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((sum, v, k) => sum + v * b[k][j], 0)));
}

export function transpose(a: Matrix): Matrix {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

/**
 * A random orthogonal matrix: the Q of a QR decomposition of an n x n matrix of standard normals
 * (modified Gram-Schmidt on its columns), the initialisation of Glow's 1x1 convolutions. Its
 * determinant is +1 or -1.
 */
export function randomRotation(n: number, rng: Rng): Matrix {
  const columns = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      const dot = columns[j].reduce((s, v, i) => s + v * columns[k][i], 0);
      for (let i = 0; i < n; i++) columns[j][i] -= dot * columns[k][i];
    }
    const norm = Math.hypot(...columns[j]);
    for (let i = 0; i < n; i++) columns[j][i] /= norm;
  }
  return transpose(columns);
}

/**
 * A = P L U with partial pivoting: P a permutation matrix, L unit lower triangular, U upper
 * triangular (scipy.linalg.lu's convention, the one Glow's LU parameterisation starts from).
 */
export function luDecompose(a: Matrix): { P: Matrix; L: Matrix; U: Matrix } {
  const n = a.length;
  const U = a.map((row) => [...row]);
  const L = identity(n);
  const rows = Array.from({ length: n }, (_, i) => i); // U's row r is A's row rows[r]
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(U[r][c]) > Math.abs(U[p][c])) p = r;
    if (p !== c) {
      [U[c], U[p]] = [U[p], U[c]];
      [rows[c], rows[p]] = [rows[p], rows[c]];
      // The multipliers found so far move with their rows.
      for (let k = 0; k < c; k++) [L[c][k], L[p][k]] = [L[p][k], L[c][k]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = U[r][c] / U[c][c];
      L[r][c] = f;
      for (let k = c; k < n; k++) U[r][k] -= f * U[c][k];
      U[r][c] = 0;
    }
  }
  // (Pivoted A) = L U, row r of it being A's row rows[r]: A = P L U with P[rows[r]][r] = 1.
  const P = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  rows.forEach((i, r) => (P[i][r] = 1));
  return { P, L, U };
}

/** log |det A| through the LU factors (det P = +-1, det L = 1). */
export function logAbsDet(a: Matrix): number {
  return luDecompose(a).U.reduce((s, row, i) => s + Math.log(Math.abs(row[i])), 0);
}

/** A^-1 by Gauss-Jordan elimination with partial pivoting; throws on a singular matrix. */
export function invert(a: Matrix): Matrix {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...identity(n)[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (m[p][c] === 0) throw new Error('invert: singular matrix');
    [m[c], m[p]] = [m[p], m[c]];
    const pivot = m[c][c];
    for (let k = 0; k < 2 * n; k++) m[c][k] /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c || m[r][c] === 0) continue;
      const f = m[r][c];
      for (let k = 0; k < 2 * n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row) => row.slice(n));
}
