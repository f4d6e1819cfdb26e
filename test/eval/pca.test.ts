import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { fitPca, projectPca, symmetricEigen } from '../../src/eval/pca.js';

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
