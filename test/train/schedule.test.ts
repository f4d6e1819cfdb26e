import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { Batch, GenerativeModel, StepMetrics, TrainContext } from '../../src/models/model.js';
import { createOptimizers } from '../../src/train/optimizers.js';
import { decayFactor } from '../../src/train/schedule.js';
import { train } from '../../src/train/trainer.js';

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
 * One parameter w and loss w: the gradient is always 1, so Adam's bias-corrected moments are exactly
 * 1 and every step moves w by its learning rate / (1 + epsilon).
 */
class Probe implements GenerativeModel {
  readonly name = 'probe';
  readonly inputShape = [1];
  readonly optimizerNames = ['fast', 'slow'];
  readonly optimizerSettings = { slow: { learningRateScale: 0.1 } };
  readonly w = tf.variable(tf.zeros([1]));
  readonly seen: { context: number; fastMove: number; slowMove: number }[] = [];

  async trainStep(_batch: Batch, ctx: TrainContext): Promise<StepMetrics> {
    const move = (name: string) => {
      const before = this.w.dataSync()[0];
      tf.tidy(() => void ctx.optimizers[name].minimize(() => tf.sum(this.w) as tf.Scalar, false, [this.w]));
      return before - this.w.dataSync()[0];
    };
    this.seen.push({ context: ctx.learningRate, fastMove: move('fast'), slowMove: move('slow') });
    return { loss: 0 };
  }
  async sample(): Promise<Float32Array> {
    return new Float32Array(0);
  }
  getConfig() {
    return {};
  }
  getWeights() {
    return [];
  }
  setWeights() {}
  parameterCount() {
    return 1;
  }
  dispose() {
    this.w.dispose();
  }
}

test('the trainer applies the decay to every optimizer at each step, relative to its own rate, and a resumed run continues it', async () => {
  const data: Dataset = { name: 'four', x: new Float32Array(4), n: 4, shape: [1], kind: 'continuous' };
  const run = async (stopAfter?: number, resume?: Parameters<typeof train>[4]) => {
    const model = new Probe();
    const optimizers = createOptimizers(model, 0.01);
    let steps = 0;
    const result = await train(model, data, { epochs: 2, batchSize: 1, learningRate: 0.01, seed: 0, optimizers, learningRateDecay: 'linear' }, {
      onBatchEnd: () => void steps++,
      shouldStop: () => steps === stopAfter,
    }, resume);
    model.dispose();
    return { seen: model.seen, state: result.state };
  };
  const { seen } = await run();
  const factors = [1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8];
  assert.equal(seen.length, 8);
  seen.forEach((s, i) => {
    assert.ok(Math.abs(s.context - 0.01 * factors[i]) < 1e-12, `step ${i}: context rate ${s.context}`);
    assert.ok(Math.abs(s.fastMove - 0.01 * factors[i]) < 1e-5, `step ${i}: fast optimizer moved ${s.fastMove}`);
    assert.ok(Math.abs(s.slowMove - 0.001 * factors[i]) < 1e-6, `step ${i}: slow optimizer moved ${s.slowMove}`);
  });
  // A second run on the same optimizers starts again from their own rates.
  const again = new Probe();
  const reused = createOptimizers(again, 0.01);
  for (let i = 0; i < 2; i++) await train(again, data, { epochs: 1, batchSize: 2, learningRate: 0.01, seed: 0, optimizers: reused, learningRateDecay: 'linear' });
  again.dispose();
  assert.deepEqual(again.seen.map((s) => Number(s.fastMove.toFixed(6))), [0.01, 0.005, 0.01, 0.005]);
  const first = await run(3);
  const rest = await run(undefined, structuredClone(first.state));
  assert.deepEqual(rest.seen.map((s) => s.context), seen.slice(3).map((s) => s.context));
});
