/**
 * Checks shared by the autoregressive model tests: normalisation over every binary input of a
 * tiny space, the autograd dependency check, and leak-free steps.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.js';
import type { Batch, GenerativeModel, TrainContext } from '../../../src/models/model.js';
import { createOptimizers } from '../../../src/train/optimizers.js';

/** Every binary vector of length D, [2^D * D]. */
export function allBinary(D: number): Float32Array {
  const x = new Float32Array(2 ** D * D);
  for (let i = 0; i < 2 ** D; i++) for (let j = 0; j < D; j++) x[i * D + j] = (i >> j) & 1;
  return x;
}

/** Sum of exp(log p(x)) over all 2^D binary inputs. */
export async function totalProbability(model: GenerativeModel, D: number): Promise<number> {
  const logp = await model.logProb!({ x: allBinary(D), n: 2 ** D }, new Rng(0));
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
export async function trainBriefly(model: GenerativeModel, x: Float32Array, D: number, steps: number, lr = 0.01) {
  const batch: Batch = { x, n: x.length / D };
  const nll = async () => -(await model.logProb!(batch, new Rng(0))).reduce((a, b) => a + b, 0) / batch.n;
  const before = await nll();
  const optimizers = createOptimizers(model, lr);
  const rng = new Rng(0);
  for (let s = 0; s < steps; s++) await model.trainStep(batch, { rng, step: s, epoch: 0, learningRate: lr, optimizers });
  const after = await nll();
  Object.values(optimizers).forEach((o) => o.dispose());
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
export async function assertNoLeaks(model: GenerativeModel, x: Float32Array, D: number): Promise<void> {
  const optimizers = createOptimizers(model, 0.01);
  const rng = new Rng(0);
  const step = (s: number) => model.trainStep({ x, n: x.length / D }, { rng, step: s, epoch: 0, learningRate: 0.01, optimizers });
  await step(0); // the optimizer creates its moments on the first step
  const before = tf.memory().numTensors;
  for (let s = 1; s < 4; s++) await step(s);
  await model.sample(2, rng);
  await model.logProb!({ x, n: x.length / D }, rng);
  assert.equal(tf.memory().numTensors, before);
  Object.values(optimizers).forEach((o) => o.dispose());
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
export async function totalImageProbability(model: GenerativeModel, D: number, K: number): Promise<number> {
  const logp = await model.logProb!(allImages(D, K), new Rng(0));
  return logp.reduce((s, l) => s + Math.exp(l), 0);
}

/** A training context with a fresh Adam optimizer. */
export function context(rng: Rng, learningRate: number): TrainContext {
  return { rng, step: 0, epoch: 0, learningRate, optimizers: { main: tf.train.adam(learningRate) } };
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
