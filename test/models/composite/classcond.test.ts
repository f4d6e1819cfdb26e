import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { UserError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import type { Dataset } from '../../../src/data/dataset.js';
import { bayesClassify } from '../../../src/eval/bayes.js';
import { ClassCond } from '../../../src/models/composite/classcond.js';
import type { Batch } from '../../../src/models/model.js';
import { parseOptionValue, type OptionSpec } from '../../../src/models/options.js';
import { createModel, getEntry } from '../../../src/models/registry.js';
import { fit } from '../../../src/train/fit.js';
import { MemoryStorage } from '../../../src/train/storage.js';
import { Trainer } from '../../../src/train/trainer.js';
import { allBinary } from '../autoregressive/checks.js';

before(async () => {
  await initBackend('wasm');
});

const D = 4;

/**
 * Two classes of 4 binary pixels: class 0 mostly off (each pixel on with probability 0.2), class 1
 * mostly on (0.8), with pixels 0 and 1 copies of each other in class 1 (something for an
 * autoregressive base to learn beyond the marginals). `n0` and `n1` examples, shuffled together.
 */
function twoClasses(n0: number, n1: number, seed = 1): Dataset {
  const rng = new Rng(seed);
  const n = n0 + n1;
  const labels = Int32Array.from(rng.permutation(n), (i) => (i < n0 ? 0 : 1));
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const p = labels[i] === 0 ? 0.2 : 0.8;
    for (let j = 0; j < D; j++) x[i * D + j] = rng.uniform() < p ? 1 : 0;
    if (labels[i] === 1) x[i * D + 1] = x[i * D];
  }
  return { name: 'two-classes', x, n, shape: [D], kind: 'binary', labels };
}

function build(base: string, baseConfig: Record<string, unknown> = {}): ClassCond {
  return createModel('classcond', { base, baseConfig }, { shape: [D], kind: 'binary', numClasses: 2 }) as ClassCond;
}

/** Counting bases take the whole data set in one step; gradient bases `steps` Adam steps on it. */
async function train(model: ClassCond, data: Dataset, steps = 1, learningRate = 0.05): Promise<void> {
  model.beginTraining(data, new Rng(0));
  const trainer = new Trainer(model, { optimizer: { learningRate } });
  const rng = new Rng(2);
  for (let s = 0; s < steps; s++) await trainer.step({ x: data.x, n: data.n, labels: data.labels }, { rng, step: s });
  trainer.dispose();
}

/** sum over all 2^D inputs of exp(log p(x)) (no labels) and of exp(log p(x|y)) for each class y. */
async function totals(model: ClassCond): Promise<{ marginal: number; perClass: number[]; unweighted: number }> {
  const x = allBinary(D);
  const n = 2 ** D;
  const rng = new Rng(0);
  const sum = (logp: Float64Array) => logp.reduce((s, l) => s + Math.exp(l), 0);
  const marginal = sum(await model.logProb({ x, n }, rng));
  const perClass = [0, 1].map(async (y) => sum(await model.logProb({ x, n, labels: new Int32Array(n).fill(y) }, rng)));
  const ll = await model.classLogLikelihoods({ x, n }, rng);
  return { marginal, perClass: await Promise.all(perClass), unweighted: ll.reduce((s, l) => s + Math.exp(l), 0) };
}

test('the prior is the label frequencies with one pseudo-count per class, and the checkpoint keeps it', async () => {
  const model = build('independent');
  assert.deepEqual(Array.from(model.logPrior), [Math.log(0.5), Math.log(0.5)], 'uniform before training');
  await train(model, twoClasses(3, 5));
  assert.deepEqual(Array.from(model.logPrior), [Math.log(4 / 10), Math.log(6 / 10)]);
  const again = build('independent');
  again.setWeights(model.getWeights());
  assert.deepEqual(Array.from(again.logPrior, (v) => Math.fround(v)), Array.from(model.logPrior, (v) => Math.fround(v)));
  assert.ok(model.getWeights().some((w) => w.name === 'class1/counts'), 'checkpoint names carry the class');
  model.dispose();
  again.dispose();
});

test('with a counting base (independent: naive Bayes), p(x) and every p(x|y) sum to 1 over all 16 inputs, and p(y|x) is the hand computation', async () => {
  const data = twoClasses(30, 10);
  const model = build('independent');
  await train(model, data);
  const t = await totals(model);
  assert.ok(Math.abs(t.marginal - 1) < 1e-9, `sum p(x) = ${t.marginal}`);
  for (const s of t.perClass) assert.ok(Math.abs(s - 1) < 1e-9, `sum p(x|y) = ${s}`);
  // Control: the class likelihoods added without the prior sum to K = 2, not 1.
  assert.ok(Math.abs(t.unweighted - 2) < 1e-9, `${t.unweighted}`);

  // By hand: p(x_j = 1 | y) = (ones_j + 1) / (n_y + 2) (Laplace), p(y) = (n_y + 1) / (n + 2).
  const ones = [new Array(D).fill(0), new Array(D).fill(0)];
  const counts = [0, 0];
  for (let i = 0; i < data.n; i++) {
    const y = data.labels![i];
    counts[y]++;
    for (let j = 0; j < D; j++) ones[y][j] += data.x[i * D + j];
  }
  const x = allBinary(D);
  const decision = bayesClassify(await model.classLogLikelihoods({ x, n: 16 }, new Rng(0)), model.logPrior);
  for (let i = 0; i < 16; i++) {
    const joint = [0, 1].map((y) => {
      let p = (counts[y] + 1) / (data.n + 2);
      for (let j = 0; j < D; j++) {
        const on = (ones[y][j] + 1) / (counts[y] + 2);
        p *= x[i * D + j] ? on : 1 - on;
      }
      return p;
    });
    const posterior1 = joint[1] / (joint[0] + joint[1]);
    assert.ok(Math.abs(decision.posterior[i * 2 + 1] - posterior1) < 1e-9, `input ${i}: ${decision.posterior[i * 2 + 1]} vs ${posterior1}`);
    assert.equal(decision.best[i], posterior1 > 0.5 ? 1 : 0);
  }
  // The class-1 prior is 11 / 42: the all-on input is still class 1, the all-off one class 0.
  assert.deepEqual([decision.best[15], decision.best[0]], [1, 0]);
  model.dispose();
});

test('with a gradient base (fvsbn), training lowers each class\'s own loss, p(x) stays normalised, and a checkpoint round-trips', async () => {
  const data = twoClasses(60, 60);
  const model = build('fvsbn');
  const rng = new Rng(0);
  /** Mean log p(x | y) of each class's own examples. */
  const ownFit = async () => {
    const ll = await model.classLogLikelihoods({ x: data.x, n: data.n }, rng);
    const sums = [0, 0];
    const counts = [0, 0];
    for (let i = 0; i < data.n; i++) {
      const y = data.labels![i];
      sums[y] += ll[i * 2 + y];
      counts[y]++;
    }
    return sums.map((s, y) => s / counts[y]);
  };
  const start = await ownFit();
  const tensors = tf.memory().numTensors;
  await train(model, data, 60);
  const after = await ownFit();
  for (const y of [0, 1]) assert.ok(after[y] > start[y] + 0.3, `class ${y}: ${start[y]} -> ${after[y]}`);
  const t = await totals(model);
  assert.ok(Math.abs(t.marginal - 1) < 1e-5, `sum p(x) = ${t.marginal}`);
  for (const s of t.perClass) assert.ok(Math.abs(s - 1) < 1e-5, `sum p(x|y) = ${s}`);

  // Round trip: the same scores from a fresh model given the weights; a fresh model alone differs.
  const x = allBinary(D);
  const again = build('fvsbn');
  const fresh = await again.classLogLikelihoods({ x, n: 16 }, rng);
  again.setWeights(model.getWeights());
  const restored = await again.classLogLikelihoods({ x, n: 16 }, rng);
  const trained = await model.classLogLikelihoods({ x, n: 16 }, rng);
  assert.deepEqual(Array.from(restored), Array.from(trained));
  assert.notDeepEqual(Array.from(fresh), Array.from(trained));
  assert.deepEqual(Array.from(again.logPrior), Array.from(model.logPrior, (v) => Math.fround(v)));
  again.dispose();
  assert.equal(tf.memory().numTensors, tensors, 'training leaks no tensors');
  model.dispose();
});

test('a step on one class\'s examples leaves the other class\'s parameters untouched (disjoint models)', async () => {
  const model = build('fvsbn');
  const trainer = new Trainer(model, { optimizer: { learningRate: 0.1 } });
  assert.deepEqual(Object.keys(trainer.groups), ['main']);
  const data = twoClasses(0, 20);
  const weightsOf = (c: number) => model.getWeights().filter((w) => w.name.startsWith(`class${c}/`)).map((w) => Array.from(w.data));
  const before = [weightsOf(0), weightsOf(1)];
  const batch: Batch = { x: data.x, n: data.n, labels: data.labels };
  await trainer.step(batch, { rng: new Rng(0), step: 0 });
  assert.deepEqual(weightsOf(0), before[0], 'class 0 had no examples');
  assert.notDeepEqual(weightsOf(1), before[1], 'class 1 moved');
  trainer.dispose();
  model.dispose();
});

test('sampling: a label draws from its class; without labels the class comes from the prior', async () => {
  const data: Dataset = {
    name: 'extremes',
    shape: [D],
    kind: 'binary',
    n: 100,
    // 20 all-off examples of class 0, 80 all-on of class 1.
    x: Float32Array.from({ length: 100 * D }, (_, i) => (i < 20 * D ? 0 : 1)),
    labels: Int32Array.from({ length: 100 }, (_, i) => (i < 20 ? 0 : 1)),
  };
  const model = build('independent');
  await train(model, data);
  const rng = new Rng(3);
  const onesOf = (s: Float32Array, i: number) => s.subarray(i * D, (i + 1) * D).reduce((a, b) => a + b, 0);
  const zeros = await model.sample(200, rng, { labels: new Int32Array(200).fill(0) });
  const ones = await model.sample(200, rng, { labels: new Int32Array(200).fill(1) });
  assert.ok(zeros.reduce((a, b) => a + b, 0) / zeros.length < 0.1);
  assert.ok(ones.reduce((a, b) => a + b, 0) / ones.length > 0.9);
  // p(y = 1) = 81 / 102; a pixel of class y is on with probability q_1 = 81 / 82, q_0 = 1 / 22.
  const atLeast3 = (q: number) => q ** 4 + 4 * q ** 3 * (1 - q);
  const expected = (81 / 102) * atLeast3(81 / 82) + (21 / 102) * atLeast3(1 / 22);
  const n = 4000;
  const free = await model.sample(n, rng);
  const mostlyOn = Array.from({ length: n }, (_, i) => onesOf(free, i)).filter((k) => k >= 3).length / n;
  // 0.03 is ~5 standard deviations; classes in turn (as cvae samples) would give ~0.5.
  assert.ok(Math.abs(mostlyOn - expected) < 0.03, `${mostlyOn} vs ${expected}`);
  model.dispose();
});

test('bases that cannot be a class density, and data without labels, are user errors', () => {
  const refused = (base: string, pattern: RegExp, baseConfig = {}) =>
    assert.throws(() => build(base, baseConfig), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  refused('ae', /no density or bound/);
  refused('cvae', /itself conditional/);
  refused('made', /classcond base made has no option 'hiden'/, { hiden: 3 });
  assert.throws(() => createModel('classcond', { base: 'nosuch' }, { shape: [D], kind: 'binary' }), /classcond: option base must be one of/);
  const spec = (getEntry('classcond').options as Record<string, OptionSpec>).baseConfig;
  assert.deepEqual(parseOptionValue('classcond', '--base-config', spec, '{"hidden": [8]}'), { hidden: [8] });
  for (const text of ['[8]', 'hidden: 8', '3']) {
    assert.throws(() => parseOptionValue('classcond', '--base-config', spec, text), /--base-config must be a JSON object/);
  }
  const model = build('independent');
  const unlabelled = { ...twoClasses(2, 2), labels: undefined };
  assert.throws(() => model.beginTraining(unlabelled, new Rng(0)), (e: unknown) => e instanceof UserError && /needs class labels/.test(e.message));
  model.dispose();
});
