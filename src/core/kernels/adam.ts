/**
 * Adam's update of one variable as one wasm kernel (GenlabAdam): reads w, m, v and the gradient once
 * and writes w', m', v', four float32 lanes at a time (adam.wat, Kingma & Ba 2015, Algorithm 1).
 *
 * The optimizer's tf ops run ten element-wise kernels per variable, each a pass over the heap with
 * a new buffer; for the dense models' ~1 M weights that was ~15-20 ms of a ~65 ms step on wasm, as
 * much as a matrix product. The kernel computes the same float32 operations in the same order, so
 * both paths give the same values (test/core/kernels.test.ts compares them); `fusedAdam` falls back
 * to them (returns null) off wasm, and where the module cannot run on the backend's memory (no
 * SIMD). Two builds of the module: for the single-threaded backend's memory, and for the shared
 * memory of the multi-threaded one (a cross-origin-isolated page).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_WASM_BASE64, ADAM_WASM_SHARED_BASE64 } from './adamWasm.js';
import { heapByteOffset, ownModuleOn, type OwnWasmModule, type WasmBackend } from './wasm.js';

export const ADAM_KERNEL = 'GenlabAdam';

/** Adam's constants at step t; the kernel takes them as float32, as the tf ops' scalars are. */
export interface AdamConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** Updates so far, this one included (t >= 1). */
  t: number;
}

type AdamExports = {
  adam(w: number, m: number, v: number, g: number, outW: number, outM: number, outV: number, n: number, ...constants: number[]): void;
};

const ADAM_MODULE: OwnWasmModule = { plain: ADAM_WASM_BASE64, shared: ADAM_WASM_SHARED_BASE64 };

export const adamKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as WasmBackend;
  const { w, m, v, g } = inputs as Record<'w' | 'm' | 'v' | 'g', TensorInfo>;
  const { beta1, beta2, epsilon, learningRate, t } = attrs as unknown as AdamConstants;
  const adam = ownModuleOn<AdamExports>(b, ADAM_MODULE);
  if (!adam) throw new Error(`${ADAM_KERNEL}: the kernel cannot run on this wasm backend (check fusedAdamAvailable first)`);
  const n = w.shape.reduce((p, d) => p * d, 1);
  for (const x of [m, v, g]) {
    if (x.shape.reduce((p, d) => p * d, 1) !== n || x.dtype !== 'float32') throw new Error(`${ADAM_KERNEL}: m, v and g must be float32 of w's size ${n}`);
  }
  const outs = [w, m, v].map((x) => b.makeOutput(x.shape.slice(), 'float32'));
  // Offsets after the last allocation (makeOutput may grow the heap; offsets stay valid, views do not).
  const at = (x: TensorInfo) => heapByteOffset(b, x, ADAM_KERNEL);
  adam.adam(at(w), at(m), at(v), at(g), at(outs[0]), at(outs[1]), at(outs[2]), n,
    beta1, 1 - beta1, beta2, 1 - beta2, 1 - beta1 ** t, 1 - beta2 ** t, epsilon, learningRate);
  return outs;
};

/** Whether the active backend runs GenlabAdam (wasm, with the kernel registered and linkable). */
export function fusedAdamAvailable(): boolean {
  if (tf.getBackend() !== 'wasm' || !tf.getKernel(ADAM_KERNEL, 'wasm')) return false;
  return ownModuleOn(tf.backend() as WasmBackend, ADAM_MODULE) !== null;
}

/** w', m', v' for one Adam step in one kernel, or null where only the tf ops can do it. */
export function fusedAdam(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, constants: AdamConstants): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!fusedAdamAvailable()) return null;
  return tf.engine().runKernel(ADAM_KERNEL, { w, m, v, g }, constants as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
