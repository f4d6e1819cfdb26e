/**
 * What our wasm kernels use of tfjs-backend-wasm: running its kernels directly (no tf ops, no
 * tape), and the heap addresses of tensors, for kernels that read and write the heap from JS.
 */
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm used here (public in its .d.ts). */
export interface WasmBackend extends KernelBackend {
  /** `asm.memory`: the Emscripten module's WebAssembly.Memory (our own wasm kernels import it). */
  wasm: { HEAPU8: Uint8Array; HEAPF32: Float32Array; asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

/** Runs the wasm kernel `name` (ours where we replaced it); the caller disposes the result. */
export function runWasmKernel(name: string, inputs: NamedTensorInfoMap, backend: KernelBackend, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no '${name}' kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/**
 * Byte offset of `t`'s data in the wasm heap. Take heap views only after the last allocation
 * (makeOutput): malloc may grow the heap and replace its buffer.
 */
export function heapByteOffset(backend: WasmBackend, t: TensorInfo, kernel: string): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error(`${kernel} on wasm: a tensor without wasm data (disposed, or from another backend)`);
  return data.memoryOffset;
}
