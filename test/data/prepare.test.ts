import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.js';
import type { DataSplits, Dataset } from '../../src/data/dataset.js';
import { prepareData } from '../../src/data/prepare.js';

/** n examples of 3 intensities (i / n) with labels i mod 4. */
function intensities(n: number, name: string): Dataset {
  return { name, n, shape: [3], kind: 'continuous', x: Float32Array.from({ length: n * 3 }, (_, i) => Math.floor(i / 3) / n), labels: Int32Array.from({ length: n }, (_, i) => i % 4) };
}
const raw: DataSplits = { train: intensities(50, 'toy/train'), test: intensities(10, 'toy/test') };
const options = { binarize: 'stochastic' as const, dataSeed: 3 };

test('--validation N: the last N training examples, binarized by the same draw as without it; trainLimit then cuts the rest', () => {
  const whole = prepareData(raw, ['binary'], options);
  const held = prepareData(raw, ['binary'], { ...options, validation: 8 });
  assert.equal(whole.validation, undefined);
  assert.equal(held.train.n, 42);
  assert.equal(held.validation!.n, 8);
  assert.deepEqual(Array.from(held.train.x), Array.from(whole.train.x.subarray(0, 42 * 3)));
  assert.deepEqual(Array.from(held.validation!.x), Array.from(whole.train.x.subarray(42 * 3)));
  assert.deepEqual(Array.from(held.validation!.labels!), [42, 43, 44, 45, 46, 47, 48, 49].map((i) => i % 4));
  assert.deepEqual(Array.from(held.test.x), Array.from(whole.test.x), 'the test split is untouched');
  // trainLimit counts from the start and never reaches the held-out examples.
  const limited = prepareData(raw, ['binary'], { ...options, validation: 8, trainLimit: 45 });
  assert.deepEqual([limited.train.n, limited.validation!.n], [42, 8]);
  const small = prepareData(raw, ['binary'], { ...options, validation: 8, trainLimit: 10 });
  assert.deepEqual(Array.from(small.train.x), Array.from(whole.train.x.subarray(0, 30)));
});

test('a validation split as large as the training split is refused', () => {
  assert.throws(() => prepareData(raw, ['binary'], { ...options, validation: 50 }), (e: unknown) => e instanceof UserError && /between 1 and 49/.test(e.message));
});
