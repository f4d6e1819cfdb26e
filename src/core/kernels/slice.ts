/**
 * Slice, SplitV, Unpack and StridedSlice for the tfjs wasm backend, copying only what they keep.
 *
 * The stock wasm Slice starts with `backend.readSync(x.dataId)`, which copies the WHOLE source
 * tensor out of the wasm heap on every call, and SplitV, Unpack and StridedSlice (stride 1) call
 * that slice once per output: unstacking an LSTM's input into T steps copies it T times, splitting
 * the gates 4 times, and so on. Here the output is allocated first, then the kept runs are copied
 * heap-to-heap (TypedArray.copyWithin, a memmove; a plain loop for short runs) through one view of
 * the heap, so a slice costs its output's size. No Node APIs: the backend's public fields only.
 *
 * A slice is planned as contiguous runs: trailing axes that the slice covers in full merge into
 * the run, size-1 axes fold into the start offset, and neighbouring loops that step contiguously
 * merge. float32 and int32 are copied as 32-bit words (bit-exact, NaN payloads kept), bool as
 * bytes; other dtypes (string) go to the stock kernel.
 */
import type { DataType, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import { heapByteOffset, type WasmBackend } from './wasm.js';

/** Bytes per element of the dtypes copied here; undefined: left to the stock kernel. */
function elementBytes(dtype: DataType): number | undefined {
  return dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'bool' ? 1 : undefined;
}

/** The source runs of one slice, in elements: `loops` (outermost first) of `run`-long copies. */
export interface SlicePlan {
  /** Offset of the first kept element in the source. */
  start: number;
  /** Elements per contiguous run. */
  run: number;
  /** Iterations and source step (elements) of each loop around the run, outermost first. */
  counts: number[];
  steps: number[];
}

/**
 * Plans the copy of x[begin : begin + size] from a row-major source of shape `shape`. Size-1 axes
 * fold into `start`; a loop directly inside one whose step is its whole extent merges with it (so
 * axes the slice covers in full join their outer neighbour); the last loop, of step 1, becomes the
 * run.
 */
export function planSlice(shape: readonly number[], begin: readonly number[], size: readonly number[]): SlicePlan {
  let start = 0;
  const counts: number[] = [];
  const steps: number[] = [];
  let xStride = 1;
  const axisSteps = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    axisSteps[i] = xStride;
    start += begin[i] * xStride;
    xStride *= shape[i];
  }
  for (let i = 0; i < shape.length; i++) {
    if (size[i] === 1) continue;
    const last = counts.length - 1;
    if (last >= 0 && steps[last] === size[i] * axisSteps[i]) {
      counts[last] *= size[i];
      steps[last] = axisSteps[i];
    } else {
      counts.push(size[i]);
      steps.push(axisSteps[i]);
    }
  }
  let run = 1;
  if (steps.length > 0 && steps[steps.length - 1] === 1) {
    run = counts.pop()!;
    steps.pop();
  }
  // No loop continues the run now: it would have merged with the step-1 loop above.
  return { start, run, counts, steps };
}

/** Runs shorter than this (in view elements) are copied by a loop; longer ones by copyWithin. */
const SHORT_RUN = 16;

/**
 * Copies the runs of `plan` (scaled by `scale` view elements per tensor element) from view
 * offset `src` to the contiguous destination at `dst`.
 */
function copyRuns(heap: Int32Array | Uint8Array, src: number, dst: number, plan: SlicePlan, scale: number): void {
  const run = plan.run * scale;
  const depth = plan.counts.length;
  src += plan.start * scale;
  if (depth === 0) {
    heap.copyWithin(dst, src, src + run);
    return;
  }
  const steps = plan.steps.map((s) => s * scale);
  const counts = plan.counts;
  const innerCount = counts[depth - 1];
  const innerStep = steps[depth - 1];
  const index = new Array<number>(depth - 1).fill(0);
  for (;;) {
    if (run >= SHORT_RUN) {
      for (let j = 0, s = src; j < innerCount; j++, s += innerStep, dst += run) heap.copyWithin(dst, s, s + run);
    } else {
      for (let j = 0, s = src; j < innerCount; j++, s += innerStep) {
        for (let e = 0; e < run; e++) heap[dst++] = heap[s + e];
      }
    }
    // Odometer over the outer loops.
    let a = depth - 2;
    for (; a >= 0; a--) {
      src += steps[a];
      if (++index[a] < counts[a]) break;
      index[a] = 0;
      src -= counts[a] * steps[a];
    }
    if (a < 0) return;
  }
}

/**
 * Allocates a tensor of shape `outShape` (as many elements as `size`) holding x[begin : begin +
 * size], copied on the heap. `x.dtype` must be one `elementBytes` knows; the caller has checked
 * the bounds.
 */
function sliceToOutput(
  backend: WasmBackend,
  x: TensorInfo,
  begin: readonly number[],
  size: readonly number[],
  outShape: number[],
): TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(size as number[]) === 0) return out;
  const bytes = elementBytes(x.dtype)!;
  const plan = planSlice(x.shape, begin, size);
  // The heap's buffer changes when malloc grows it: take the view after makeOutput.
  const src = heapByteOffset(backend, x, 'slice');
  const dst = heapByteOffset(backend, out, 'slice');
  const buffer = backend.wasm.HEAPU8.buffer;
  if (bytes === 4 && src % 4 === 0 && dst % 4 === 0) {
    copyRuns(new Int32Array(buffer), src / 4, dst / 4, plan, 1);
  } else {
    copyRuns(new Uint8Array(buffer), src, dst, plan, bytes);
  }
  return out;
}

function checkBounds(x: TensorInfo, begin: readonly number[], size: readonly number[]): void {
  const rank = x.shape.length;
  const fits = (d: number, i: number): boolean =>
    Number.isInteger(begin[i]) && Number.isInteger(size[i]) && begin[i] >= 0 && size[i] >= 0 && begin[i] + size[i] <= d;
  if (begin.length !== rank || size.length !== rank || !x.shape.every(fits)) {
    throw new Error(`slice: begin [${begin}] and size [${size}] do not fit a tensor of shape [${x.shape}]`);
  }
}

/** Slice (tf.slice's kernel), falling back to `original` for dtypes not copied here (string). */
export function sliceKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    if (elementBytes(x.dtype) === undefined) return original(args);
    const { begin, size } = attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin_, size_] = slice_util.parseSliceParams(x, begin, size);
    checkBounds(x, begin_, size_);
    return sliceToOutput(backend as WasmBackend, x, begin_, size_, size_);
  };
}

/** SplitV (tf.split's kernel): one heap copy per piece. */
export function splitVKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    if (elementBytes(x.dtype) === undefined) return original(args);
    const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const $axis = util.parseAxisParam(axis, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    const outs: TensorInfo[] = [];
    try {
      for (const s of sizes) {
        const size = x.shape.slice();
        size[$axis] = s;
        checkBounds(x, begin, size);
        outs.push(sliceToOutput(backend as WasmBackend, x, begin, size, size));
        begin[$axis] += s;
      }
    } catch (e) {
      for (const t of outs) (backend as KernelBackend).disposeData(t.dataId);
      throw e;
    }
    return outs;
  };
}

/** Unpack (tf.unstack's kernel): one heap copy per index along `axis`. */
export function unpackKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { value } = inputs as { value: TensorInfo };
    if (elementBytes(value.dtype) === undefined) return original(args);
    const rank = value.shape.length;
    let { axis } = attrs as unknown as { axis: number };
    if (axis < 0) axis += rank;
    if (!(axis >= 0 && axis < rank)) throw new Error(`unstack: axis ${axis} out of range for shape [${value.shape}]`);
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(rank).fill(0);
    const size = value.shape.slice();
    size[axis] = 1;
    const outs: TensorInfo[] = [];
    try {
      for (let i = 0; i < value.shape[axis]; i++) {
        begin[axis] = i;
        outs.push(sliceToOutput(backend as WasmBackend, value, begin, size, outShape.slice()));
      }
    } catch (e) {
      for (const t of outs) (backend as KernelBackend).disposeData(t.dataId);
      throw e;
    }
    return outs;
  };
}

/**
 * StridedSlice: where every stride is 1 (or only axis 0 is sliced) the stock kernel runs its Slice
 * (a whole-source copy) and reshapes; that case is one heap copy here. The identity (a reshape)
 * and real strides go to the stock kernel, unchanged. (Its strided path returns float32 whatever
 * the input dtype; and x[:, 2, ::2] gives x[:, 0, 2:5] there as on the cpu backend, not what TF
 * gives: both index the dense begin/strides with the shrunk output's coordinates. tfjs 4.22.)
 */
export function stridedSliceKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    if (elementBytes(x.dtype) === undefined) return original(args);
    const a = attrs as unknown as {
      begin: number[];
      end: number[];
      strides: number[];
      beginMask: number;
      endMask: number;
      ellipsisMask: number;
      newAxisMask: number;
      shrinkAxisMask: number;
    };
    const info = slice_util.sliceInfo(
      x.shape,
      a.begin,
      a.end,
      a.strides,
      a.beginMask,
      a.endMask,
      a.ellipsisMask,
      a.newAxisMask,
      a.shrinkAxisMask,
    );
    const unitStrides = info.strides.every((s) => s === 1);
    if (info.isIdentity || !unitStrides || !(info.sliceDim0 || info.isSimpleSlice)) return original(args);
    // Stride 1 here, so end - begin elements per axis; none where begin > end (an empty range).
    const size = info.begin.map((b, i) => Math.max(0, info.end[i] - b));
    if (util.sizeFromShape(size) !== util.sizeFromShape(info.finalShape)) return original(args);
    checkBounds(x, info.begin, size);
    return sliceToOutput(backend as WasmBackend, x, info.begin, size, info.finalShape);
  };
}
