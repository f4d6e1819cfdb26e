/**
 * Frozen parameter groups (Trainer `frozen` / `freeze`): one player of a game steps while the other
 * holds still, bit for bit, its state included; the step otherwise runs as it would unfrozen.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import type { Batch, GenerativeModel, NamedArray } from '../../src/models/model.js';
import { createModel } from '../../src/models/registry.js';
import { Trainer } from '../../src/train/trainer.js';

before(async () => {
  await initBackend('wasm');
});

const SMALL = { generatorHidden: [16], discriminatorHidden: [16], latent: 2, seed: 4 };

/** An SN-GAN (D carries power-iteration state beside its weights) on 2-D points. */
const sngan = (): GenerativeModel => createModel('sngan', SMALL, { shape: [2], kind: 'real' });

/** Trains `steps` steps from a fixed data and noise seed; returns the weights and state after, and the last metrics. */
async function train(model: GenerativeModel, frozen: string[], steps = 1) {
  const trainer = new Trainer(model, { optimizer: { learningRate: 0.01 }, frozen });
  const data = new Rng(7);
  const batch = (): Batch => ({ x: Float32Array.from({ length: 32 }, () => 2 * data.normal()), n: 16 });
  const rng = new Rng(8);
  let metrics: Record<string, number> = {};
  for (let step = 0; step < steps; step++) metrics = await trainer.step(batch(), { rng, step, nextBatch: batch });
  const optimizerState = trainer.getOptimizerState();
  trainer.dispose();
  return { weights: model.getWeights(), metrics, optimizerState };
}

const player = (weights: NamedArray[], prefix: string) => weights.filter((w) => w.name.startsWith(prefix));
const same = (a: NamedArray[], b: NamedArray[]) => a.length === b.length && a.every((w, i) => w.name === b[i].name && w.data.every((v, j) => Object.is(v, b[i].data[j])));

test('D only: the generator is bit-identical after the steps, the discriminator (and its spectral-norm vectors) moved; G\'s loss is NaN', async () => {
  const model = sngan();
  const initial = model.getWeights();
  const { weights, metrics, optimizerState } = await train(model, ['generator'], 3);
  assert.ok(same(player(weights, 'generator/'), player(initial, 'generator/')), 'generator unchanged');
  assert.ok(!same(player(weights, 'discriminator/'), player(initial, 'discriminator/')), 'discriminator trained');
  const u = (ws: NamedArray[]) => ws.filter((w) => w.name.endsWith('/u'));
  assert.ok(u(initial).length > 0 && !same(u(weights), u(initial)), 'the power iteration advanced in D\'s updates');
  assert.ok(Number.isNaN(metrics.generatorLoss) && Number.isFinite(metrics.discriminatorLoss));
  assert.equal(optimizerState.find((a) => a.name === 'generator/iterations')?.data[0] ?? 0, 0, "G's optimizer never stepped");
  model.dispose();
});

test('G only: the discriminator, its spectral-norm state included, is bit-identical; the generator moved', async () => {
  const model = sngan();
  const initial = model.getWeights();
  const { weights, metrics } = await train(model, ['discriminator'], 3);
  assert.ok(same(player(weights, 'discriminator/'), player(initial, 'discriminator/')), 'discriminator and its u vectors unchanged');
  assert.ok(!same(player(weights, 'generator/'), player(initial, 'generator/')), 'generator trained');
  assert.ok(Number.isNaN(metrics.discriminatorLoss) && Number.isFinite(metrics.generatorLoss));
  model.dispose();
});

test('freezing skips only the frozen update: D after one step with G frozen equals D after one ordinary step, bit for bit', async () => {
  // Algorithm 1 updates D before G within a step, so an ordinary first step leaves D where a D-only step does.
  const ordinary = await train(sngan(), [], 1);
  const dOnly = await train(sngan(), ['generator'], 1);
  assert.ok(same(player(dOnly.weights, 'discriminator/'), player(ordinary.weights, 'discriminator/')), 'the same batch, noise and update');
  // The control: the ordinary step did move G, so the comparison above could have failed had freezing changed the step.
  assert.ok(!same(player(dOnly.weights, 'generator/'), player(ordinary.weights, 'generator/')));
  assert.equal(ordinary.metrics.discriminatorLoss, dOnly.metrics.discriminatorLoss);
});

test('freeze() changes the frozen groups between steps, refuses unknown groups, and leaks no tensors', async () => {
  const model = sngan();
  const trainer = new Trainer(model, { optimizer: { learningRate: 0.01 } });
  assert.throws(() => trainer.freeze(['critic']), /no parameter group 'critic'.*discriminator, generator/);
  assert.throws(() => new Trainer(model, { frozen: ['main'] }), /no parameter group 'main'/);
  const rng = new Rng(1);
  const batch = (): Batch => ({ x: Float32Array.from({ length: 32 }, () => rng.normal()), n: 16 });
  await trainer.step(batch(), { rng, step: 0, nextBatch: batch }); // optimizer state created
  const tensors = tf.memory().numTensors;
  for (const [step, frozen] of [['generator'], ['discriminator'], []].entries()) {
    trainer.freeze(frozen);
    assert.deepEqual(trainer.frozenGroups, frozen);
    const before = model.getWeights();
    await trainer.step(batch(), { rng, step: step + 1, nextBatch: batch });
    const after = model.getWeights();
    for (const group of ['generator', 'discriminator']) {
      assert.equal(same(player(after, `${group}/`), player(before, `${group}/`)), frozen.includes(group), `${group} frozen: ${frozen.includes(group)}`);
    }
    assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
  }
  trainer.dispose();
  model.dispose();
});
