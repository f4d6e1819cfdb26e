/**
 * Replacement kernels for the tfjs wasm backend's training hot spots, composed from its fast
 * kernels (XNNPACK Conv2D and plain BatchMatMul, Transpose, Slice, ...), the way tfjs backends
 * build kernels from kernels:
 *
 *   BatchMatMul, _FusedMatMul  transposed operands: ~10x faster (transpose first, then plain)
 *   BatchMatMul (batch > 1)    stock XNNPACK path only for one matrix; now one 2-D product per
 *                              entry, or one product of stacked rows for a shared right operand
 *   Conv2DBackpropFilter       missing on wasm, so conv nets could not train (now a forward conv)
 *   Conv2DBackpropInput        ~2.4 GFLOP/s stock; now one forward conv over s x s phases
 *   Slice, SplitV, Unpack,     stock Slice copies its whole source out of the heap per call (and
 *   StridedSlice (stride 1)    the others call it per output); now only the kept runs are copied
 *   Identity                   stock copies the buffer (the engine clones every tensor a gradient
 *                              saves); now shared with a reference count, as on cpu
 *   Sum, Mean (leading axes)   stock transposes first: 10-25x slower than reducing the last axis;
 *                              now one product with a row of ones (batch norm, conv bias gradients)
 *   Tanh                       stock: the C library's tanhf per value; now a SIMD function of
 *                              our own (tanh.wat)
 *   GenlabAdam (new)           Adam's update of a variable in one SIMD pass instead of ten tf ops
 *
 * Not covered: DepthwiseConv2dNativeBackpropFilter / ...BackpropInput are also unregistered on
 * wasm (tfjs 4.22), so a depthwise-separable net cannot train there.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import {
  _FusedMatMul,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  getKernel,
  Identity,
  Mean,
  registerKernel,
  Slice,
  SplitV,
  StridedSlice,
  Sum,
  Tanh,
  unregisterKernel,
  Unpack,
} from '@tensorflow/tfjs-core';
import { ADAM_KERNEL, adamKernel } from './adam.js';
import { conv2dBackpropFilter } from './conv2dBackpropFilter.js';
import { conv2dBackpropInput } from './conv2dBackpropInput.js';
import { sharedIdentityKernel } from './identity.js';
import { perMatrixBatchMatMul, transposeFirstMatMul } from './matmul.js';
import { leadingMeanKernel, leadingSumKernel } from './reduce.js';
import { sliceKernel, splitVKernel, stridedSliceKernel, unpackKernel } from './slice.js';
import { simdTanhKernel } from './tanh.js';

export { ADAM_KERNEL, adamKernel, fusedAdam, fusedAdamAvailable, type AdamConstants } from './adam.js';
export { conv2dBackpropFilter, conv2dBackpropFilterVia, filterGradientPath, type FilterGradientPath } from './conv2dBackpropFilter.js';
export { conv2dBackpropInput } from './conv2dBackpropInput.js';
export { sharedIdentityKernel } from './identity.js';
export { PER_MATRIX_MIN_MACS, perMatrixBatchMatMul, transposeFirstMatMul } from './matmul.js';
export { leadingAxes, leadingMeanKernel, leadingSumKernel } from './reduce.js';
export { planSlice, sliceKernel, splitVKernel, stridedSliceKernel, unpackKernel } from './slice.js';
export { simdTanhKernel } from './tanh.js';

interface Replacement {
  kernelName: string;
  /** Builds the replacement from the stock kernel (undefined where wasm registers none). */
  make(original: KernelConfig | undefined): KernelFunc | undefined;
}

const REPLACEMENTS: readonly Replacement[] = [
  { kernelName: BatchMatMul, make: (o) => o && transposeFirstMatMul(perMatrixBatchMatMul(o.kernelFunc)) },
  { kernelName: _FusedMatMul, make: (o) => o && transposeFirstMatMul(o.kernelFunc) },
  { kernelName: Conv2DBackpropFilter, make: () => conv2dBackpropFilter },
  { kernelName: Conv2DBackpropInput, make: () => conv2dBackpropInput },
  // The stock SplitV, Unpack and StridedSlice import the stock slice function directly, so they
  // are replaced too; each keeps its original for dtypes copied elsewhere (string).
  { kernelName: Slice, make: (o) => o && sliceKernel(o.kernelFunc) },
  { kernelName: SplitV, make: (o) => o && splitVKernel(o.kernelFunc) },
  { kernelName: Unpack, make: (o) => o && unpackKernel(o.kernelFunc) },
  { kernelName: StridedSlice, make: (o) => o && stridedSliceKernel(o.kernelFunc) },
  { kernelName: Identity, make: (o) => o && sharedIdentityKernel(o.kernelFunc) },
  { kernelName: Sum, make: (o) => o && leadingSumKernel(o.kernelFunc) },
  { kernelName: Mean, make: (o) => o && leadingMeanKernel(o.kernelFunc) },
  { kernelName: Tanh, make: (o) => o && simdTanhKernel(o.kernelFunc) },
  { kernelName: ADAM_KERNEL, make: () => adamKernel },
];

/**
 * Marks our kernel functions. A global symbol, so that a second copy of this module (a bundle
 * that includes it twice) still recognises them and does not wrap a wrapper.
 */
const GENLAB_KERNEL = Symbol.for('genlab.wasmKernel');
type MarkedKernelFunc = KernelFunc & { [GENLAB_KERNEL]?: true };

/** The stock configs we replaced (undefined: wasm had none), to restore on unregister. */
const originals = new Map<string, KernelConfig | undefined>();

function isOurs(config: KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as MarkedKernelFunc)[GENLAB_KERNEL] === true;
}

/**
 * Registers the replacement kernels for the 'wasm' backend. Idempotent; a no-op when
 * @tensorflow/tfjs-backend-wasm has not been imported (its kernels register on import). Works
 * whether or not wasm is the active backend: the stock kernels' setup functions are kept, so
 * `tf.setBackend('wasm')` later still initialises what the originals need.
 */
export function registerWasmKernels(): void {
  if (!getKernel(Conv2D, 'wasm')) return;
  for (const { kernelName, make } of REPLACEMENTS) {
    const current = getKernel(kernelName, 'wasm');
    if (isOurs(current)) continue;
    const kernelFunc = make(current) as MarkedKernelFunc | undefined;
    if (!kernelFunc) continue;
    kernelFunc[GENLAB_KERNEL] = true;
    originals.set(kernelName, current);
    if (current) unregisterKernel(kernelName, 'wasm');
    registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc,
      setupFunc: current?.setupFunc,
      disposeFunc: current?.disposeFunc,
    });
  }
}

/** Restores the stock wasm kernels (for comparisons in tests and benchmarks). */
export function unregisterWasmKernels(): void {
  for (const [kernelName, original] of originals) {
    if (isOurs(getKernel(kernelName, 'wasm'))) unregisterKernel(kernelName, 'wasm');
    if (original && !getKernel(kernelName, 'wasm')) registerKernel(original);
  }
  originals.clear();
}

/** Whether our replacement for `kernelName` is the registered wasm kernel. */
export function isWasmKernelReplaced(kernelName: string): boolean {
  return isOurs(getKernel(kernelName, 'wasm'));
}
