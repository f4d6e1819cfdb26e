import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { leakyRelu } from '../../src/nn/activations.js';

before(async () => {
  await initBackend('wasm');
});

const ALPHA = 0.2;

/** The values of the tensor `f` computes, which is then freed. */
function values(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const out = Float32Array.from(t.dataSync());
  t.dispose();
  return out;
}

/** n values uniform on (-2, 2) with a few exact zeros. */
function inputs(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n }, () => 4 * rng.uniform() - 2);
  x[0] = 0;
  x[n - 1] = 0;
  return x;
}

test('leakyRelu equals tf.leakyRelu, and so does its first derivative (zeros included)', () => {
  const start = tf.memory().numTensors;
  const x = tf.tensor1d(inputs(257, 1));
  const ours = values(() => leakyRelu(x, ALPHA));
  const theirs = values(() => tf.leakyRelu(x, ALPHA));
  for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-6 * Math.max(1, Math.abs(theirs[i])), `value ${i}: ${ours[i]} vs ${theirs[i]}`);
  const slope = values(() => tf.grad((t) => tf.sum(leakyRelu(t, ALPHA)))(x));
  const reference = values(() => tf.grad((t) => tf.sum(tf.leakyRelu(t, ALPHA)))(x));
  const xs = x.dataSync();
  for (let i = 0; i < slope.length; i++) {
    assert.ok(Math.abs(slope[i] - reference[i]) < 1e-6, `slope at x = ${xs[i]}: ${slope[i]} vs tfjs ${reference[i]}`);
  }
  // Both slopes occur, so the comparison covers each branch.
  assert.ok(reference.some((s) => s === 1) && reference.some((s) => Math.abs(s - ALPHA) < 1e-7));
  x.dispose();
  assert.equal(tf.memory().numTensors, start, 'no tensors leak');
});

// A gradient penalty through the activation, as R1 / WGAN-GP put on a discriminator:
// f(x) = sum_j v_j act((x W)_j) per row, P(W) = mean_b |grad_x f(x_b)|^2, minimised over W.
const B = 5;
const I = 3;
const J = 4;

/** P(W) in float64: grad_x f(x_b) = W diag(act'(x_b W)) v, act' = 1 or alpha. */
function penalty64(x: Float32Array, W: Float64Array, v: Float32Array): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    const slope = new Float64Array(J);
    for (let j = 0; j < J; j++) {
      let a = 0;
      for (let i = 0; i < I; i++) a += x[b * I + i] * W[i * J + j];
      slope[j] = a > 0 ? 1 : ALPHA;
    }
    for (let i = 0; i < I; i++) {
      let g = 0;
      for (let j = 0; j < J; j++) g += W[i * J + j] * slope[j] * v[j];
      total += g * g;
    }
  }
  return total / B;
}

function penaltyGradient(act: (t: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D, W: tf.Tensor2D, v: tf.Tensor1D): tf.Tensor {
  return tf.grad((w) => {
    const gx = tf.grad((input) => tf.sum(tf.mul(act(tf.matMul(input as tf.Tensor2D, w as tf.Tensor2D)), v)))(x); // [B, I]
    return tf.mean(tf.sum(tf.square(gx), 1));
  })(W);
}

test('the gradient of a gradient penalty through leakyRelu matches float64 central differences; through tf.leakyRelu it throws', () => {
  const rng = new Rng(7);
  const xv = Float32Array.from({ length: B * I }, () => 2 * rng.uniform() - 1);
  const Wv = Float32Array.from({ length: I * J }, () => 2 * rng.uniform() - 1);
  const vv = Float32Array.from({ length: J }, () => 2 * rng.uniform() - 1);
  const start = tf.memory().numTensors;
  const [x, W, v] = [tf.tensor2d(xv, [B, I]), tf.tensor2d(Wv, [I, J]), tf.tensor1d(vv)];

  const grad = values(() => penaltyGradient((t) => leakyRelu(t, ALPHA), x, W, v));
  const h = 1e-4; // P is quadratic in W while no pre-activation changes sign, so central differences are exact up to rounding
  const W64 = Float64Array.from(Wv);
  let scale = 0;
  for (let k = 0; k < I * J; k++) {
    const saved = W64[k];
    W64[k] = saved + h;
    const up = penalty64(xv, W64, vv);
    W64[k] = saved - h;
    const down = penalty64(xv, W64, vv);
    W64[k] = saved;
    const numeric = (up - down) / (2 * h);
    scale = Math.max(scale, Math.abs(numeric));
    assert.ok(Math.abs(grad[k] - numeric) < 1e-4 * Math.max(1, Math.abs(numeric)), `dP/dW[${k}]: ${grad[k]} vs finite differences ${numeric}`);
  }
  assert.ok(scale > 1e-2, 'the penalty depends on W (the comparison is not of zeros)');
  // The alpha branch matters: with a plain identity activation the gradient differs.
  const linear = values(() => penaltyGradient((t) => t, x, W, v));
  assert.ok(linear.some((g, k) => Math.abs(g - grad[k]) > 1e-3), 'some pre-activations are negative');

  // Control: tfjs 4.22's own leakyRelu takes its gradient with a Greater mask that has no gradient.
  assert.throws(() => tf.tidy(() => penaltyGradient((t) => tf.leakyRelu(t, ALPHA), x, W, v)), /gradient function not found for Greater/);
  // The failed backward pass leaves the tensors its tape saved (tfjs frees them only on success).
  const tape = tf.engine().state.activeTape ?? [];
  for (const node of tape) tf.dispose(node.saved ?? []);
  tf.engine().state.activeTape = [];
  tf.dispose([x, W, v]);
  assert.equal(tf.memory().numTensors, start, 'no tensors leak');
});
