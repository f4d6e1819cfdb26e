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

/** One of our hand-written modules (*.wat, compiled by `npm run build:wasm`): its two builds, base64. */
export interface OwnWasmModule {
  /** Importing the plain memory of tfjs-backend-wasm's single-threaded build. */
  plain: string;
  /** Importing the shared memory of its multi-threaded build. */
  shared: string;
}

/** Instances of our modules on each backend memory; null where one cannot be linked there. */
const instances = new WeakMap<WebAssembly.Memory, Map<OwnWasmModule, WebAssembly.Exports | null>>();

/**
 * `module` instantiated on the backend's heap (once per memory), so that its functions read and
 * write tensors in place; null where it cannot run (no wasm SIMD, a memory it cannot import).
 */
export function ownModuleOn<T>(backend: WasmBackend, module: OwnWasmModule): T | null {
  const memory = backend.wasm.asm?.memory;
  if (!memory) return null;
  let onMemory = instances.get(memory);
  if (!onMemory) instances.set(memory, (onMemory = new Map()));
  let exports = onMemory.get(module);
  if (exports === undefined) {
    try {
      // The multi-threaded build's memory is shared, and a module importing it must say so.
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const bytes = Uint8Array.from(atob(shared ? module.shared : module.plain), (c) => c.charCodeAt(0));
      exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
    } catch {
      exports = null; // no SIMD, or limits our import does not accept: the caller falls back
    }
    onMemory.set(module, exports);
  }
  return exports as T | null;
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
