/**
 * MaskedConv2d convolves only the kernel rows the mask keeps (the centre row and those above):
 * its output and both gradients must equal the whole masked kernel's, conv2d(x, W * mask, 'same')
 * + b, on the cpu backend and on wasm (with genlab's kernels, whose filter gradient then takes
 * other paths).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { MaskedConv2d, type MaskedConv2dSpec } from '../../src/nn/maskedConv2d.js';
import { Parameters } from '../../src/nn/parameters.js';

const SPECS: MaskedConv2dSpec[] = [
  { kernel: 1, inChannels: 4, outChannels: 8, mask: 'B' },
  { kernel: 3, inChannels: 8, outChannels: 8, mask: 'B' },
  { kernel: 3, inChannels: 3, outChannels: 6, mask: 'B', groups: 3 },
  { kernel: 5, inChannels: 4, outChannels: 16, mask: 'A' },
  { kernel: 7, inChannels: 1, outChannels: 8, mask: 'A' },
  { kernel: 7, inChannels: 3, outChannels: 9, mask: 'A', groups: 3 },
];

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

for (const backend of ['cpu', 'wasm']) {
  test(`${backend}: the cropped masked conv equals conv2d(x, W * mask, 'same') + b, forward and both gradients`, async () => {
    await initBackend(backend);
    for (const spec of SPECS) {
      const params = new Parameters(new Rng(7));
      const layer = new MaskedConv2d(params, 'c', spec);
      // A non-zero bias, and an image taller than wide so that rows and columns cannot be confused.
      layer.bias.assign(tf.randomNormal([spec.outChannels], 0, 1, 'float32', 3));
      const x = tf.randomNormal([2, 9, 6, spec.inChannels], 0, 1, 'float32', 5) as tf.Tensor4D;
      const r = tf.randomNormal([2, 9, 6, spec.outChannels], 0, 1, 'float32', 11);
      const whole = (input: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.add(tf.conv2d(input, tf.mul(w, layer.mask) as tf.Tensor4D, 1, 'same'), b) as tf.Tensor4D;
      const results = [
        (input: tf.Tensor4D) => layer.apply(input),
        (input: tf.Tensor4D) => whole(input, layer.weight as tf.Tensor4D, layer.bias as tf.Tensor1D),
      ].map((forward) =>
        tf.tidy(() => {
          const y = forward(x);
          // Gradients of sum(y * r) with respect to x and the weights, through the layer's own variables.
          const { grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(x), r)) as tf.Scalar, [layer.weight, layer.bias]);
          const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(forward(input as tf.Tensor4D), r)))(x);
          return [y, dx, grads[layer.weight.name], grads[layer.bias.name]].map((t) => t.dataSync() as Float32Array);
        }),
      );
      const label = `${backend} k ${spec.kernel} mask ${spec.mask} groups ${spec.groups ?? 1}`;
      ['output', 'd/dx', 'd/dW', 'd/db'].forEach((what, i) => {
        assert.ok(maxRelDiff(results[0][i], results[1][i]) < 1e-5, `${label}: ${what} differs by ${maxRelDiff(results[0][i], results[1][i])}`);
      });
      // The rows below the centre get exactly zero gradient, as under the whole mask.
      const half = (spec.kernel - 1) / 2;
      const below = results[0][2].subarray((half + 1) * spec.kernel * spec.inChannels * spec.outChannels);
      assert.ok(below.every((g) => g === 0), `${label}: rows below the centre have zero gradient`);
      tf.dispose([x, r]);
      layer.dispose();
      params.dispose();
    }
  });
}
