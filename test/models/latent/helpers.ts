/** Helpers shared by the latent-variable model tests: brief training and the leak check. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.js';
import { hasBound, hasDensity, type LatentModel } from '../../../src/models/capabilities.js';
import type { Batch, GenerativeModel, StepMetrics } from '../../../src/models/model.js';
import { Trainer } from '../../../src/train/trainer.js';

/** `steps` Adam steps on one full batch; returns the metrics of every step. */
export async function train(model: GenerativeModel, batch: Batch, steps: number, lr = 0.01, seed: number | Rng = 0): Promise<StepMetrics[]> {
  const trainer = new Trainer(model, { optimizer: { learningRate: lr } });
  const rng = seed instanceof Rng ? seed : new Rng(seed);
  const out: StepMetrics[] = [];
  for (let s = 0; s < steps; s++) out.push(await trainer.step(batch, { rng, step: s }));
  trainer.dispose();
  return out;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** tf.memory().numTensors does not grow over training steps, sampling, scoring and the latent maps. */
export async function assertNoLeaks(model: GenerativeModel & LatentModel, batch: Batch): Promise<void> {
  const trainer = new Trainer(model, { optimizer: { learningRate: 0.01 } });
  const rng = new Rng(0);
  const step = (s: number) => trainer.step(batch, { rng, step: s });
  await step(0); // the optimizer creates its moments on the first step
  const before = tf.memory().numTensors;
  for (let s = 1; s < 3; s++) await step(s);
  await model.sample(3, rng);
  if (hasDensity(model)) await model.logProb(batch, rng);
  if (hasBound(model)) await model.bound(batch, rng);
  const z = await model.encode(batch, rng);
  await model.decode(z, batch.n, batch.labels);
  assert.equal(tf.memory().numTensors, before, `${model.name} leaks tensors`);
  trainer.dispose();
}

/** Weights copied into a fresh model (another seed) give the same codes and the same ELBO draws. */
export async function assertWeightsRoundTrip(make: (seed: number) => GenerativeModel & LatentModel, batch: Batch): Promise<void> {
  const a = make(1);
  const b = make(2);
  assert.notDeepEqual(await b.encode(batch, new Rng(0)), await a.encode(batch, new Rng(0)));
  b.setWeights(a.getWeights());
  assert.deepEqual(await b.encode(batch, new Rng(0)), await a.encode(batch, new Rng(0)));
  assert.deepEqual(await b.sample(4, new Rng(5)), await a.sample(4, new Rng(5)));
  if (hasBound(a) && hasBound(b)) assert.deepEqual(await b.bound(batch, new Rng(3)), await a.bound(batch, new Rng(3)));
  a.dispose();
  b.dispose();
}

/**
 * encode, decode and sample on 5 binary examples of 16 values for a model with `latent` codes:
 * the sizes, Bernoulli means strictly inside (0, 1), and samples that a seed repeats. Disposes the model.
 */
export async function assertCodesAndSamples(model: GenerativeModel & LatentModel, x: Float32Array, latent: number): Promise<void> {
  const z = await model.encode({ x, n: 5 }, new Rng(0));
  assert.equal(z.length, 5 * latent);
  const recon = await model.decode(z, 5);
  assert.equal(recon.length, 80);
  assert.ok(recon.every((p) => p > 0 && p < 1));
  const samples = await model.sample(7, new Rng(1));
  assert.equal(samples.length, 7 * 16);
  assert.deepEqual(samples, await model.sample(7, new Rng(1)));
  model.dispose?.();
}
