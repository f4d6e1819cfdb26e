/**
 * One fused optimizer update per variable for the tfjs wasm backend: SGD (with momentum and
 * Nesterov's form), RMSProp and Adam as ONE pass over the variable, its gradient and its slots,
 * instead of the 4-11 element-wise kernels (each a full read and write of the variable) the rules
 * take as tf ops. Those many small kernels cost about a third of a dense model's step
 * (shared/notes/engine-measurements.md). The rules are the ones src/train/optimizers.ts states;
 * the arithmetic runs in float64 and is stored as float32.
 *
 * A kernel with a name of our own ('GenlabOptimizerUpdate'), registered for wasm only; other
 * backends (webgl, webgpu, cpu) keep the tf-op form, which the optimizer falls back to.
 */
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { heapByteOffset, type WasmBackend } from './wasm.js';

const heapFloatOffset = (backend: WasmBackend, t: TensorInfo) => heapByteOffset(backend, t, OPTIMIZER_UPDATE) / 4;

export const OPTIMIZER_UPDATE = 'GenlabOptimizerUpdate';

export type UpdateRule = 'sgd' | 'rmsprop' | 'adam';

/** Hyper-parameters of one update (as kernel attrs). */
export interface UpdateAttrs {
  rule: UpdateRule;
  learningRate: number;
  /** sgd, rmsprop: 0 = no momentum slot. */
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  rho: number;
  epsilon: number;
  /** Adam's step count t (>= 1), for the bias corrections. */
  iteration: number;
}

/**
 * The slots each rule reads and writes, in kernel input order: adam [m, v]; rmsprop [v] or
 * [v, momentum]; sgd [] or [momentum]. Matches the optimizer's slot names.
 */
export function slotsOf(a: Pick<UpdateAttrs, 'rule' | 'momentum'>): string[] {
  if (a.rule === 'adam') return ['m', 'v'];
  if (a.rule === 'rmsprop') return a.momentum > 0 ? ['v', 'momentum'] : ['v'];
  return a.momentum > 0 ? ['momentum'] : [];
}

/**
 * Inputs: w, g, then the rule's slots as s0, s1 (slotsOf order). Outputs: the new w, then the new
 * slots in the same order. All float32 of one shape.
 */
export const optimizerUpdateKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as UpdateAttrs;
  const wasm = backend as WasmBackend;
  const { w, g } = inputs as { w: TensorInfo; g: TensorInfo };
  const slotInputs = slotsOf(a).map((_, k) => (inputs as Record<string, TensorInfo>)[`s${k}`]);
  const size = w.shape.reduce((p, d) => p * d, 1);
  for (const t of [g, ...slotInputs]) {
    if (!t || t.shape.reduce((p, d) => p * d, 1) !== size || t.dtype !== 'float32' || w.dtype !== 'float32') {
      throw new Error(`${OPTIMIZER_UPDATE}: w, g and the ${a.rule} slots must be float32 of one shape [${w.shape}]`);
    }
  }
  const outputs = [w, ...slotInputs].map((t) => wasm.makeOutput(t.shape.slice(), 'float32'));
  // Offsets and the heap view after allocating (malloc may grow the heap and replace its buffer).
  const heap = wasm.wasm.HEAPF32;
  const [wIn, gIn] = [heapFloatOffset(wasm, w), heapFloatOffset(wasm, g)];
  const sIn = slotInputs.map((t) => heapFloatOffset(wasm, t));
  const [wOut, ...sOut] = outputs.map((t) => heapFloatOffset(wasm, t));
  const lr = a.learningRate;
  switch (a.rule) {
    case 'adam': {
      const [b1, b2, eps] = [a.beta1, a.beta2, a.epsilon];
      const c1 = 1 / (1 - b1 ** a.iteration);
      const c2 = 1 / (1 - b2 ** a.iteration);
      for (let i = 0; i < size; i++) {
        const gi = heap[gIn + i];
        const m = b1 * heap[sIn[0] + i] + (1 - b1) * gi;
        const v = b2 * heap[sIn[1] + i] + (1 - b2) * gi * gi;
        heap[sOut[0] + i] = m;
        heap[sOut[1] + i] = v;
        // The stored (float32) moments, as the tf-op form reads them back.
        heap[wOut + i] = heap[wIn + i] - (lr * (heap[sOut[0] + i] * c1)) / (Math.sqrt(heap[sOut[1] + i] * c2) + eps);
      }
      break;
    }
    case 'rmsprop': {
      const [rho, eps, mu] = [a.rho, a.epsilon, a.momentum];
      for (let i = 0; i < size; i++) {
        const gi = heap[gIn + i];
        heap[sOut[0] + i] = rho * heap[sIn[0] + i] + (1 - rho) * gi * gi;
        let step = gi / (Math.sqrt(heap[sOut[0] + i]) + eps);
        if (mu > 0) {
          heap[sOut[1] + i] = mu * heap[sIn[1] + i] + step;
          step = heap[sOut[1] + i];
        }
        heap[wOut + i] = heap[wIn + i] - lr * step;
      }
      break;
    }
    case 'sgd': {
      const mu = a.momentum;
      for (let i = 0; i < size; i++) {
        const gi = heap[gIn + i];
        let step = gi;
        if (mu > 0) {
          heap[sOut[0] + i] = mu * heap[sIn[0] + i] + gi;
          step = a.nesterov ? gi + mu * heap[sOut[0] + i] : heap[sOut[0] + i];
        }
        heap[wOut + i] = heap[wIn + i] - lr * step;
      }
      break;
    }
    default:
      throw new Error(`${OPTIMIZER_UPDATE}: unknown rule '${String(a.rule)}'`);
  }
  return outputs;
};

/**
 * The fused update on the active backend, or undefined where it has no such kernel (the caller
 * then uses tf ops). Returns the new w and slots (slotsOf order); the caller assigns them.
 */
export function fusedOptimizerUpdate(w: tf.Tensor, g: tf.Tensor, slots: tf.Tensor[], attrs: UpdateAttrs): tf.Tensor[] | undefined {
  if (!tf.getKernel(OPTIMIZER_UPDATE, tf.getBackend())) return undefined;
  const inputs: Record<string, tf.Tensor> = { w, g };
  slots.forEach((s, k) => (inputs[`s${k}`] = s));
  return tf.engine().runKernel(OPTIMIZER_UPDATE, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor[];
}
