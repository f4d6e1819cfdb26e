import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { codeAtPoint, codePlane, interpolateCodes, traversalCodes } from '../../src/eval/latentSpace.js';

test('codePlane: 2-D codes as they are, 1-D on the x axis, and codeAtPoint inverts both exactly', () => {
  const two = Float32Array.of(1, 2, -3, 4);
  const p2 = codePlane(two, 2, 2);
  assert.equal(p2.projection, 'none');
  assert.deepEqual(Array.from(p2.points), [1, 2, -3, 4]);
  assert.deepEqual(Array.from(codeAtPoint(p2, 0.5, -0.25)), [0.5, -0.25]);
  const one = Float32Array.of(0.5, -1.5);
  const p1 = codePlane(one, 2, 1);
  assert.equal(p1.projection, 'pad');
  assert.deepEqual(Array.from(p1.points), [0.5, 0, -1.5, 0]);
  assert.deepEqual(Array.from(codeAtPoint(p1, 2, 9)), [2]);
});

test('codePlane: L > 2 by PCA; a code in the plane of the top two axes maps back to itself, others to their projection', () => {
  // Codes in 5-D whose spread lies (mostly) along two directions.
  const n = 800;
  const L = 5;
  const rng = new Rng(2);
  const codes = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    const [a, b] = [3 * rng.normal(), rng.normal()];
    for (let j = 0; j < L; j++) codes[i * L + j] = 1 + a * (j === 0 ? 1 : 0) + b * (j === 1 ? 1 : 0) + 0.01 * rng.normal();
  }
  const plane = codePlane(codes, n, L);
  assert.equal(plane.projection, 'pca');
  assert.ok(plane.explained![0] > 0.85 && plane.explained![1] > 0.08 && plane.explained![0] + plane.explained![1] < 1, `${plane.explained}`);
  // Each drawn point maps back to (nearly) its code: the other directions hold only the noise.
  for (const i of [0, 17, 400]) {
    const z = codeAtPoint(plane, plane.points[2 * i], plane.points[2 * i + 1]);
    for (let j = 0; j < L; j++) assert.ok(Math.abs(z[j] - codes[i * L + j]) < 0.06, `code ${i} dim ${j}: ${z[j]} vs ${codes[i * L + j]}`);
  }
  // The origin of the plane is the mean code.
  const origin = codeAtPoint(plane, 0, 0);
  for (let j = 0; j < L; j++) assert.ok(Math.abs(origin[j] - plane.pca!.mean[j]) < 1e-6);
});

test('interpolateCodes: both ends included, evenly spaced; traversalCodes sweeps one dimension', () => {
  const z = interpolateCodes([0, 10], [4, 2], 5);
  assert.deepEqual(Array.from(z), [0, 10, 1, 8, 2, 6, 3, 4, 4, 2]);
  const t = traversalCodes([5, 6, 7], [2, 0], 1, 3);
  assert.deepEqual(Array.from(t), [5, 6, -1, 5, 6, 0, 5, 6, 1, -1, 6, 7, 0, 6, 7, 1, 6, 7]);
  assert.throws(() => traversalCodes([0, 0], [2], 1, 3), /dimensions/);
  assert.throws(() => interpolateCodes([0], [1, 2], 3), /codes/);
});
