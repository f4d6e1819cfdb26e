/**
 * Tanh for the tfjs wasm backend: our own SIMD function (tanh.wat, four lanes at a time) in place
 * of the stock kernel, which calls the C library's tanhf one value at a time (~30-45 ns a value
 * here: 0.3 ms for a Row LSTM's [16, 1, 28, 16] row state, a fifth of that model's step). The
 * gradient is the engine's, from the output: dy (1 - y^2).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { TANH_WASM_BASE64, TANH_WASM_SHARED_BASE64 } from './tanhWasm.js';
import { heapByteOffset, ownModuleOn, type OwnWasmModule, type WasmBackend } from './wasm.js';

type TanhExports = { tanh(input: number, output: number, n: number): void };
const TANH_MODULE: OwnWasmModule = { plain: TANH_WASM_BASE64, shared: TANH_WASM_SHARED_BASE64 };

/** Wraps the stock Tanh: float32 through tanh.wat, anything else (or no wasm SIMD) the original way. */
export function simdTanhKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const backend = args.backend as WasmBackend;
    const module = x.dtype === 'float32' ? ownModuleOn<TanhExports>(backend, TANH_MODULE) : null;
    if (!module) return original(args);
    const out = backend.makeOutput(x.shape.slice(), 'float32');
    const n = x.shape.reduce((p, d) => p * d, 1);
    // Offsets after the last allocation (makeOutput may grow the heap).
    if (n > 0) module.tanh(heapByteOffset(backend, x, 'Tanh'), heapByteOffset(backend, out, 'Tanh'), n);
    return out;
  };
}
