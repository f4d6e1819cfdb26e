/**
 * Conv2DBackpropInput (the input gradient of conv2d, a.k.a. conv2dTranspose) for the tfjs wasm
 * backend, through the fast forward Conv2D kernel (XNNPACK) instead of the stock direct loop
 * (~2.4 vs ~22 GFLOP/s, shared/notes/engine-measurements.md).
 *
 * Forward: y[n, o, co] = sum_k xpad[n, o*s + k, ci] W[k, ci, co] (one spatial axis shown, p = the
 * padded row, p = i + padTop). So the gradient at padded row p = q*s + r (phase r = p mod s) is
 *
 *   dx[p] = sum_m dy[q - m] W[r + s*m],   m = 0 .. M-1,  M = ceil(fh / s)
 *
 * a stride-1 correlation of dy with the phase sub-kernel W[r], W[r + s], ... flipped. All s*s
 * phases (and both spatial axes) share the same dy windows, so they run as ONE forward conv whose
 * output channels enumerate (rh, rw, ci): filter [M, M', Co, s*s'*Ci] (phaseFilterOf). The
 * output [N, Q, Q', s, s', Ci] interleaves into [N, Q*s, Q'*s', Ci] and is cropped to [N, H, W, Ci].
 * That is the forward conv's work (plus the ceil(fh/s)*s - fh zero taps), not the s^2 times more
 * of convolving a zero-dilated dy. For s = 1 it reduces to the textbook rotated-kernel correlation.
 */
import type {
  Conv2DBackpropInputAttrs,
  KernelBackend,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { backend_util, Conv2D, Fill, Reshape, Slice, Transpose } from '@tensorflow/tfjs-core';
import { runWasmKernel } from './wasm.js';

/** Where one spatial axis of the phase decomposition starts and how far it runs. */
interface AxisPlan {
  /** Taps per phase sub-kernel, ceil(f / s). */
  taps: number;
  /** Rows of the phase grid computed, Q: padded rows [qStart*s, (qStart + Q)*s) cover the input. */
  rows: number;
  /** First input row inside the interleaved grid: padTop - qStart*s. */
  offset: number;
  /** dy padding before/after for the stride-1 correlation (negative: crop dy instead). */
  before: number;
  after: number;
}

function planAxis(filterSize: number, stride: number, padBefore: number, inSize: number, outSize: number): AxisPlan {
  const taps = Math.ceil(filterSize / stride);
  const qStart = Math.floor(padBefore / stride);
  const qEnd = Math.ceil((padBefore + inSize) / stride);
  // Grid row q' reads dy rows q'+qStart-taps+1 .. q'+qStart; rows outside [0, outSize) are zero.
  return { taps, rows: qEnd - qStart, offset: padBefore - qStart * stride, before: taps - 1 - qStart, after: qEnd - outSize };
}

/**
 * F[t, u, co, rh, rw, ci] = W[rh + sh*(M-1-t), rw + sw*(M'-1-u), ci, co], zero past the filter's
 * edge: per phase (rh, rw) the taps W[r], W[r + s], ... reversed, in/out channels swapped.
 * Gathered in JS through the backend's generic readSync/write: the wasm Transpose and Reverse
 * kernels take ~10 ms on this rank-6 permutation of a 4x4x64x128 filter, the loop well under 1 ms.
 */
function phaseFilterOf(filter: TensorInfo, backend: KernelBackend, sh: number, sw: number, mh: number, mw: number): TensorInfo {
  const [fh, fw, ci, co] = filter.shape;
  const w = backend.readSync(filter.dataId) as Float32Array;
  const phases = sh * sw * ci;
  const out = new Float32Array(mh * mw * co * phases); // zeros where a phase has fewer taps
  for (let t = 0; t < mh; t++) {
    for (let rh = 0; rh < sh; rh++) {
      const kh = rh + sh * (mh - 1 - t);
      if (kh >= fh) continue;
      for (let u = 0; u < mw; u++) {
        for (let rw = 0; rw < sw; rw++) {
          const kw = rw + sw * (mw - 1 - u);
          if (kw >= fw) continue;
          const src = (kh * fw + kw) * ci * co; // W[kh, kw, 0, 0]
          const dst = (t * mw + u) * co * phases + (rh * sw + rw) * ci; // F[t, u, 0, rh, rw, 0]
          for (let c = 0; c < ci; c++) {
            for (let o = 0; o < co; o++) out[dst + o * phases + c] = w[src + c * co + o];
          }
        }
      }
    }
  }
  const shape = [mh, mw, co, phases];
  return { dataId: backend.write(out, shape, 'float32'), shape, dtype: 'float32' };
}

export const conv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const kernelBackend = backend as KernelBackend;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW') {
    throw new Error(`Conv2DBackpropInput on wasm supports dataFormat 'NHWC' only, got 'NCHW'`);
  }
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropInput on wasm needs float32 tensors, got ${dy.dtype} and ${filter.dtype}`);
  }
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outChannels: co } = info;
  const [, ho, wo] = dy.shape; // [N, Ho, Wo, Co]
  if (dy.shape.join() !== info.outShape.join()) {
    throw new Error(`Conv2DBackpropInput on wasm: dy has shape [${dy.shape}], the forward conv gives [${info.outShape}]`);
  }
  const ph = planAxis(fh, sh, info.padInfo.top, H, ho);
  const pw = planAxis(fw, sw, info.padInfo.left, W, wo);

  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => (temps.push(t), t);
  const run = (name: string, ins: NamedTensorInfoMap, a: NamedAttrMap): TensorInfo =>
    keep(runWasmKernel(name, ins, kernelBackend, a));
  try {
    // 1. Crop dy where the grid never reads it (only with explicit padding beyond the filter).
    const cropTop = Math.max(0, -ph.before);
    const cropLeft = Math.max(0, -pw.before);
    const keptRows = ho - cropTop - Math.max(0, -ph.after);
    const keptCols = wo - cropLeft - Math.max(0, -pw.after);
    if (keptRows <= 0 || keptCols <= 0) {
      // No output row of the forward conv touched the input: the gradient is zero.
      return runWasmKernel(Fill, {}, kernelBackend, { shape: [n, H, W, ci], value: 0, dtype: 'float32' });
    }
    const dyKept =
      keptRows === ho && keptCols === wo
        ? dy
        : run(Slice, { x: dy }, { begin: [0, cropTop, cropLeft, 0], size: [n, keptRows, keptCols, co] });

    // 2. Phase filter [M, M', Co, sh*sw*Ci] from W [fh, fw, Ci, Co] (small: one pass in JS).
    const mh = ph.taps;
    const mw = pw.taps;
    const phaseFilter = keep(phaseFilterOf(filter, kernelBackend, sh, sw, mh, mw));

    // 3. One stride-1 forward conv computes every phase: [N, Q, Q', sh*sw*Ci].
    const grid = run(Conv2D, { x: dyKept, filter: phaseFilter }, {
      strides: 1,
      dilations: 1,
      pad: [
        [0, 0],
        [Math.max(0, ph.before), Math.max(0, ph.after)],
        [Math.max(0, pw.before), Math.max(0, pw.after)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    });

    // 4. Interleave the phases: [N, Q, Q', sh, sw, Ci] -> [N, Q, sh, Q', sw, Ci] -> [N, Q*sh, Q'*sw, Ci].
    let full = grid;
    if (sh > 1 || sw > 1) {
      const split = run(Reshape, { x: grid }, { shape: [n, ph.rows, pw.rows, sh, sw, ci] });
      const moved = run(Transpose, { x: split }, { perm: [0, 1, 3, 2, 4, 5] });
      full = run(Reshape, { x: moved }, { shape: [n, ph.rows * sh, pw.rows * sw, ci] });
    }

    // 5. Crop the grid to the input: [N, H, W, Ci].
    if (ph.offset === 0 && pw.offset === 0 && full.shape[1] === H && full.shape[2] === W) {
      temps.splice(temps.indexOf(full), 1); // handed to the caller, not disposed
      return full;
    }
    return runWasmKernel(Slice, { x: full }, kernelBackend, { begin: [0, ph.offset, pw.offset, 0], size: [n, H, W, ci] });
  } finally {
    for (const t of temps) kernelBackend.disposeData(t.dataId);
  }
};
