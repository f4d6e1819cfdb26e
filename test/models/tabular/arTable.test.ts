import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/rng.js';
import { UserError } from '../../../src/core/errors.js';
import { createModel } from '../../../src/models/registry.js';
import { ArTableModel } from '../../../src/models/tabular/arTable.js';
import type { OrderingSpec } from '../../../src/models/ordering.js';

/** Every configuration of n variables with K states, [K^n * n]. */
function allInputs(n: number, K: number): Float32Array {
  const total = K ** n;
  const x = new Float32Array(total * n);
  for (let i = 0; i < total; i++) {
    let r = i;
    for (let j = 0; j < n; j++) {
      x[i * n + j] = r % K;
      r = Math.floor(r / K);
    }
  }
  return x;
}

function randomData(n: number, D: number, K: number, rng: Rng): Float32Array {
  const x = new Float32Array(n * D);
  // Correlated neighbours, so the tables have something to learn.
  for (let i = 0; i < n; i++) {
    let prev = rng.int(K);
    for (let j = 0; j < D; j++) {
      prev = rng.uniform() < 0.7 ? prev : rng.int(K);
      x[i * D + j] = prev;
    }
  }
  return x;
}

async function fit(model: ArTableModel, x: Float32Array, D: number, batch = 7): Promise<void> {
  const n = x.length / D;
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    await model.trainStep({ x: x.subarray(s * D, (s + m) * D), n: m });
  }
}

const orderings: OrderingSpec[] = [{ type: 'raster' }, { type: 'snake' }, { type: 'column' }, { type: 'random', seed: 3 }];

test('probabilities sum to 1 over all inputs (binary, 2x4 image, orders 0-3, all orderings)', async () => {
  const shape = [2, 4, 1];
  const D = 8;
  const everything = allInputs(D, 2);
  const data = randomData(200, D, 2, new Rng(1));
  for (const order of [0, 1, 2, 3]) {
    for (const ordering of orderings) {
      const model = new ArTableModel('ar', { order, states: 2, smoothing: 0.5, ordering }, shape);
      await fit(model, data, D);
      const logp = await model.logProb({ x: everything, n: 256 });
      const total = logp.reduce((s, l) => s + Math.exp(l), 0);
      assert.ok(Math.abs(total - 1) < 1e-9, `order ${order} ${ordering.type}: sum ${total}`);
    }
  }
});

test('probabilities sum to 1 for K = 3 states (5 variables, 243 inputs)', async () => {
  const D = 5;
  const model = new ArTableModel('ar', { order: 2, states: 3, smoothing: 1 }, [D]);
  await fit(model, randomData(100, D, 3, new Rng(2)), D);
  const logp = await model.logProb({ x: allInputs(D, 3), n: 243 });
  assert.ok(Math.abs(logp.reduce((s, l) => s + Math.exp(l), 0) - 1) < 1e-9);
});

test('a Markov chain fit by counting gives the log-likelihood of the empirical transition frequencies', async () => {
  // Data from a known chain; expected log-likelihood computed here from raw counts with a Map.
  const D = 6;
  const rng = new Rng(5);
  const n = 400;
  const x = new Float32Array(n * D);
  const p1 = 0.3;
  const stay = [0.8, 0.6];
  for (let i = 0; i < n; i++) {
    let v = rng.uniform() < p1 ? 1 : 0;
    for (let j = 0; j < D; j++) {
      if (j > 0) v = rng.uniform() < stay[v] ? v : 1 - v;
      x[i * D + j] = v;
    }
  }
  const model = createModel('markov', { smoothing: 0 }, { shape: [D], kind: 'binary' }) as ArTableModel;
  await fit(model, x, D);

  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) {
      const ctx = j === 0 ? '-' : String(x[i * D + j - 1]);
      bump(`${j}|${ctx}|${x[i * D + j]}`);
      bump(`${j}|${ctx}`);
    }
  }
  const probe = new Float32Array([0, 0, 1, 1, 0, 1]);
  let expected = 0;
  for (let j = 0; j < D; j++) {
    const ctx = j === 0 ? '-' : String(probe[j - 1]);
    expected += Math.log((counts.get(`${j}|${ctx}|${probe[j]}`) ?? 0) / counts.get(`${j}|${ctx}`)!);
  }
  const [got] = await model.logProb({ x: probe, n: 1 });
  assert.ok(Math.abs(got - expected) < 1e-9, `${got} vs ${expected}`);
  // With alpha = 0 the fit is the maximum-likelihood chain: close to the true one with 400 chains.
  const pStart1 = Math.exp((await model.logProb({ x: new Float32Array([1, 1, 1, 1, 1, 1]), n: 1 }))[0]);
  const trueStart1 = p1 * stay[1] ** 5;
  assert.ok(Math.abs(pStart1 - trueStart1) < 0.04, `${pStart1} vs ${trueStart1}`);
});

test('the independent model equals the product of per-variable Laplace-smoothed frequencies', async () => {
  const D = 4;
  const x = new Float32Array([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
  const model = createModel('independent', { smoothing: 1 }, { shape: [D], kind: 'binary' }) as ArTableModel;
  await fit(model, x, D);
  // Column frequencies of ones: 2/3, 2/3, 0/3, 2/3 -> smoothed (c + 1) / (3 + 2).
  const p1 = [3 / 5, 3 / 5, 1 / 5, 3 / 5];
  const probe = new Float32Array([1, 0, 1, 1]);
  const expected = Math.log(p1[0]) + Math.log(1 - p1[1]) + Math.log(p1[2]) + Math.log(p1[3]);
  const [got] = await model.logProb({ x: probe, n: 1 });
  assert.ok(Math.abs(got - expected) < 1e-12);
  assert.equal(model.parameterCount, 4n);
});

test('samples follow the fitted conditionals; completion keeps observed values', async () => {
  const D = 3;
  const model = new ArTableModel('markov', { order: 1, states: 2, smoothing: 0 }, [D]);
  // Deterministic chain: x0 = 1 always, then each variable copies the previous one.
  await fit(model, new Float32Array([1, 1, 1, 1, 1, 1]), D);
  const samples = await model.sample(50, new Rng(9));
  assert.ok(samples.every((v) => v === 1));
  const completed = await model.complete({ x: new Float32Array([0, 0, 0]), n: 1 }, new Uint8Array([0, 1, 1]), new Rng(1));
  // x0 = 0 observed; the table never saw context 0, and with alpha = 0 draws the last state.
  assert.equal(completed[0], 0);

  const uniform = new ArTableModel('independent', { order: 0, states: 2, smoothing: 1 }, [D]);
  await fit(uniform, new Float32Array([1, 1, 1, 0, 0, 0]), D);
  const s = await uniform.sample(4000, new Rng(3));
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  assert.ok(Math.abs(mean - 0.5) < 0.03, `mean ${mean}`);
});

test('weights round-trip and non-discrete data or oversized tables are user errors', async () => {
  const D = 6;
  const a = new ArTableModel('ar', { order: 2, states: 2 }, [D]);
  await fit(a, randomData(50, D, 2, new Rng(4)), D);
  const b = new ArTableModel('ar', a.getConfig() as never, [D]);
  b.setWeights(a.getWeights());
  const probe = randomData(10, D, 2, new Rng(8));
  assert.deepEqual(await b.logProb({ x: probe, n: 10 }), await a.logProb({ x: probe, n: 10 }));
  await assert.rejects(a.logProb({ x: new Float32Array([0.5, 0, 0, 0, 0, 0]), n: 1 }), UserError);
  assert.throws(() => new ArTableModel('ar', { order: 30, states: 2 }, [784]), /too large/);
});
