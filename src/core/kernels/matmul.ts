/**
 * Transpose-first BatchMatMul and _FusedMatMul for the tfjs wasm backend.
 *
 * The stock wasm kernels take a fast XNNPACK path only when neither operand is transposed; with
 * `transposeA` or `transposeB` (every backward pass of a dense layer: dW = x^T dy, dx = dy W^T)
 * they run ~10x slower (~1.6 vs ~19 GFLOP/s, shared/notes/engine-measurements.md). Transposing
 * the flagged operand with the wasm Transpose kernel costs one pass over it, O(size), against the
 * O(size * n) product, so we do that and call the ORIGINAL kernel with the flag off.
 */
import type { KernelBackend, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul, getKernel, Reshape, Transpose, util } from '@tensorflow/tfjs-core';
import { heapByteOffset, runWasmKernel, type WasmBackend } from './wasm.js';

/** Swaps the last two axes of `x` with the wasm Transpose kernel: [..., m, n] -> [..., n, m]. */
function transposeLastTwo(x: TensorInfo, backend: KernelBackend): TensorInfo {
  const rank = x.shape.length;
  if (rank < 2) throw new Error(`matMul operands must have rank >= 2, got shape [${x.shape}]`);
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  const transpose = getKernel(Transpose, 'wasm');
  if (!transpose) throw new Error(`the wasm backend has no '${Transpose}' kernel`);
  return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

/**
 * Wraps a wasm matmul kernel (BatchMatMul or _FusedMatMul, both with `transposeA`/`transposeB`
 * attrs and inputs `a`, `b`, plus `bias` / `preluActivationWeights` for the fused one) so that a
 * transposed operand is materialised first and `original` only ever sees both flags off.
 * Batch dimensions and their broadcasting are left to `original`: only the last two axes move.
 */
export function transposeFirstMatMul(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const kernelBackend = backend as KernelBackend;
    const { a: a0, b: b0 } = inputs as { a: TensorInfo; b: TensorInfo };
    // Checked here so that a mismatch reports the caller's shapes and flags, not ours.
    const innerA = a0.shape[a0.shape.length - (transposeA ? 2 : 1)];
    const innerB = b0.shape[b0.shape.length - (transposeB ? 1 : 2)];
    if (innerA !== innerB) {
      throw new Error(
        `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ` +
          `${a0.shape} and ${b0.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
      );
    }
    const temps: TensorInfo[] = [];
    try {
      const a = transposeA ? transposeLastTwo(a0, kernelBackend) : a0;
      if (transposeA) temps.push(a);
      const b = transposeB ? transposeLastTwo(b0, kernelBackend) : b0;
      if (transposeB) temps.push(b);
      const plainInputs: NamedTensorInfoMap = { ...inputs, a, b };
      const plainAttrs: NamedAttrMap = { ...attrs, transposeA: false, transposeB: false };
      return original({ inputs: plainInputs, backend, attrs: plainAttrs });
    } finally {
      for (const t of temps) kernelBackend.disposeData(t.dataId);
    }
  };
}

/**
 * Batched products at or above this many multiply-adds per matrix run one XNNPACK product per
 * batch entry; smaller ones stay in the stock loop, where the per-call overhead would dominate.
 */
export const PER_MATRIX_MIN_MACS = 4096;

/**
 * Wraps the wasm BatchMatMul so that a batch of untransposed float32 products runs as 2-D products.
 *
 * The stock kernel takes XNNPACK's fast path only when both operands hold one matrix; a batch
 * ([B, N, C] x [B, C, N], the scores of self-attention) falls to a plain loop ~10x slower per
 * multiply-add (shared/notes/engine-measurements.md). Here a shared right operand (batch 1) makes
 * one product of the left operand's stacked rows ([B m, k] x [k, n], zero-copy reshapes), and
 * matching batches make one product per entry, each operand copied heap-to-heap into a [1, m, k]
 * or [1, k, n] tensor and the result copied into its place in the output. Broadcasting of other
 * batch shapes, other dtypes and small matrices go to `original` unchanged.
 */
export function perMatrixBatchMatMul(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const wasm = backend as WasmBackend;
    const batchShapeA = a.shape.slice(0, -2);
    const batchShapeB = b.shape.slice(0, -2);
    const batchA = util.sizeFromShape(batchShapeA);
    const batchB = util.sizeFromShape(batchShapeB);
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const batchShape = batchShapeA.length >= batchShapeB.length ? batchShapeA : batchShapeB;
    const batch = Math.max(batchA, batchB);
    const plain = !transposeA && !transposeB && a.dtype === 'float32' && b.dtype === 'float32' && Object.keys(inputs).length === 2;
    // a holds the batch; b either the same batch shape or one matrix (no other broadcasting).
    const batchesFit = batchA === batch && util.sizeFromShape(batchShape) === batch && (batchB === 1 || util.arraysEqual(batchShapeA, batchShapeB));
    if (!plain || batch === 1 || !batchesFit || m * k * n < PER_MATRIX_MIN_MACS || b.shape[b.shape.length - 2] !== k) {
      return original(args);
    }
    const reshape = (x: TensorInfo, shape: number[]) => runWasmKernel(Reshape, { x }, wasm, { shape });
    const product = (left: TensorInfo, right: TensorInfo) => original({ inputs: { a: left, b: right }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    if (batchB === 1) {
      // One product of the stacked rows of a: [batch m, k] x [k, n].
      const rows = reshape(a, [1, batch * m, k]);
      const right = reshape(b, [1, k, n]);
      try {
        const out = product(rows, right);
        const shaped = reshape(out, [...batchShape, m, n]);
        wasm.disposeData(out.dataId);
        return shaped;
      } finally {
        wasm.disposeData(rows.dataId);
        wasm.disposeData(right.dataId);
      }
    }
    const out = wasm.makeOutput([...batchShape, m, n], 'float32');
    for (let i = 0; i < batch; i++) {
      const left = wasm.makeOutput([1, m, k], 'float32');
      const right = wasm.makeOutput([1, k, n], 'float32');
      copyFloats(wasm, a, i * m * k, left, 0, m * k);
      copyFloats(wasm, b, i * k * n, right, 0, k * n);
      const entry = product(left, right);
      copyFloats(wasm, entry, 0, out, i * m * n, m * n);
      for (const t of [left, right, entry]) wasm.disposeData(t.dataId);
    }
    return out;
  };
}

/** Copies `count` floats from `from` (at element `fromOffset`) to `to` (at `toOffset`) inside the wasm heap. */
function copyFloats(backend: WasmBackend, from: TensorInfo, fromOffset: number, to: TensorInfo, toOffset: number, count: number): void {
  const source = heapByteOffset(backend, from, BatchMatMul) / 4 + fromOffset;
  const target = heapByteOffset(backend, to, BatchMatMul) / 4 + toOffset;
  backend.wasm.HEAPF32.copyWithin(target, source, source + count);
}
