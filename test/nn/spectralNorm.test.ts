import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { symmetricEigen } from '../../src/eval/pca.js';
import { leakyRelu } from '../../src/nn/activations.js';
import { Parameters } from '../../src/nn/parameters.js';
import { SpectralNorm, type WeightLayout } from '../../src/nn/spectralNorm.js';

before(async () => {
  await initBackend('wasm');
});

/** Largest singular value of a rows x cols row-major matrix: sqrt of the top eigenvalue of M^T M (Jacobi). */
function largestSingularValue(m: ArrayLike<number>, rows: number, cols: number): number {
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) for (let r = 0; r < rows; r++) gram[i * cols + j] += m[r * cols + i] * m[r * cols + j];
  return Math.sqrt(Math.max(...symmetricEigen(gram, cols).values));
}

/** [k, k, a, b] -> [k, k, b, a] (a transposed convolution's filter into the convolution layout). */
function swapLastAxes(f: ArrayLike<number>, k: number, a: number, b: number): Float64Array {
  const out = new Float64Array(f.length);
  for (let p = 0; p < k * k; p++) for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[(p * b + j) * a + i] = f[(p * a + i) * b + j];
  return out;
}

function normalizeValues(norm: SpectralNorm, W: tf.Tensor, training: boolean): Float32Array {
  return tf.tidy(() => norm.normalize(W, training).dataSync() as Float32Array);
}

const CASES: { layout: WeightLayout; shape: number[]; rows: number; cols: number }[] = [
  { layout: 'dense', shape: [6, 4], rows: 6, cols: 4 },
  { layout: 'conv2d', shape: [3, 3, 2, 4], rows: 18, cols: 4 },
  { layout: 'conv2dTranspose', shape: [3, 3, 4, 2], rows: 18, cols: 4 }, // out 4, in 2
];

for (const { layout, shape, rows, cols } of CASES) {
  test(`${layout} [${shape}]: sigma stays below the largest singular value and converges to it; W / sigma has spectral norm 1`, () => {
    const params = new Parameters(new Rng(5));
    const W = params.add('w', shape, { type: 'normal', std: 1 });
    const norm = new SpectralNorm(params, 'w', { layout });
    assert.deepEqual(norm.u.shape, [cols], 'u has one entry per output unit');
    assert.ok(Math.abs(Math.hypot(...norm.u.dataSync()) - 1) < 1e-6, 'u starts at unit length');
    const w = W.dataSync();
    const matrix = layout === 'conv2dTranspose' ? swapLastAxes(w, 3, shape[2], shape[3]) : w;
    const target = largestSingularValue(matrix, rows, cols);
    const start = tf.memory().numTensors;
    let sigma = 0;
    let firstSigma = 0;
    for (let step = 0; step < 60; step++) {
      const normalized = normalizeValues(norm, W, true);
      sigma = w[0] / normalized[0];
      if (step === 0) firstSigma = sigma;
      // sigma = |M^T v| for a unit v, which never exceeds the largest singular value.
      assert.ok(sigma <= target * (1 + 1e-6), `step ${step}: sigma ${sigma} > ${target}`);
    }
    assert.equal(tf.memory().numTensors, start, 'no tensors leak');
    assert.ok(firstSigma < target * 0.999, 'one step from a random u is not yet converged (so convergence is measured)');
    assert.ok(Math.abs(sigma - target) < 1e-5 * target, `sigma ${sigma} vs largest singular value ${target}`);
    const normalized = normalizeValues(norm, W, false);
    const normalizedMatrix = layout === 'conv2dTranspose' ? swapLastAxes(normalized, 3, shape[2], shape[3]) : normalized;
    assert.ok(Math.abs(largestSingularValue(normalizedMatrix, rows, cols) - 1) < 1e-5, 'spectral norm of W / sigma');
    params.dispose();
  });
}

test('u is state: hidden from named(), saved and restored by getWeights / setWeights, left alone in evaluation', () => {
  const params = new Parameters(new Rng(6));
  const W = params.add('d/dense0/W', [5, 3], { type: 'glorot', fanIn: 5, fanOut: 3 });
  const norm = new SpectralNorm(params, 'd/dense0/W');
  assert.equal(norm.layout, 'dense');
  for (let step = 0; step < 3; step++) normalizeValues(norm, W, true);
  const u = [...norm.u.dataSync()];
  const evaluated = normalizeValues(norm, W, false);
  assert.deepEqual([...norm.u.dataSync()], u, 'evaluation does not update u');
  assert.deepEqual([...params.named().keys()], ['d/dense0/W']);
  assert.equal(params.count(), 15);
  const saved = params.getWeights();
  assert.deepEqual(saved.map((a) => a.name), ['d/dense0/W', 'd/dense0/W/u']);

  const other = new Parameters(new Rng(7));
  const W2 = other.add('d/dense0/W', [5, 3], { type: 'glorot', fanIn: 5, fanOut: 3 });
  const restored = new SpectralNorm(other, 'd/dense0/W');
  assert.notDeepEqual([...restored.u.dataSync()], u);
  other.setWeights(saved);
  assert.deepEqual([...restored.u.dataSync()], u);
  assert.deepEqual([...normalizeValues(restored, W2, false)], [...evaluated]);
  params.dispose();
  other.dispose();
});

test('the gradient through normalize: in evaluation it is the derivative of W / |M u| (float64 central differences)', () => {
  const [rows, cols] = [5, 3];
  const rng = new Rng(8);
  const params = new Parameters(rng);
  const W = params.add('w', [rows, cols], { type: 'normal', std: 1 });
  const norm = new SpectralNorm(params, 'w');
  const weights = tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
  const start = tf.memory().numTensors;
  const grad = tf.tidy(() => tf.grad((w) => tf.sum(tf.mul(norm.normalize(w, false), weights)))(W).dataSync());
  assert.equal(tf.memory().numTensors, start);
  const u = Float64Array.from(norm.u.dataSync());
  const c = weights.dataSync();
  // L(W) = sum(C * W) / |W u| in float64; evaluation's sigma = v^T W u with v = W u / |W u|.
  const loss = (w: Float64Array): number => {
    let norm2 = 0;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += w[r * cols + j] * u[j];
      norm2 += s * s;
    }
    let dot = 0;
    for (let k = 0; k < w.length; k++) dot += c[k] * w[k];
    return dot / Math.sqrt(norm2);
  };
  const w = Float64Array.from(W.dataSync());
  const h = 1e-5;
  for (let k = 0; k < w.length; k++) {
    const up = Float64Array.from(w);
    up[k] += h;
    const down = Float64Array.from(w);
    down[k] -= h;
    const numeric = (loss(up) - loss(down)) / (2 * h);
    assert.ok(Math.abs(grad[k] - numeric) < 1e-4 * (1 + Math.abs(numeric)), `dL/dW[${k}]: ${grad[k]} vs ${numeric}`);
  }
  weights.dispose();
  params.dispose();
});

test('in training the gradient treats u and v as constants (Eq. 12), unlike the derivative of the whole step', () => {
  const [rows, cols] = [5, 3];
  const rng = new Rng(9);
  const params = new Parameters(rng);
  const W = params.add('w', [rows, cols], { type: 'normal', std: 1 });
  const norm = new SpectralNorm(params, 'w');
  const c = Float32Array.from({ length: rows * cols }, () => rng.normal());
  const weights = tf.tensor2d(c, [rows, cols]);
  const u0 = Float64Array.from(norm.u.dataSync());
  const w = Float64Array.from(W.dataSync());

  /** One power-iteration step from u0 in float64: v = W u0 / |W u0|, u = W^T v / |W^T v|, sigma = v^T W u. */
  const step = (m: Float64Array): { u: Float64Array; v: Float64Array; sigma: number } => {
    const v = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) v[r] += m[r * cols + j] * u0[j];
    const vn = Math.hypot(...v);
    v.forEach((x, r) => (v[r] = x / vn));
    const u = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) u[j] += m[r * cols + j] * v[r];
    const un = Math.hypot(...u);
    u.forEach((x, j) => (u[j] = x / un));
    let sigma = 0;
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) sigma += v[r] * m[r * cols + j] * u[j];
    return { u, v, sigma };
  };
  const { u, v, sigma } = step(w);
  const start = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(norm.normalize(W, true), weights)) as tf.Scalar, [W]);
  const grad = grads[W.name].dataSync();
  tf.dispose([value, grads[W.name]]);
  assert.equal(tf.memory().numTensors, start);
  norm.u.dataSync().forEach((x, j) => assert.ok(Math.abs(x - u[j]) < 1e-5, 'u after the step'));

  // With u, v constant: d/dW sum(C * W / sigma) = C / sigma - (sum(C * W) / sigma^2) v u^T.
  let dot = 0;
  for (let k = 0; k < w.length; k++) dot += c[k] * w[k];
  let differs = 0;
  const whole = (m: Float64Array): number => {
    let d = 0;
    for (let k = 0; k < m.length; k++) d += c[k] * m[k];
    return d / step(m).sigma;
  };
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const k = r * cols + j;
      const expected = c[k] / sigma - (dot / sigma ** 2) * v[r] * u[j];
      assert.ok(Math.abs(grad[k] - expected) < 1e-4 * (1 + Math.abs(expected)), `dL/dW[${k}]: ${grad[k]} vs ${expected}`);
      const up = Float64Array.from(w);
      up[k] += 1e-6;
      const down = Float64Array.from(w);
      down[k] -= 1e-6;
      differs = Math.max(differs, Math.abs((whole(up) - whole(down)) / 2e-6 - expected));
    }
  }
  // Control: differentiating through the iteration itself (u and v as functions of W) gives another gradient.
  assert.ok(differs > 1e-2, `the whole step's derivative differs from the constant-u, v gradient (by ${differs})`);
  weights.dispose();
  params.dispose();
});

test('normalize inside tf.variableGrads leaks nothing across training steps, and a gradient penalty through it is twice differentiable', () => {
  const [I, J, B] = [4, 3, 5];
  const rng = new Rng(10);
  const params = new Parameters(rng);
  const W = params.add('w', [I, J], { type: 'normal', std: 1 });
  const norm = new SpectralNorm(params, 'w');
  const x = tf.tensor2d(Float32Array.from({ length: B * I }, () => rng.normal()), [B, I]);
  const a = tf.tensor1d(Float32Array.from({ length: J }, () => rng.normal()));
  const f = (input: tf.Tensor, w: tf.Tensor, training: boolean): tf.Scalar => tf.sum(tf.mul(leakyRelu(tf.matMul(input as tf.Tensor2D, norm.normalize(w, training) as tf.Tensor2D)), a));
  const penalty = (w: tf.Tensor, training: boolean): tf.Scalar => tf.sum(tf.square(tf.grad((input) => f(input, w, training))(x)));
  const start = tf.memory().numTensors;
  for (let call = 0; call < 3; call++) {
    const before = [...norm.u.dataSync()];
    const { value, grads } = tf.variableGrads(() => penalty(W, true), [W]);
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, start, `call ${call}`);
    assert.notDeepEqual([...norm.u.dataSync()], before, 'u updated');
  }
  // Evaluation mode (u fixed) against central differences of the penalty, computed in float32 by tfjs' first-order gradient.
  const grad = tf.tidy(() => tf.grad((w) => penalty(w, false))(W).dataSync());
  const w = W.dataSync();
  const h = 1e-3;
  const P = (values: Float32Array): number => tf.tidy(() => penalty(tf.tensor2d(values, [I, J]), false).dataSync()[0]);
  let scale = 0;
  const numeric = Array.from(w, (_, k) => {
    const up = Float32Array.from(w);
    up[k] += h;
    const down = Float32Array.from(w);
    down[k] -= h;
    const d = (P(up) - P(down)) / (up[k] - down[k]);
    scale = Math.max(scale, Math.abs(d));
    return d;
  });
  assert.ok(scale > 0.1);
  numeric.forEach((d, k) => assert.ok(Math.abs(grad[k] - d) < 3e-3 * scale, `dP/dW[${k}]: ${grad[k]} vs ${d}`));
  assert.equal(tf.memory().numTensors, start);
  tf.dispose([x, a]);
  params.dispose();
});
