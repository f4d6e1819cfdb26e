/**
 * Moving float32 values between tensors and plain (or shared) arrays with as few copies as the
 * backend allows. Data-parallel training moves every gradient out of and back into the engine at
 * each update (src/train/parallel.ts), megabytes a step, so each copy saved is measurable there.
 *
 * On wasm, `dataSync()` copies a tensor out of the heap into a fresh array (an allocation and a
 * copy; setting it into a slot is a second copy), and making a tensor copies its values into the
 * heap at once. Elsewhere dataSync may return the backend's own array, and a backend may keep the
 * array a tensor is made from, so the general path copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './kernels/wasm.js';

/** Where `t`'s values start in the active wasm backend's heap (float index), or undefined (another backend, or not float32). */
function heapStart(t: tf.Tensor): { heap: Float32Array; start: number } | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as WasmBackend;
  const data = backend.dataIdMap.get(t.dataId);
  return data && { heap: backend.wasm.HEAPF32, start: data.memoryOffset / 4 };
}

/** Writes `t`'s values into `target` from `offset` on (wasm: straight out of the heap, one copy). */
export function copyValuesInto(t: tf.Tensor, target: Float32Array, offset: number): void {
  const at = heapStart(t);
  if (at) target.set(at.heap.subarray(at.start, at.start + t.size), offset);
  else target.set(t.dataSync() as Float32Array, offset);
}

/**
 * A float32 tensor holding a copy of `values` (which the caller may overwrite afterwards): on
 * wasm, the backend's own copy into its heap is the only one.
 */
export function tensorFromCopy(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.getBackend() === 'wasm' ? tf.tensor(values, shape, 'float32') : tf.tensor(values.slice(), shape, 'float32');
}
