import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { identity, invert, luDecompose, matMul, randomRotation, transpose } from '../../../src/core/linalg.js';
import { Rng } from '../../../src/core/rng.js';
import { Parameters } from '../../../src/nn/parameters.js';
import { ConvAffineCoupling, Invertible1x1Conv, MultiScale, Squeeze, type ImageFlowLayer } from '../../../src/models/flow/imageLayers.js';
import { ActNorm, type FlowLayer } from '../../../src/models/flow/layers.js';
import { checkBijector, logAbsDetOf, randomize, run } from './bijector.js';

before(async () => {
  await initBackend('wasm');
});

/** An image layer seen as a layer on flat vectors [B, H W C], so the vector checks apply (the output reshaped from its own shape). */
function flat(layer: ImageFlowLayer, shape: number[]): FlowLayer {
  const [H, W, C] = shape;
  return {
    forward: (x) =>
      tf.tidy(() => {
        const { y, logDet } = layer.forward(tf.reshape(x, [x.shape[0], H, W, C]));
        return { y: tf.reshape(y, [x.shape[0], -1]), logDet };
      }),
    inverse: (y) => tf.tidy(() => tf.reshape(layer.inverse(tf.reshape(y, [y.shape[0], ...(layer.outputShape?.(shape) ?? shape)] as [number, number, number, number])), [y.shape[0], -1])),
  };
}

const N = 3;
function gaussian(seed: number, length: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length }, () => scale * rng.normal());
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

test('squeeze: [H, W, C] -> [H/2, W/2, 4C] with each 2 x 2 block on one position, an exact permutation, log-det 0', () => {
  const squeeze = new Squeeze();
  assert.deepEqual(squeeze.outputShape([4, 6, 2]), [2, 3, 8]);
  assert.throws(() => squeeze.outputShape([3, 4, 1]), /even/);
  // One 2 x 2 x 1 image [[a, b], [c, d]] becomes the 4 channels (a, b, c, d) of one position.
  const [y] = tf.tidy(() => [squeeze.forward(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1])).y.dataSync().slice()]);
  assert.deepEqual([...y], [1, 2, 3, 4]);
  const shape = [4, 4, 2];
  const x = Float32Array.from({ length: N * 32 }, (_, i) => i); // distinct values: a permutation shows as one
  const { y: out, logDet, back } = run(flat(squeeze, shape), x, N, 32);
  assert.deepEqual(back, x, 'inverse(forward(x)) is not exactly x');
  assert.deepEqual([...logDet], [0, 0, 0]);
  assert.deepEqual([...out].sort((a, b) => a - b), [...x], 'not a permutation');
  assert.notDeepEqual(out, x, 'the identity: the check could not fail');
  // Position (0, 0) of the squeezed image holds pixels (0,0), (0,1), (1,0), (1,1), channels inner.
  assert.deepEqual([...out.subarray(0, 8)], [0, 1, 2, 3, 8, 9, 10, 11]);
});

test('conv affine coupling, checkerboard and channel-wise masks on [4, 4, 2]: inverse and log-det against the numerical Jacobian, kept entries unchanged', () => {
  const shape = [4, 4, 2];
  for (const [mask, parity] of [['checkerboard', 0], ['checkerboard', 1], ['channel', 0], ['channel', 1]] as const) {
    const params = new Parameters(new Rng(1));
    const layer = new ConvAffineCoupling(params, 'c', shape, mask, parity, [6, 6], 3);
    // Zero-initialised last convolution: the identity before training.
    const x = gaussian(2, N * 32);
    const identity = run(flat(layer, shape), x, N, 32);
    assert.deepEqual(identity.y, x, `${mask} ${parity}: not the identity at initialisation`);
    randomize(params, 3, 0.4);
    checkBijector(`${mask} ${parity}`, flat(layer, shape), x, N, 32);
    // The kept half passes unchanged: checkerboard (r + c + parity) odd, or channel (parity ? 1 : 0).
    const { y } = run(flat(layer, shape), x, N, 32);
    let kept = 0;
    for (let i = 0; i < N * 32; i++) {
      const [r, c, ch] = [Math.floor((i % 32) / 8), Math.floor((i % 8) / 2), i % 2];
      const keptHere = mask === 'checkerboard' ? (r + c + parity) % 2 === 1 : ch === parity % 2;
      if (keptHere) {
        assert.equal(y[i], x[i], `${mask} ${parity}: kept entry ${i} changed`);
        kept++;
      }
    }
    assert.equal(kept, (N * 32) / 2);
    layer.dispose();
    params.dispose();
  }
  const params = new Parameters(new Rng(1));
  assert.throws(() => new ConvAffineCoupling(params, 'odd', [4, 4, 3], 'channel', 0, [4], 3), /even number of channels/);
  params.dispose();
});

test('linear algebra in float64: the random rotation is orthogonal, A = P L U with L unit lower and U upper, A^-1 A = I', () => {
  const Q = randomRotation(5, new Rng(1));
  assert.ok(maxAbsDiff(matMul(Q, transpose(Q)), identity(5)) < 1e-12);
  const rng = new Rng(2);
  const A = Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => rng.normal() + (i === 4 && j === 0 ? 5 : 0)));
  const { P, L, U } = luDecompose(A);
  assert.ok(maxAbsDiff(matMul(P, matMul(L, U)), A) < 1e-12);
  for (let i = 0; i < 5; i++) {
    assert.equal(L[i][i], 1);
    for (let j = i + 1; j < 5; j++) assert.equal(L[i][j], 0);
    for (let j = 0; j < i; j++) assert.equal(U[i][j], 0);
  }
  assert.ok(P[0][0] === 0, 'the largest pivot of column 0 is in row 4: P is not the identity');
  assert.ok(maxAbsDiff(matMul(invert(A), A), identity(5)) < 1e-10);
});

test("invertible 1x1 conv (LU): a rotation at initialisation; after changes, log-det = H W log|det W| from W itself, the numerical Jacobian's, and exact inverses (images and vectors)", () => {
  for (const shape of [[4, 4, 2], [3, 2, 4], [4]]) {
    const C = shape[shape.length - 1];
    const size = shape.reduce((a, b) => a * b, 1);
    const params = new Parameters(new Rng(1));
    const layer = new Invertible1x1Conv(params, 'w', C, new Rng(2));
    const weight = (): number[][] => {
      const w = tf.tidy(() => layer.weight().dataSync().slice());
      return Array.from({ length: C }, (_, i) => Array.from(w.subarray(i * C, (i + 1) * C)));
    };
    assert.ok(maxAbsDiff(matMul(weight(), transpose(weight())), identity(C)) < 1e-5, `${shape}: W W^T is not I at initialisation`);
    // Move the trained factors (not P or sign(s), which are fixed), so |det W| != 1.
    randomize(params, 3, 0.5, (name) => !name.endsWith('permutation') && !name.endsWith('signS'));
    const asVectors: FlowLayer = shape.length === 1 ? layer : flat(layer, shape);
    const x = gaussian(4, N * size);
    checkBijector(`1x1 conv ${shape}`, asVectors, x, N, size, { detTol: 5e-3 });
    const positions = size / C;
    const want = positions * logAbsDetOf(weight());
    const { logDet } = run(asVectors, x, N, size);
    for (const v of logDet) assert.ok(Math.abs(v - want) < 1e-4 * (1 + Math.abs(want)), `${shape}: log-det ${v}, H W log|det W| = ${want}`);
    assert.ok(Math.abs(want) > 0.1, 'log|det W| = 0: the check could not fail');
    layer.dispose();
    params.dispose();
  }
});

test('actnorm on images: per-channel initialisation (zero mean, unit variance over examples and positions), log-det H W sum log-scale', () => {
  const shape = [4, 4, 2];
  const n = 16;
  const params = new Parameters(new Rng(1));
  const layer = new ActNorm(params, 'a', 2);
  const rng = new Rng(5);
  const x = Float32Array.from({ length: n * 32 }, (_, i) => (i % 2 === 0 ? 3 + 2 * rng.normal() : -1 + 0.1 * rng.normal()));
  tf.tidy(() => layer.initialize(tf.tensor4d(x, [n, ...shape] as [number, number, number, number])));
  const { y, logDet } = run(flat(layer, shape), x, n, 32);
  for (let ch = 0; ch < 2; ch++) {
    const values = [...y].filter((_, i) => i % 2 === ch);
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
    assert.ok(Math.abs(mean) < 1e-4 && Math.abs(variance - 1) < 1e-3, `channel ${ch}: mean ${mean}, variance ${variance}`);
  }
  // log-det = 16 positions * sum over channels of -log sd, the sds of the initialisation batch.
  let want = 0;
  for (let ch = 0; ch < 2; ch++) {
    const values = [...x].filter((_, i) => i % 2 === ch);
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    want -= 16 * 0.5 * Math.log(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  }
  assert.ok(Math.abs(logDet[0] - want) < 1e-3 * Math.abs(want), `log-det ${logDet[0]}, want ${want}`);
  checkBijector('actnorm image', flat(layer, shape), x.subarray(0, N * 32), N, 32);
  params.dispose();
});

test('multi-scale: two levels with squeeze and factor-out on [4, 4, 2] are one bijection on vectors (inverse, numerical log-det), each actnorm initialised on its own inputs', () => {
  const params = new Parameters(new Rng(1));
  const rotations = new Rng(9);
  const step = (name: string, shape: number[], k: number): ImageFlowLayer[] => [
    new ActNorm(params, `${name}/actnorm`, shape[2]),
    new Invertible1x1Conv(params, `${name}/invconv`, shape[2], rotations),
    new ConvAffineCoupling(params, `${name}/coupling`, shape, 'channel', k, [6], 3),
  ];
  const levels: ImageFlowLayer[][] = [
    [new ConvAffineCoupling(params, 'cb', [4, 4, 2], 'checkerboard', 0, [6], 3), new Squeeze(), ...step('l0s0', [2, 2, 8], 0), ...step('l0s1', [2, 2, 8], 1)],
    [new Squeeze(), ...step('l1s0', [1, 1, 16], 0)],
  ];
  const flow = new MultiScale([4, 4, 2], levels);
  const x = gaussian(6, 16 * 32, 2);
  assert.equal(flow.needsInit(), true);
  tf.tidy(() => flow.initialize(tf.tensor2d(x, [16, 32])));
  assert.equal(flow.needsInit(), false);
  // After initialisation the factored-out half of level 0 (16 values of 32) came through one actnorm
  // initialised on it: over the batch the last level's 16 outputs have zero mean per channel.
  const { y } = run(flow, x, 16, 32);
  for (let d = 16; d < 32; d++) {
    let mean = 0;
    for (let b = 0; b < 16; b++) mean += y[b * 32 + d] / 16;
    assert.ok(Math.abs(mean) < 1e-3, `last level output ${d} has batch mean ${mean}`);
  }
  // Moved gently: composed, larger random couplings and 1x1 convs reach scales where float32 inverses drift.
  randomize(params, 7, 0.12, (name) => name.includes('coupling') || name.startsWith('cb'));
  randomize(params, 8, 0.05, (name) => name.endsWith('logS') || name.endsWith('lower'));
  checkBijector('multi-scale', flow, x.subarray(0, N * 32), N, 32, { detTol: 5e-3 });
  flow.dispose();
  params.dispose();
});
