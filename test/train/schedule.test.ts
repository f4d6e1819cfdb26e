import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { Batch, GenerativeModel, ParameterGroup, StepContext, StepMetrics } from '../../src/models/model.js';
import { fit } from '../../src/train/fit.js';
import { decayFactor } from '../../src/train/schedule.js';
import { MemoryStorage } from '../../src/train/storage.js';

before(async () => {
  await initBackend('wasm');
});

test('decay factors: 1 at the start, 0 at the end; linear halfway 0.5, cosine a quarter in 0.854', () => {
  for (const t of [0, 0.3, 1]) assert.equal(decayFactor('constant', t), 1);
  assert.deepEqual([0, 0.25, 0.5, 1].map((t) => decayFactor('linear', t)), [1, 0.75, 0.5, 0]);
  assert.ok(Math.abs(decayFactor('cosine', 0.25) - (1 + Math.SQRT1_2) / 2) < 1e-12);
  assert.ok(Math.abs(decayFactor('cosine', 0.5) - 0.5) < 1e-12 && decayFactor('cosine', 0) === 1 && Math.abs(decayFactor('cosine', 1)) < 1e-12);
  assert.equal(decayFactor('linear', 1.5), 0);
  assert.throws(() => decayFactor('step' as never, 0.5), /must be one of constant, linear, cosine/);
});

/**
 * One parameter per group and loss w: the gradient is always 1, so Adam's bias-corrected moments
 * are exactly 1 and every update moves w by its learning rate / (1 + epsilon).
 */
class Probe implements GenerativeModel {
  readonly name = 'probe';
  readonly inputShape = [1];
  readonly fast = tf.variable(tf.zeros([1]));
  readonly slow = tf.variable(tf.zeros([1]));
  readonly seen: { fastMove: number; slowMove: number }[] = [];

  parameterGroups(): Record<string, ParameterGroup> {
    return { fast: { variables: new Map([['fast', this.fast]]) }, slow: { variables: new Map([['slow', this.slow]]), learningRateScale: 0.1 } };
  }

  async trainStep(_batch: Batch, ctx: StepContext): Promise<StepMetrics> {
    const move = async (name: 'fast' | 'slow') => {
      const before = this[name].dataSync()[0];
      await ctx.update(name, () => ({ loss: tf.sum(this[name]) as tf.Scalar }));
      return before - this[name].dataSync()[0];
    };
    this.seen.push({ fastMove: await move('fast'), slowMove: await move('slow') });
    return { loss: 0 };
  }
  async sample(): Promise<Float32Array> {
    return new Float32Array(0);
  }
  getConfig() {
    return {};
  }
  getWeights() {
    return [this.fast, this.slow].map((v, i) => ({ name: ['fast', 'slow'][i], shape: [1], dtype: 'float32' as const, data: Float32Array.from(v.dataSync()) }));
  }
  setWeights(weights: { name: string; data: Float32Array | Int32Array }[]) {
    for (const w of weights) (w.name === 'fast' ? this.fast : this.slow).assign(tf.tensor1d(Float32Array.from(w.data)));
  }
  dispose() {
    this.fast.dispose();
    this.slow.dispose();
  }
}

test('fit applies the decay to every group at each step, relative to its own rate, and a resumed run continues it', async () => {
  const data: Dataset = { name: 'four', x: new Float32Array(4), n: 4, shape: [1], kind: 'continuous' };
  const options = { epochs: 2, batchSize: 1, learningRate: 0.01, seed: 0, learningRateDecay: 'linear' as const };
  const run = async (storage: MemoryStorage, stopAfter?: number) => {
    const model = new Probe();
    let steps = 0;
    await fit(model, data, { ...options, storage }, { onStep: () => void steps++, shouldStop: () => steps === stopAfter });
    model.dispose();
    return model.seen;
  };
  const seen = await run(new MemoryStorage());
  const factors = [1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8];
  assert.equal(seen.length, 8);
  seen.forEach((s, i) => {
    assert.ok(Math.abs(s.fastMove - 0.01 * factors[i]) < 1e-5, `step ${i}: fast group moved ${s.fastMove}`);
    assert.ok(Math.abs(s.slowMove - 0.001 * factors[i]) < 1e-6, `step ${i}: slow group moved ${s.slowMove}`);
  });
  const storage = new MemoryStorage();
  assert.equal((await run(storage, 3)).length, 3);
  const rest = await run(storage);
  assert.deepEqual(rest, seen.slice(3));
});
