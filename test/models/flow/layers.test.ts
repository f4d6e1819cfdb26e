import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { Parameters } from '../../../src/nn/parameters.js';
import { checkBijector, randomize, run } from './bijector.js';
import {
  ActNorm,
  AdditiveCoupling,
  AffineCoupling,
  alternatingMask,
  DiagonalScaling,
  Inverted,
  LogitTransform,
  MadeAffine,
  Reverse,
  type FlowLayer,
} from '../../../src/models/flow/layers.js';

before(async () => {
  await initBackend('wasm');
});

const D = 5;
const N = 4;
function points(seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: N * D }, () => scale * rng.normal());
}

test('additive coupling: inverse(forward(x)) = x, log-det 0 as the numerical Jacobian says, and the kept half passes unchanged', () => {
  const params = new Parameters(new Rng(1));
  const mask = alternatingMask([D], 0);
  const layer = new AdditiveCoupling(params, 'c', mask, [8]);
  randomize(params, 2);
  const x = points(3);
  checkBijector('additive', layer, x, N, D, { changesVolume: false });
  const { y, logDet } = run(layer, x, N, D);
  assert.deepEqual([...logDet], [0, 0, 0, 0]);
  for (let i = 0; i < N * D; i++) if (mask[i % D] === 1) assert.equal(y[i], x[i]);
  layer.dispose();
  params.dispose();
});

test('diagonal scaling and actnorm: inverse and log-det against the numerical Jacobian', () => {
  const params = new Parameters(new Rng(1));
  const scaling = new DiagonalScaling(params, 's', D);
  const actnorm = new ActNorm(params, 'a', D);
  randomize(params, 4);
  checkBijector('scaling', scaling, points(5), N, D);
  checkBijector('actnorm', actnorm, points(6), N, D);
  params.dispose();
});

test('affine coupling (vector parity and image checkerboard masks): inverse and log-det, clamped and not', () => {
  for (const [shape, clamp] of [[[D], 3], [[D], 0], [[2, 2, 1], 2]] as [number[], number][]) {
    const size = shape.reduce((a, b) => a * b, 1);
    const params = new Parameters(new Rng(1));
    const layer = new AffineCoupling(params, 'c', alternatingMask(shape, 1), [8, 8], clamp);
    randomize(params, 7, 0.6);
    const rng = new Rng(8);
    checkBijector(`affine ${shape} clamp ${clamp}`, layer, Float32Array.from({ length: N * size }, () => rng.normal()), N, size);
    layer.dispose();
    params.dispose();
  }
});

test('alternating masks: a checkerboard on images, parity on vectors, complementary for consecutive layers', () => {
  assert.deepEqual([...alternatingMask([2, 3, 1], 0)], [0, 1, 0, 1, 0, 1]);
  assert.deepEqual([...alternatingMask([2, 2, 2], 1)], [1, 1, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual([...alternatingMask([5], 0)], [0, 1, 0, 1, 0]);
  assert.deepEqual([...alternatingMask([5], 1)], [1, 0, 1, 0, 1]);
});

test('MADE affine (MAF): inverse by D passes, log-det, and u_i depends only on x_<=i', () => {
  const params = new Parameters(new Rng(1));
  const layer = new MadeAffine(params, 'm', D, [12, 12], 3, 4);
  randomize(params, 9, 0.4);
  const x = points(10);
  checkBijector('made affine', layer, x, N, D);
  // du_i / dx_j = 0 for j > i (a triangular Jacobian), and non-zero below the diagonal somewhere.
  let below = 0;
  for (let i = 0; i < D; i++) {
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.slice(layer.forward(v as tf.Tensor2D).y, [0, i], [1, 1])))(tf.tensor2d(x.subarray(0, D), [1, D])).dataSync());
    for (let j = 0; j < D; j++) {
      if (j > i) assert.equal(g[j], 0, `u_${i} depends on x_${j}`);
      else if (j < i && g[j] !== 0) below++;
    }
  }
  assert.ok(below > 0, 'no u_i depends on an earlier x_j');
  layer.dispose();
  params.dispose();
});

test('reverse and logit transform: inverse and log-det (logit on [0, 1] values, and on dequantized ones just above 1)', () => {
  checkBijector('reverse', new Reverse(), points(11), N, D, { changesVolume: false });
  const rng = new Rng(12);
  const unit = Float32Array.from({ length: N * D }, () => rng.uniform() * (1 + 1 / 256));
  checkBijector('logit', new LogitTransform(), unit, N, D, { detTol: 2e-3 });
  // Hand value at x = 0.5: p = 0.5, y = 0, log-det per dim = log 0.9 - log 0.25.
  const { y, logDet } = run(new LogitTransform(), new Float32Array(D).fill(0.5), 1, D);
  assert.ok(y.every((v) => Math.abs(v) < 1e-6));
  assert.ok(Math.abs(logDet[0] - D * (Math.log(0.9) - Math.log(0.25))) < 1e-4, `${logDet[0]}`);
});

test('actnorm: data-dependent initialisation gives zero mean and unit variance on the init batch, flag kept in the state', () => {
  const params = new Parameters(new Rng(1));
  const layer = new ActNorm(params, 'a', 3);
  const rng = new Rng(13);
  const n = 64;
  const x = Float32Array.from({ length: n * 3 }, (_, i) => [5, -2, 0.1][i % 3] + [3, 0.5, 0.01][i % 3] * rng.normal());
  assert.equal(layer.needsInit(), true);
  tf.tidy(() => layer.initialize(tf.tensor2d(x, [n, 3])));
  assert.equal(layer.needsInit(), false);
  const { y } = run(layer, x, n, 3);
  for (let d = 0; d < 3; d++) {
    let m = 0;
    let v = 0;
    for (let b = 0; b < n; b++) m += y[b * 3 + d] / n;
    for (let b = 0; b < n; b++) v += (y[b * 3 + d] - m) ** 2 / n;
    assert.ok(Math.abs(m) < 1e-4 && Math.abs(v - 1) < 1e-3, `dimension ${d}: mean ${m}, variance ${v}`);
  }
  // The initialisation is state, checkpointed with the flag: a new layer restored from it needs none.
  const saved = params.getWeights();
  assert.deepEqual(saved.map((w) => w.name), ['a/logScale', 'a/bias', 'a/mean0', 'a/logSd0', 'a/initialized']);
  assert.deepEqual([...params.named().keys()], ['a/logScale', 'a/bias'], 'the initialisation is not trainable');
  const other = new Parameters(new Rng(2));
  const restored = new ActNorm(other, 'a', 3);
  other.setWeights(saved);
  assert.equal(restored.needsInit(), false);
  assert.deepEqual(run(restored, x, n, 3).y, y);
  params.dispose();
  other.dispose();
});

test('inverted MADE affine (IAF): inverse in one pass, log-det against the numerical Jacobian, and the MADE layer undoes it', () => {
  const params = new Parameters(new Rng(1));
  const made = new MadeAffine(params, 'm', D, [12, 12], 3, 4);
  const layer = new Inverted(made);
  randomize(params, 9, 0.4);
  checkBijector('inverted made affine', layer, points(14), N, D);
  // Forward of the inverted layer is MADE's D-pass inverse: f(f^-1(x)) = x holds the other way round too.
  const x = points(15);
  const there = tf.tidy(() => made.forward(layer.forward(tf.tensor2d(x, [N, D])).y).y.dataSync().slice());
  there.forEach((v, i) => assert.ok(Math.abs(v - x[i]) < 1e-4 * (1 + Math.abs(x[i])), `made(iaf(x))[${i}] = ${v}, x = ${x[i]}`));
  made.dispose();
  params.dispose();
});
