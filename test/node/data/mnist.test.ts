import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist } from '../../../src/node/data/mnist.js';

test('MNIST: 60,000 / 10,000 digits of 28 x 28 x 1, values 0..255, labels 0..9', () => {
  const { train, test: t } = loadMnist();
  assert.equal(train.n, 60000);
  assert.equal(t.n, 10000);
  assert.equal(train.labels![0], 5); // the famous first training digit
  assert.equal(t.labels![0], 7);
  for (const d of [train, t]) {
    assert.deepEqual(d.shape, [28, 28, 1]);
    assert.equal(d.kind, 'uint8');
    assert.equal(d.x.length, d.n * 784);
    assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const counts = new Array(10).fill(0);
    for (const y of d.labels!) counts[y]++;
    assert.equal(counts.reduce((a, b) => a + b, 0), d.n);
    assert.ok(counts.every((c) => c > d.n / 20), `label counts ${counts}`);
    let min = Infinity;
    let max = -Infinity;
    let integral = true;
    for (const v of d.x) {
      if (v < min) min = v;
      if (v > max) max = v;
      if (!Number.isInteger(v)) integral = false;
    }
    assert.deepEqual([min, max, integral], [0, 255, true]);
  }
  assert.equal(train.labels!.filter((y) => y === 1).length, 6742); // known class sizes
  assert.equal(t.labels!.filter((y) => y === 1).length, 1135);
});
