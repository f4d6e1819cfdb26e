import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { moons } from '../../../src/data/toy.js';
import { capabilitiesOf, hasBound, samplesInSteps } from '../../../src/models/capabilities.js';
import { Ddpm } from '../../../src/models/diffusion/ddpm.js';
import { createModel } from '../../../src/models/registry.js';
import { Trainer } from '../../../src/train/trainer.js';

before(async () => {
  await initBackend('wasm');
});

test('ddpm on moons (MLP): training lowers L_simple and raises the bound, without leaking tensors', async () => {
  const model = new Ddpm({ hidden: [64, 64], embedding: 16, timesteps: 100, boundStrata: 99, seed: 1 }, [2]);
  const train = moons.sample(512, new Rng(1)).x;
  const heldOut = { x: moons.sample(200, new Rng(2)).x, n: 200 };
  const meanBound = async () => (await model.bound(heldOut, new Rng(5))).bound.reduce((a, b) => a + b, 0) / heldOut.n;
  const trainer = new Trainer(model, { optimizer: { learningRate: 3e-3 } });
  const rng = new Rng(0);
  const losses: number[] = [];
  const step = async (s: number) => losses.push((await trainer.step({ x: train.subarray((s % 4) * 256, ((s % 4) + 1) * 256), n: 128 }, { rng, step: s, epoch: 0 })).loss);
  await step(0);
  const before = await meanBound();
  const tensors = tf.memory().numTensors;
  for (let s = 1; s < 150; s++) await step(s);
  await model.sample(3, rng, { steps: 5 });
  await model.bound({ x: heldOut.x.subarray(0, 8), n: 4 }, rng);
  assert.equal(tf.memory().numTensors, tensors, 'training steps, sampling or the bound leak tensors');
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  assert.ok(last < 0.8 * first, `L_simple ${first} -> ${last}`);
  const after = await meanBound();
  assert.ok(after > before + 1, `bound ${before} -> ${after} nats`);
  trainer.dispose();
  model.dispose();
});

test('ddpm on 8-bit images (U-Net): a training step without leaks, samples on the 256 levels, a finite bound with three terms', async () => {
  const model = createModel('ddpm', { timesteps: 20, channels: 8, normGroups: 4, embedding: 16, boundStrata: 4 }, { shape: [8, 8, 1], kind: 'continuous' }) as Ddpm;
  assert.ok(hasBound(model) && samplesInSteps(model) && model.timesteps === 20);
  assert.deepEqual(capabilitiesOf(model), { density: 'bound', latent: false, conditional: false, completion: true });
  const rng = new Rng(3);
  const x = Float32Array.from({ length: 4 * 64 }, () => rng.int(256) / 255);
  const trainer = new Trainer(model, { optimizer: { learningRate: 1e-3 } });
  await trainer.step({ x, n: 4 }, { rng, step: 0, epoch: 0 });
  const tensors = tf.memory().numTensors;
  const { loss } = await trainer.step({ x, n: 4 }, { rng, step: 1, epoch: 0 });
  assert.ok(Number.isFinite(loss) && loss > 0);
  const samples = await model.sample(2, rng, { steps: 3 });
  assert.equal(samples.length, 2 * 64);
  assert.ok(samples.every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4), 'samples are levels k / 255');
  const b = await model.bound({ x, n: 4 }, rng);
  assert.equal(tf.memory().numTensors, tensors, 'the U-Net leaks tensors');
  assert.deepEqual(Object.keys(b.terms), ['decoder', 'denoising', 'prior']);
  // A discrete model: log P(x) <= 0, so the bound is negative; untrained, it is far below 8 bits/dim's -64 * 8 ln 2.
  assert.ok(b.bound.every((v) => Number.isFinite(v) && v < 0), `${b.bound}`);
  trainer.dispose();
  model.dispose();
});

test('a class-conditional ddpm is conditional, needs labels to train, and samples the classes asked for', async () => {
  const model = createModel('ddpm', { classConditional: true, hidden: [8], timesteps: 10, embedding: 8 }, { shape: [2], kind: 'real', numClasses: 3 }) as Ddpm;
  assert.equal(model.numClasses, 3);
  assert.equal(capabilitiesOf(model).conditional, true);
  assert.throws(() => tf.tidy(() => model.loss({ x: new Float32Array(4), n: 2 }, { rng: new Rng(0), step: 0, epoch: 0 }).loss), /labels/);
  assert.equal((await model.sample(3, new Rng(0), { labels: Int32Array.of(2, 0, 1) })).length, 6);
  await assert.rejects(model.sample(1, new Rng(0), { labels: Int32Array.of(3) }), /labels in 0..2/);
  const unconditional = createModel('ddpm', { hidden: [8], timesteps: 10, embedding: 8 }, { shape: [2], kind: 'real', numClasses: 3 });
  assert.equal(capabilitiesOf(unconditional).conditional, false, 'labels in the data do not make it conditional');
  model.dispose();
  unconditional.dispose();
});
