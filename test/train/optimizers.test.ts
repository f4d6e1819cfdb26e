import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/core/engine.js';
import type { Dataset } from '../../src/data/dataset.js';
import { createModel } from '../../src/models/registry.js';
import { encodeWeights, decodeWeights } from '../../src/io/weights.js';
import { createOptimizers, getOptimizerState, setOptimizerState } from '../../src/train/optimizers.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';
import { correlatedBinary } from '../models/autoregressive/checks.js';

before(async () => {
  await initBackend('wasm');
});

test('a gradient-trained run resumed from weights + Adam state ends exactly where an uninterrupted one ends', async () => {
  const D = 6;
  const data: Dataset = { name: 'chain', x: correlatedBinary(50, D), n: 50, shape: [D], kind: 'binary' };
  const info = { shape: [D], kind: 'binary' as const };
  const options = (optimizers: ReturnType<typeof createOptimizers>): TrainOptions => ({
    epochs: 2,
    batchSize: 8,
    learningRate: 0.05,
    seed: 3,
    optimizers,
  });

  const straight = createModel('nade', { hidden: 4 }, info);
  await train(straight, data, options(createOptimizers(straight, 0.05)));

  const first = createModel('nade', { hidden: 4 }, info);
  const firstOptimizers = createOptimizers(first, 0.05);
  let batches = 0;
  const partial = await train(first, data, options(firstOptimizers), { onBatchEnd: () => void batches++, shouldStop: () => batches === 9 });
  assert.equal(partial.stopped, true);

  // Through the checkpoint encoding, as the CLI writes and reads it.
  const roundTrip = (arrays: ReturnType<typeof first.getWeights>) => {
    const { specs, data: bytes } = encodeWeights(arrays);
    return decodeWeights(specs, bytes);
  };
  const second = createModel('nade', first.getConfig(), info);
  second.setWeights(roundTrip(first.getWeights()));
  const secondOptimizers = createOptimizers(second, 0.05);
  const state = roundTrip(await getOptimizerState(firstOptimizers));
  assert.ok(state.some((a) => a.name === 'main/iter'), 'Adam step count saved');
  await setOptimizerState(secondOptimizers, state);
  await train(second, data, options(secondOptimizers), {}, partial.state);
  assert.deepEqual(second.getWeights(), straight.getWeights());

  // Without the optimizer state (fresh moments) the run must end elsewhere: the test can fail.
  const third = createModel('nade', first.getConfig(), info);
  third.setWeights(roundTrip(first.getWeights()));
  await train(third, data, options(createOptimizers(third, 0.05)), {}, partial.state);
  assert.notDeepEqual(third.getWeights(), straight.getWeights());
  for (const m of [straight, first, second, third]) m.dispose();
});
