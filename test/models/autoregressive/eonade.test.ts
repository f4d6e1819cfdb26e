import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { Eonade, type EonadeConfig } from '../../../src/models/autoregressive/eonade.js';
import { tensorValues } from '../../../src/nn/chunks.js';
import { allBinary, assertNoLeaks, correlatedBinary, totalProbability, trainBriefly } from './checks.js';

before(async () => {
  await initBackend('wasm');
});

/** A copy of `model` with other config fields (e.g. another seed, so other evaluation orderings). */
function withConfig(model: Eonade, shape: number[], config: Partial<EonadeConfig>): Eonade {
  const copy = new Eonade({ ...(model.getConfig() as Partial<EonadeConfig>), ...config }, shape);
  copy.setWeights(model.getWeights());
  return copy;
}

test('densities sum to 1 over all 1,024 binary inputs, for one ordering and for the ensemble, before and after training', async () => {
  const D = 10;
  for (const hidden of [[16], [12, 12]]) {
    const model = new Eonade({ hidden, evalOrderings: 1, seed: 3 }, [2, 5, 1]);
    const ensemble = () => withConfig(model, [2, 5, 1], { evalOrderings: 3 });
    const check = async (when: string) => {
      assert.ok(Math.abs((await totalProbability(model, D)) - 1) < 1e-4, `${hidden}: one ordering, ${when}`);
      const e = ensemble();
      assert.ok(Math.abs((await totalProbability(e, D)) - 1) < 1e-4, `${hidden}: ensemble of 3, ${when}`);
      e.dispose();
    };
    await check('at init');
    const { before: b, after: a } = await trainBriefly(model, correlatedBinary(64, D), D, 60, 0.02);
    assert.ok(a < b - 0.5, `${hidden}: training did not lower the NLL (${b} -> ${a})`);
    await check('trained');
    model.dispose();
  }
});

test('the running-sum log p_o(x) equals D separate passes of the masked network', async () => {
  const D = 6;
  const model = new Eonade({ hidden: [8, 7], evalOrderings: 1, seed: 1 }, [D]);
  await trainBriefly(model, correlatedBinary(32, D), D, 10, 0.05); // move off the initial biases
  const order = model.orderings[0].order;
  const n = 5;
  const x = correlatedBinary(n, D, 9);
  const got = await model.logProb({ x, n });
  // Pass t observes o(<t) and contributes log p(x_{o(t)} | x_{o(<t)}).
  const want = new Float64Array(n);
  for (let t = 0; t < D; t++) {
    const m = new Float32Array(n * D);
    for (let b = 0; b < n; b++) for (let s = 0; s < t; s++) m[b * D + order[s]] = 1;
    const logits = tf.tidy(() => model.logits(tf.tensor2d(x, [n, D]), tf.tensor2d(m, [n, D])).arraySync());
    for (let b = 0; b < n; b++) {
      const l = logits[b][order[t]];
      want[b] += x[b * D + order[t]] ? -Math.log1p(Math.exp(-l)) : -Math.log1p(Math.exp(l));
    }
  }
  for (let b = 0; b < n; b++) assert.ok(Math.abs(got[b] - want[b]) < 1e-4, `example ${b}: ${got[b]} vs ${want[b]}`);
  model.dispose();
});

test('a conditional ignores the values of unobserved variables (autograd check)', () => {
  const D = 6;
  const model = new Eonade({ hidden: [8, 8], seed: 2 }, [D]);
  const m = tf.tensor2d([[1, 0, 1, 0, 0, 1]]);
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(model.logits(x as tf.Tensor2D, m)))(tf.tensor2d(correlatedBinary(1, D, 3), [1, D])).dataSync());
  g.forEach((v, j) => (m.dataSync()[j] ? assert.notEqual(v, 0, `observed x_${j} has no influence`) : assert.ok(v === 0, `unobserved x_${j} leaks in`)));
  m.dispose();
  model.dispose();
});

test('the Eq. 8 loss is an unbiased estimate of the NLL averaged over all D! orderings', async () => {
  const D = 4;
  const model = new Eonade({ hidden: [6], seed: 5 }, [D]);
  await trainBriefly(model, correlatedBinary(32, D), D, 20, 0.05);
  const x = Float32Array.from([1, 0, 1, 1]);
  // Exact: the mean of -log p_o(x) over all 24 orderings.
  const permutations: number[][] = [];
  const extend = (p: number[]) => (p.length === D ? permutations.push(p) : [...Array(D).keys()].filter((i) => !p.includes(i)).forEach((i) => extend([...p, i])));
  extend([]);
  let exact = 0;
  for (const p of permutations) {
    const logp = tf.tidy(() => model.orderedLogProb(tf.tensor2d(x, [1, D]), Int32Array.from(p)).dataSync()[0]);
    exact -= logp / permutations.length;
  }
  // Monte Carlo: the training loss, over 30 x 200 draws of (o, d).
  const n = 200;
  const batch = { x: new Float32Array(n * D).map((_, i) => x[i % D]), n };
  const rng = new Rng(1);
  const losses: number[] = [];
  for (let s = 0; s < 30; s++) losses.push((await tensorValues(() => model.loss(batch, { rng, step: s, epoch: 0 }).loss))[0]);
  const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
  const se = Math.sqrt(losses.reduce((a, b) => a + (b - mean) ** 2, 0) / (losses.length - 1) / losses.length);
  assert.ok(Math.abs(mean - exact) < 4 * se + 1e-3, `Monte Carlo ${mean} +- ${se} vs exact ${exact}`);
  model.dispose();
});

test('order-agnostic training lowers the NLL under several orderings at once', async () => {
  const D = 10;
  const x = correlatedBinary(128, D, 2);
  const model = new Eonade({ hidden: [24], evalOrderings: 1, seed: 0 }, [D]);
  // Models that differ only in their seed (so in their evaluation ordering), sharing the weights.
  const nll = async () => {
    const out: number[] = [];
    for (const seed of [1, 2, 3, 4]) {
      const m = withConfig(model, [D], { seed });
      out.push(-(await m.logProb({ x, n: 128 })).reduce((a, b) => a + b, 0) / 128);
      m.dispose();
    }
    return out;
  };
  const before = await nll();
  await trainBriefly(model, x, D, 150, 0.02);
  const after = await nll();
  const orders = [1, 2, 3, 4].map((seed) => {
    const m = new Eonade({ hidden: [1], seed }, [D]);
    m.dispose();
    return Array.from(m.orderings[0].order).join(',');
  });
  assert.equal(new Set(orders).size, 4, 'the seeds should give different orderings');
  before.forEach((b, k) => assert.ok(after[k] < b - 1, `ordering ${orders[k]}: NLL ${b} -> ${after[k]}`));
  model.dispose();
});

test('completion keeps observed values and uses them wherever they are, even last in raster order', async () => {
  const D = 10;
  const model = new Eonade({ hidden: [32], seed: 1 }, [D]);
  // All-zeros or all-ones rows: three observed equal values decide the rest.
  const data = new Float32Array(64 * D).map((_, i) => (Math.floor(i / D) % 2 ? 1 : 0));
  await trainBriefly(model, data, D, 200, 0.02);
  const n = 100;
  for (const positions of [[7, 8, 9], [0, 4, 9], [1, 2, 3]]) {
    for (const value of [1, 0]) {
      const missing = new Uint8Array(D).fill(1);
      const x = new Float32Array(n * D);
      for (const i of positions) {
        missing[i] = 0;
        for (let b = 0; b < n; b++) x[b * D + i] = value;
      }
      const completed = await model.complete({ x, n }, missing, new Rng(positions[0] + value));
      let agree = 0;
      for (let b = 0; b < n; b++) {
        const row = completed.subarray(b * D, (b + 1) * D);
        for (const i of positions) assert.equal(row[i], value, 'an observed value changed');
        if (row.every((v) => v === value)) agree++;
      }
      assert.ok(agree >= 90, `observing ${value}s at ${positions}: only ${agree}/${n} completions are all ${value}s`);
    }
  }
  // Samples: reproducible, and (almost) only the two training rows.
  const s = await model.sample(200, new Rng(5));
  assert.deepEqual(s, await model.sample(200, new Rng(5)));
  let constant = 0;
  for (let b = 0; b < 200; b++) if (s.subarray(b * D, (b + 1) * D).every((v) => v === s[b * D])) constant++;
  assert.ok(constant > 180, `${constant}/200 samples are constant rows`);
  model.dispose();
});

test('weights and config round trip', async () => {
  const D = 5;
  const model = new Eonade({ hidden: [6, 5], evalOrderings: 2, seed: 4 }, [D]);
  const x = allBinary(D);
  await trainBriefly(model, correlatedBinary(16, D), D, 5, 0.05);
  const config = JSON.parse(JSON.stringify(model.getConfig()));
  assert.deepEqual(config, model.getConfig());
  const copy = new Eonade(config, [D]);
  copy.setWeights(model.getWeights());
  assert.deepEqual(await copy.logProb({ x, n: 32 }), await model.logProb({ x, n: 32 }));
  assert.deepEqual(await copy.sample(4, new Rng(2)), await model.sample(4, new Rng(2)));
  model.dispose();
  copy.dispose();
});

test('no tensor leaks over training steps, sampling, scoring and completion', async () => {
  const D = 4;
  const x = allBinary(D);
  for (const hidden of [[5], [5, 4]]) {
    const model = new Eonade({ hidden }, [D]);
    await assertNoLeaks(model, x, D);
    const before = tf.memory().numTensors;
    await model.complete({ x, n: 16 }, new Uint8Array([0, 1, 1, 0]), new Rng(1));
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  }
});
