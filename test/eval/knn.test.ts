import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { knnAccuracy, knnPredict } from '../../src/eval/knn.js';
import type { LabelledCodes } from '../../src/eval/probe.js';

before(async () => {
  await initBackend('wasm');
});

/** Points of one dimension: [value, label] pairs. */
function line(points: [number, number][]): LabelledCodes {
  return { x: Float32Array.from(points, ([v]) => v), labels: Int32Array.from(points, ([, y]) => y), n: points.length };
}

/** The k-NN rule in float64 with a full sort, the reference: majority, ties to the nearest tied class. */
function reference(train: LabelledCodes, test: LabelledCodes, d: number, k: number): Int32Array {
  const out = new Int32Array(test.n);
  for (let i = 0; i < test.n; i++) {
    const dist = Array.from({ length: train.n }, (_, j) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (test.x[i * d + c] - train.x[j * d + c]) ** 2;
      return { j, s };
    }).sort((a, b) => a.s - b.s);
    const labels = dist.slice(0, k).map(({ j }) => train.labels[j]);
    const count = (y: number) => labels.filter((l) => l === y).length;
    const most = Math.max(...labels.map(count));
    out[i] = labels.find((y) => count(y) === most)!;
  }
  return out;
}

test('three separated 2-D clusters: every k finds the cluster; a mislabelled test point costs exactly 1/6', async () => {
  const centres = [[0, 0], [10, 0], [0, 10]];
  const offsets = [[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]];
  const x: number[] = [];
  const labels: number[] = [];
  centres.forEach(([cx, cy], y) => offsets.forEach(([ox, oy]) => (x.push(cx + ox, cy + oy), labels.push(y))));
  const train = { x: Float32Array.from(x), labels: Int32Array.from(labels), n: 15 };
  // Two test points per cluster; the last is labelled 0 but sits in cluster 2.
  const test = { x: Float32Array.from([0.3, 0.2, -0.4, 0.1, 9.6, 0.5, 10.2, -0.3, 0.1, 9.7, 0.4, 10.5]), labels: Int32Array.from([0, 0, 1, 1, 2, 0]), n: 6 };
  for (const k of [1, 3, 5]) {
    assert.deepEqual(Array.from(await knnPredict(train, test, 2, { k })), [0, 0, 1, 1, 2, 2], `k = ${k}`);
    const report = await knnAccuracy(train, test, 2, { k });
    assert.deepEqual(report, { accuracy: 5 / 6, k, trainExamples: 15, testExamples: 6 });
  }
});

test('k = 1 and k = 3 disagree where one near point of a class faces two farther points of another', async () => {
  // From 0.45: class 0 at 0.45, class 1 at 0.55 and 0.75.
  const train = line([[0, 0], [1, 1], [1.2, 1]]);
  const test = line([[0.45, 0]]);
  assert.deepEqual(Array.from(await knnPredict(train, test, 1, { k: 1 })), [0]);
  assert.deepEqual(Array.from(await knnPredict(train, test, 1, { k: 3 })), [1]);
  assert.equal((await knnAccuracy(train, test, 1, { k: 1 })).accuracy, 1);
  assert.equal((await knnAccuracy(train, test, 1, { k: 3 })).accuracy, 0);
});

test('a tie in the votes goes to the class of the nearest neighbour, not to the smaller class index', async () => {
  // k = 2: one neighbour of each class; k = 4: two of each.
  const train = line([[0, 0], [1, 1]]);
  assert.deepEqual(Array.from(await knnPredict(train, line([[0.4, 0], [0.6, 0]]), 1, { k: 2 })), [0, 1]);
  const four = line([[0, 3], [0.1, 3], [0.5, 1], [0.7, 1], [5, 0]]);
  // From 0.35: 0.5 (1), 0.1 (3), 0.7 (1), 0 (3): 2 - 2, the nearest is class 1. From 0.2: 0.1 (3) is nearest.
  assert.deepEqual(Array.from(await knnPredict(four, line([[0.35, 0], [0.2, 0]]), 1, { k: 4 })), [1, 3]);
});

test('agrees with a float64 sort on random codes, whatever the chunking, from float32 or float64 input; no tensors leak', async () => {
  const rng = new Rng(5);
  const d = 12;
  const codes = (n: number): LabelledCodes => ({ x: Float64Array.from({ length: n * d }, () => rng.normal()), labels: Int32Array.from({ length: n }, () => rng.int(4)), n });
  const train = codes(300);
  const test = codes(70);
  const start = tf.memory().numTensors;
  for (const k of [1, 4, 7]) {
    const expected = Array.from(reference(train, test, d, k));
    // 3 test rows per chunk (the last one short), and one chunk for all.
    assert.deepEqual(Array.from(await knnPredict(train, test, d, { k, chunkElements: 3 * 300 + 5 })), expected, `k = ${k}, chunks of 3`);
    const asFloat32 = { ...train, x: Float32Array.from(train.x) };
    assert.deepEqual(Array.from(await knnPredict(asFloat32, test, d, { k })), expected, `k = ${k}, one chunk`);
  }
  assert.equal(tf.memory().numTensors, start, 'no tensors leak');
  // Random labels: about chance (0.25); 70 codes give a standard error of 0.05.
  const chance = (await knnAccuracy(train, test, d)).accuracy;
  assert.ok(Math.abs(chance - 0.25) < 0.2, `accuracy on random labels ${chance}`);
});

test('k out of range, short arrays and bad labels are user errors', async () => {
  const train = line([[0, 0], [1, 1]]);
  const test = line([[0.2, 0]]);
  await assert.rejects(knnPredict(train, test, 1, { k: 3 }), (e: Error) => e instanceof UserError && /k must be an integer between 1 and the 2 training codes, got 3/.test(e.message));
  await assert.rejects(knnPredict(train, test, 1, { k: 0 }), UserError);
  await assert.rejects(knnPredict(train, test, 2), /cannot hold 2 codes of 2/);
  await assert.rejects(knnPredict({ ...train, labels: Int32Array.from([0, -1]) }, test, 1, { k: 1 }), /label -1 of training code 1/);
  await assert.rejects(knnAccuracy(train, { ...test, n: 0 }, 1), /no test codes/);
});
