import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { Parameters } from '../../src/nn/parameters.js';

before(async () => {
  await initBackend('wasm');
});

/** Parameters with two weights and one state variable between them. */
function build(seed: number): { params: Parameters; state: tf.Variable } {
  const params = new Parameters(new Rng(seed));
  params.inGroup('discriminator', () => params.add('layer/W', [3, 2], { type: 'normal', std: 1 }));
  const state = params.addState('layer/movingMean', [2], { type: 'normal', std: 1 });
  params.add('layer/b', [2], { type: 'constant', value: 0.5 });
  return { params, state };
}

test('state is checkpointed with the weights but hidden from named(), list(), get() and count()', () => {
  const start = tf.memory().numTensors;
  const { params, state } = build(3);
  assert.equal(state.trainable, false);
  assert.deepEqual([...params.named().keys()], ['layer/W', 'layer/b']);
  assert.deepEqual([...params.named('discriminator').keys()], ['layer/W']);
  assert.deepEqual(params.list().map((v) => v.shape), [[3, 2], [2]]);
  assert.equal(params.count(), 8);
  assert.throws(() => params.get('layer/movingMean'), /no parameter/);
  assert.equal(params.getState('layer/movingMean'), state);
  assert.throws(() => params.getState('layer/W'), /no state/);
  // Weights first, then state, each in definition order.
  const saved = params.getWeights();
  assert.deepEqual(saved.map((a) => a.name), ['layer/W', 'layer/b', 'layer/movingMean']);
  assert.deepEqual([...saved[2].data], [...state.dataSync()]);
  params.dispose();
  assert.equal(tf.memory().numTensors, start, 'dispose frees the state too');
});

test('setWeights restores state, and requires it like a weight', () => {
  const a = build(3);
  const b = build(4);
  const before = b.params.getWeights();
  b.params.setWeights(a.params.getWeights());
  assert.deepEqual(b.params.getWeights(), a.params.getWeights());
  assert.notDeepEqual([...before[2].data], [...a.state.dataSync()], 'the seeds give different state, so the restore is visible');
  const withoutState = a.params.getWeights().filter((w) => w.name !== 'layer/movingMean');
  assert.throws(() => b.params.setWeights(withoutState), /checkpoint lacks parameter 'layer\/movingMean'/);
  assert.throws(() => b.params.addState('layer/W', [1], { type: 'zeros' }), /defined twice/);
  assert.throws(() => b.params.add('layer/movingMean', [1], { type: 'zeros' }), /defined twice/);
  a.params.dispose();
  b.params.dispose();
});

test('state draws from the Rng in creation order; weights alone initialise as before', () => {
  // Without state, weights come out exactly as a plain sequence of Rng draws.
  const params = new Parameters(new Rng(9));
  const W = params.add('W', [4], { type: 'normal', std: 2 });
  const rng = new Rng(9);
  assert.deepEqual([...W.dataSync()], [...Float32Array.from({ length: 4 }, () => 2 * rng.normal())]);
  const u = params.addState('W/u', [3], { type: 'normal', std: 1 });
  assert.deepEqual([...u.dataSync()], [...Float32Array.from({ length: 3 }, () => rng.normal())]);
  params.dispose();
});

test('tf.variableGrads over all trainable variables skips state that the loss reads', () => {
  const start = tf.memory().numTensors;
  const { params, state } = build(5);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.add(tf.sum(params.get('layer/W'), 0), state), params.get('layer/b'))) as tf.Scalar);
  const names = Object.keys(grads);
  assert.ok(names.includes(params.get('layer/W').name) && names.includes(params.get('layer/b').name));
  assert.ok(!names.includes(state.name), 'no gradient for the state variable');
  tf.dispose([value, ...Object.values(grads)]);
  params.dispose();
  assert.equal(tf.memory().numTensors, start);
});
