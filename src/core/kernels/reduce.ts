/**
 * Sum and Mean over LEADING axes for the tfjs wasm backend, as one pass over the heap.
 *
 * The stock wasm Sum / Mean move the reduced axes last with a full Transpose before reducing, so
 * reducing a channels-last activation over [N, H, W] (batch norm's statistics; every conv bias
 * gradient, which is dy summed over its broadcast axes) costs ~10-25x reducing the last axis (5-30
 * ms on [64, 28, 28, 32], bench/kernels.ts). Viewing x as a matrix [outer, inner] (no copy), the
 * reduction adds its rows into one accumulator row, reading x once, in order. (A product with a
 * row of ones looks as fast in a loop over one tensor, but XNNPACK caches its packed operand by
 * tensor, and in training every gradient is a new tensor: there it was as slow as the stock.)
 * The accumulator is float64, so the result is at least as accurate as the stock kernel's.
 *
 * Only float32 reductions over a prefix of the axes that keep at least MIN_KEPT values go this
 * way; everything else (the last axes, middle axes, int32, a full reduction) stays with the stock
 * kernel, which handles those well.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import { heapByteOffset, type WasmBackend } from './wasm.js';

/** Below this many kept values the stock kernel is as fast. */
const MIN_KEPT = 4;

/**
 * The number of leading axes `axis` reduces when it names exactly axes 0..k-1 (in any order,
 * negative indices allowed), else 0.
 */
export function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(util.parseAxisParam(axis, [...Array(rank).fill(1)]))].sort((a, b) => a - b);
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/** Wraps the stock Sum or Mean kernel (`scaleByCount`: Mean) with the row-accumulating path. */
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
    const wasmBackend = backend as WasmBackend;
    const out = wasmBackend.makeOutput(keepDims ? [...Array(k).fill(1), ...x.shape.slice(k)] : x.shape.slice(k), 'float32');
    // The heap's buffer changes when malloc grows it: take the view after makeOutput.
    const heap = wasmBackend.wasm.HEAPF32;
    const src = heapByteOffset(wasmBackend, x, 'Sum / Mean') / 4;
    const dst = heapByteOffset(wasmBackend, out, 'Sum / Mean') / 4;
    const total = new Float64Array(inner);
    // Four rows per sweep of the accumulator: a quarter of its loads and stores.
    let row = 0;
    for (let at = src; row + 4 <= outer; row += 4, at += 4 * inner) {
      for (let j = 0, a = at; j < inner; j++, a++) total[j] += heap[a] + heap[a + inner] + heap[a + 2 * inner] + heap[a + 3 * inner];
    }
    for (let at = src + row * inner; row < outer; row++, at += inner) {
      for (let j = 0; j < inner; j++) total[j] += heap[at + j];
    }
    const scale = scaleByCount ? 1 / outer : 1;
    for (let j = 0; j < inner; j++) heap[dst + j] = total[j] * scale;
    return out;
  };
}

export const leadingSumKernel = (original: KernelFunc): KernelFunc => leadingReduction(original, false);
export const leadingMeanKernel = (original: KernelFunc): KernelFunc => leadingReduction(original, true);
