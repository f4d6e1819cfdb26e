/**
 * TensorFlow.js in the page and in workers: the browser backends (webgpu > webgl > wasm > cpu) with
 * the wasm binaries served from the bundle, as `setWasmPaths` must be told where they are once the
 * library is bundled. genlab's own wasm kernels are registered by `initBackend`.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { env } from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/index.js';

export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

let wasmPathsSet = false;

/** Starts `requested` (or the first of BROWSER_BACKENDS that works) and returns its name. */
export async function startEngine(requested?: string): Promise<string> {
  if (!wasmPathsSet) {
    setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
    // One thread per engine, as in Node, also in a cross-origin-isolated page (where tfjs would take
    // its multi-threaded build): the studio's second core is a data-parallel replica (./replicas.ts).
    env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasmPathsSet = true;
  }
  return initBackend(requested || undefined, BROWSER_BACKENDS);
}
