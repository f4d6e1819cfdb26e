import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import type { Batch, GenerativeModel, LossTerms, ParameterGroup } from '../../src/models/model.js';
import { clipByGlobalNorm, Optimizer, optimizerSettings, type OptimizerSettings } from '../../src/train/optimizers.js';
import { learningRateFactor } from '../../src/train/schedule.js';
import { Trainer } from '../../src/train/trainer.js';

before(async () => {
  await initBackend('wasm');
});

/**
 * A quadratic 0.5 * sum_i c_i (w_i - t_i)^2 with gradient c * (w - t): each rule's updates can be
 * written out by hand in float64 and compared with the optimizer's float32 ones.
 */
const C = [1, 3];
const T = [2, -1];
const W0 = [0.5, 0.25];
const grad = (w: number[]) => w.map((v, i) => C[i] * (v - T[i]));

function runOptimizer(settings: Partial<OptimizerSettings>, steps: number): number[][] {
  const w = tf.variable(tf.tensor1d(W0));
  const variables = new Map([['w', w]]);
  const opt = new Optimizer(optimizerSettings(settings));
  const path: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const g = tf.tidy(() => tf.mul(tf.sub(w, tf.tensor1d(T)), tf.tensor1d(C)));
    opt.apply(variables, new Map([['w', g]]));
    g.dispose();
    path.push(Array.from(w.dataSync()));
  }
  opt.dispose();
  w.dispose();
  return path;
}

function assertPath(got: number[][], expected: number[][], label: string): void {
  got.forEach((w, s) => w.forEach((v, i) => assert.ok(Math.abs(v - expected[s][i]) < 1e-5, `${label} step ${s + 1} w${i}: ${v} vs ${expected[s][i]}`)));
}

test('SGD, SGD with momentum, Nesterov momentum, RMSProp and Adam follow their update rules (hand-computed in float64)', () => {
  const lr = 0.1;
  const steps = 5;
  const byHand = (update: (w: number[], g: number[], t: number, state: Record<string, number[]>) => number[]) => {
    let w = [...W0];
    const state: Record<string, number[]> = {};
    const out: number[][] = [];
    for (let t = 1; t <= steps; t++) {
      w = update(w, grad(w), t, state);
      out.push([...w]);
    }
    return out;
  };
  assertPath(runOptimizer({ kind: 'sgd', learningRate: lr }, steps), byHand((w, g) => w.map((v, i) => v - lr * g[i])), 'sgd');
  const mu = 0.9;
  const momentum = (nesterov: boolean) =>
    byHand((w, g, _t, st) => {
      st.b = (st.b ?? [0, 0]).map((b, i) => mu * b + g[i]);
      return w.map((v, i) => v - lr * (nesterov ? g[i] + mu * st.b[i] : st.b[i]));
    });
  assertPath(runOptimizer({ kind: 'sgd', learningRate: lr, momentum: mu }, steps), momentum(false), 'momentum');
  assertPath(runOptimizer({ kind: 'sgd', learningRate: lr, momentum: mu, nesterov: true }, steps), momentum(true), 'nesterov');
  assert.notDeepEqual(momentum(false), momentum(true), 'the two momentum forms differ, so the comparison can fail');
  const rho = 0.99;
  const eps = 1e-8;
  assertPath(
    runOptimizer({ kind: 'rmsprop', learningRate: 0.01 }, steps),
    byHand((w, g, _t, st) => {
      st.v = (st.v ?? [0, 0]).map((v, i) => rho * v + (1 - rho) * g[i] ** 2);
      return w.map((v, i) => v - (0.01 * g[i]) / (Math.sqrt(st.v[i]) + eps));
    }),
    'rmsprop',
  );
  const [b1, b2] = [0.5, 0.9];
  assertPath(
    runOptimizer({ kind: 'adam', learningRate: 0.05, beta1: b1, beta2: b2 }, steps),
    byHand((w, g, t, st) => {
      st.m = (st.m ?? [0, 0]).map((m, i) => b1 * m + (1 - b1) * g[i]);
      st.v = (st.v ?? [0, 0]).map((v, i) => b2 * v + (1 - b2) * g[i] ** 2);
      return w.map((v, i) => v - (0.05 * (st.m[i] / (1 - b1 ** t))) / (Math.sqrt(st.v[i] / (1 - b2 ** t)) + eps));
    }),
    'adam',
  );
  assert.throws(() => optimizerSettings({ kind: 'adam', nesterov: true }), /nesterov needs the sgd optimizer/);
  assert.throws(() => optimizerSettings({ kind: 'lbfgs' as never }), /optimizer must be one of adam, sgd, rmsprop/);
  assert.throws(() => optimizerSettings({ beta1: 1 }), /beta1 must be in \[0, 1\)/);
});

test('global-norm clipping scales every gradient by maxNorm / ||g|| above the limit and leaves smaller ones alone', () => {
  const grads = () => new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 0])], ['b', tf.tensor2d([[0, 4]])]]); // ||g|| = 5
  tf.tidy(() => {
    const clipped = grads();
    const norm = clipByGlobalNorm(clipped, 1);
    assert.ok(Math.abs(norm.dataSync()[0] - 5) < 1e-6);
    assert.ok(Math.abs(clipped.get('a')!.dataSync()[0] - 0.6) < 1e-6 && Math.abs(clipped.get('b')!.dataSync()[1] - 0.8) < 1e-6);
    const loose = grads();
    clipByGlobalNorm(loose, 10);
    assert.deepEqual(Array.from(loose.get('a')!.dataSync()), [3, 0]);
  });
});

test('warm-up ramps the step size linearly, then the decay takes over', () => {
  const factors = [0, 1, 2, 3, 4, 7].map((s) => learningRateFactor({ warmupSteps: 4 }, s, 8));
  assert.deepEqual(factors, [0.25, 0.5, 0.75, 1, 1, 1]);
  assert.ok(Math.abs(learningRateFactor({ warmupSteps: 2, decay: 'linear' }, 0, 10) - 0.5 * 1) < 1e-12);
  assert.ok(Math.abs(learningRateFactor({ warmupSteps: 2, decay: 'linear' }, 5, 10) - 0.5) < 1e-12);
  assert.throws(() => learningRateFactor({ warmupSteps: -1 }, 0, 10), /warm-up steps/);
});

/** One variable w and loss sum(c * w), so the gradient is c: updates and the EMA are easy to write by hand. */
class Linear implements GenerativeModel {
  readonly name = 'linear';
  readonly inputShape = [1];
  readonly w = tf.variable(tf.tensor1d([1, -2]));
  constructor(readonly c: number[]) {}
  parameterGroups(): Record<string, ParameterGroup> {
    return { main: { variables: new Map([['w', this.w]]) } };
  }
  loss(): LossTerms {
    return { loss: tf.sum(tf.mul(this.w, tf.tensor1d(this.c))) as tf.Scalar };
  }
  async sample(): Promise<Float32Array> {
    return new Float32Array(0);
  }
  getConfig() {
    return {};
  }
  getWeights() {
    return [{ name: 'w', shape: [2], dtype: 'float32' as const, data: Float32Array.from(this.w.dataSync()) }];
  }
  setWeights(w: { data: Float32Array | Int32Array }[]) {
    this.w.assign(tf.tensor1d(Float32Array.from(w[0].data)));
  }
  dispose() {
    this.w.dispose();
  }
}

test('the trainer: clipping inside the update, gradNorm reported, EMA of the weights after each step (by hand)', async () => {
  const model = new Linear([3, 4]); // gradient norm 5
  const trainer = new Trainer(model, { optimizer: { kind: 'sgd', learningRate: 0.1 }, clipNorm: 1, ema: 0.5 });
  const batch: Batch = { x: new Float32Array(1), n: 1 };
  const metrics = await trainer.step(batch, { rng: new Rng(0), step: 0 });
  assert.ok(Math.abs(metrics.gradNorm - 5) < 1e-5 && Math.abs(metrics.loss - (3 - 8)) < 1e-5);
  // Clipped gradient (0.6, 0.8): w = (1 - 0.06, -2 - 0.08).
  const w1 = [0.94, -2.08];
  assert.ok(Array.from(model.w.dataSync()).every((v, i) => Math.abs(v - w1[i]) < 1e-6));
  // shadow = 0.5 * w0 + 0.5 * w1.
  let shadow = [0.5 * 1 + 0.5 * w1[0], 0.5 * -2 + 0.5 * w1[1]];
  assert.ok(Array.from(trainer.ema!.getWeights()[0].data).every((v, i) => Math.abs(v - shadow[i]) < 1e-6));
  await trainer.step(batch, { rng: new Rng(0), step: 1 });
  const w2 = [w1[0] - 0.06, w1[1] - 0.08];
  shadow = shadow.map((s, i) => 0.5 * s + 0.5 * w2[i]);
  assert.ok(Array.from(trainer.ema!.getWeights()[0].data).every((v, i) => Math.abs(v - shadow[i]) < 1e-6));
  trainer.dispose();
  model.dispose();
});

test('optimizer state is checkpointed by variable name: a renamed or new variable never inherits moments', async () => {
  const w = tf.variable(tf.tensor1d([1, 2]));
  const u = tf.variable(tf.tensor1d([3]));
  const opt = new Optimizer(optimizerSettings({ kind: 'adam' }));
  opt.apply(new Map([['w', w], ['u', u]]), new Map<string, tf.Tensor>([['w', tf.tensor1d([1, 1])], ['u', tf.tensor1d([5])]]));
  const state = opt.getState('main/');
  assert.deepEqual(state.map((a) => a.name).sort(), ['main/iterations', 'main/u/m', 'main/u/v', 'main/w/m', 'main/w/v']);
  // A model that gained 'z' (same shape as u) and lost 'u': z starts fresh, u's moments are reported unused.
  const z = tf.variable(tf.tensor1d([0]));
  const restored = new Optimizer(optimizerSettings({ kind: 'adam' }));
  const { unused, fresh } = restored.setState('main/', state, new Map([['w', w], ['z', z]]));
  assert.deepEqual(unused.sort(), ['main/u/m', 'main/u/v']);
  assert.deepEqual(fresh, ['z']);
  assert.equal(restored.iterations, 1);
  const again = restored.getState('main/');
  assert.deepEqual(again.find((a) => a.name === 'main/w/m')!.data, state.find((a) => a.name === 'main/w/m')!.data);
  assert.equal(again.find((a) => a.name.startsWith('main/z/')), undefined);
  assert.throws(() => restored.setState('main/', [{ name: 'main/w/m', shape: [3], dtype: 'float32', data: new Float32Array(3) }], new Map([['w', w]])), /has 3 values/);
  for (const t of [w, u, z]) t.dispose();
  opt.dispose();
  restored.dispose();
});
