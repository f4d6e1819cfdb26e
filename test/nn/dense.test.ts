import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { leakyRelu } from '../../src/nn/activations.js';
import { applyDense, dense, Mlp } from '../../src/nn/dense.js';
import { Parameters } from '../../src/nn/parameters.js';

before(async () => {
  await initBackend('wasm');
});

/** h W + b, then `act` unless it is the last layer of a linear MLP, in float64: [B, n_0] -> [B, n_L]. */
function mlp64(x: Float32Array, B: number, weights: { W: Float32Array; b: Float32Array; fanIn: number; fanOut: number }[], act: (v: number) => number, linearOutput: boolean): Float64Array {
  let h = Float64Array.from(x);
  weights.forEach(({ W, b, fanIn, fanOut }, l) => {
    const out = new Float64Array(B * fanOut);
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < fanOut; j++) {
        let a = b[j];
        for (let i = 0; i < fanIn; i++) a += h[r * fanIn + i] * W[i * fanOut + j];
        out[r * fanOut + j] = linearOutput && l === weights.length - 1 ? a : act(a);
      }
    }
    h = out;
  });
  return h;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('dense names its variables prefix/W and prefix/b (or as given), Glorot-uniform W and zero b; disposing frees them', () => {
  const start = tf.memory().numTensors;
  const params = new Parameters(new Rng(3));
  const layer = dense(params, 'net/dense0', 30, 20);
  const named = dense(params, { W: 'W1', b: 'b1' }, 20, 5);
  assert.deepEqual(params.getWeights().map((w) => [w.name, w.shape]), [['net/dense0/W', [30, 20]], ['net/dense0/b', [20]], ['W1', [20, 5]], ['b1', [5]]]);
  assert.equal(params.get('net/dense0/W'), layer.W);
  assert.equal(params.get('b1'), named.b);
  const bound = Math.sqrt(6 / (30 + 20));
  const W = layer.W.dataSync();
  assert.ok(W.every((w) => Math.abs(w) < bound), 'inside the Glorot bound');
  assert.ok(Math.max(...W.map(Math.abs)) > 0.9 * bound, 'and spread over it');
  assert.ok(layer.b.dataSync().every((b) => b === 0));
  assert.throws(() => dense(params, 'net/dense0', 30, 20), /defined twice/);
  params.dispose();
  assert.equal(tf.memory().numTensors, start, 'no initial-value tensor outlives its variable');
});

test('Mlp: ReLU between layers, linear or activated output, equal to a float64 forward pass; no leaks', () => {
  const params = new Parameters(new Rng(5));
  const sizes = [6, 8, 7, 3];
  const linear = new Mlp(params, ['a/0', 'a/1', 'a/out'], sizes);
  const activated = new Mlp(params, ['b/0', 'b/1', 'b/out'], sizes, 'activation', (t) => leakyRelu(t, 0.1));
  const B = 4;
  const rng = new Rng(1);
  const xv = Float32Array.from({ length: B * sizes[0] }, () => 4 * rng.uniform() - 2);
  const x = tf.tensor2d(xv, [B, sizes[0]]);
  const weightsOf = (net: Mlp) => net.layers.map(({ W, b }) => ({ W: W.dataSync() as Float32Array, b: b.dataSync() as Float32Array, fanIn: W.shape[0], fanOut: W.shape[1]! }));
  const start = tf.memory().numTensors;

  const out = linear.apply(x);
  assert.deepEqual(out.shape, [B, 3]);
  const expected = mlp64(xv, B, weightsOf(linear), (a) => Math.max(a, 0), true);
  assertClose(out.dataSync(), expected, 1e-5);
  assert.ok(expected.some((v) => v < 0), 'the linear output keeps negative values');
  const leaky = activated.apply(x);
  assertClose(leaky.dataSync(), mlp64(xv, B, weightsOf(activated), (a) => (a > 0 ? a : 0.1 * a), false), 1e-5);
  // The same layers through applyDense one by one.
  const manual = tf.tidy(() => applyDense(tf.relu(applyDense(tf.relu(applyDense(x, linear.layers[0])), linear.layers[1])), linear.layers[2]));
  assertClose(manual.dataSync(), out.dataSync(), 0);
  tf.dispose([out, leaky, manual]);
  assert.equal(tf.memory().numTensors, start, 'apply frees its intermediates');

  // No layers: the identity (a copy the caller owns).
  const empty = new Mlp(params, [], [6]);
  const same = empty.apply(x);
  assert.notEqual(same, x);
  assertClose(same.dataSync(), xv, 0);
  tf.dispose([same, x]);
  assert.throws(() => new Mlp(params, ['c/0'], [6, 5, 4]), /3 sizes need 2 layer names/);
  params.dispose();
});
