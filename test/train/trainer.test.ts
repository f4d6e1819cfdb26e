import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import { prepareData } from '../../src/data/prepare.js';
import { createModel } from '../../src/models/registry.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';

function intensities(n: number, D: number): Dataset {
  const rng = new Rng(11);
  const x = new Float32Array(n * D);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  return { name: 'random', x, n, shape: [D], kind: 'continuous' };
}

test('a run stopped mid-epoch and resumed ends exactly where an uninterrupted run ends', async () => {
  const D = 5;
  // Dynamic binarization: the result depends on the data order and on every noise draw.
  const data = prepareData({ train: intensities(103, D), test: intensities(10, D) }, ['binary'], {
    binarize: 'dynamic',
    dataSeed: 0,
  });
  const info = { shape: [D], kind: 'binary' as const };
  const options: TrainOptions = { epochs: 3, batchSize: 10, learningRate: 0, seed: 42, transformBatch: data.transformBatch };

  const straight = createModel('ar', { order: 2 }, info);
  const full = await train(straight, data.train, options);
  assert.equal(full.stopped, false);
  assert.equal(full.state.step, 33);

  const first = createModel('ar', { order: 2 }, info);
  let batches = 0;
  const partial = await train(first, data.train, options, { onBatchEnd: () => void batches++, shouldStop: () => batches === 15 });
  assert.equal(partial.stopped, true);
  assert.deepEqual([partial.state.epoch, partial.state.batchInEpoch], [1, 4]);

  // A fresh model from the saved weights and state, as --resume does.
  const second = createModel('ar', first.getConfig(), info);
  second.setWeights(first.getWeights());
  const resumed = await train(second, data.train, options, {}, JSON.parse(JSON.stringify(partial.state)));
  assert.equal(resumed.state.step, 33);
  assert.deepEqual(second.getWeights()[0].data, straight.getWeights()[0].data);

  const other = createModel('ar', { order: 2 }, info);
  await train(other, data.train, { ...options, seed: 43 });
  assert.notDeepEqual(other.getWeights()[0].data, straight.getWeights()[0].data, 'the seed must matter');
});

test('epoch metrics are example-weighted means of the step metrics', async () => {
  const D = 3;
  const x = new Float32Array(7 * D).map((_, i) => (i % 2));
  const data: Dataset = { name: 'alt', x, n: 7, shape: [D], kind: 'binary' };
  const model = createModel('independent', {}, { shape: [D], kind: 'binary' });
  const steps: { loss: number; n: number }[] = [];
  let epochLoss = NaN;
  await train(model, data, { epochs: 1, batchSize: 3, learningRate: 0, seed: 1 }, {
    onBatchEnd: ({ metrics, batch }) => void steps.push({ loss: metrics.loss, n: batch < 2 ? 3 : 1 }),
    onEpochEnd: ({ metrics }) => void (epochLoss = metrics.loss),
  });
  const expected = steps.reduce((s, v) => s + v.loss * v.n, 0) / 7;
  assert.ok(Math.abs(epochLoss - expected) < 1e-12);
});
