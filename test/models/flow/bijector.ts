/**
 * What every flow layer test checks: inverse(forward(x)) = x, and the log-det against a numerical
 * Jacobian's determinant computed in float64.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.js';
import type { Parameters } from '../../../src/nn/parameters.js';
import type { FlowLayer } from '../../../src/models/flow/layers.js';

/** Every variable (weights and state; or those `only` picks) set to N(0, std^2) draws, so no layer is its zero-initialised identity. */
export function randomize(params: Parameters, seed: number, std = 0.5, only?: (name: string) => boolean): void {
  const rng = new Rng(seed);
  params.setWeights(params.getWeights().map((w) => (only && !only(w.name) ? w : { ...w, data: w.data.map(() => std * rng.normal()) })));
}

export function run(layer: FlowLayer, x: Float32Array, n: number, D: number) {
  return tf.tidy(() => {
    const { y, logDet } = layer.forward(tf.tensor2d(x, [n, D]));
    const back = layer.inverse(y);
    return { y: y.dataSync().slice() as Float32Array, logDet: logDet.dataSync().slice() as Float32Array, back: back.dataSync().slice() as Float32Array };
  });
}

/**
 * log |det J| of f at x by central differences, in float64: the Jacobian's columns from f(x +- h e_j)
 * (each evaluation in float32, h large enough for its rounding), then its LU determinant in JS.
 */
export function numericalLogDet(layer: FlowLayer, x: Float32Array, D: number, h = 1e-2): number {
  const points = new Float32Array(2 * D * D);
  for (let j = 0; j < D; j++) {
    points.set(x, 2 * j * D);
    points.set(x, (2 * j + 1) * D);
    points[2 * j * D + j] += h;
    points[(2 * j + 1) * D + j] -= h;
  }
  const y = tf.tidy(() => layer.forward(tf.tensor2d(points, [2 * D, D])).y.dataSync().slice());
  // J[i][j] = dy_i / dx_j
  const J = Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, j) => (y[2 * j * D + i] - y[(2 * j + 1) * D + i]) / (2 * h)));
  return logAbsDetOf(J);
}

/** log |det A| by Gaussian elimination with partial pivoting, in float64 (A is changed). */
export function logAbsDetOf(J: number[][]): number {
  const D = J.length;
  let logAbsDet = 0;
  for (let c = 0; c < D; c++) {
    let p = c;
    for (let r = c + 1; r < D; r++) if (Math.abs(J[r][c]) > Math.abs(J[p][c])) p = r;
    [J[c], J[p]] = [J[p], J[c]];
    logAbsDet += Math.log(Math.abs(J[c][c]));
    for (let r = c + 1; r < D; r++) {
      const f = J[r][c] / J[c][c];
      for (let k = c; k < D; k++) J[r][k] -= f * J[c][k];
    }
  }
  return logAbsDet;
}

/**
 * inverse(forward(x)) = x, and the layer's log-det against the numerical Jacobian's, at n points;
 * a layer that changes volume must do so at some point (else the comparison could not fail).
 */
export function checkBijector(label: string, layer: FlowLayer, x: Float32Array, n: number, D: number, { invTol = 1e-4, detTol = 2e-3, changesVolume = true } = {}): void {
  const { y, logDet, back } = run(layer, x, n, D);
  for (let i = 0; i < n * D; i++) assert.ok(Math.abs(back[i] - x[i]) < invTol * (1 + Math.abs(x[i])), `${label}: inverse(forward(x))[${i}] = ${back[i]}, x = ${x[i]}`);
  let moved = 0;
  for (let i = 0; i < n * D; i++) moved = Math.max(moved, Math.abs(y[i] - x[i]));
  assert.ok(moved > 1e-2, `${label}: the layer is the identity (max |y - x| = ${moved}), the test could not fail`);
  let someNonZero = false;
  for (let b = 0; b < n; b++) {
    const want = numericalLogDet(layer, x.subarray(b * D, (b + 1) * D), D);
    assert.ok(Math.abs(logDet[b] - want) < detTol * (1 + Math.abs(want)), `${label}, example ${b}: log-det ${logDet[b]}, numerical ${want}`);
    if (Math.abs(want) > 1e-2) someNonZero = true;
  }
  assert.equal(someNonZero, changesVolume, `${label}: the log-det is ${changesVolume ? 'zero everywhere' : 'not zero'}`);
}

