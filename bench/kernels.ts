/**
 * Stock vs replacement wasm kernels (src/core/kernels), timed in one run so the ratios are
 * comparable on a noisy shared machine. Run: `npm run bench:kernels`
 * (well under 2 minutes). GFLOP/s counts the nominal 2*m*k*n (matmul) or 2*N*Ho*Wo*Co*fh*fw*Ci
 * (conv) work, the same for every variant, so GFLOP/s ratios are speed ratios. The slicing rows
 * count the bytes of their outputs instead (GB/s), likewise the same for stock and replacement,
 * and the reduction rows the bytes they read.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../src/core/engine.js';
import { ADAM_KERNEL, conv2dBackpropFilterVia, filterGradientPath, registerWasmKernels, unregisterWasmKernels, type FilterGradientPath } from '../src/core/kernels/index.js';
import { Optimizer, optimizerSettings } from '../src/train/optimizers.js';

/** Median milliseconds per call of `fn`, after `warmup` calls, over `reps` timed calls. */
function time(fn: () => tf.Tensor, reps: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) tf.tidy(fn).dispose();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = tf.tidy(fn);
    out.dataSync(); // wasm runs synchronously; this also keeps a lazy backend honest
    ms.push(performance.now() - t0);
    out.dispose();
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

/** Max |a - b| / max |a|. */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(x[i]));
  }
  return diff / scale;
}

/**
 * Like `time`, but each call gets a fresh copy of `input` made outside the timer: XNNPACK caches
 * its packed operands by tensor, so a loop over ONE tensor measures a cache that training (a new
 * gradient tensor every step) never hits. Minimum over `reps` calls.
 */
function timeFresh(fn: (input: tf.Tensor) => tf.Tensor, input: tf.Tensor, reps: number): number {
  const ms: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const fresh = tf.add(input, 0);
    fresh.dataSync();
    const t0 = performance.now();
    const out = fn(fresh);
    out.dataSync();
    ms.push(performance.now() - t0);
    tf.dispose([out, fresh]);
  }
  return Math.min(...ms.slice(1));
}

interface Row {
  name: string;
  ms: number;
  flops: number;
  /** Rows to compare against: the ratio printed is this row's GFLOP/s over theirs (speed-up). */
  vs?: string[];
}

/** Prints `rows`; `unit` names the rate column (`flops` per ms / 1e6: GFLOP/s, or GB/s for bytes). */
function report(rows: Row[], unit = 'GFLOP/s'): void {
  const byName = new Map(rows.map((r) => [r.name, r]));
  console.log(`${'kernel'.padEnd(46)}${'ms'.padStart(9)}${unit.padStart(10)}   ratio`);
  for (const r of rows) {
    const ratio = (r.vs ?? [])
      .map((name) => {
        const ref = byName.get(name)!;
        return `${(r.flops / r.ms / (ref.flops / ref.ms)).toFixed(2)}x vs ${name}`;
      })
      .join('; ');
    console.log(
      `${r.name.padEnd(46)}${r.ms.toFixed(1).padStart(9)}${(r.flops / r.ms / 1e6).toFixed(2).padStart(10)}   ${ratio}`,
    );
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  await tf.setBackend('wasm');
  console.log(`tfjs ${tf.version_core}, backend wasm, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, ` +
    `threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  const rows: Row[] = [];

  // 1. Dense layer backward products: [128,784] x [784,400].
  const [m, k, n] = [128, 784, 400];
  const mmFlops = 2 * m * k * n;
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const aT = tf.transpose(a); // [k, m]
  const bT = tf.transpose(b); // [n, k]
  const plain = () => tf.matMul(a, b);
  const tA = () => tf.matMul(aT, b, true, false);
  const tB = () => tf.matMul(a, bT, false, true);
  const tAB = () => tf.matMul(aT, bT, true, true);
  const mmReps = 20;

  unregisterWasmKernels();
  rows.push({ name: 'matMul plain (stock)', ms: time(plain, mmReps), flops: mmFlops });
  rows.push({ name: 'matMul transposeA (stock)', ms: time(tA, mmReps), flops: mmFlops });
  rows.push({ name: 'matMul transposeB (stock)', ms: time(tB, mmReps), flops: mmFlops });
  rows.push({ name: 'matMul transposeA+B (stock)', ms: time(tAB, mmReps), flops: mmFlops });
  const mmStock = [tA(), tB()];
  registerWasmKernels();
  rows.push({ name: 'matMul transposeA (replacement)', ms: time(tA, mmReps), flops: mmFlops, vs: ['matMul transposeA (stock)', 'matMul plain (stock)'] });
  rows.push({ name: 'matMul transposeB (replacement)', ms: time(tB, mmReps), flops: mmFlops, vs: ['matMul transposeB (stock)', 'matMul plain (stock)'] });
  rows.push({ name: 'matMul transposeA+B (replacement)', ms: time(tAB, mmReps), flops: mmFlops, vs: ['matMul transposeA+B (stock)', 'matMul plain (stock)'] });
  const mmNew = [tA(), tB()];
  const mmDiff = Math.max(relDiff(mmStock[0], mmNew[0]), relDiff(mmStock[1], mmNew[1]));
  tf.dispose([a, b, aT, bT, ...mmStock, ...mmNew]);

  // 1b. Batched products of self-attention over a 14 x 14 map (the diffusion U-Net's): batch 128, 196 positions, 32 channels.
  const [batch, positions, channels] = [128, 196, 32];
  const q = tf.randomNormal([batch, positions, channels]);
  const keys = tf.randomNormal([batch, positions, channels]);
  const weights = tf.softmax(tf.randomNormal([batch, positions, positions]));
  const scores = () => tf.matMul(q, keys, false, true); // [B, N, N]
  const attend = () => tf.matMul(weights, q); // [B, N, C]
  // softmax(q k^T) v and its gradient with respect to q: four batched products and two transposes.
  const attention = () => tf.grad((x: tf.Tensor) => tf.sum(tf.matMul(tf.softmax(tf.matMul(x, keys, false, true)), keys)))(q);
  const attentionFlops = 2 * batch * positions * positions * channels;
  unregisterWasmKernels();
  rows.push({ name: 'batched matMul q k^T (stock)', ms: time(scores, 5), flops: attentionFlops });
  rows.push({ name: 'batched matMul w v (stock)', ms: time(attend, 5), flops: attentionFlops });
  rows.push({ name: 'attention forward + q gradient (stock)', ms: time(attention, 3, 1), flops: 6 * attentionFlops });
  const batchedStock = [scores(), attend()];
  registerWasmKernels();
  rows.push({ name: 'batched matMul q k^T (replacement)', ms: time(scores, 10), flops: attentionFlops, vs: ['batched matMul q k^T (stock)'] });
  rows.push({ name: 'batched matMul w v (replacement)', ms: time(attend, 10), flops: attentionFlops, vs: ['batched matMul w v (stock)'] });
  rows.push({ name: 'attention forward + q gradient (replacement)', ms: time(attention, 5), flops: 6 * attentionFlops, vs: ['attention forward + q gradient (stock)'] });
  const batchedNew = [scores(), attend()];
  const batchedDiff = Math.max(relDiff(batchedStock[0], batchedNew[0]), relDiff(batchedStock[1], batchedNew[1]));
  tf.dispose([q, keys, weights, ...batchedStock, ...batchedNew]);

  // 2. Conv layer [64,14,14,64] -> 128 filters 4x4, stride 2, 'same': y [64,7,7,128].
  const xShape: [number, number, number, number] = [64, 14, 14, 64];
  const x = tf.randomNormal(xShape) as tf.Tensor4D;
  const w = tf.randomNormal([4, 4, 64, 128]) as tf.Tensor4D;
  const dy = tf.randomNormal([64, 7, 7, 128]) as tf.Tensor4D;
  const convFlops = 2 * 64 * 7 * 7 * 128 * 4 * 4 * 64;
  const forward = () => tf.conv2d(x, w, 2, 'same');
  const inputGrad = () => tf.conv2dTranspose(dy, w, xShape, 2, 'same');
  const filterGrad = () =>
    tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
      strides: 2,
      pad: 'same',
      dataFormat: 'NHWC',
      filterShape: w.shape,
    }) as tf.Tensor;

  rows.push({ name: 'conv2d forward (stock)', ms: time(forward, 10), flops: convFlops });
  unregisterWasmKernels();
  rows.push({ name: 'conv2d input grad (stock)', ms: time(inputGrad, 5, 1), flops: convFlops, vs: ['conv2d forward (stock)'] });
  const dxStock = inputGrad();
  registerWasmKernels();
  rows.push({ name: 'conv2d input grad (replacement)', ms: time(inputGrad, 10), flops: convFlops, vs: ['conv2d input grad (stock)', 'conv2d forward (stock)'] });
  const filterRow: Row = { name: 'conv2d filter grad (replacement)', ms: time(filterGrad, 10), flops: convFlops };
  rows.push(filterRow);
  const dxNew = inputGrad();
  const dwNew = filterGrad();
  const dxDiff = relDiff(dxStock, dxNew);

  // The stock wasm backend has no filter gradient; the cpu backend is what a user would fall back
  // to. It runs at ~0.02 GFLOP/s here, so it gets the first 4 samples only (rates compare fine).
  const nCpu = 4;
  const xs = tf.slice(x, 0, nCpu);
  const dys = tf.slice(dy, 0, nCpu);
  const [xv, dyv] = [xs.dataSync(), dys.dataSync()];
  const dwSmall = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xs, dy: dys }, {
    strides: 2,
    pad: 'same',
    dataFormat: 'NHWC',
    filterShape: w.shape,
  }) as tf.Tensor;
  const dwWasm = dwSmall.dataSync().slice();
  tf.dispose([x, w, dy, xs, dys, dxStock, dxNew, dwNew, dwSmall]);
  await tf.setBackend('cpu');
  const xc = tf.tensor(xv, [nCpu, 14, 14, 64]);
  const dyc = tf.tensor(dyv, [nCpu, 7, 7, 128]);
  const t1 = performance.now();
  const dwCpu = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xc, dy: dyc }, {
    strides: 2,
    pad: 'same',
    dataFormat: 'NHWC',
    filterShape: [4, 4, 64, 128],
  }) as tf.Tensor;
  dwCpu.dataSync();
  rows.push({ name: `conv2d filter grad (cpu backend, batch ${nCpu})`, ms: performance.now() - t1, flops: (convFlops * nCpu) / 64 });
  const dwDiff = relDiff(dwCpu, tf.tensor(dwWasm, [4, 4, 64, 128]));
  filterRow.vs = ['conv2d forward (stock)', `conv2d filter grad (cpu backend, batch ${nCpu})`];
  tf.dispose([xc, dyc, dwCpu]);
  await tf.setBackend('wasm');

  // 3. Slicing: 28 column strips x[:, :, j, :] of [32, 28, 28, 64] (an LSTM's time steps), as
  // 28 tf.slice calls and as one tf.unstack. Stock wasm copies the whole 6.4 MB source per strip.
  const seq = tf.randomNormal([32, 28, 28, 64]);
  const stripBytes = 28 * 32 * 28 * 64 * 4; // all 28 outputs together: the source's size
  const strips = () => {
    let last = seq;
    for (let j = 0; j < 28; j++) last = tf.slice(seq, [0, 0, j, 0], [32, 28, 1, 64]);
    return last;
  };
  const unstacked = () => tf.unstack(seq, 2)[27];
  const sliceRows: Row[] = [];
  unregisterWasmKernels();
  sliceRows.push({ name: '28 column strips, tf.slice (stock)', ms: time(strips, 5, 1), flops: stripBytes });
  sliceRows.push({ name: '28 column strips, tf.unstack (stock)', ms: time(unstacked, 5, 1), flops: stripBytes });
  const stripStock = tf.tidy(() => tf.stack(tf.unstack(seq, 2).map((t, j) => tf.add(t, tf.slice(seq, [0, 0, j, 0], [32, 28, 1, 64]).squeeze([2])))));
  registerWasmKernels();
  sliceRows.push({ name: '28 column strips, tf.slice (replacement)', ms: time(strips, 20), flops: stripBytes, vs: ['28 column strips, tf.slice (stock)'] });
  sliceRows.push({ name: '28 column strips, tf.unstack (replacement)', ms: time(unstacked, 20), flops: stripBytes, vs: ['28 column strips, tf.unstack (stock)'] });
  const stripNew = tf.tidy(() => tf.stack(tf.unstack(seq, 2).map((t, j) => tf.add(t, tf.slice(seq, [0, 0, j, 0], [32, 28, 1, 64]).squeeze([2])))));
  const stripDiff = relDiff(stripStock, stripNew);
  tf.dispose([seq, stripStock, stripNew]);

  // 4. The filter gradient's three paths on the layers of our conv models (the kernel picks one by
  // shape: filterGradientPath), and 5. Sum / Mean over [N, H, W] (batch norm, conv bias gradients).
  const pathRows: Row[] = [];
  const layers: [string, [number, number, number, number], number, number, number][] = [
    // name, x shape, filter size, out channels, stride
    ['grey input 4x4/2 -> 64', [64, 28, 28, 1], 4, 64, 2],
    ['4x4/2 64 -> 128', [64, 14, 14, 64], 4, 128, 2],
    ['grey input 7x7/1 -> 32', [64, 28, 28, 1], 7, 32, 1],
    ['3x3/1 16 -> 16', [64, 28, 28, 16], 3, 16, 1],
    ['1x1/1 32 -> 32', [64, 28, 28, 32], 1, 32, 1],
    ['1x1/1 32 -> 16', [64, 28, 28, 32], 1, 16, 1],
  ];
  for (const [name, shape, f, co, stride] of layers) {
    const xl = tf.randomNormal(shape);
    const info = tf.backend_util.computeConv2DInfo(shape, [f, f, shape[3], co], stride, 1, 'same');
    const dyl = tf.randomNormal(info.outShape);
    const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: [f, f, shape[3], co] } as unknown as tf.NamedAttrMap;
    const flops = 2 * info.outShape.slice(0, 3).reduce((p, d) => p * d, 1) * co * f * f * shape[3];
    const paths: FilterGradientPath[] = stride === 1 ? ['conv', 'patches', 'taps', ...(co % 8 === 0 ? (['simd'] as const) : [])] : ['conv', 'patches'];
    for (const path of paths) {
      const run = (dy: tf.Tensor) => tf.engine().makeTensorFromTensorInfo(conv2dBackpropFilterVia[path]({ inputs: { x: xl, dy }, backend: tf.engine().backend, attrs }) as tf.TensorInfo);
      const chosen = filterGradientPath(info) === path ? ' *' : '';
      pathRows.push({ name: `filter grad ${name}: ${path}${chosen}`, ms: timeFresh(run, dyl, 5), flops, vs: path === 'conv' ? [] : [`filter grad ${name}: conv${filterGradientPath(info) === 'conv' ? ' *' : ''}`] });
    }
    tf.dispose([xl, dyl]);
  }
  for (const shape of [[64, 14, 14, 64], [64, 28, 28, 32]]) {
    const xr = tf.randomNormal(shape);
    const bytes = xr.size * 4;
    const sum = (t: tf.Tensor) => tf.sum(t, [0, 1, 2]);
    const mean = (t: tf.Tensor) => tf.mean(t, [0, 1, 2]);
    unregisterWasmKernels();
    pathRows.push({ name: `sum over N,H,W of [${shape}] (stock)`, ms: timeFresh(sum, xr, 10), flops: bytes });
    pathRows.push({ name: `mean over N,H,W of [${shape}] (stock)`, ms: timeFresh(mean, xr, 10), flops: bytes });
    registerWasmKernels();
    pathRows.push({ name: `sum over N,H,W of [${shape}] (replacement)`, ms: timeFresh(sum, xr, 10), flops: bytes, vs: [`sum over N,H,W of [${shape}] (stock)`] });
    pathRows.push({ name: `mean over N,H,W of [${shape}] (replacement)`, ms: timeFresh(mean, xr, 10), flops: bytes, vs: [`mean over N,H,W of [${shape}] (stock)`] });
    xr.dispose();
  }

  // 6. Adam's update of the VAE MLP's variables (784-500-20, 815,824 weights): ten tf ops per
  // variable, or the one GenlabAdam kernel. Bytes: w, m, v, g read and w', m', v' written.
  const vaeShapes = [[784, 500], [500], [500, 20], [20], [500, 20], [20], [20, 500], [500], [500, 784], [784]];
  const vaeWeights = vaeShapes.reduce((sum, shape) => sum + shape.reduce((p, d) => p * d, 1), 0);
  const adamRows: Row[] = [];
  for (const fused of [false, true]) {
    if (!fused) tf.unregisterKernel(ADAM_KERNEL, 'wasm');
    const variables = new Map(vaeShapes.map((shape, i) => [`v${i}`, tf.variable(tf.randomNormal(shape))]));
    const grads = new Map([...variables].map(([name, v]) => [name, tf.randomNormal(v.shape)]));
    const optimizer = new Optimizer(optimizerSettings({ kind: 'adam' }));
    const ms: number[] = [];
    for (let i = 0; i < 23; i++) {
      const t1 = performance.now();
      optimizer.apply(variables, grads);
      variables.get('v0')!.dataSync();
      if (i >= 3) ms.push(performance.now() - t1);
    }
    ms.sort((p, q) => p - q);
    adamRows.push({ name: `Adam over ${vaeWeights} weights, ${fused ? 'GenlabAdam' : 'tf ops (stock)'}`, ms: ms[ms.length >> 1], flops: 7 * 4 * vaeWeights, vs: fused ? [`Adam over ${vaeWeights} weights, tf ops (stock)`] : [] });
    optimizer.dispose();
    tf.dispose([...variables.values(), ...grads.values()]);
    if (!fused) registerWasmKernels();
  }

  report(rows);
  report(sliceRows, 'GB/s');
  report(adamRows, 'GB/s');
  console.log('\nfilter gradient paths (GFLOP/s; * = the path the kernel takes) and leading-axes reductions (GB/s read):');
  report(pathRows);
  console.log(`slicing: max |diff| / max |ref| vs stock ${stripDiff.toExponential(1)}`);
  console.log(
    `max |diff| / max |ref|: matMul vs stock ${mmDiff.toExponential(1)}, batched matMul vs stock ${batchedDiff.toExponential(1)}, input grad vs stock ` +
      `${dxDiff.toExponential(1)}, filter grad vs cpu backend ${dwDiff.toExponential(1)}`,
  );
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

await main();
