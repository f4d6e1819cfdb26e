/**
 * Checks shared by the autoregressive model tests: normalisation over every binary input of a
 * tiny space, the autograd dependency check, and leak-free steps.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.js';
import type { CompletionModel, DensityModel } from '../../../src/models/capabilities.js';
import type { Batch, GenerativeModel } from '../../../src/models/model.js';
import { Trainer } from '../../../src/train/trainer.js';

/** What every autoregressive model is: exact densities and completion. */
type ArModel = GenerativeModel & DensityModel & CompletionModel;

/** Every binary vector of length D, [2^D * D]. */
export function allBinary(D: number): Float32Array {
  const x = new Float32Array(2 ** D * D);
  for (let i = 0; i < 2 ** D; i++) for (let j = 0; j < D; j++) x[i * D + j] = (i >> j) & 1;
  return x;
}

/** Sum of exp(log p(x)) over all 2^D binary inputs. */
export async function totalProbability(model: ArModel, D: number): Promise<number> {
  const logp = await model.logProb({ x: allBinary(D), n: 2 ** D }, new Rng(0));
  return logp.reduce((s, l) => s + Math.exp(l), 0);
}

/** Random binary examples with strongly correlated neighbours. */
export function correlatedBinary(n: number, D: number, seed = 1): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    let v = rng.int(2);
    for (let j = 0; j < D; j++) x[i * D + j] = v = rng.uniform() < 0.85 ? v : 1 - v;
  }
  return x;
}

/** Runs `steps` Adam steps on `x` and returns the mean NLL before and after. */
export async function trainBriefly(model: ArModel, x: Float32Array, D: number, steps: number, lr = 0.01) {
  const batch: Batch = { x, n: x.length / D };
  const nll = async () => -(await model.logProb(batch, new Rng(0))).reduce((a, b) => a + b, 0) / batch.n;
  const before = await nll();
  const trainer = new Trainer(model, { optimizer: { learningRate: lr } });
  const rng = new Rng(0);
  for (let s = 0; s < steps; s++) await trainer.step(batch, { rng, step: s });
  const after = await nll();
  trainer.dispose();
  return { before, after };
}

/**
 * karpathy's MADE check: d logit_i / d x_j must be exactly zero for every j not before i in the
 * ordering, and non-zero for some earlier j (else the test could not fail).
 * `logits` maps [1, D] inputs to [1, D] logits in input order.
 */
export function assertAutoregressive(
  logits: (x: tf.Tensor2D) => tf.Tensor2D,
  position: Int32Array,
  x: Float32Array,
): void {
  const D = position.length;
  let someNonZero = 0;
  for (let i = 0; i < D; i++) {
    const g = tf.tidy(() =>
      tf.grad((input: tf.Tensor) => tf.sum(tf.slice(logits(input as tf.Tensor2D), [0, i], [1, 1])))(tf.tensor2d(x, [1, D])).dataSync(),
    );
    for (let j = 0; j < D; j++) {
      if (position[j] >= position[i]) assert.equal(g[j], 0, `output ${i} depends on input ${j}, which is not before it`);
      else if (g[j] !== 0) someNonZero++;
    }
  }
  assert.ok(someNonZero > 0, 'no output depends on any earlier input');
}

/** tf.memory().numTensors does not grow over training steps and sampling. */
export async function assertNoLeaks(model: ArModel, x: Float32Array, D: number): Promise<void> {
  const trainer = new Trainer(model, { optimizer: { learningRate: 0.01 } });
  const rng = new Rng(0);
  const step = (s: number) => trainer.step({ x, n: x.length / D }, { rng, step: s });
  await step(0); // the optimizer creates its moments on the first step
  const before = tf.memory().numTensors;
  for (let s = 1; s < 4; s++) await step(s);
  await model.sample(2, rng);
  await model.logProb({ x, n: x.length / D }, rng);
  assert.equal(tf.memory().numTensors, before);
  trainer.dispose();
}

/** Every image with D entries in 0..K-1, as one batch [K^D * D] (entry 0 varies slowest). */
export function allImages(D: number, K: number): { x: Float32Array; n: number } {
  const n = K ** D;
  const x = new Float32Array(n * D);
  for (let j = 0; j < n; j++) {
    let v = j;
    for (let d = D - 1; d >= 0; d--) {
      x[j * D + d] = v % K;
      v = Math.floor(v / K);
    }
  }
  return { x, n };
}

/** Sum of exp(log p(x)) over every image with D entries in 0..K-1. */
export async function totalImageProbability(model: ArModel, D: number, K: number): Promise<number> {
  const logp = await model.logProb(allImages(D, K), new Rng(0));
  return logp.reduce((s, l) => s + Math.exp(l), 0);
}

/** A trainer with a fresh Adam optimizer for `model`. */
export function adamTrainer(model: GenerativeModel, learningRate: number): Trainer {
  return new Trainer(model, { optimizer: { learningRate } });
}

/** n images [H, W, 1] of vertical bars: each column all 1 or all 0 with probability 1/2. */
export function bars(n: number, H: number, W: number, rng: Rng): Float32Array {
  const x = new Float32Array(n * H * W);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < W; c++) {
      const on = rng.uniform() < 0.5 ? 1 : 0;
      for (let r = 0; r < H; r++) x[(b * H + r) * W + c] = on;
    }
  }
  return x;
}

/** Whether one image [H, W, 1] is vertical bars. */
export function isBars(x: Float32Array, H: number, W: number): boolean {
  for (let r = 1; r < H; r++) for (let c = 0; c < W; c++) if (x[r * W + c] !== x[c]) return false;
  return true;
}

/**
 * Trains a raster image model on [H, W, 1] vertical bars (`steps` Adam steps of 32 images) and
 * checks what it must then do: held-out NLL below half the independent-pixel baseline and within
 * `slack` nats of the optimum (first row free, the others copy it); seeded samples that repeat and
 * are mostly bars; completions of everything below the first row that keep that row and continue
 * its bars; and no tensor leaked by trainStep, sample or complete. Disposes the model.
 */
export async function checkLearnsBars(
  model: ArModel,
  [H, W]: [number, number],
  { steps, learningRate, slack }: { steps: number; learningRate: number; slack: number },
): Promise<void> {
  const D = H * W;
  const rng = new Rng(9);
  const heldOut = { x: bars(200, H, W, rng), n: 200 };
  const nll = async () => -(await model.logProb(heldOut, rng)).reduce((s, l) => s + l, 0) / heldOut.n;
  const baseline = D * Math.LN2; // independent pixels, each on with probability 1/2
  const optimal = W * Math.LN2; // first row free, every other row copies it
  const initial = await nll();

  const trainer = adamTrainer(model, learningRate);
  await trainer.step({ x: bars(32, H, W, rng), n: 32 }, { rng, step: 0 }); // creates Adam's moments
  const tensors = tf.memory().numTensors;
  for (let s = 1; s < steps; s++) await trainer.step({ x: bars(32, H, W, rng), n: 32 }, { rng, step: s });
  assert.equal(tf.memory().numTensors, tensors, 'training steps leak tensors');
  const after = await nll();
  assert.ok(after < 0.5 * baseline && after < optimal + slack, `NLL ${initial.toFixed(2)} -> ${after.toFixed(2)} nats (baseline ${baseline.toFixed(2)}, optimum ${optimal.toFixed(2)})`);

  // Sampling: reproducible for a seed, and the samples are bars.
  const samples = await model.sample(50, new Rng(10));
  assert.equal(tf.memory().numTensors, tensors, 'sample leaks tensors');
  assert.deepEqual(await model.sample(50, new Rng(10)), samples);
  assert.ok(samples.every((v) => v === 0 || v === 1));
  let valid = 0;
  for (let b = 0; b < 50; b++) if (isBars(samples.subarray(b * D, (b + 1) * D), H, W)) valid++;
  assert.ok(valid >= 40, `${valid} of 50 samples are bars`);

  // Completion of the rows below the first from the first: observed kept, bars continued.
  const missing = new Uint8Array(D).fill(1, W);
  const given = { x: bars(20, H, W, rng), n: 20 };
  for (let b = 0; b < 20; b++) given.x.fill(1, b * D + W, (b + 1) * D); // junk where missing
  const filled = await model.complete(given, missing, new Rng(11));
  assert.equal(tf.memory().numTensors, tensors, 'complete leaks tensors');
  let continued = 0;
  for (let b = 0; b < 20; b++) {
    for (let i = 0; i < W; i++) assert.equal(filled[b * D + i], given.x[b * D + i], 'observed value changed');
    if (isBars(filled.subarray(b * D, (b + 1) * D), H, W)) continued++;
  }
  assert.ok(continued >= 16, `${continued} of 20 completions continue the bars`);
  trainer.dispose();
  model.dispose?.();
}
