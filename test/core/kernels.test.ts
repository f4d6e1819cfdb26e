/**
 * The replacement wasm kernels (src/core/kernels) against the cpu backend as reference: the same
 * inputs run on both, and every result must agree to max |wasm - cpu| / max |cpu| < 1e-4 (float32
 * sums in a different order differ by ~1e-7 .. 1e-6 relative; a wrong tap or offset gives O(1)).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The engine module registers the backends and every gradient, as the library does.
import '../../src/core/engine.js';
import {
  ADAM_KERNEL,
  conv2dBackpropFilterVia,
  fusedAdamAvailable,
  filterGradientPath,
  type FilterGradientPath,
  isWasmKernelReplaced,
  leadingAxes,
  PER_MATRIX_MIN_MACS,
  perMatrixBatchMatMul,
  planSlice,
  registerWasmKernels,
  unregisterWasmKernels,
} from '../../src/core/kernels/index.js';
import { Rng } from '../../src/core/rng.js';
import { ADAM_WASM_BASE64, ADAM_WASM_SHARED_BASE64 } from '../../src/core/kernels/adamWasm.js';
import { Optimizer, optimizerSettings } from '../../src/train/optimizers.js';

const TOLERANCE = 1e-4;

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];

const rng = new Rng(20261121);
function randomValues(shape: number[]): Float32Array {
  const a = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/** Runs `f` on `backend` and returns copies of its outputs' values. */
async function on(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend));
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose(list);
  return values;
}

/** Runs `f` on cpu and on wasm and asserts that every output agrees. */
async function assertSameOnWasm(label: string, f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const expected = await on('cpu', f);
  const actual = await on('wasm', f);
  assert.equal(actual.length, expected.length, label);
  expected.forEach((e, k) => assertClose(actual[k], e, `${label} output ${k}`));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: sizes differ`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(scale > 0, `${label}: reference is all zeros`);
  assert.ok(diff / scale < TOLERANCE, `${label}: max |diff| / max |ref| = ${(diff / scale).toExponential(2)}`);
}

before(() => {
  // Registered while wasm is not yet the active backend, and twice: must be idempotent.
  registerWasmKernels();
  registerWasmKernels();
});

after(() => unregisterWasmKernels());

test('register / unregister: idempotent, restores the stock kernels', () => {
  const names = [
    'BatchMatMul',
    '_FusedMatMul',
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'Slice',
    'SplitV',
    'Unpack',
    'StridedSlice',
    'Sum',
    'Mean',
    'Identity',
    'Tanh',
    ADAM_KERNEL,
  ];
  for (const name of names) assert.ok(isWasmKernelReplaced(name), name);
  const ours = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  registerWasmKernels();
  assert.equal(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc, ours, 'second register wraps again');
  unregisterWasmKernels();
  for (const name of names) assert.ok(!isWasmKernelReplaced(name), name);
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined, 'stock wasm has no filter gradient');
  assert.equal(tf.getKernel(ADAM_KERNEL, 'wasm'), undefined, 'GenlabAdam is ours alone');
  assert.ok(tf.getKernel('BatchMatMul', 'wasm')?.setupFunc, 'stock BatchMatMul restored');
  registerWasmKernels();
  for (const name of names) assert.ok(isWasmKernelReplaced(name), name);
});

test('matMul: all four transpose combinations, batch dims, broadcasting, odd sizes', async () => {
  // [a shape, b shape] before transposition (a: [..., m, k], b: [..., k, n]).
  const cases: [number[], number[]][] = [
    [[7, 13], [13, 5]],
    [[1, 1], [1, 9]],
    [[3, 6, 9], [3, 9, 4]],
    [[1, 5, 8], [4, 8, 3]],
    [[4, 5, 8], [1, 8, 3]],
    [[4, 5, 8], [8, 3]],
    [[2, 3, 5, 6], [2, 3, 6, 7]],
    // At least PER_MATRIX_MIN_MACS per matrix: one 2-D product per batch entry, or of the stacked rows.
    [[3, 20, 16], [3, 16, 15]],
    [[2, 3, 20, 16], [2, 3, 16, 15]],
    [[4, 20, 16], [1, 16, 15]],
    [[4, 20, 16], [16, 15]],
    [[1, 20, 16], [4, 16, 15]],
    [[2, 3, 20, 16], [3, 16, 15]],
  ];
  for (const [aShape, bShape] of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
        const aStored = transposeA ? swap(aShape) : aShape;
        const bStored = transposeB ? swap(bShape) : bShape;
        const [av, bv] = [randomValues(aStored), randomValues(bStored)];
        await assertSameOnWasm(`matMul ${aStored} x ${bStored} tA=${transposeA} tB=${transposeB}`, () =>
          tf.matMul(tf.tensor(av, aStored), tf.tensor(bv, bStored), transposeA, transposeB),
        );
      }
    }
  }
});

test('batched matMul on wasm: the stock kernel only ever sees single matrices above the size threshold', async () => {
  assert.ok(20 * 16 * 15 >= PER_MATRIX_MIN_MACS, 'the large cases above take the per-matrix path');
  assert.ok(await tf.setBackend('wasm'));
  const stock = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  const seen: number[][] = [];
  const spied = perMatrixBatchMatMul((args) => {
    seen.push([...(args.inputs.a as tf.TensorInfo).shape, ...(args.inputs.b as tf.TensorInfo).shape]);
    return stock(args);
  });
  const backend = tf.backend();
  for (const [aShape, bShape, calls] of [
    [[3, 20, 16], [3, 16, 15], [[1, 20, 16, 1, 16, 15], [1, 20, 16, 1, 16, 15], [1, 20, 16, 1, 16, 15]]],
    [[4, 20, 16], [1, 16, 15], [[1, 80, 16, 1, 16, 15]]],
    [[3, 2, 2], [3, 2, 2], [[3, 2, 2, 3, 2, 2]]],
  ] as [number[], number[], number[][]][]) {
    seen.length = 0;
    const a = tf.tensor(randomValues(aShape), aShape);
    const b = tf.tensor(randomValues(bShape), bShape);
    const out = spied({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    const result = tf.engine().makeTensorFromTensorInfo(out);
    assert.deepEqual(seen, calls, `${aShape} x ${bShape}: the stock kernel's calls`);
    assertClose(result.dataSync(), tf.matMul(a, b).dataSync(), `${aShape} x ${bShape}`);
    tf.dispose([a, b, result]);
  }
});

test('fused matMul (bias + relu) with transposed operands', async () => {
  for (const [transposeA, transposeB] of [[true, false], [false, true], [true, true]]) {
    const [m, k, n] = [6, 11, 7];
    const aShape = transposeA ? [1, k, m] : [1, m, k];
    const bShape = transposeB ? [1, n, k] : [1, k, n];
    const [av, bv, biasv] = [randomValues(aShape), randomValues(bShape), randomValues([n])];
    await assertSameOnWasm(`fused matMul tA=${transposeA} tB=${transposeB}`, () =>
      tf.fused.matMul({
        a: tf.tensor3d(av, aShape as [number, number, number]),
        b: tf.tensor3d(bv, bShape as [number, number, number]),
        transposeA,
        transposeB,
        bias: tf.tensor1d(biasv),
        activation: 'relu',
      }),
    );
  }
});

interface ConvCase {
  x: Shape4; // [N, H, W, Ci]
  filter: Shape4; // [fh, fw, Ci, Co]
  strides: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 8, 8, 3], filter: [4, 4, 3, 5], strides: 2, pad: 'same' },
  { x: [2, 9, 7, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  // 'valid' stride 2 where the forward conv never reads the last row and column.
  { x: [1, 8, 10, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { x: [2, 11, 6, 2], filter: [5, 2, 2, 3], strides: [2, 1], pad: 'same' },
  { x: [3, 10, 10, 2], filter: [1, 1, 2, 3], strides: 2, pad: 'same' },
  { x: [2, 5, 5, 2], filter: [4, 4, 2, 2], strides: 3, pad: 'same' },
  { x: [2, 9, 8, 3], filter: [2, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  // Explicit padding wider than the filter: dy rows that never reach the input.
  { x: [1, 5, 6, 2], filter: [2, 2, 2, 3], strides: 1, pad: [[0, 0], [3, 1], [0, 2], [0, 0]] },
];

const label = (c: ConvCase) => `x ${c.x} filter ${c.filter} strides ${c.strides} pad ${JSON.stringify(c.pad)}`;

test('conv2d gradients (tf.grads of a conv2d loss): x and filter', async () => {
  for (const c of CONV_CASES) {
    const [xv, wv] = [randomValues(c.x), randomValues(c.filter)];
    const yShape = await on('cpu', () => tf.zeros(tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape));
    const rShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
    assert.equal(yShape[0].length, rShape.reduce((p, d) => p * d, 1));
    const rv = randomValues(rShape);
    await assertSameOnWasm(`grads ${label(c)}`, () => {
      const loss = (x: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad), tf.tensor(rv, rShape)));
      return tf.grads(loss)([tf.tensor(xv, c.x), tf.tensor(wv, c.filter)]);
    });
  }
});

test('Conv2DBackpropFilter: each path (patch matrix, per tap, conv) against the cpu kernel', async () => {
  const cases: ConvCase[] = [
    ...CONV_CASES,
    { x: [2, 6, 7, 8], filter: [3, 3, 8, 5], strides: 1, pad: 'same' },
    { x: [3, 5, 5, 6], filter: [1, 1, 6, 4], strides: 1, pad: 'valid' },
    { x: [2, 8, 8, 9], filter: [4, 4, 9, 3], strides: 2, pad: 'same' },
    // Channels the SIMD path takes (Co % 8 = 0; Ci in fours, then one at a time): taps cut off at
    // every border, a filter wider than the image, explicit (one-sided) padding as a cropped
    // masked conv uses.
    { x: [2, 6, 7, 8], filter: [3, 3, 8, 8], strides: 1, pad: 'same' },
    { x: [3, 5, 5, 12], filter: [1, 1, 12, 16], strides: 1, pad: 'valid' },
    { x: [2, 4, 3, 4], filter: [5, 5, 4, 24], strides: 1, pad: 'same' },
    { x: [1, 9, 8, 16], filter: [3, 2, 16, 8], strides: 1, pad: 'valid' },
    { x: [2, 7, 6, 8], filter: [2, 3, 8, 16], strides: 1, pad: [[0, 0], [1, 0], [1, 1], [0, 0]] },
    { x: [2, 8, 7, 1], filter: [4, 7, 1, 32], strides: 1, pad: [[0, 0], [3, 0], [3, 3], [0, 0]] },
    { x: [2, 5, 6, 7], filter: [3, 3, 7, 8], strides: 1, pad: 'same' },
  ];
  for (const c of cases) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
    const [xv, dyv] = [randomValues(c.x), randomValues(info.outShape)];
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
    const [expected] = await on('cpu', () =>
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: tf.tensor(xv, c.x), dy: tf.tensor(dyv, info.outShape) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    const unitStride = info.strideHeight === 1 && info.strideWidth === 1;
    const simdFits = c.filter[3] % 8 === 0;
    const paths: FilterGradientPath[] = unitStride ? ['patches', 'conv', 'taps', ...(simdFits ? (['simd'] as const) : [])] : ['patches', 'conv'];
    for (const path of paths) {
      const [actual] = await on('wasm', () => {
        const [x, dy] = [tf.tensor(xv, c.x), tf.tensor(dyv, info.outShape)];
        const out = conv2dBackpropFilterVia[path]({ inputs: { x, dy }, backend: tf.engine().backend, attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
        return tf.engine().makeTensorFromTensorInfo(out);
      });
      assertClose(actual, expected, `filter gradient via ${path}, ${label(c)}`);
    }
  }
  // Which path the registered kernel takes.
  const pathOf = (x: Shape4, filter: Shape4, strides: number) => filterGradientPath(tf.backend_util.computeConv2DInfo(x, filter, strides, 1, 'same'));
  assert.equal(pathOf([64, 28, 28, 1], [4, 4, 1, 64], 2), 'patches', 'a strided first layer on grey images');
  assert.equal(pathOf([64, 28, 28, 1], [7, 7, 1, 32], 1), 'simd', 'a stride-1 first layer on grey images');
  assert.equal(pathOf([64, 28, 28, 16], [3, 3, 16, 16], 1), 'simd', 'a 3x3 conv of 16 channels');
  assert.equal(pathOf([64, 28, 28, 32], [1, 1, 32, 16], 1), 'simd', 'a pointwise conv');
  assert.equal(pathOf([64, 28, 28, 32], [1, 1, 32, 1], 1), 'taps', 'a pointwise conv to one channel');
  assert.equal(pathOf([64, 28, 28, 12], [3, 3, 12, 20], 1), 'conv', 'a 3x3 conv to 20 channels (not a multiple of 8)');
  assert.equal(pathOf([64, 14, 14, 64], [4, 4, 64, 128], 2), 'conv', 'a wide strided conv');
});

test('conv2dTranspose (Conv2DBackpropInput) directly', async () => {
  for (const c of CONV_CASES) {
    const dyShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
    const [dyv, wv] = [randomValues(dyShape), randomValues(c.filter)];
    await assertSameOnWasm(`conv2dTranspose ${label(c)}`, () =>
      tf.conv2dTranspose(tf.tensor4d(dyv, dyShape), tf.tensor4d(wv, c.filter), c.x, c.strides, c.pad),
    );
  }
});

test('conv2dTranspose where the forward conv never read the input rows: zeros', async () => {
  // H = 1 behind 2 rows of top padding; the one stride-2 window of height 2 covers padding only.
  const [xShape, filterShape]: [Shape4, Shape4] = [[1, 1, 3, 2], [2, 2, 2, 3]];
  const pad: Pad = [[0, 0], [2, 0], [0, 1], [0, 0]];
  const dyShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, 2, 1, pad).outShape;
  const [dyv, wv] = [randomValues(dyShape), randomValues(filterShape)];
  const f = () => tf.conv2dTranspose(tf.tensor4d(dyv, dyShape), tf.tensor4d(wv, filterShape), xShape, 2, pad);
  const [expected] = await on('cpu', f);
  const [actual] = await on('wasm', f);
  assert.deepEqual(Array.from(expected), new Array(6).fill(0));
  assert.deepEqual(Array.from(actual), Array.from(expected));
});

test('Conv2DBackpropFilter with a dilated forward conv, against a float64 loop', async () => {
  for (const pad of ['same', 'valid'] as const) {
    const [xShape, filterShape, dilation]: [Shape4, Shape4, number] = [[2, 9, 8, 2], [3, 2, 2, 3], 2];
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, dilation, pad);
    const [xv, dyv] = [randomValues(xShape), randomValues(info.outShape)];
    const [n, H, W, ci] = xShape;
    const [fh, fw, , co] = filterShape;
    const [, ho, wo] = info.outShape;
    const expected = new Float64Array(fh * fw * ci * co);
    for (let kh = 0; kh < fh; kh++)
      for (let kw = 0; kw < fw; kw++)
        for (let c = 0; c < ci; c++)
          for (let o = 0; o < co; o++) {
            let s = 0;
            for (let b = 0; b < n; b++)
              for (let i = 0; i < ho; i++)
                for (let j = 0; j < wo; j++) {
                  const [r, q] = [i + kh * dilation - info.padInfo.top, j + kw * dilation - info.padInfo.left];
                  if (r < 0 || r >= H || q < 0 || q >= W) continue;
                  s += xv[((b * H + r) * W + q) * ci + c] * dyv[((b * ho + i) * wo + j) * co + o];
                }
            expected[((kh * fw + kw) * ci + c) * co + o] = s;
          }
    const [actual] = await on('wasm', () =>
      tf.engine().runKernel(
        tf.Conv2DBackpropFilter,
        { x: tf.tensor(xv, xShape), dy: tf.tensor(dyv, info.outShape) },
        { strides: 1, dilations: dilation, pad, dataFormat: 'NHWC', filterShape },
      ) as tf.Tensor,
    );
    assertClose(actual, expected, `dilated filter gradient, pad ${pad}`);
  }
});

test('clear errors: NCHW, stride and dilation both > 1', async () => {
  await tf.setBackend('wasm');
  tf.tidy(() => {
    const x = tf.zeros([1, 6, 6, 2]);
    const dy = tf.zeros([1, 3, 3, 4]);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 4] };
    assert.throws(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs), /NHWC/);
    assert.throws(
      () =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: tf.zeros([3, 3, 2, 4]) }, {
          strides: 2,
          pad: 'same',
          dataFormat: 'NCHW',
          inputShape: [1, 6, 6, 2],
        }),
      /NHWC/,
    );
    assert.throws(
      () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, dataFormat: 'NHWC', dilations: 2 }),
      /both > 1/,
    );
  });
});

/** A tiny conv net: two convs (stride 1 'same', stride 2 'same'), a stride-2 'valid' conv, dense. */
function tinyConvNet(params: tf.Variable[], x: tf.Tensor, r: tf.Tensor): tf.Scalar {
  const [w1, w2, w3, w4] = params;
  let h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same')); // [2, 9, 9, 4]
  h = tf.relu(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same')); // [2, 5, 5, 6]
  h = tf.conv2d(h as tf.Tensor4D, w3 as tf.Tensor4D, 2, 'valid'); // [2, 2, 2, 3]
  const logits = tf.matMul(tf.reshape(h, [2, 12]), w4); // [2, 5]
  return tf.sum(tf.mul(logits, r));
}
const NET_SHAPES = [[3, 3, 2, 4], [4, 4, 4, 6], [3, 3, 6, 3], [12, 5]];

test('tiny conv net: tf.variableGrads on wasm match cpu', async () => {
  const init = NET_SHAPES.map((s) => randomValues(s).map((v) => v * 0.5));
  const [xv, rv] = [randomValues([2, 9, 9, 2]), randomValues([2, 5])];
  await assertSameOnWasm('tiny conv net gradients', () => {
    const params = init.map((v, i) => tf.variable(tf.tensor(v, NET_SHAPES[i])));
    const { grads } = tf.variableGrads(() => tinyConvNet(params, tf.tensor(xv, [2, 9, 9, 2]), tf.tensor(rv, [2, 5])), params);
    const out = params.map((p) => grads[p.name]);
    tf.dispose(params);
    return out;
  });
});

test('numTensors and backend data ids stay flat over repeated training steps on wasm', async () => {
  await tf.setBackend('wasm');
  const params = NET_SHAPES.map((s) => tf.variable(tf.tensor(randomValues(s).map((v) => v * 0.3), s)));
  const x = tf.tensor(randomValues([2, 9, 9, 2]), [2, 9, 9, 2]);
  const r = tf.tensor(randomValues([2, 5]), [2, 5]);
  const optimizer = tf.train.sgd(0.01);
  const step = () => optimizer.minimize(() => tinyConvNet(params, x, r), true, params)?.dispose();
  step();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  assert.equal(tf.engine().backend.numDataIds(), dataIds, 'backend data leaked');
  optimizer.dispose();
  tf.dispose([...params, x, r]);
});

test('clone on wasm shares the buffer: no new backend data, values kept after either is disposed', async () => {
  await tf.setBackend('wasm');
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    const x = tf.tensor([1, 0, 3, 4], [2, 2], dtype);
    const before = tf.engine().backend.numDataIds();
    const y = tf.clone(x);
    assert.equal(tf.engine().backend.numDataIds(), before, `${dtype}: the clone allocated`);
    x.dispose();
    const expected = [1, 0, 3, 4].map((v) => (dtype === 'bool' ? Number(v !== 0) : v));
    assert.deepEqual(Array.from(y.dataSync() as ArrayLike<number>), expected);
    const z = tf.clone(y);
    z.dispose();
    assert.deepEqual(y.shape, [2, 2]);
    assert.equal(y.dtype, dtype);
    assert.deepEqual(Array.from(y.dataSync() as ArrayLike<number>), expected, `${dtype}: disposing a clone freed the original`);
    y.dispose();
  }
  // A variable assigned after a clone of its value: the clone keeps the old values.
  const v = tf.variable(tf.tensor([1, 2, 3]));
  const snapshot = tf.clone(v);
  v.assign(tf.tensor([7, 8, 9]));
  assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
  tf.dispose([v, snapshot]);
  const strings = tf.clone(tf.tensor(['a', 'b']));
  assert.deepEqual(strings.dataSync(), ['a', 'b']);
  strings.dispose();
});

// ---- Sum and Mean over leading axes (one product with a row of ones) ----

test('leadingAxes: which axis lists are a prefix of the axes', () => {
  assert.equal(leadingAxes([0, 1, 2], 4), 3);
  assert.equal(leadingAxes([2, 0, 1], 4), 3);
  assert.equal(leadingAxes([-4, -3], 4), 2);
  assert.equal(leadingAxes(0, 3), 1);
  assert.equal(leadingAxes([1, 2], 4), 0, 'not starting at 0');
  assert.equal(leadingAxes([0, 2], 4), 0, 'a gap');
  assert.equal(leadingAxes([0, 1, 2, 3], 4), 4, 'everything');
});

test('sum and mean over leading, middle, trailing and all axes, keepDims, against cpu', async () => {
  const cases: [number[], number | number[]][] = [
    [[64, 7, 7, 16], [0, 1, 2]],
    [[5, 3, 3, 9], [2, 1, 0]],
    [[6, 11], 0],
    [[6, 11], [-2]],
    [[2, 3, 4, 5, 6], [0, 1]],
    [[2, 3, 4, 5, 6], [0, 1, 2, 3]],
    [[9, 2, 3], [0]], // keeps 6 values: the product path
    [[9, 1, 3], [0]], // keeps 3 values: the stock kernel
    [[4, 6, 5], [1]], // a middle axis: stock
    [[4, 6, 5], [1, 2]], // trailing axes: stock
    [[4, 6, 5], [0, 1, 2]], // everything: stock
    [[1, 8, 8], [0]], // one row: stock
  ];
  for (const [shape, axis] of cases) {
    const v = randomValues(shape);
    for (const keepDims of [false, true]) {
      await assertSameOnWasm(`sum ${shape} over ${axis} keepDims=${keepDims}`, () => tf.sum(tf.tensor(v, shape), axis, keepDims));
      await assertSameOnWasm(`mean ${shape} over ${axis} keepDims=${keepDims}`, () => tf.mean(tf.tensor(v, shape), axis, keepDims));
    }
  }
  // Shapes of the results, which the product path builds itself.
  await tf.setBackend('wasm');
  assert.deepEqual(tf.tidy(() => tf.sum(tf.ones([4, 3, 2, 5]), [0, 1], true).shape), [1, 1, 2, 5]);
  assert.deepEqual(tf.tidy(() => tf.mean(tf.ones([4, 3, 2, 5]), [1, 0]).shape), [2, 5]);
});

test('int32 sums over leading axes stay exact (the stock kernel)', async () => {
  const shape = [7, 4, 3];
  const v = Int32Array.from({ length: 84 }, (_, i) => (i * 7919) % 1000003);
  await assertExactOnWasm(['int32 sum'], [() => tf.sum(tf.tensor(v, shape, 'int32'), [0, 1])]);
});

test('batch-norm statistics and a conv bias: gradients through the reductions match cpu', async () => {
  const shape = [8, 5, 5, 6];
  const [xv, bv] = [randomValues(shape), randomValues([6])];
  await assertSameOnWasm('batch norm and bias gradients', () => {
    const x = tf.tensor(xv, shape);
    const bias = tf.tensor(bv, [6]);
    const f = (input: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(input, [0, 1, 2]);
      const normalised = tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, 1e-5)));
      return tf.sum(tf.mul(tf.square(tf.add(normalised, b)), tf.range(0, shape.reduce((p, d) => p * d, 1)).reshape(shape).div(1000)));
    };
    return tf.grads(f)([x, bias]);
  });
});

// ---- Slice, SplitV, Unpack, StridedSlice: heap-to-heap copies, compared with cpu EXACTLY ----

interface Output {
  shape: number[];
  dtype: string;
  values: unknown[];
}

/** Runs every function on `backend` and returns shape, dtype and values of all their outputs. */
async function outputsOn(backend: string, fs: (() => tf.Tensor | tf.Tensor[])[]): Promise<Output[][]> {
  assert.ok(await tf.setBackend(backend));
  return fs.map((f) => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const result = list.map((t) => ({ shape: t.shape.slice(), dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<unknown>) }));
    tf.dispose(list);
    return result;
  });
}

/** Every function gives the same shapes, dtypes and bit-identical values (NaN, -0) on wasm as on cpu. */
async function assertExactOnWasm(labels: string[], fs: (() => tf.Tensor | tf.Tensor[])[]): Promise<void> {
  const expected = await outputsOn('cpu', fs);
  const actual = await outputsOn('wasm', fs);
  expected.forEach((e, k) => assert.deepStrictEqual(actual[k], e, labels[k]));
}

type SliceDtype = 'float32' | 'int32' | 'bool';
const SLICE_DTYPES: SliceDtype[] = ['float32', 'int32', 'bool'];

/** Values of `dtype` for `shape`, with NaN, -0 and infinities among the floats. */
function valuesOf(dtype: SliceDtype, shape: number[]): Float32Array | Int32Array | Uint8Array {
  const n = shape.reduce((p, d) => p * d, 1);
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => rng.int(2));
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => rng.int(2 ** 31) - 2 ** 30);
  const special = [NaN, -0, Infinity, -Infinity];
  return Float32Array.from({ length: n }, () => (rng.int(20) === 0 ? special[rng.int(4)] : rng.normal()));
}

const tensorOf = (v: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: SliceDtype) =>
  tf.tensor(dtype === 'bool' ? Array.from(v, Boolean) : v, shape, dtype);

test('slice: 400 random shapes, begins and sizes (ranks 1-6, size -1, short begin), all dtypes', async () => {
  const labels: string[] = [];
  const fs: (() => tf.Tensor)[] = [];
  for (let k = 0; k < 400; k++) {
    const rank = k < 5 ? k + 1 : 1 + rng.int(5); // ranks 1..5 (tf.slice refuses scalars)
    const shape = Array.from({ length: rank }, () => 1 + rng.int(rank > 3 ? 5 : 9));
    if (rng.int(10) === 0 && rank > 0) shape[rng.int(rank)] = 0; // empty source
    const begin = shape.map((d) => rng.int(d + 1));
    const size: number[] = shape.map((d, i) => {
      const r = rng.int(6);
      if (r === 0) return -1; // to the end
      if (r === 1) return d - begin[i]; // to the end, explicitly
      if (r === 2) return Math.min(1, d - begin[i]);
      return rng.int(d - begin[i] + 1);
    });
    const dtype = SLICE_DTYPES[k % 3];
    const v = valuesOf(dtype, shape);
    // Sometimes a shorter begin / size (the rest: 0 and -1), as tf.slice allows.
    const cut = rank > 1 && rng.int(4) === 0 ? 1 + rng.int(rank - 1) : rank;
    const [b, s] = [begin.slice(0, cut), size.slice(0, cut)];
    labels.push(`slice ${dtype} [${shape}] begin [${b}] size [${s}]`);
    fs.push(() => tf.slice(tensorOf(v, shape, dtype), b, s));
  }
  // Rank 6 explicitly (tf.slice has no rank limit; stock wasm goes through its generic path).
  for (const dtype of SLICE_DTYPES) {
    const shape = [2, 3, 1, 4, 2, 3];
    const v = valuesOf(dtype, shape);
    labels.push(`slice ${dtype} rank 6`);
    fs.push(() => tf.slice(tensorOf(v, shape, dtype), [1, 1, 0, 1, 0, 1], [1, 2, 1, 3, -1, 2]));
  }
  await assertExactOnWasm(labels, fs);
});

test('slice: runs long and short, full trailing axes, mergeable outer axes', async () => {
  const cases: [number[], number[], number[]][] = [
    [[1000], [3], [997]], // one long run (copyWithin)
    [[7, 100], [2, 0], [3, 100]], // contiguous rows
    [[7, 100], [0, 5], [7, 90]], // long runs with a step
    [[7, 100], [0, 5], [7, 1]], // one column: runs of 1
    [[32, 28, 28, 64], [0, 0, 13, 0], [32, 28, 1, 64]], // a column strip (the LSTM pattern)
    [[4, 5, 6, 7], [1, 0, 2, 0], [2, 5, 3, 7]], // full inner axis widens the run
    [[4, 5, 6, 7], [1, 0, 0, 3], [3, 5, 6, 2]], // full middle axes: outer loops merge
    [[3, 1, 4, 1, 5], [1, 0, 1, 0, 2], [2, 1, 3, 1, 3]], // size-1 axes fold into the offset
  ];
  const labels: string[] = [];
  const fs: (() => tf.Tensor)[] = [];
  for (const [shape, begin, size] of cases) {
    for (const dtype of SLICE_DTYPES) {
      const v = valuesOf(dtype, shape);
      labels.push(`slice ${dtype} [${shape}] begin [${begin}] size [${size}]`);
      fs.push(() => tf.slice(tensorOf(v, shape, dtype), begin, size));
    }
  }
  await assertExactOnWasm(labels, fs);
});

test('planSlice: runs and loops of a few slices', () => {
  // Column strip of [32, 28, 28, 64]: 32*28 runs of 64, merged into one loop.
  assert.deepEqual(planSlice([32, 28, 28, 64], [0, 0, 5, 0], [32, 28, 1, 64]), {
    start: 5 * 64,
    run: 64,
    counts: [32 * 28],
    steps: [28 * 64],
  });
  // Whole rows: a single run.
  assert.deepEqual(planSlice([7, 100], [2, 0], [3, 100]), { start: 200, run: 300, counts: [], steps: [] });
  // Full middle axes merge with the outer loop; size-1 axes leave no loop.
  assert.deepEqual(planSlice([4, 5, 6, 7], [1, 0, 0, 3], [3, 5, 6, 2]), { start: 210 + 3, run: 2, counts: [90], steps: [7] });
  assert.deepEqual(planSlice([3, 4, 5], [1, 2, 0], [1, 1, 3]), { start: 20 + 10, run: 3, counts: [], steps: [] });
});

test('split (SplitV) and unstack (Unpack): axes, uneven sizes, -1, all dtypes', async () => {
  const labels: string[] = [];
  const fs: (() => tf.Tensor[])[] = [];
  const splits: [number[], number | number[], number][] = [
    [[12], 3, 0],
    [[4, 12], 4, 1],
    [[4, 12], [5, -1, 2], 1],
    [[6, 5, 4], [1, 2, 3], 0],
    [[6, 5, 4], 5, -2],
    [[3, 4, 5, 6], [2, 0, 4], 3], // an empty piece
    [[2, 3, 4, 5, 6], 2, 4],
  ];
  for (const [shape, sizes, axis] of splits) {
    for (const dtype of SLICE_DTYPES) {
      const v = valuesOf(dtype, shape);
      labels.push(`split ${dtype} [${shape}] ${JSON.stringify(sizes)} axis ${axis}`);
      fs.push(() => tf.split(tensorOf(v, shape, dtype), sizes, axis));
    }
  }
  const unstacks: [number[], number][] = [
    [[5], 0],
    [[4, 3], 0],
    [[4, 3], 1],
    [[2, 7, 3], -1],
    [[2, 7, 3], 1],
    [[3, 2, 4, 5], 2],
    [[2, 3, 2, 4, 3], 4],
  ];
  for (const [shape, axis] of unstacks) {
    for (const dtype of SLICE_DTYPES) {
      const v = valuesOf(dtype, shape);
      labels.push(`unstack ${dtype} [${shape}] axis ${axis}`);
      fs.push(() => tf.unstack(tensorOf(v, shape, dtype), axis));
    }
  }
  await assertExactOnWasm(labels, fs);
});

test('stridedSlice: stride-1 cases (ours), strided ones (stock); masks, shrink and new axes', async () => {
  const shape = [4, 5, 6];
  type Case = [number[], number[], number[], number, number, number, number, number];
  const cases: [Case, SliceDtype[]][] = [
    // begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask
    [[[1, 0, 0], [3, 5, 6], [1, 1, 1], 0, 0, 0, 0, 0], SLICE_DTYPES], // axis 0 only (sliceDim0)
    [[[1, 2, 1], [3, 4, 5], [1, 1, 1], 0, 0, 0, 0, 0], SLICE_DTYPES], // simple slice
    [[[2, 0, 0], [3, 5, 6], [1, 1, 1], 0, 0, 0, 0, 1], SLICE_DTYPES], // x[2]: shrink axis 0
    [[[0, 1, 0], [0, 2, 0], [1, 1, 1], 5, 5, 0, 0, 2], SLICE_DTYPES], // x[:, 1, :]
    [[[0, 0, -3], [0, 0, 0], [1, 1, 1], 3, 7, 0, 0, 0], SLICE_DTYPES], // x[..., -3:]
    [[[0, 1], [0, 3], [1, 1], 0, 0, 1, 0, 0], SLICE_DTYPES], // ellipsis then 1:3
    [[[0, 0, 2], [0, 0, 4], [1, 1, 1], 1, 1, 0, 2, 0], SLICE_DTYPES], // new axis
    [[[0, 0, 0], [4, 5, 6], [1, 1, 1], 0, 0, 0, 0, 0], SLICE_DTYPES], // identity (stock reshape)
    // Real strides stay with the stock kernel, which returns float32 for every dtype (tfjs 4.22).
    [[[0, 1, 0], [4, 5, 6], [2, 1, 3], 0, 0, 0, 0, 0], ['float32']],
    [[[3, 4, 5], [0, 0, 0], [-1, -1, -2], 0, 0, 0, 0, 0], ['float32']],
  ];
  const labels: string[] = [];
  const fs: (() => tf.Tensor)[] = [];
  for (const [c, dtypes] of cases) {
    for (const dtype of dtypes) {
      const v = valuesOf(dtype, shape);
      labels.push(`stridedSlice ${dtype} ${JSON.stringify(c)}`);
      fs.push(() => tf.stridedSlice(tensorOf(v, shape, dtype), ...c));
    }
  }
  await assertExactOnWasm(labels, fs);
  await tf.setBackend('wasm');
  tf.tidy(() => {
    // begin > end with stride 1: empty (stock wasm and cpu throw in their slice here).
    const empty = tf.stridedSlice(tf.ones([4, 5, 6]), [3, 0, 0], [1, 5, 6]);
    assert.deepEqual(empty.shape, [0, 5, 6]);
    assert.equal(empty.dataSync().length, 0);
  });
});

test('string tensors go to the stock kernels', async () => {
  const words = ['a', 'bb', 'ccc', 'dddd', 'e', 'ff'];
  await assertExactOnWasm(
    ['slice string', 'unstack string'],
    [
      () => tf.slice(tf.tensor(words, [2, 3]), [0, 1], [2, 2]),
      () => tf.unstack(tf.tensor(words, [2, 3]), 1),
    ],
  );
});

test('slice: out-of-range begin / size throw instead of reading other tensors', async () => {
  await tf.setBackend('wasm');
  tf.tidy(() => {
    const x = tf.zeros([3, 4]);
    assert.throws(() => tf.engine().runKernel(tf.Slice, { x }, { begin: [2, 0], size: [2, 4] }), /do not fit/);
    assert.throws(() => tf.engine().runKernel(tf.Slice, { x }, { begin: [0, 0, 0], size: [1, 1, 1] }), /do not fit/);
  });
});

test('slice while the wasm heap grows: the output view is taken after allocating', async () => {
  await tf.setBackend('wasm');
  const heap = () => (tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
  const shape = [256, 1024];
  const v = valuesOf('float32', shape);
  const x = tf.tensor(v, shape);
  const before = heap();
  const kept: tf.Tensor[] = [];
  // Keep 2 MB slices until the heap has grown at least once (bounded).
  for (let i = 0; i < 400 && heap() === before; i++) kept.push(tf.slice(x, [0, 512], [256, 512]));
  assert.ok(heap() > before, 'the heap never grew');
  const expected = new Float32Array(256 * 512);
  for (let r = 0; r < 256; r++) expected.set(v.subarray(r * 1024 + 512, r * 1024 + 1024), r * 512);
  for (const t of [kept[0], kept[kept.length - 1]]) {
    assert.deepStrictEqual(Array.from(t.dataSync()), Array.from(expected));
  }
  tf.dispose([x, ...kept]);
});

test('gradients through slice, split, unstack, concat and stack', async () => {
  const xShape = [3, 8, 6];
  const [xv, rv] = [randomValues(xShape), randomValues([3, 4, 2])];
  await assertSameOnWasm('slice / split / unstack gradients', () =>
    tf.grads((x: tf.Tensor) => {
      const a = tf.slice(x, [0, 2, 1], [3, 4, 2]); // [3, 4, 2]
      const [p, q] = tf.split(x, [3, 5], 1); // [3, 3, 6], [3, 5, 6]
      const steps = tf.unstack(q, 1); // 5 x [3, 6]
      const c = tf.concat([tf.slice(p, [0, 0, 0], [3, 3, 2]), tf.slice(steps[2], [0, 0], [3, 2]).reshape([3, 1, 2])], 1); // [3, 4, 2]
      const s = tf.stack(steps.map((t) => tf.tanh(t)), 2); // [3, 6, 5]
      return tf.sum(tf.mul(tf.add(a, tf.mul(c, c)), tf.tensor(rv, [3, 4, 2]))).add(tf.sum(tf.square(s)));
    })([tf.tensor(xv, xShape)]),
  );
});

/** A small unrolled LSTM (tf.basicLSTMCell: concat + matMul + split) over unstacked time steps. */
function tinyLstmLoss(params: tf.Variable[], x: tf.Tensor, r: tf.Tensor): tf.Scalar {
  const [kernel, bias, readout] = params; // [features + units, 4 * units], [4 * units], [units, 3]
  const units = readout.shape[0];
  const batch = x.shape[0];
  let c: tf.Tensor2D = tf.zeros([batch, units]);
  let h: tf.Tensor2D = tf.zeros([batch, units]);
  for (const xt of tf.unstack(x, 1)) {
    [c, h] = tf.basicLSTMCell(tf.scalar(1), kernel as tf.Tensor2D, bias as tf.Tensor1D, xt as tf.Tensor2D, c, h);
  }
  return tf.sum(tf.mul(tf.matMul(h, readout), r));
}
const LSTM_SHAPES = [[5 + 4, 16], [16], [4, 3]];

test('tiny LSTM: gradients on wasm match cpu; numTensors and backend data stay flat', async () => {
  const init = LSTM_SHAPES.map((s) => randomValues(s).map((v) => v * 0.4));
  const [xv, rv] = [randomValues([2, 7, 5]), randomValues([2, 3])];
  await assertSameOnWasm('tiny LSTM gradients', () => {
    const params = init.map((v, i) => tf.variable(tf.tensor(v, LSTM_SHAPES[i])));
    const { grads } = tf.variableGrads(() => tinyLstmLoss(params, tf.tensor(xv, [2, 7, 5]), tf.tensor(rv, [2, 3])), params);
    const out = params.map((p) => grads[p.name]);
    tf.dispose(params);
    return out;
  });

  await tf.setBackend('wasm');
  const params = init.map((v, i) => tf.variable(tf.tensor(v, LSTM_SHAPES[i])));
  const x = tf.tensor(xv, [2, 7, 5]);
  const r = tf.tensor(rv, [2, 3]);
  const optimizer = tf.train.adam(0.01);
  const step = () => {
    optimizer.minimize(() => tinyLstmLoss(params, x, r), true, params)?.dispose();
    // Plain slicing ops outside the tape too.
    tf.tidy(() => {
      tf.split(x, [2, 5], 1);
      tf.unstack(x, 2);
      tf.slice(x, [1, 2, 0], [1, -1, 3]);
    });
  };
  step();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  assert.equal(tf.engine().backend.numDataIds(), dataIds, 'backend data leaked');
  optimizer.dispose();
  tf.dispose([...params, x, r]);
});

/**
 * Adam on `backend` from the same start and gradients: the variables and slots after `steps`
 * updates, and the tensor count the steps left behind.
 */
async function adamSteps(backend: string, shapes: number[][], steps: number): Promise<{ values: Float32Array[]; leaked: number }> {
  assert.ok(await tf.setBackend(backend));
  const local = new Rng(7);
  const values = (shape: number[]) => {
    const a = new Float32Array(shape.reduce((p, d) => p * d, 1));
    for (let i = 0; i < a.length; i++) a[i] = local.normal();
    return tf.tensor(a, shape);
  };
  const variables = new Map(shapes.map((shape, i) => [`v${i}`, tf.variable(values(shape), true, `adam-${backend}-${i}`)]));
  const optimizer = new Optimizer(optimizerSettings({ kind: 'adam', learningRate: 0.01 }));
  let before = 0;
  for (let step = 0; step < steps; step++) {
    const grads = new Map([...variables].map(([name, v]) => [name, values(v.shape)]));
    optimizer.apply(variables, grads);
    tf.dispose([...grads.values()]);
    if (step === 0) before = tf.memory().numTensors;
  }
  const leaked = tf.memory().numTensors - before;
  const out = [...variables.values()].map((v) => Float32Array.from(v.dataSync() as Float32Array));
  for (const a of optimizer.getState('')) if (!a.name.endsWith('iterations')) out.push(Float32Array.from(a.data));
  optimizer.dispose();
  tf.dispose([...variables.values()]);
  return { values: out, leaked };
}

test('GenlabAdam: the tf ops\' bits on wasm and on cpu, every size (SIMD body and tail), no leaks', async () => {
  assert.ok(await tf.setBackend('wasm'));
  assert.ok(fusedAdamAvailable(), 'the Adam kernel links against the wasm backend\'s memory in Node');
  // Sizes 1-9 cover the scalar tail alone and after whole vectors; [300, 7] an odd large one.
  const shapes = [[1], [2], [3], [4], [5], [6], [7], [8], [9], [300, 7], [64, 33]];
  const fused = await adamSteps('wasm', shapes, 6);
  assert.equal(fused.leaked, 0, 'tensors left by the fused steps');
  const reference = await adamSteps('cpu', shapes, 6);
  tf.unregisterKernel(ADAM_KERNEL, 'wasm');
  try {
    assert.ok(await tf.setBackend('wasm'));
    assert.ok(!fusedAdamAvailable());
    const ops = await adamSteps('wasm', shapes, 6);
    assert.equal(fused.values.length, 2 * shapes.length + shapes.length, 'variables, then m and v of each');
    fused.values.forEach((a, k) => {
      assert.deepEqual(a, ops.values[k], `array ${k}: fused and tf ops on wasm differ`);
      assert.deepEqual(a, reference.values[k], `array ${k}: fused on wasm and tf ops on cpu differ`);
    });
  } finally {
    registerWasmKernels();
  }
  assert.ok(isWasmKernelReplaced(ADAM_KERNEL));
});

test('our wasm modules: the committed bytes are the .wat files as compiled now (npm run build:wasm); the shared Adam build links', async () => {
  const { compileWat, WAT_MODULES } = await import(new URL('../../../scripts/wat.mjs', import.meta.url).href);
  const fs = await import('node:fs');
  const root = new URL('../../../', import.meta.url);
  const modules = WAT_MODULES as { wat: string; out: string; exportName: string }[];
  assert.deepEqual(modules.map((m) => m.exportName), ['ADAM_WASM_BASE64', 'FILTER_GRAD_WASM_BASE64', 'TANH_WASM_BASE64']);
  for (const { wat, out, exportName } of modules) {
    const { plain, shared } = (await compileWat(fs.readFileSync(new URL(wat, root), 'utf8'), wat)) as { plain: Uint8Array; shared: Uint8Array };
    const committed = (await import(new URL(`../../../dist/${out.replace(/\.ts$/, '.js')}`, import.meta.url).href)) as Record<string, string>;
    assert.equal(Buffer.from(plain).toString('base64'), committed[exportName], `${out} is stale: run npm run build:wasm`);
    assert.equal(Buffer.from(shared).toString('base64'), committed[exportName.replace('_BASE64', '_SHARED_BASE64')], `${out} is stale: run npm run build:wasm`);
  }
  // The shared build links against a memory like the multi-threaded backend's, and computes.
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 32768, shared: true });
  const bytes = Buffer.from(ADAM_WASM_SHARED_BASE64, 'base64');
  const { adam } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as { adam: (...args: number[]) => void };
  const heap = new Float32Array(memory.buffer);
  heap.set([1, 0, 0, 2], 0); // w, m, v, g of one weight at byte offsets 0, 4, 8, 12
  adam(0, 4, 8, 12, 16, 20, 24, 1, 0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-8, 0.5);
  // m' = 0.2, v' = 0.004; w' = 1 - 0.5 (0.2 / 0.1) / (sqrt(0.004 / 0.001) + 1e-8) = 1 - 0.5 = 0.5
  assert.ok(Math.abs(heap[5] - 0.2) < 1e-7 && Math.abs(heap[6] - 0.004) < 1e-9 && Math.abs(heap[4] - 0.5) < 1e-6, `got ${heap.slice(4, 7)}`);
});

test('Tanh (tanh.wat): within 2.5e-7 of Math.tanh and 1e-6 relative, over every scale; NaN, infinities, -0; any length', async () => {
  assert.ok(await tf.setBackend('wasm'));
  assert.ok(isWasmKernelReplaced('Tanh'));
  // A dense grid over [-12, 12], values on both sides of the series / exponential switch at 0.4,
  // and a log grid down to subnormals.
  const values: number[] = [];
  for (let i = -120_000; i <= 120_000; i++) values.push(i / 10_000);
  for (const edge of [0.4, 10]) for (let d = -20; d <= 20; d++) values.push(Math.fround(edge) + d * 2 ** -24, -(Math.fround(edge) + d * 2 ** -24));
  for (let e = -45; e <= 1; e += 0.25) values.push(10 ** e, -(10 ** e));
  const x = Float32Array.from(values);
  const y = tf.tidy(() => tf.tanh(tf.tensor1d(x)).dataSync() as Float32Array);
  let worstAbs = 0;
  let worstRel = 0;
  for (let i = 0; i < x.length; i++) {
    const exact = Math.tanh(x[i]);
    worstAbs = Math.max(worstAbs, Math.abs(y[i] - exact));
    if (exact !== 0) worstRel = Math.max(worstRel, Math.abs(y[i] - exact) / Math.abs(exact));
  }
  assert.ok(worstAbs <= 2.5e-7, `max |tanh - Math.tanh| = ${worstAbs}`);
  assert.ok(worstRel <= 1e-6, `max relative error ${worstRel}`);
  const special = tf.tidy(() => Array.from(tf.tanh(tf.tensor1d([NaN, Infinity, -Infinity, -0, 0, 50, -50])).dataSync()));
  assert.ok(Number.isNaN(special[0]));
  assert.deepEqual(special.slice(1), [1, -1, -0, 0, 1, -1]);
  assert.ok(Object.is(special[3], -0), '-0 keeps its sign');
  // Lengths 1-9 (fewer than four values; whole vectors and an overlapping last one) and the
  // gradient, against the cpu backend.
  for (let n = 1; n <= 9; n++) {
    const v = randomValues([n]).map((a) => 3 * a);
    await assertSameOnWasm(`tanh of ${n} values`, () => tf.tanh(tf.tensor1d(v)));
  }
  const g = randomValues([5, 7]);
  await assertSameOnWasm('tanh gradient', () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), tf.tensor2d(g, [5, 7]))))(tf.tensor2d(g.map((a) => a * 2), [5, 7])));
});
