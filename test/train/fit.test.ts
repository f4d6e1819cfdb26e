import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import { prepareData } from '../../src/data/prepare.js';
import { createModel } from '../../src/models/registry.js';
import { fit, TrainingDiverged, type FitOptions } from '../../src/train/fit.js';
import { MemoryStorage, type TrainingCheckpoint } from '../../src/train/storage.js';
import { correlatedBinary } from '../models/autoregressive/checks.js';

before(async () => {
  await initBackend('wasm');
});

function intensities(n: number, D: number): Dataset {
  const rng = new Rng(11);
  const x = new Float32Array(n * D);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  return { name: 'random', x, n, shape: [D], kind: 'continuous' };
}

/** Trains `make()` for `options`, stopping after `stopAt` steps and resuming from the storage as --resume does. */
async function stoppedAndResumed(make: () => ReturnType<typeof createModel>, data: Dataset, options: FitOptions, stopAt: number) {
  const storage = new MemoryStorage();
  const first = make();
  let steps = 0;
  const partial = await fit(first, data, { ...options, storage }, { onStep: () => void steps++, shouldStop: () => steps === stopAt });
  assert.equal(partial.stopped, true);
  first.dispose();
  const second = make(); // fresh weights: fit must restore them from the checkpoint
  const resumed = await fit(second, data, { ...options, storage });
  assert.equal(resumed.stopped, false);
  return { model: second, storage, partial, resumed };
}

test('a counting model stopped mid-epoch and resumed ends exactly where an uninterrupted run ends', async () => {
  const D = 5;
  // Dynamic binarization: the result depends on the data order and on every noise draw.
  const data = prepareData({ train: intensities(103, D), test: intensities(10, D) }, ['binary'], { binarize: 'dynamic', dataSeed: 0 });
  const info = { shape: [D], kind: 'binary' as const };
  const options: FitOptions = { epochs: 3, batchSize: 10, seed: 42, transformBatch: data.transformBatch };
  const straight = createModel('ar', { order: 2 }, info);
  const full = await fit(straight, data.train, options);
  assert.equal(full.state.step, 33);
  const { model, partial } = await stoppedAndResumed(() => createModel('ar', { order: 2 }, info), data.train, options, 15);
  assert.deepEqual([partial.state.epoch, partial.state.batchInEpoch], [1, 4]);
  assert.deepEqual(model.getWeights()[0].data, straight.getWeights()[0].data);
  const other = createModel('ar', { order: 2 }, info);
  await fit(other, data.train, { ...options, seed: 43 });
  assert.notDeepEqual(other.getWeights()[0].data, straight.getWeights()[0].data, 'the seed must matter');
});

test('a single-loss model (NADE, Adam, EMA) resumed from a mid-epoch checkpoint matches an uninterrupted run bit for bit; the metrics log has no duplicate steps', async () => {
  const D = 6;
  const data: Dataset = { name: 'chain', x: correlatedBinary(50, D), n: 50, shape: [D], kind: 'binary' };
  const info = { shape: [D], kind: 'binary' as const };
  const options: FitOptions = { epochs: 2, batchSize: 8, learningRate: 0.05, seed: 3, ema: 0.9, logEverySteps: 1, learningRateDecay: 'cosine', warmupSteps: 3 };
  const make = () => createModel('nade', { hidden: 4 }, info);
  const straightStorage = new MemoryStorage();
  const straight = make();
  await fit(straight, data, { ...options, storage: straightStorage });
  const { model, storage } = await stoppedAndResumed(make, data, options, 9);
  assert.deepEqual(model.getWeights(), straight.getWeights());
  assert.deepEqual(storage.checkpoints.at(-1)!.ema, straightStorage.checkpoints.at(-1)!.ema);
  assert.ok(storage.checkpoints.at(-1)!.ema.length > 0);
  const steps = storage.records.filter((r) => r.event === 'batch').map((r) => r.step);
  assert.deepEqual(steps, Array.from({ length: 14 }, (_, i) => i + 1), 'one batch record per step, none twice');
  assert.deepEqual(storage.records.filter((r) => r.event === 'batch').map((r) => r.loss), straightStorage.records.filter((r) => r.event === 'batch').map((r) => r.loss));

  // Control: the same resume without the optimizer state (fresh moments) ends elsewhere, so the comparison can fail.
  const damaged = new MemoryStorage();
  const interrupted = storage.checkpoints.find((c) => c.state.step === 9)!;
  await damaged.save({ ...interrupted, optimizer: [] });
  const third = make();
  await fit(third, data, { ...options, storage: damaged });
  assert.notDeepEqual(third.getWeights(), straight.getWeights());
  for (const m of [straight, model, third]) m.dispose();
});

test('the AAE (three parameter groups, k = 3 discriminator updates on fresh minibatches) resumes bit for bit', async () => {
  const D = 16;
  const data: Dataset = { name: 'chain', x: correlatedBinary(40, D), n: 40, shape: [D], kind: 'binary' };
  const info = { shape: [D], kind: 'binary' as const };
  const config = { hidden: [8], discriminatorHidden: [6], discriminatorSteps: 3, discriminatorBatches: 'fresh' };
  const options: FitOptions = { epochs: 3, batchSize: 5, learningRate: 0.01, seed: 7 };
  const straightStorage = new MemoryStorage();
  const straight = createModel('aae', config, info);
  const result = await fit(straight, data, { ...options, storage: straightStorage });
  // Each step draws its own batch and two fresh ones: 8 batches per epoch give 3 steps (the last wraps around).
  assert.equal(result.state.step, 9);
  const { model, storage } = await stoppedAndResumed(() => createModel('aae', config, info), data, options, 4);
  assert.deepEqual(model.getWeights(), straight.getWeights());
  const optimizerState = (c: TrainingCheckpoint) => c.optimizer.map((a) => a.name).sort();
  assert.deepEqual(optimizerState(storage.checkpoints.at(-1)!), optimizerState(straightStorage.checkpoints.at(-1)!));
  assert.ok(optimizerState(straightStorage.checkpoints.at(-1)!).includes('discriminator/iterations'));
  // With 'same' batches the run differs (the comparison can fail).
  const same = createModel('aae', { ...config, discriminatorBatches: 'same' }, info);
  await fit(same, data, options);
  assert.notDeepEqual(same.getWeights(), straight.getWeights());
  for (const m of [straight, model, same]) m.dispose();
});

test('checkpoints: every N steps, at epoch ends, never twice for one step; a finished run is reported complete', async () => {
  const D = 4;
  const data: Dataset = { name: 'chain', x: correlatedBinary(20, D), n: 20, shape: [D], kind: 'binary' };
  const model = createModel('fvsbn', {}, { shape: [D], kind: 'binary' });
  const tensors = tf.memory().numTensors;
  const storage = new MemoryStorage();
  // 5 batches per epoch: step checkpoints at 2, 4, (6), 8, the epoch's at 5 and 10; the one due at step 10 is the epoch's.
  await fit(model, data, { epochs: 2, batchSize: 4, seed: 1, storage, checkpoint: { everySteps: 2 } });
  assert.deepEqual(storage.checkpoints.map((c) => c.state.step), [2, 4, 5, 6, 8, 10]);
  const again = await fit(model, data, { epochs: 2, batchSize: 4, seed: 1, storage });
  assert.equal(again.alreadyComplete, true);
  assert.equal(storage.checkpoints.length, 6);
  assert.equal(tf.memory().numTensors, tensors, 'fit leaves no tensors behind (optimizer state freed)');
  model.dispose();
});

test('a diverging run stops with TrainingDiverged and keeps its last finite checkpoint as the latest', async () => {
  const D = 4;
  const data: Dataset = { name: 'chain', x: correlatedBinary(32, D), n: 32, shape: [D], kind: 'binary' };
  const model = createModel('vae', { hidden: [8], latent: 2 }, { shape: [D], kind: 'binary' });
  const storage = new MemoryStorage();
  await assert.rejects(fit(model, data, { epochs: 50, batchSize: 8, seed: 1, learningRate: 1e30, storage, checkpoint: { everySteps: 1 } }), TrainingDiverged);
  const latest = await storage.load();
  assert.ok(latest === null || latest.weights.every((w) => w.data.every(Number.isFinite)));
  model.dispose();
});

test('epoch metrics are example-weighted means of the step metrics; held-out figures come with the epoch', async () => {
  const D = 3;
  const x = new Float32Array(7 * D).map((_, i) => i % 2);
  const data: Dataset = { name: 'alt', x, n: 7, shape: [D], kind: 'binary' };
  const model = createModel('independent', {}, { shape: [D], kind: 'binary' });
  const steps: { loss: number; n: number }[] = [];
  let epochLoss = NaN;
  let testNll = NaN;
  await fit(model, data, { epochs: 1, batchSize: 3, seed: 1, evaluation: { data, examples: 7 } }, {
    onStep: ({ metrics, batch }) => void steps.push({ loss: metrics.loss, n: batch < 3 ? 3 : 1 }),
    onEpoch: ({ metrics, evaluation }) => {
      epochLoss = metrics.loss;
      testNll = evaluation!.testNll;
    },
  });
  const expected = steps.reduce((s, v) => s + v.loss * v.n, 0) / 7;
  assert.ok(Math.abs(epochLoss - expected) < 1e-12);
  assert.ok(testNll > 0 && Number.isFinite(testNll));
  model.dispose();
});
