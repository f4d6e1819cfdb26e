import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { applyConv2d, applyConv2dTranspose, conv2d, conv2dTranspose, type Padding } from '../../src/nn/conv.js';
import { Parameters } from '../../src/nn/parameters.js';

before(async () => {
  await initBackend('wasm');
});

function randoms(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** NHWC convolution in float64 with TensorFlow's padding: x [B, H, W, I], f [k, k, I, O] -> [B, oh, ow, O]. */
function conv64(x: Float32Array, [B, H, W, I]: number[], f: Float32Array, k: number, O: number, stride: number, pad: Padding): { y: Float64Array; shape: number[] } {
  const oh = pad === 'same' ? Math.ceil(H / stride) : Math.floor((H - k) / stride) + 1;
  const ow = pad === 'same' ? Math.ceil(W / stride) : Math.floor((W - k) / stride) + 1;
  // 'same' pads max((out - 1) stride + k - in, 0) in all, the smaller half before.
  const top = pad === 'same' ? Math.floor(Math.max((oh - 1) * stride + k - H, 0) / 2) : 0;
  const left = pad === 'same' ? Math.floor(Math.max((ow - 1) * stride + k - W, 0) / 2) : 0;
  const y = new Float64Array(B * oh * ow * O);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < O; o++) {
          let s = 0;
          for (let di = 0; di < k; di++)
            for (let dj = 0; dj < k; dj++) {
              const r = i * stride + di - top;
              const c = j * stride + dj - left;
              if (r < 0 || r >= H || c < 0 || c >= W) continue;
              for (let ci = 0; ci < I; ci++) s += x[((b * H + r) * W + c) * I + ci] * f[((di * k + dj) * I + ci) * O + o];
            }
          y[((b * oh + i) * ow + j) * O + o] = s;
        }
  return { y, shape: [B, oh, ow, O] };
}

test('conv2d / conv2dTranspose create [k, k, in, out] / [k, k, out, in] filters ~ N(0, 0.02^2) and zero biases', () => {
  const start = tf.memory().numTensors;
  const params = new Parameters(new Rng(1));
  const c = conv2d(params, 'd/conv0', 4, 32, 64);
  const t = conv2dTranspose(params, 'g/deconv0', 5, 64, 3);
  const plain = conv2d(params, 'd/conv1', 3, 64, 8, { bias: false, init: { type: 'constant', value: 0.5 } });
  assert.deepEqual([...params.named().keys()], ['d/conv0/filter', 'd/conv0/bias', 'g/deconv0/filter', 'g/deconv0/bias', 'd/conv1/filter']);
  assert.deepEqual(c.filter.shape, [4, 4, 32, 64]);
  assert.deepEqual(t.filter.shape, [5, 5, 3, 64]);
  assert.deepEqual(t.bias!.shape, [3]);
  assert.equal(plain.bias, null);
  assert.ok(plain.filter.dataSync().every((w) => w === 0.5));
  const w = c.filter.dataSync();
  let mean = 0;
  let square = 0;
  for (const value of w) {
    mean += value / w.length;
    square += (value * value) / w.length;
  }
  const std = Math.sqrt(square - mean * mean);
  // 32768 draws: the sample std is within 1% of 0.02 with overwhelming probability (its own std is ~0.4%).
  assert.ok(Math.abs(std - 0.02) < 2e-4, `std ${std}`);
  assert.ok(Math.abs(mean) < 1e-3, `mean ${mean}`);
  assert.ok(c.bias!.dataSync().every((b) => b === 0));
  params.dispose();
  assert.equal(tf.memory().numTensors, start);
});

for (const [k, stride, pad, H] of [[4, 2, 'same', 8], [3, 1, 'same', 5], [3, 2, 'same', 7], [3, 1, 'valid', 6]] as const) {
  test(`applyConv2d (k ${k}, stride ${stride}, '${pad}', ${H} x ${H}) equals a float64 convolution plus the bias`, () => {
    const rng = new Rng(k * 10 + stride);
    const [B, I, O] = [2, 3, 4];
    const params = new Parameters(rng);
    const layer = conv2d(params, 'conv', k, I, O, { init: { type: 'normal', std: 0.5 } });
    tf.tidy(() => layer.bias!.assign(tf.tensor1d(randoms(O, rng))));
    const xv = randoms(B * H * H * I, rng);
    const start = tf.memory().numTensors;
    const y = tf.tidy(() => applyConv2d(tf.tensor4d(xv, [B, H, H, I]), layer, stride, pad));
    const { y: ref, shape } = conv64(xv, [B, H, H, I], layer.filter.dataSync() as Float32Array, k, O, stride, pad);
    assert.deepEqual(y.shape, shape);
    const got = y.dataSync();
    const bias = layer.bias!.dataSync();
    for (let n = 0; n < ref.length; n++) assert.ok(Math.abs(got[n] - (ref[n] + bias[n % O])) < 1e-5 * (1 + Math.abs(ref[n])), `[${n}]: ${got[n]} vs ${ref[n] + bias[n % O]}`);
    // A filter passed in replaces the layer's: twice the filter, twice the convolution.
    const doubled = tf.tidy(() => tf.sub(applyConv2d(tf.tensor4d(xv, [B, H, H, I]), layer, stride, pad, tf.mul(layer.filter, 2) as tf.Tensor4D), layer.bias!));
    const d = doubled.dataSync();
    for (let n = 0; n < ref.length; n++) assert.ok(Math.abs(d[n] - 2 * ref[n]) < 1e-5 * (1 + Math.abs(ref[n])));
    tf.dispose([y, doubled]);
    assert.equal(tf.memory().numTensors, start);
    params.dispose();
  });
}

// The defining property of the transposed convolution: it is the adjoint of the convolution with
// the same filter, <conv(x), y> = <convT(y), x> for all x, y.
for (const [k, stride, pad, H] of [[4, 2, 'same', 4], [5, 2, 'same', 3], [4, 1, 'valid', 1], [3, 2, 'valid', 3]] as const) {
  test(`applyConv2dTranspose (k ${k}, stride ${stride}, '${pad}', from ${H} x ${H}) is the adjoint of applyConv2d and has the documented shape`, () => {
    const rng = new Rng(100 + k * 10 + stride);
    const [B, I, O] = [2, 5, 3]; // the transposed layer maps I channels to O
    const params = new Parameters(rng);
    const up = conv2dTranspose(params, 'deconv', k, I, O, { bias: false, init: { type: 'normal', std: 0.5 } });
    const start = tf.memory().numTensors;
    const [inner, outer, shape] = tf.tidy(() => {
      const y = tf.tensor4d(randoms(B * H * H * I, rng), [B, H, H, I]);
      const up_y = applyConv2dTranspose(y, up, stride, pad); // [B, H', H', O]
      const x = tf.randomNormal(up_y.shape, 0, 1, 'float32', 7) as tf.Tensor4D;
      // The convolution from O channels to I with the same [k, k, O, I] filter.
      const down_x = applyConv2d(x, { filter: up.filter, bias: null }, stride, pad); // [B, H, H, I]
      assert.deepEqual(down_x.shape, y.shape);
      return [tf.sum(tf.mul(down_x, y)).dataSync()[0], tf.sum(tf.mul(up_y, x)).dataSync()[0], up_y.shape];
    });
    const side = pad === 'same' ? H * stride : (H - 1) * stride + k;
    assert.deepEqual(shape, [B, side, side, O]);
    assert.ok(Math.abs(inner - outer) < 1e-4 * (1 + Math.abs(inner)), `<conv x, y> ${inner} vs <x, convT y> ${outer}`);
    assert.ok(Math.abs(inner) > 1, 'the inner products are not trivially zero');
    assert.equal(tf.memory().numTensors, start);
    params.dispose();
  });
}
