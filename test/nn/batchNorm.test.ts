import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { leakyRelu } from '../../src/nn/activations.js';
import { BatchNorm } from '../../src/nn/batchNorm.js';
import { applyConv2d, conv2d } from '../../src/nn/conv.js';
import { applyDense, dense } from '../../src/nn/dense.js';
import { Parameters } from '../../src/nn/parameters.js';

before(async () => {
  await initBackend('wasm');
});

const EPS = 1e-5;

/** n values per channel of C channels, channel c ~ N(offset_c, scale_c^2), channel-last. */
function channelData(n: number, C: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n * C }, (_, i) => 3 * (i % C) - 2 + (1 + (i % C)) * rng.normal());
}

/** Per-channel mean and biased variance in float64 of channel-last values. */
function moments64(x: ArrayLike<number>, C: number): { mean: Float64Array; variance: Float64Array } {
  const m = x.length / C;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let i = 0; i < x.length; i++) mean[i % C] += x[i] / m;
  for (let i = 0; i < x.length; i++) variance[i % C] += (x[i] - mean[i % C]) ** 2 / m;
  return { mean, variance };
}

function setValues(v: tf.Variable, values: number[]): void {
  tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
}

for (const shape of [[16, 3], [4, 5, 6, 3]]) {
  test(`training on [${shape}]: per-channel mean 0 and variance 1 before gamma / beta, and the hand-computed affine map after`, () => {
    const C = shape.at(-1)!;
    const rng = new Rng(shape.length);
    const params = new Parameters(rng);
    const bn = new BatchNorm(params, 'bn', C);
    const xv = channelData(shape.reduce((a, b) => a * b, 1) / C, C, rng);
    const start = tf.memory().numTensors;
    const x = tf.tensor(xv, shape);
    const y = bn.apply(x, true);
    assert.deepEqual(y.shape, shape);
    const { mean, variance } = moments64(y.dataSync(), C);
    const input = moments64(xv, C);
    for (let c = 0; c < C; c++) {
      assert.ok(Math.abs(mean[c]) < 1e-5, `channel ${c} mean ${mean[c]}`);
      // Exactly var / (var + eps) in exact arithmetic.
      const expected = input.variance[c] / (input.variance[c] + EPS);
      assert.ok(Math.abs(variance[c] - expected) < 1e-5, `channel ${c} variance ${variance[c]} vs ${expected}`);
    }
    // With gamma and beta set: y = gamma (x - mu_B) / sqrt(sigma_B^2 + eps) + beta (Algorithm 1).
    const gamma = [0.5, -2, 3];
    const beta = [1, 0.25, -4];
    setValues(bn.gamma, gamma);
    setValues(bn.beta, beta);
    const z = bn.apply(x, true);
    const got = z.dataSync();
    for (let i = 0; i < xv.length; i++) {
      const c = i % C;
      const ref = (gamma[c] * (xv[i] - input.mean[c])) / Math.sqrt(input.variance[c] + EPS) + beta[c];
      assert.ok(Math.abs(got[i] - ref) < 2e-5 * (1 + Math.abs(ref)), `[${i}]: ${got[i]} vs ${ref}`);
    }
    tf.dispose([x, y, z]);
    assert.equal(tf.memory().numTensors, start, 'no tensors leak');
    params.dispose();
  });
}

test('running statistics after updates match the hand computation (PyTorch convention, unbiased variance)', () => {
  const C = 3;
  const rng = new Rng(11);
  const params = new Parameters(rng);
  const bn = new BatchNorm(params, 'bn', C);
  const momentum = 0.3;
  const other = new BatchNorm(params, 'bn2', C, { momentum });
  assert.deepEqual([...bn.movingMean.dataSync()], [0, 0, 0]);
  assert.deepEqual([...bn.movingVariance.dataSync()], [1, 1, 1]);
  const m = 2 * 3 * 4; // values per channel
  const batches = [channelData(m, C, rng), channelData(m, C, rng)];
  const expected = { mean: [0, 0, 0], variance: [1, 1, 1] };
  const expectedOther = { mean: [0, 0, 0], variance: [1, 1, 1] };
  for (const xv of batches) {
    tf.tidy(() => {
      const x = tf.tensor4d(xv, [2, 3, 4, C]);
      bn.apply(x, true);
      other.apply(x, true);
    });
    const { mean, variance } = moments64(xv, C);
    for (let c = 0; c < C; c++) {
      const unbiased = (variance[c] * m) / (m - 1);
      expected.mean[c] = 0.9 * expected.mean[c] + 0.1 * mean[c];
      expected.variance[c] = 0.9 * expected.variance[c] + 0.1 * unbiased;
      expectedOther.mean[c] = (1 - momentum) * expectedOther.mean[c] + momentum * mean[c];
      expectedOther.variance[c] = (1 - momentum) * expectedOther.variance[c] + momentum * unbiased;
    }
    for (const [layer, want] of [[bn, expected], [other, expectedOther]] as const) {
      const gotMean = layer.movingMean.dataSync();
      const gotVariance = layer.movingVariance.dataSync();
      for (let c = 0; c < C; c++) {
        assert.ok(Math.abs(gotMean[c] - want.mean[c]) < 1e-5 * (1 + Math.abs(want.mean[c])), `mean ${c}: ${gotMean[c]} vs ${want.mean[c]}`);
        assert.ok(Math.abs(gotVariance[c] - want.variance[c]) < 1e-5 * want.variance[c], `variance ${c}: ${gotVariance[c]} vs ${want.variance[c]}`);
      }
    }
  }
  params.dispose();
});

test('evaluation normalises by the running statistics, leaves them alone, and they round-trip through getWeights / setWeights', () => {
  const C = 3;
  const rng = new Rng(12);
  const params = new Parameters(rng);
  const bn = new BatchNorm(params, 'layer/bn', C);
  const movingMean = [1, -2, 0.5];
  const movingVariance = [4, 0.25, 2];
  const gamma = [1.5, 1, -1];
  const beta = [0, 2, 1];
  setValues(bn.movingMean, movingMean);
  setValues(bn.movingVariance, movingVariance);
  setValues(bn.gamma, gamma);
  setValues(bn.beta, beta);
  const xv = channelData(10, C, rng);
  const start = tf.memory().numTensors;
  const x = tf.tensor2d(xv, [10, C]);
  const y = bn.apply(x, false);
  const got = y.dataSync();
  for (let i = 0; i < xv.length; i++) {
    const c = i % C;
    const ref = (gamma[c] * (xv[i] - movingMean[c])) / Math.sqrt(movingVariance[c] + EPS) + beta[c];
    assert.ok(Math.abs(got[i] - ref) < 2e-5 * (1 + Math.abs(ref)), `[${i}]: ${got[i]} vs ${ref}`);
  }
  assert.deepEqual([...bn.movingMean.dataSync()], [...Float32Array.from(movingMean)], 'evaluation does not update');
  // Control: the batch's statistics give another output.
  const training = bn.apply(x, true);
  assert.ok(training.dataSync().some((v, i) => Math.abs(v - got[i]) > 0.1));
  tf.dispose([x, y, training]);
  assert.equal(tf.memory().numTensors, start);

  // The state is in the checkpoint, under its names, and restores into a fresh layer.
  const saved = params.getWeights();
  assert.deepEqual(saved.map((a) => a.name), ['layer/bn/gamma', 'layer/bn/beta', 'layer/bn/movingMean', 'layer/bn/movingVariance']);
  assert.deepEqual([...params.named().keys()], ['layer/bn/gamma', 'layer/bn/beta']);
  const fresh = new Parameters(new Rng(99));
  const restored = new BatchNorm(fresh, 'layer/bn', C);
  fresh.setWeights(saved);
  assert.deepEqual([...restored.movingMean.dataSync()], [...bn.movingMean.dataSync()]);
  assert.deepEqual([...restored.movingVariance.dataSync()], [...bn.movingVariance.dataSync()]);
  const [a, b] = tf.tidy(() => [bn.apply(tf.tensor2d(xv, [10, C]), false).dataSync(), restored.apply(tf.tensor2d(xv, [10, C]), false).dataSync()]);
  assert.deepEqual([...a], [...b]);
  params.dispose();
  fresh.dispose();
});

test('inside tf.variableGrads: gradients only for gamma and beta, the statistics still update, no tensor leaks', () => {
  const C = 4;
  const rng = new Rng(13);
  const params = new Parameters(rng);
  const bn = new BatchNorm(params, 'bn', C);
  const x = tf.tensor4d(channelData(2 * 3 * 3, C, rng), [2, 3, 3, C]);
  const weights = tf.tensor4d(channelData(2 * 3 * 3, C, rng), [2, 3, 3, C]);
  const start = tf.memory().numTensors;
  let previousMean = [...bn.movingMean.dataSync()];
  for (let call = 0; call < 3; call++) {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(x, true), weights)) as tf.Scalar, params.list());
    assert.deepEqual(Object.keys(grads).sort(), [bn.beta.name, bn.gamma.name].sort());
    // d/dbeta_c sum_i w_i y_i = sum of channel c's weights.
    const wsum = moments64(weights.dataSync(), C).mean.map((m) => m * 18);
    grads[bn.beta.name].dataSync().forEach((g, c) => assert.ok(Math.abs(g - wsum[c]) < 1e-4 * (1 + Math.abs(wsum[c]))));
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, start, `call ${call}: numTensors stable`);
    const mean = [...bn.movingMean.dataSync()];
    assert.notDeepEqual(mean, previousMean, 'the running mean moved');
    previousMean = mean;
  }
  // The whole input gradient of sum(y) is zero: each channel's normalised values sum to zero whatever x is.
  const gx = tf.grad((input) => tf.sum(bn.apply(input, true)))(x);
  assert.ok(gx.dataSync().every((g) => Math.abs(g) < 1e-5));
  gx.dispose();
  tf.dispose([x, weights]);
  params.dispose();
});

// A discriminator as WGAN-GP / R1 differentiate it twice: conv -> batch norm (training) -> leaky
// ReLU -> dense, f(x) = sum_b D(x)_b, penalty P = sum |grad_x f|^2.
test('the gradient of a gradient penalty through conv + batch norm + leakyRelu + dense matches central differences', () => {
  const rng = new Rng(21);
  const params = new Parameters(rng);
  const [B, H, Cin, Cout] = [3, 4, 2, 3];
  const conv = conv2d(params, 'd/conv0', 3, Cin, Cout, { init: { type: 'normal', std: 0.5 } });
  const bn = new BatchNorm(params, 'd/bn0', Cout);
  const head = dense(params, 'd/out', (H / 2) * (H / 2) * Cout, 1);
  setValues(bn.gamma, [1.5, 0.7, 1.2]);
  setValues(bn.beta, [0.3, -0.2, 0.1]);
  const x = tf.tensor4d(Float32Array.from({ length: B * H * H * Cin }, () => rng.normal()), [B, H, H, Cin]);
  const D = (input: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor =>
    applyDense(tf.reshape(leakyRelu(bn.apply(applyConv2d(input, conv, 2, 'same', filter), true), 0.2), [B, -1]), head); // [B, 1]
  const penalty = (filter: tf.Tensor4D): tf.Scalar => tf.sum(tf.square(tf.grad((input) => tf.sum(D(input as tf.Tensor4D, filter)))(x)));

  const start = tf.memory().numTensors;
  const analytic = tf.tidy(() => tf.grad((filter) => penalty(filter as tf.Tensor4D))(conv.filter));
  assert.equal(tf.memory().numTensors, start + 1, 'only the gradient is left');
  const grad = analytic.dataSync();
  analytic.dispose();

  // P is smooth where no leaky-ReLU input changes sign, and h = 1e-3 changes none here; float32
  // rounding of P (~1e-7 relative) over 2h gives ~1e-4 relative error, truncation O(h^2) less.
  const h = 1e-3;
  const w = Float32Array.from(conv.filter.dataSync());
  const P = (values: Float32Array): number => tf.tidy(() => penalty(tf.tensor4d(values, conv.filter.shape as number[] as [number, number, number, number])).dataSync()[0]);
  let scale = 0;
  const numeric = new Float64Array(w.length);
  for (let k = 0; k < w.length; k++) {
    const up = Float32Array.from(w);
    up[k] += h;
    const down = Float32Array.from(w);
    down[k] -= h;
    numeric[k] = (P(up) - P(down)) / (up[k] - down[k]);
    scale = Math.max(scale, Math.abs(numeric[k]));
  }
  assert.ok(scale > 0.1, `the penalty depends on the filter (largest derivative ${scale})`);
  for (let k = 0; k < w.length; k++) assert.ok(Math.abs(grad[k] - numeric[k]) < 3e-3 * scale, `dP/dfilter[${k}]: ${grad[k]} vs ${numeric[k]} (scale ${scale})`);
  x.dispose();
  params.dispose();
});
