/**
 * Conv2DBackpropFilter (the filter gradient of conv2d) for the tfjs wasm backend, which does not
 * register one, so without this kernel no conv net trains on wasm.
 *
 * The filter gradient is itself a correlation, run here on the fast forward Conv2D kernel
 * (XNNPACK). For a forward conv with stride s, dilation d and input x padded to xpad:
 *
 *   dW[kh, kw, ci, co] = sum_{n, i, j} xpad[n, i*s + kh*d, j*s + kw*d, ci] * dy[n, i, j, co]
 *
 * Reading ci as the batch, n as the channel and dy as the filter, this is a forward conv of
 * x' = transpose(x) [Ci, H, W, N] with the "filter" dy' = transpose(dy) [Ho, Wo, N, Co], stride d,
 * dilation s and the forward pass's padding. Its output [Ci, >=fh, >=fw, Co] keeps the first
 * fh x fw taps, transposed to [fh, fw, Ci, Co]. Checked against the cpu backend's autodiff.
 *
 * That conv has N input channels and a filter as large as the output image, a shape XNNPACK
 * handles poorly when Ci is small (a first layer on grey images: ~1.5 GFLOP/s). There the patch
 * matrix is cheap to build instead (im2col, Chellapilla et al. 2006): P^T [fh*fw*Ci, N*Ho*Wo]
 * from x in one pass, then dW = P^T dy as ONE plain matrix product [fh*fw*Ci, Co], the fast path.
 *
 * For stride-1 convs with more channels (PixelCNN's 3x3 and 1x1 layers, ~2 GFLOP/s the conv way)
 * each tap is its own product instead: dW[kh, kw] = xpad[:, kh:kh+Ho, kw:kw+Wo, :]^T dy over the
 * N*Ho*Wo positions. With Co a multiple of 8, our own SIMD function (filtergrad.wat)
 * accumulates each tap's product in place on the heap, straight from x and dy (no padded copy, no
 * windows, no transpose, no packing); otherwise the window is cut out of the padded input by the
 * (fast) Slice kernel and multiplied by the stock product.
 */
import type {
  Conv2DBackpropFilterAttrs,
  KernelBackend,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { backend_util, BatchMatMul, Concat, Conv2D, PadV2, Reshape, Slice, Transpose } from '@tensorflow/tfjs-core';
import { FILTER_GRAD_WASM_BASE64, FILTER_GRAD_WASM_SHARED_BASE64 } from './filterGradWasm.js';
import { heapByteOffset, ownModuleOn, runWasmKernel, type OwnWasmModule, type WasmBackend } from './wasm.js';

/**
 * Attrs as tfjs-core's conv2d gradient passes them; `dilations` is an extension (the stock
 * gradient refuses dilated convs) so that a dilated forward conv can use this kernel too.
 */
export type Conv2DBackpropFilterKernelAttrs = Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

/**
 * The faster path for these shapes, as measured on the wasm backend (bench/kernels.ts, "filter
 * gradient" rows): filtergrad.wat for every stride-1 conv to a multiple of 8 channels; else one
 * product per tap for a pointwise (1x1, stride 1) conv; the patch matrix up to a few input
 * channels, where the conv way runs at ~1 GFLOP/s; the conv way elsewhere.
 */
export function filterGradientPath(info: backend_util.Conv2DInfo): FilterGradientPath {
  const unitSteps = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  if (unitSteps && simdTapsFit(info)) return 'simd';
  if (unitSteps && info.filterHeight === 1 && info.filterWidth === 1) return 'taps';
  const patchValues = info.filterHeight * info.filterWidth * info.inChannels * info.batchSize * info.outHeight * info.outWidth;
  if (info.inChannels <= PATCH_MAX_IN_CHANNELS && patchValues <= PATCH_MAX_VALUES) return 'patches';
  return 'conv';
}
const PATCH_MAX_IN_CHANNELS = 8;
/** 64 Mi floats (256 MiB): beyond that the patch matrix would strain the wasm heap. */
const PATCH_MAX_VALUES = 64 * 2 ** 20;

/** filtergrad.wat's tiles are 8 output channels wide. */
function simdTapsFit(info: backend_util.Conv2DInfo): boolean {
  return info.outChannels % 8 === 0;
}

type FilterGradExports = {
  tap(x: number, dy: number, acc: number, n: number, h: number, w: number, ci: number, ho: number, wo: number, co: number, dr: number, dc: number): void;
};
const FILTER_GRAD_MODULE: OwnWasmModule = { plain: FILTER_GRAD_WASM_BASE64, shared: FILTER_GRAD_WASM_SHARED_BASE64 };

/** Stride 1, no dilation, Co % 8 = 0: each tap accumulated in place by filtergrad.wat. */
function filterGradientBySimdTaps(x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo, backend: WasmBackend): TensorInfo | undefined {
  const module = ownModuleOn<FilterGradExports>(backend, FILTER_GRAD_MODULE);
  if (!module) return undefined;
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outChannels: co, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const out = backend.makeOutput([fh, fw, ci, co], 'float32');
  // Offsets after the last allocation (makeOutput may grow the heap).
  const at = (t: TensorInfo) => heapByteOffset(backend, t, 'Conv2DBackpropFilter');
  const [xAt, dyAt, outAt] = [at(x), at(dy), at(out)];
  backend.wasm.HEAPF32.fill(0, outAt / 4, outAt / 4 + fh * fw * ci * co);
  // The module's loops run at least once: nothing to sum is handled here.
  if (n * ho * wo * ci * co === 0) return out;
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      module.tap(xAt, dyAt, outAt + (kh * fw + kw) * ci * co * 4, n, H, W, ci, ho, wo, co, kh - top, kw - left);
    }
  }
  return out;
}

/** The patch matrix P^T [fh*fw*Ci, N*Ho*Wo]: row (kh, kw, ci), column (n, i, j) = xpad[n, i*sh + kh*dh, j*sw + kw*dw, ci]. */
function transposedPatches(x: Float32Array, info: backend_util.Conv2DInfo): Float32Array {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const columns = n * ho * wo;
  const out = new Float32Array(fh * fw * ci * columns); // zeros where the tap falls in the padding
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      for (let c = 0; c < ci; c++) {
        const row = ((kh * fw + kw) * ci + c) * columns;
        for (let b = 0; b < n; b++) {
          for (let i = 0; i < ho; i++) {
            const r = i * sh + kh * dh - top;
            if (r < 0 || r >= H) continue;
            const dst = row + (b * ho + i) * wo;
            const src = (b * H + r) * W;
            for (let j = 0; j < wo; j++) {
              const col = j * sw + kw * dw - left;
              if (col >= 0 && col < W) out[dst + j] = x[(src + col) * ci + c];
            }
          }
        }
      }
    }
  }
  return out;
}

/** dW = P^T dy: one plain product on the wasm heap, reshaped to the filter [fh, fw, Ci, Co]. */
function filterGradientFromPatches(x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo, backend: KernelBackend): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, outChannels: co } = info;
  const rows = fh * fw * ci;
  const columns = info.batchSize * info.outHeight * info.outWidth;
  const patches = transposedPatches(backend.readSync(x.dataId) as Float32Array, info);
  const temps: TensorInfo[] = [];
  try {
    const a: TensorInfo = { dataId: backend.write(patches, [1, rows, columns], 'float32'), shape: [1, rows, columns], dtype: 'float32' };
    temps.push(a);
    const b = runWasmKernel(Reshape, { x: dy }, backend, { shape: [1, columns, co] });
    temps.push(b);
    const product = runWasmKernel(BatchMatMul, { a, b }, backend, { transposeA: false, transposeB: false });
    temps.push(product);
    return runWasmKernel(Reshape, { x: product }, backend, { shape: [fh, fw, ci, co] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Stride 1, no dilation: one product per tap of a window of the padded input. */
function filterGradientByTaps(x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo, backend: KernelBackend): TensorInfo {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outChannels: co, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const positions = n * ho * wo;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => (temps.push(t), t);
  try {
    // Padding only as far as the last window reads (rows past it are never used).
    const bottom = Math.max(0, ho + fh - 1 - H - top);
    const right = Math.max(0, wo + fw - 1 - W - left);
    const padded =
      top || bottom || left || right
        ? keep(runWasmKernel(PadV2, { x }, backend, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }))
        : x;
    const dyMatrix = keep(runWasmKernel(Reshape, { x: dy }, backend, { shape: [1, positions, co] }));
    const perTap: TensorInfo[] = [];
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) {
        const window = keep(runWasmKernel(Slice, { x: padded }, backend, { begin: [0, kh, kw, 0], size: [n, ho, wo, ci] }));
        const rows = keep(runWasmKernel(Reshape, { x: window }, backend, { shape: [1, positions, ci] }));
        perTap.push(keep(runWasmKernel(BatchMatMul, { a: rows, b: dyMatrix }, backend, { transposeA: true, transposeB: false }))); // [1, Ci, Co]
      }
    }
    const all = perTap.length === 1 ? perTap[0] : keep(runWasmKernel(Concat, perTap as unknown as NamedTensorInfoMap, backend, { axis: 1 })); // Concat takes a list
    return runWasmKernel(Reshape, { x: all }, backend, { shape: [fh, fw, ci, co] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

export type FilterGradientPath = 'simd' | 'patches' | 'taps' | 'conv';

/** The kernel, taking the path `choose` picks for each call's shapes. */
function filterGradientKernel(choose: (info: backend_util.Conv2DInfo) => FilterGradientPath): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const kernelBackend = backend as KernelBackend;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations = 1 } =
      attrs as unknown as Conv2DBackpropFilterKernelAttrs;
    if (dataFormat === 'NCHW') {
      throw new Error(`Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got 'NCHW'`);
    }
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
      throw new Error(`Conv2DBackpropFilter on wasm needs float32 tensors, got ${x.dtype} and ${dy.dtype}`);
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
    if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
      throw new Error(
        `Conv2DBackpropFilter on wasm: strides [${sh}, ${sw}] and dilations [${dh}, ${dw}] both > 1 ` +
          `are not supported (tfjs conv2d itself requires one of them to be 1)`,
      );
    }
    const { filterHeight: fh, filterWidth: fw, inHeight: H, inWidth: W, inChannels: ci, outChannels: co } = info;
    const [, ho, wo] = dy.shape; // [N, Ho, Wo, Co]
    if (dy.shape.join() !== info.outShape.join()) {
      throw new Error(`Conv2DBackpropFilter on wasm: dy has shape [${dy.shape}], the forward conv gives [${info.outShape}]`);
    }
    const path = choose(info);
    if (path === 'simd') {
      if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || !simdTapsFit(info)) throw new Error('Conv2DBackpropFilter: the SIMD path needs stride 1, no dilation and Co % 8 = 0');
      // Where the module cannot run (no wasm SIMD), the per-tap products do the same sums.
      return filterGradientBySimdTaps(x, dy, info, kernelBackend as WasmBackend) ?? filterGradientByTaps(x, dy, info, kernelBackend);
    }
    if (path === 'patches') return filterGradientFromPatches(x, dy, info, kernelBackend);
    if (path === 'taps') {
      if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1) throw new Error('Conv2DBackpropFilter: the per-tap path needs stride 1 and no dilation');
      return filterGradientByTaps(x, dy, info, kernelBackend);
    }
    const { top, left } = info.padInfo;
    // Padding below/right only as far as the last tap of the last output row needs (rows the
    // forward pass never read get no padding; where it stopped short of the input's end, the
    // helper conv yields extra taps, sliced off below).
    const bottom = Math.max(0, (ho - 1) * sh + (fh - 1) * dh + 1 - H - top);
    const right = Math.max(0, (wo - 1) * sw + (fw - 1) * dw + 1 - W - left);

    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo): TensorInfo => (temps.push(t), t);
    try {
      // 1. Swap roles: channels become the batch, the batch becomes the channels.
      const xT = keep(runWasmKernel(Transpose, { x }, kernelBackend, { perm: [3, 1, 2, 0] })); // [Ci, H, W, N]
      const dyT = keep(runWasmKernel(Transpose, { x: dy }, kernelBackend, { perm: [1, 2, 0, 3] })); // [Ho, Wo, N, Co]
      // 2. Forward conv with dy as the filter: stride and dilation trade places.
      const taps = keep(
        runWasmKernel(Conv2D, { x: xT, filter: dyT }, kernelBackend, {
          strides: [dh, dw],
          dilations: [sh, sw],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        }),
      ); // [Ci, >=fh, >=fw, Co]
      // 3. Keep the first fh x fw taps.
      const kept =
        taps.shape[1] === fh && taps.shape[2] === fw
          ? taps
          : keep(runWasmKernel(Slice, { x: taps }, kernelBackend, { begin: [0, 0, 0, 0], size: [ci, fh, fw, co] }));
      // 4. [Ci, fh, fw, Co] -> [fh, fw, Ci, Co]
      return runWasmKernel(Transpose, { x: kept }, kernelBackend, { perm: [1, 2, 0, 3] });
    } finally {
      for (const t of temps) kernelBackend.disposeData(t.dataId);
    }
  };
}

export const conv2dBackpropFilter = filterGradientKernel(filterGradientPath);

/** Each path on its own, for the tests and bench/kernels.ts. */
export const conv2dBackpropFilterVia: Readonly<Record<FilterGradientPath, KernelFunc>> = Object.freeze({
  simd: filterGradientKernel(() => 'simd'),
  patches: filterGradientKernel(() => 'patches'),
  taps: filterGradientKernel(() => 'taps'),
  conv: filterGradientKernel(() => 'conv'),
});
