/**
 * `excludeClass` (genlab train --exclude-class K): the training split loses class K, counted before
 * trainLimit; the test split keeps every class, binarized with the very draw a run without the
 * exclusion gets; unlabelled data and absent classes are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSplits, Dataset } from '../../src/data/dataset.js';
import { prepareData } from '../../src/data/prepare.js';

/** 8-bit examples of 3 pixels whose first pixel encodes the example's index, labels cycling 0, 1, 2. */
function labelled(split: string, n: number): Dataset {
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) x.set([i, 128, 255 - i], i * 3);
  return { name: `toy3/${split}`, x, n, shape: [3], kind: 'uint8', labels: Int32Array.from({ length: n }, (_, i) => i % 3) };
}
const raw: DataSplits = { train: labelled('train', 12), test: labelled('test', 6) };

test('--exclude-class drops the class from train only, before --train-limit', () => {
  const d = prepareData(raw, ['binary'], { binarize: 'threshold', dataSeed: 0, excludeClass: 1 });
  // Train keeps indices 0, 2, 3, 5, 6, 8, 9, 11 (labels 0 and 2), in their order.
  assert.deepEqual(Array.from(d.train.labels!), [0, 2, 0, 2, 0, 2, 0, 2]);
  assert.equal(d.train.n, 8);
  assert.deepEqual(Array.from(d.test.labels!), [0, 1, 2, 0, 1, 2], 'the test split keeps class 1');
  const limited = prepareData(raw, ['binary'], { binarize: 'threshold', dataSeed: 0, excludeClass: 1, trainLimit: 3 });
  assert.deepEqual(Array.from(limited.train.labels!), [0, 2, 0], 'the limit counts kept examples');
});

test('the test split gets the same stochastic binarization draw as without the exclusion', () => {
  const options = { binarize: 'stochastic' as const, dataSeed: 4 };
  const plain = prepareData(raw, ['binary'], options);
  const excluded = prepareData(raw, ['binary'], { ...options, excludeClass: 2 });
  assert.deepEqual(excluded.test.x, plain.test.x);
  // The kept training examples keep their draws too (binarized whole, then filtered).
  const kept = [0, 1, 3, 4, 6, 7, 9, 10];
  assert.deepEqual(Array.from(excluded.train.x), kept.flatMap((i) => Array.from(plain.train.x.subarray(i * 3, i * 3 + 3))));
});

test('--exclude-class is refused for data without labels and for a class no example has', () => {
  const unlabelled: DataSplits = { train: { ...raw.train, labels: undefined }, test: raw.test };
  assert.throws(() => prepareData(unlabelled, ['binary'], { binarize: 'threshold', dataSeed: 0, excludeClass: 0 }), /--exclude-class needs labelled data, but 'toy3\/train' has no labels/);
  assert.throws(() => prepareData(raw, ['binary'], { binarize: 'threshold', dataSeed: 0, excludeClass: 7 }), /no training example of 'toy3\/train' has label 7/);
});
