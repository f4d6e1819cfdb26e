/**
 * Sum and Mean over LEADING axes for the tfjs wasm backend, as one matrix product.
 *
 * The stock wasm Sum / Mean move the reduced axes last with a full Transpose before reducing, so
 * reducing a channels-last activation over [N, H, W] (batch norm's statistics; every conv bias
 * gradient, which is dy summed over its broadcast axes) costs 10-25x reducing the last axis: 5.4
 * ms against 0.35 ms on [64, 14, 14, 64] (bench/kernels.ts). Viewing x as a matrix [outer, inner]
 * (a free reshape), the reduction is the row vector ones(1, outer) times it; XNNPACK's plain
 * matmul reads x once, in order. For the mean the vector holds 1 / outer instead of ones.
 *
 * Only float32 reductions over a prefix of the axes that keep at least MIN_KEPT values go this
 * way; everything else (the last axes, middle axes, int32, a full reduction) stays with the stock
 * kernel, which handles those well.
 */
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul, Fill, getKernel, Reshape, util } from '@tensorflow/tfjs-core';

/** Below this many kept values the stock kernel is as fast (a product with one column is a dot). */
const MIN_KEPT = 4;

function runWasm(name: string, backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no '${name}' kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/**
 * The number of leading axes `axis` reduces when it names exactly axes 0..k-1 (in any order,
 * negative indices allowed), else 0.
 */
export function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(util.parseAxisParam(axis, [...Array(rank).fill(1)]))].sort((a, b) => a - b);
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/** Wraps the stock Sum or Mean kernel (`scaleByCount`: Mean) with the matrix-product path. */
function leadingReduction(original: KernelFunc, scaleByCount: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const k = leadingAxes(axis, rank);
    const outer = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(k).reduce((a, b) => a * b, 1);
    if (x.dtype !== 'float32' || k === 0 || k === rank || inner < MIN_KEPT || outer < 2) return original(args);
    const kernelBackend = backend as KernelBackend;
    const temps: TensorInfo[] = [];
    try {
      const matrix = runWasm(Reshape, kernelBackend, { x }, { shape: [1, outer, inner] });
      temps.push(matrix);
      const weights = runWasm(Fill, kernelBackend, {}, { shape: [1, 1, outer], value: scaleByCount ? 1 / outer : 1, dtype: 'float32' });
      temps.push(weights);
      const product = runWasm(BatchMatMul, kernelBackend, { a: weights, b: matrix }, { transposeA: false, transposeB: false });
      temps.push(product);
      const outShape = keepDims ? [...Array(k).fill(1), ...x.shape.slice(k)] : x.shape.slice(k);
      return runWasm(Reshape, kernelBackend, { x: product }, { shape: outShape });
    } finally {
      for (const t of temps) kernelBackend.disposeData(t.dataId);
    }
  };
}

export const leadingSumKernel = (original: KernelFunc): KernelFunc => leadingReduction(original, false);
export const leadingMeanKernel = (original: KernelFunc): KernelFunc => leadingReduction(original, true);
