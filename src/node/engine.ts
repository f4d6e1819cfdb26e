/**
 * Node start-up: uses @tensorflow/tfjs-node when it can be imported (it is not a dependency: its
 * install downloads a native library, so it is the user's choice: `npm i @tensorflow/tfjs-node`),
 * else wasm, else cpu.
 */
import { initBackend } from '../core/engine.js';

let nativeTried = false;

async function tryNative(): Promise<void> {
  if (nativeTried) return;
  nativeTried = true;
  const moduleName = '@tensorflow/tfjs-node';
  try {
    await import(moduleName);
  } catch {
    // Not installed (the common case): wasm it is.
  }
}

export async function initNodeBackend(requested?: string): Promise<string> {
  if (!requested || requested === 'tensorflow') await tryNative();
  return initBackend(requested, ['tensorflow', 'wasm', 'cpu']);
}
