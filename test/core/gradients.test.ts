/**
 * src/core/gradients.ts: the Sum and Mean gradients genlab registers in place of tfjs-core's must
 * give what the calculus says, on cpu and on wasm: d/dx sum_axes(x) . r = r spread over the reduced
 * axes, the same over the reduced count for the mean, for every axis pattern; second derivatives
 * still pass through them; the registered rule is genlab's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';

const SHAPE = [2, 3, 4];
const AXES: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2]];

/** The expected gradient of sum(reduce(x, axis) * r) by hand: r at the reduced index, over the count if a mean. */
function expected(axis: number | number[] | undefined, r: Float32Array, mean: boolean): number[] {
  const axes = axis === undefined ? [0, 1, 2] : (Array.isArray(axis) ? axis : [axis]).map((a) => (a + 3) % 3);
  const kept = [0, 1, 2].filter((a) => !axes.includes(a));
  const count = axes.reduce((n, a) => n * SHAPE[a], 1);
  const out: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
    const index = [i, j, k];
    // r's flat index over the kept axes, row-major.
    const at = kept.reduce((flat, a) => flat * SHAPE[a] + index[a], 0);
    out.push(mean ? Math.fround(r[at] / count) : r[at]);
  }
  return out;
}

for (const backend of ['cpu', 'wasm']) {
  test(`${backend}: Sum and Mean gradients spread dy over every reduced axis pattern`, async () => {
    await initBackend(backend);
    const x = tf.tensor(Array.from({ length: 24 }, (_, i) => Math.sin(i)), SHAPE);
    for (const axis of AXES) {
      for (const mean of [false, true]) {
        const reduce = (t: tf.Tensor) => (mean ? tf.mean(t, axis) : tf.sum(t, axis));
        const outShape = tf.tidy(() => reduce(x).shape);
        const size = outShape.reduce((n, d) => n * d, 1);
        const r = Float32Array.from({ length: size }, (_, i) => i + 1.5);
        const g = tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reduce(t), tf.tensor(r, outShape))))(x).dataSync()));
        const want = expected(axis, r, mean);
        g.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-6 * Math.abs(want[i]), `${mean ? 'mean' : 'sum'} over ${JSON.stringify(axis)}: ${v} at ${i}, expected ${want[i]}`));
      }
    }
    // keepDims, and a second derivative through the sum: d/dx sum(d/dx sum(x^3)) = 6x.
    const kept = tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.sum(t, 1, true), tf.tensor([[[1, 2, 3, 4]], [[5, 6, 7, 8]]]))))(x).dataSync()));
    assert.deepEqual(kept.slice(0, 4), [1, 2, 3, 4]);
    assert.deepEqual(kept.slice(12, 16), [5, 6, 7, 8]);
    const second = tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.pow(u, 3)))(t)))(x).dataSync()));
    const xs = x.dataSync();
    second.forEach((v, i) => assert.ok(Math.abs(v - 6 * xs[i]) < 1e-5, `second derivative ${v} against ${6 * xs[i]}`));
    // An int32 input keeps tfjs-core's rule (a float32 gradient).
    const intGrad = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.cast(tf.sum(t), 'float32')))(tf.tensor([1, 2, 3], [3], 'int32')));
    assert.equal(intGrad.dtype, 'float32');
    intGrad.dispose();
    x.dispose();
  });
}

test('the registered Sum and Mean gradients are genlab\'s (no JavaScript-filled ones)', async () => {
  await initBackend('wasm');
  for (const name of [tf.Sum, tf.Mean]) {
    const source = String(tf.getGradient(name)!.gradFunc);
    assert.ok(!/ones/.test(source), `${name}'s gradient still builds ones: ${source.slice(0, 120)}`);
  }
});
