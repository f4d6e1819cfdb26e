/**
 * src/core/transfer.ts: the copies data-parallel training makes of every gradient, on wasm (out of
 * and into the heap directly) and on cpu (the general path), against dataSync as the reference.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/engine.js';
import { registerWasmKernels, unregisterWasmKernels } from '../../src/core/kernels/index.js';
import { copyValuesInto, tensorFromCopy } from '../../src/core/transfer.js';

before(() => registerWasmKernels());
after(() => unregisterWasmKernels());

const values = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * scale);

for (const backend of ['wasm', 'cpu']) {
  test(`${backend}: copyValuesInto writes exactly dataSync's values at the offset and nothing else`, async () => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    // Tensors from an op, from a slice of a larger tensor, and from a clone (on wasm a clone shares
    // its source's buffer): each sits at its own place in the heap.
    const a = tf.tensor(values(37, 2), [37]);
    const b = tf.tensor(values(60, 3), [6, 10]);
    const sources = [tf.mul(a, 1.5), tf.slice(b, [2, 3], [3, 4]), tf.clone(b)];
    const target = new Float32Array(new SharedArrayBuffer(4 * 200)).fill(-7);
    let offset = 5;
    const placed: [number, Float32Array][] = [];
    for (const t of sources) {
      copyValuesInto(t, target, offset);
      placed.push([offset, t.dataSync() as Float32Array]);
      offset += t.size + 3;
    }
    let covered = 0;
    for (const [at, expected] of placed) {
      assert.deepEqual(Array.from(target.subarray(at, at + expected.length)), Array.from(expected));
      covered += expected.length;
    }
    assert.equal(target.filter((x) => x === -7).length, target.length - covered, 'the rest of the target is untouched');
    tf.dispose([a, b, ...sources]);
    assert.equal(tf.memory().numTensors, before);
  });

  test(`${backend}: tensorFromCopy keeps its values when the shared source is overwritten`, async () => {
    assert.ok(await tf.setBackend(backend));
    const source = new Float32Array(new SharedArrayBuffer(4 * 24));
    source.set(values(24, 5));
    const expected = Array.from(source.subarray(4, 16));
    const t = tensorFromCopy(source.subarray(4, 16), [3, 4]);
    source.fill(0);
    assert.deepEqual(t.shape, [3, 4]);
    assert.deepEqual(Array.from(t.dataSync()), expected);
    const doubled = tf.mul(t, 2);
    assert.deepEqual(Array.from(doubled.dataSync()), expected.map((x) => Math.fround(2 * x)));
    tf.dispose([t, doubled]);
  });
}

test('copyValuesInto reads a tensor held by another backend (moved there, not read from a stale heap)', async () => {
  assert.ok(await tf.setBackend('cpu'));
  const t = tf.tensor(values(10, 1), [10]);
  assert.ok(await tf.setBackend('wasm'));
  const target = new Float32Array(12);
  copyValuesInto(t, target, 2);
  assert.deepEqual(Array.from(target.subarray(2)), Array.from(values(10, 1)));
  t.dispose();
});
