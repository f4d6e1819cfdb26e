import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { applyGroupNorm, groupNorm } from '../../src/nn/groupNorm.js';
import { Parameters } from '../../src/nn/parameters.js';

/** Group norm in float64 from the definition (Wu & He 2018, Eq. 1): per example and group of C / G channels. */
function groupNorm64(x: Float32Array, [B, H, W, C]: number[], G: number, gamma: Float32Array, beta: Float32Array, eps = 1e-5): Float64Array {
  const out = new Float64Array(x.length);
  const Cg = C / G;
  const at = (b: number, p: number, c: number) => (b * H * W + p) * C + c;
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < G; g++) {
      let mean = 0;
      let variance = 0;
      const n = H * W * Cg;
      for (let p = 0; p < H * W; p++) for (let k = 0; k < Cg; k++) mean += x[at(b, p, g * Cg + k)] / n;
      for (let p = 0; p < H * W; p++) for (let k = 0; k < Cg; k++) variance += (x[at(b, p, g * Cg + k)] - mean) ** 2 / n;
      for (let p = 0; p < H * W; p++) {
        for (let k = 0; k < Cg; k++) {
          const c = g * Cg + k;
          out[at(b, p, c)] = (gamma[c] * (x[at(b, p, c)] - mean)) / Math.sqrt(variance + eps) + beta[c];
        }
      }
    }
  }
  return out;
}

/** The same function as tf ops differentiated one by one (the implementation before the written-out gradient). */
function groupNormByOps(x: tf.Tensor4D, G: number, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const grouped = tf.reshape(x, [B, H, W, G, C / G]);
  const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
  return tf.add(tf.mul(tf.reshape(tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, eps))), [B, H, W, C]), gamma), beta);
}

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-12;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

const CASES: { shape: [number, number, number, number]; groups: number }[] = [
  { shape: [2, 3, 4, 6], groups: 1 },
  { shape: [2, 3, 4, 6], groups: 2 },
  { shape: [2, 3, 4, 6], groups: 3 },
  { shape: [2, 3, 4, 6], groups: 6 },
  { shape: [3, 5, 5, 8], groups: 4 },
  { shape: [1, 2, 1, 4], groups: 2 },
];

for (const backend of ['cpu', 'wasm']) {
  for (const { shape, groups } of CASES) {
    test(`${backend}: group norm on [${shape}] in ${groups} groups: the definition's values, and the gradients of x, gamma and beta equal the op-by-op ones`, async () => {
      await initBackend(backend);
      const rng = new Rng(shape.reduce((a, b) => a * b, groups));
      const C = shape[3];
      const size = shape.reduce((a, b) => a * b, 1);
      // Offsets and scales per channel, so that every group has its own mean and variance.
      const xValues = Float32Array.from({ length: size }, (_, i) => 2 * (i % C) - 3 + (0.5 + (i % C)) * rng.normal());
      const params = new Parameters(rng);
      const layer = groupNorm(params, 'norm', C, groups);
      const gammaValues = Float32Array.from({ length: C }, () => 0.5 + rng.uniform());
      const betaValues = Float32Array.from({ length: C }, () => rng.normal());
      layer.gamma.assign(tf.tensor1d(gammaValues));
      layer.beta.assign(tf.tensor1d(betaValues));
      const weights = tf.tensor4d(Float32Array.from({ length: size }, () => rng.normal()), shape);
      const x = tf.tensor4d(xValues, shape);

      const y = tf.tidy(() => applyGroupNorm(x, layer));
      assert.ok(maxRelativeDiff(y.dataSync(), groupNorm64(xValues, shape, groups, gammaValues, betaValues)) < 1e-5);
      y.dispose();

      // d/d(x, gamma, beta) of sum(weights * y), both ways.
      const before = tf.memory().numTensors;
      const written = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(weights, applyGroupNorm(a as tf.Tensor4D, { groups, gamma: g as tf.Variable, beta: b as tf.Variable }))))([x, layer.gamma, layer.beta]);
      const byOps = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(weights, groupNormByOps(a as tf.Tensor4D, groups, g, b))))([x, layer.gamma, layer.beta]);
      ['x', 'gamma', 'beta'].forEach((name, i) => {
        const d = maxRelativeDiff(written[i].dataSync(), byOps[i].dataSync());
        assert.ok(d < 2e-5, `${name}: max |diff| / max |ref| = ${d}`);
      });
      tf.dispose([...written, ...byOps]);
      assert.equal(tf.memory().numTensors, before, 'the gradient leaves no tensors');
      tf.dispose([x, weights]);
      params.dispose();
    });
  }
}

test('the x gradient matches central differences (cpu, float32)', async () => {
  await initBackend('cpu');
  const shape: [number, number, number, number] = [2, 2, 3, 4];
  const rng = new Rng(5);
  const params = new Parameters(rng);
  const layer = groupNorm(params, 'norm', 4, 2);
  layer.gamma.assign(tf.tensor1d([1.5, 0.5, 2, 1]));
  const xValues = Float32Array.from({ length: 48 }, () => rng.normal());
  const weights = tf.tensor4d(Float32Array.from({ length: 48 }, () => rng.normal()), shape);
  const loss = (v: Float32Array) => tf.tidy(() => tf.sum(tf.mul(weights, applyGroupNorm(tf.tensor4d(v, shape), layer))).dataSync()[0]);
  const analytic = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(weights, applyGroupNorm(a as tf.Tensor4D, layer))))(tf.tensor4d(xValues, shape)).dataSync());
  const h = 1e-2;
  for (let i = 0; i < xValues.length; i += 5) {
    const plus = Float32Array.from(xValues);
    const minus = Float32Array.from(xValues);
    plus[i] += h;
    minus[i] -= h;
    const numeric = (loss(plus) - loss(minus)) / (2 * h);
    assert.ok(Math.abs(numeric - analytic[i]) < 2e-2 * Math.max(1, Math.abs(numeric)), `x[${i}]: numeric ${numeric}, analytic ${analytic[i]}`);
  }
  weights.dispose();
  params.dispose();
});
