import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { fitPca, JACOBI_MAX_DIMS, projectPca, symmetricEigen, topEigen, unprojectPca } from '../../src/eval/pca.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
const unit = (v: number[]) => v.map((x) => x / Math.sqrt(dot(v, v)));

/** n points mean + 5 g1 u + 1 g2 v + 0.2 g3 w for orthonormal u, v, w: an elongated Gaussian cloud. */
function cloud(n: number, seed: number) {
  const u = unit([1, 2, -1]);
  const v = unit([1, 0, 1]); // u . v = 0
  const w = unit([u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]);
  const mean = [3, -2, 7];
  const rng = new Rng(seed);
  const x = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [5 * rng.normal(), rng.normal(), 0.2 * rng.normal()];
    for (let j = 0; j < 3; j++) x[i * 3 + j] = mean[j] + a * u[j] + b * v[j] + c * w[j];
  }
  return { x, u, v, mean };
}

test('PCA recovers the main axes and variances of an elongated Gaussian cloud', () => {
  const n = 5000;
  const { x, u, v, mean } = cloud(n, 1);
  const pca = fitPca(x, n, 3, 2);
  const c1 = pca.components.subarray(0, 3);
  const c2 = pca.components.subarray(3, 6);
  assert.ok(Math.abs(dot(c1, u)) > 0.999, `first axis . u = ${dot(c1, u)}`);
  assert.ok(Math.abs(dot(c2, v)) > 0.99, `second axis . v = ${dot(c2, v)}`);
  assert.ok(Math.abs(dot(c1, c2)) < 1e-12 && Math.abs(dot(c1, c1) - 1) < 1e-12);
  // Variances 25 and 1 within sampling error (relative std sqrt(2 / n) = 2%).
  assert.ok(Math.abs(pca.variances[0] / 25 - 1) < 0.06, `variance ${pca.variances[0]}`);
  assert.ok(Math.abs(pca.variances[1] - 1) < 0.06, `variance ${pca.variances[1]}`);
  assert.ok(Math.abs(pca.totalVariance - (25 + 1 + 0.04)) < 1.5);
  pca.mean.forEach((m, j) => assert.ok(Math.abs(m - mean[j]) < 0.2));
  // Sign convention: the entry of largest magnitude is positive (u's, 2 / sqrt 6, is: so c1 = +u).
  assert.ok(dot(c1, u) > 0);
  // Projections: centred, with the variances above.
  const z = projectPca(pca, x, n);
  let [m1, s1] = [0, 0];
  for (let i = 0; i < n; i++) m1 += z[2 * i] / n;
  for (let i = 0; i < n; i++) s1 += (z[2 * i] - m1) ** 2 / n;
  assert.ok(Math.abs(m1) < 1e-4 && Math.abs(s1 / pca.variances[0] - 1) < 1e-4, `${m1} ${s1}`);
});

test('the axes do not flip when the data are mirrored (deterministic sign)', () => {
  const { x } = cloud(1000, 2);
  const a = fitPca(x, 1000, 3, 2);
  const b = fitPca(x.map((v) => -v), 1000, 3, 2);
  a.components.forEach((c, i) => assert.ok(Math.abs(c - b.components[i]) < 1e-9));
});

test('Jacobi eigen-decomposition: A V = V diag(values), V orthonormal', () => {
  const d = 12;
  const rng = new Rng(5);
  const b = Float64Array.from({ length: d * d }, () => rng.normal());
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a[i * d + j] = b[i * d + j] + b[j * d + i];
  const { values, vectors: v } = symmetricEigen(a, d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      let av = 0;
      for (let j = 0; j < d; j++) av += a[i * d + j] * v[j * d + k];
      assert.ok(Math.abs(av - values[k] * v[i * d + k]) < 1e-9, `(A V)[${i}, ${k}]`);
      let vtv = 0;
      for (let j = 0; j < d; j++) vtv += v[j * d + i] * v[j * d + k];
      assert.ok(Math.abs(vtv - (i === k ? 1 : 0)) < 1e-12, `(V^T V)[${i}, ${k}]`);
    }
  }
});

/** Covariance (1/n) of x [n * d], as fitPca computes it. */
function covariance(x: Float64Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] += ((x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b])) / n;
  return cov;
}

test(`above ${JACOBI_MAX_DIMS} dimensions the top axes by orthogonal iteration equal the full Jacobi decomposition's`, () => {
  const d = JACOBI_MAX_DIMS + 22;
  for (const [n, spread] of [[400, 0.1], [400, 0], [5, 0.1]] as const) {
    // spread 0: a near-isotropic cloud (close eigenvalues, the slow case); n = 5: rank 4 < the iteration's basis.
    const rng = new Rng(9);
    const x = Float64Array.from({ length: n * d }, (_, i) => rng.normal() / (1 + spread * (i % d)));
    const pca = fitPca(x, n, d, 2);
    const full = symmetricEigen(covariance(x, n, d), d);
    const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => full.values[b] - full.values[a]);
    for (let c = 0; c < 2; c++) {
      const lambda = full.values[order[c]];
      assert.ok(Math.abs(pca.variances[c] - lambda) <= 1e-9 * full.values[order[0]], `n ${n} spread ${spread}: variance ${c} ${pca.variances[c]} vs ${lambda}`);
      const u = Array.from({ length: d }, (_, j) => full.vectors[j * d + order[c]]);
      const cosine = Math.abs(dot(pca.components.subarray(c * d, (c + 1) * d), u));
      assert.ok(cosine > 1 - 1e-8, `n ${n} spread ${spread}: axis ${c} . Jacobi's = ${cosine}`);
    }
    assert.ok(Math.abs(dot(pca.components.subarray(0, d), pca.components.subarray(d, 2 * d))) < 1e-12, 'orthogonal axes');
  }
});

test('topEigen: the residual test is what stops it (too few iterations give a visibly worse axis)', () => {
  const d = 150;
  const rng = new Rng(3);
  const x = Float64Array.from({ length: 400 * d }, () => rng.normal());
  const cov = covariance(x, 400, d);
  const full = symmetricEigen(cov, d);
  const top = Math.max(...full.values);
  const early = topEigen(cov, d, 2, { maxIterations: 2 });
  const done = topEigen(cov, d, 2);
  assert.ok(done.iterations > 2 && done.iterations < 1000, `${done.iterations} iterations`);
  assert.ok(Math.abs(done.values[0] - top) < 1e-9 * top);
  assert.ok(Math.abs(early.values[0] - top) > 1e-6 * top, 'two iterations are not enough on a near-isotropic cloud (the control)');
});

test('unprojectPca inverts projectPca in the plane of the axes, and maps (0, 0) to the mean', () => {
  const { x } = cloud(500, 4);
  const pca = fitPca(x, 500, 3, 2);
  assert.deepEqual(Array.from(unprojectPca(pca, [0, 0]), (v) => Number(v.toFixed(4))), Array.from(pca.mean, (v) => Number(v.toFixed(4))));
  const coords = [1.5, -0.75];
  const z = unprojectPca(pca, coords);
  const back = projectPca(pca, z, 1);
  assert.ok(Math.abs(back[0] - coords[0]) < 1e-5 && Math.abs(back[1] - coords[1]) < 1e-5, `${back}`);
});
