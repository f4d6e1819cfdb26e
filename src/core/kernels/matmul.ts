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
import { getKernel, Transpose } from '@tensorflow/tfjs-core';

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
