/**
 * Backend selection for TensorFlow.js, browser-safe. The Node entry (src/node/engine.ts) adds the
 * native `tensorflow` backend when @tensorflow/tfjs-node happens to be installed.
 *
 * Preference order: tensorflow (native, Node only) > webgpu > webgl (browser GPUs) > wasm > cpu.
 * On wasm we register replacement kernels for the backward passes (see src/core/kernels), without
 * which conv nets cannot train at all and dense layers train ~10x slower.
 */
import * as tf from '@tensorflow/tfjs-core';
// The union package, for its side effects: it registers every gradient (tfjs-core's own
// register_all_gradients is an ESM-only file Node cannot load) and the cpu and webgl backends.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { UserError } from './errors.js';
import { registerGradients } from './gradients.js';
import { registerWasmKernels } from './kernels/index.js';

// After '@tensorflow/tfjs' above has registered tfjs-core's gradients, which these replace.
registerGradients();

export const BACKEND_PREFERENCE = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;

/**
 * Activates the first backend of `candidates` that is registered and initialises, and returns its
 * name. With `requested`, only that backend is tried, and failing is an error the user sees.
 */
export async function initBackend(requested?: string, candidates: readonly string[] = BACKEND_PREFERENCE): Promise<string> {
  registerWasmKernels();
  const registered = Object.keys(tf.engine().registryFactory);
  if (requested) {
    if (!registered.includes(requested)) {
      throw new UserError(
        `backend '${requested}' is not available here; available: ${registered.join(', ')}` +
          (requested === 'tensorflow' ? ' (install it with: npm i @tensorflow/tfjs-node)' : ''),
      );
    }
    if (!(await tf.setBackend(requested))) throw new UserError(`backend '${requested}' failed to initialise`);
    return requested;
  }
  for (const name of candidates) {
    if (!registered.includes(name)) continue;
    try {
      if (await tf.setBackend(name)) return name;
    } catch {
      // A registered backend may still fail to start (no GPU, no WebGPU adapter): try the next.
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised (registered: ${registered.join(', ')})`);
}

/**
 * The size of the wasm backend's heap in bytes (undefined on other backends). tf.memory() counts
 * the bytes tensors hold; the heap is what the engine took from the system for them and for its
 * kernels' scratch, and it never shrinks, so a size that stops changing over many steps is the
 * sign that nothing accumulates there.
 */
export function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.engine().backend as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.buffer.byteLength;
}
