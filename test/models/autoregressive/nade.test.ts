import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { Nade } from '../../../src/models/autoregressive/nade.js';
import { Fvsbn } from '../../../src/models/autoregressive/fvsbn.js';
import type { OrderingSpec } from '../../../src/models/ordering.js';
import { allBinary, assertAutoregressive, assertNoLeaks, correlatedBinary, totalProbability, trainBriefly } from './checks.js';

before(async () => {
  await initBackend('wasm');
});

const orderings: OrderingSpec[] = [{ type: 'raster' }, { type: 'snake' }, { type: 'random', seed: 7 }];

test('NADE and FVSBN densities sum to 1 over all 1,024 binary 2x5 images, before and after training', async () => {
  for (const ordering of orderings) {
    for (const model of [new Nade({ hidden: 12, ordering, seed: 3 }, [2, 5, 1]), new Fvsbn({ ordering, seed: 3 }, [2, 5, 1])]) {
      assert.ok(Math.abs((await totalProbability(model, 10)) - 1) < 1e-4, `${model.name} ${ordering.type} at init`);
      const { before: b, after: a } = await trainBriefly(model, correlatedBinary(64, 10), 10, 30, 0.05);
      assert.ok(a < b - 0.5, `${model.name} ${ordering.type}: training did not lower the NLL (${b} -> ${a})`);
      assert.ok(Math.abs((await totalProbability(model, 10)) - 1) < 1e-4, `${model.name} ${ordering.type} trained`);
      model.dispose();
    }
  }
});

test('NADE: the O(HD) running sum equals D separate networks (float64 brute force)', async () => {
  const D = 7;
  const H = 5;
  const model = new Nade({ hidden: H, ordering: { type: 'random', seed: 2 }, seed: 1 }, [D]);
  await trainBriefly(model, correlatedBinary(32, D), D, 10, 0.1); // move off the symmetric init
  const w = Object.fromEntries(model.getWeights().map((a) => [a.name, a.data]));
  const order = model.ordering.order;
  const x = correlatedBinary(5, D, 9);
  const got = tf.tidy(() => model.orderedLogits(tf.gather(tf.tensor2d(x, [5, D]), tf.tensor1d(order, 'int32'), 1)).arraySync());
  for (let b = 0; b < 5; b++) {
    for (let t = 0; t < D; t++) {
      // Network t on its own: h = sigma(c + sum_{s<t} W[:, s] x_{o(s)}), logit = b_t + V[:, t] . h
      let logit = w.b[t];
      for (let k = 0; k < H; k++) {
        let a = w.c[k];
        for (let s = 0; s < t; s++) a += w.W[k * D + s] * x[b * D + order[s]];
        logit += w.V[k * D + t] / (1 + Math.exp(-a));
      }
      assert.ok(Math.abs(got[b][t] - logit) < 1e-5, `example ${b} step ${t}: ${got[b][t]} vs ${logit}`);
    }
  }
  model.dispose();
});

test('conditionals depend only on earlier variables (autograd check)', () => {
  const D = 9;
  for (const ordering of orderings) {
    const nade = new Nade({ hidden: 6, ordering, seed: 4 }, [3, 3, 1]);
    // Permutation matrices instead of gathers: wasm lacks the kernel of gather's gradient.
    const P = new Float32Array(D * D); // P[i, t] = 1 iff variable i is visited at step t
    nade.ordering.order.forEach((i, t) => (P[i * D + t] = 1));
    const toOrdered = tf.tensor2d(P, [D, D]);
    assertAutoregressive(
      (x) => tf.matMul(nade.orderedLogits(tf.matMul(x, toOrdered)), toOrdered, false, true),
      nade.ordering.position,
      correlatedBinary(1, D, 5),
    );
    toOrdered.dispose();
    nade.dispose();
    const fvsbn = new Fvsbn({ ordering, seed: 4 }, [3, 3, 1]);
    assertAutoregressive((x) => fvsbn.logits(x), fvsbn.ordering.position, correlatedBinary(1, D, 6));
    fvsbn.dispose();
  }
});

test('sampling is reproducible, follows the model, and completion keeps observed values', async () => {
  const D = 6;
  const model = new Nade({ hidden: 8, seed: 1 }, [D]);
  // All-ones or all-zeros data: a trained model samples (almost) only those two.
  const data = new Float32Array(64 * D).map((_, i) => (Math.floor(i / D) % 2 ? 1 : 0));
  await trainBriefly(model, data, D, 150, 0.05);
  const a = await model.sample(200, new Rng(5));
  assert.deepEqual(a, await model.sample(200, new Rng(5)));
  let constant = 0;
  for (let i = 0; i < 200; i++) {
    const row = a.subarray(i * D, (i + 1) * D);
    if (row.every((v) => v === row[0])) constant++;
  }
  assert.ok(constant > 180, `${constant}/200 samples are constant rows`);
  const observed = new Float32Array([1, 1, 1, 0, 0, 0]);
  const missing = new Uint8Array([0, 0, 0, 1, 1, 1]);
  const completed = await model.complete({ x: observed, n: 1 }, missing, new Rng(2));
  assert.deepEqual(Array.from(completed.subarray(0, 3)), [1, 1, 1]);
  assert.deepEqual(Array.from(completed.subarray(3)), [1, 1, 1], 'the rest of an all-ones prefix is ones');
  model.dispose();
});

test('no tensor leaks over training steps, sampling and scoring', async () => {
  const x = allBinary(4);
  for (const model of [new Nade({ hidden: 5 }, [4]), new Fvsbn({}, [4])]) {
    await assertNoLeaks(model, x, 4);
    model.dispose();
  }
});
