/**
 * Conv2DBackpropFilter (the filter gradient of conv2d) for the tfjs wasm backend, which does not
 * register one, so without this kernel no conv net trains on wasm.
 *
 * The filter gradient is itself a correlation, run here on the fast forward Conv2D kernel
 * (XNNPACK). For a forward conv with stride s, dilation d and input x padded to xpad:
 *
 *   dW[kh, kw, ci, co] = sum_{n, i, j} xpad[n, i*s + kh*d, j*s + kw*d, ci] * dy[n, i, j, co]
 *
 * Reading ci as the batch, n as the channel and dy as the filter, this is a forward conv of
 * x' = transpose(x) [Ci, H, W, N] with the "filter" dy' = transpose(dy) [Ho, Wo, N, Co], stride d,
 * dilation s and the forward pass's padding. Its output [Ci, >=fh, >=fw, Co] keeps the first
 * fh x fw taps, transposed to [fh, fw, Ci, Co]. Checked against the cpu backend's autodiff.
 */
import type {
  Conv2DBackpropFilterAttrs,
  KernelBackend,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { backend_util, Conv2D, getKernel, Slice, Transpose } from '@tensorflow/tfjs-core';

/** Runs the wasm kernel `name` directly (no tf ops, no tape); the caller disposes the result. */
function wasmKernel(name: string, inputs: NamedTensorInfoMap, backend: KernelBackend, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no '${name}' kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/**
 * Attrs as tfjs-core's conv2d gradient passes them; `dilations` is an extension (the stock
 * gradient refuses dilated convs) so that a dilated forward conv can use this kernel too.
 */
export type Conv2DBackpropFilterKernelAttrs = Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

export const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const kernelBackend = backend as KernelBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations = 1 } =
    attrs as unknown as Conv2DBackpropFilterKernelAttrs;
  if (dataFormat === 'NCHW') {
    throw new Error(`Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got 'NCHW'`);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter on wasm needs float32 tensors, got ${x.dtype} and ${dy.dtype}`);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new Error(
      `Conv2DBackpropFilter on wasm: strides [${sh}, ${sw}] and dilations [${dh}, ${dw}] both > 1 ` +
        `are not supported (tfjs conv2d itself requires one of them to be 1)`,
    );
  }
  const { filterHeight: fh, filterWidth: fw, inHeight: H, inWidth: W, inChannels: ci, outChannels: co } = info;
  const [, ho, wo] = dy.shape; // [N, Ho, Wo, Co]
  if (dy.shape.join() !== info.outShape.join()) {
    throw new Error(`Conv2DBackpropFilter on wasm: dy has shape [${dy.shape}], the forward conv gives [${info.outShape}]`);
  }
  const { top, left } = info.padInfo;
  // Padding below/right only as far as the last tap of the last output row needs (rows the
  // forward pass never read get no padding; where it stopped short of the input's end, the
  // helper conv yields extra taps, sliced off below).
  const bottom = Math.max(0, (ho - 1) * sh + (fh - 1) * dh + 1 - H - top);
  const right = Math.max(0, (wo - 1) * sw + (fw - 1) * dw + 1 - W - left);

  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => (temps.push(t), t);
  try {
    // 1. Swap roles: channels become the batch, the batch becomes the channels.
    const xT = keep(wasmKernel(Transpose, { x }, kernelBackend, { perm: [3, 1, 2, 0] })); // [Ci, H, W, N]
    const dyT = keep(wasmKernel(Transpose, { x: dy }, kernelBackend, { perm: [1, 2, 0, 3] })); // [Ho, Wo, N, Co]
    // 2. Forward conv with dy as the filter: stride and dilation trade places.
    const taps = keep(
      wasmKernel(Conv2D, { x: xT, filter: dyT }, kernelBackend, {
        strides: [dh, dw],
        dilations: [sh, sw],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      }),
    ); // [Ci, >=fh, >=fw, Co]
    // 3. Keep the first fh x fw taps.
    const kept =
      taps.shape[1] === fh && taps.shape[2] === fw
        ? taps
        : keep(wasmKernel(Slice, { x: taps }, kernelBackend, { begin: [0, 0, 0, 0], size: [ci, fh, fw, co] }));
    // 4. [Ci, fh, fw, Co] -> [fh, fw, Ci, Co]
    return wasmKernel(Transpose, { x: kept }, kernelBackend, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) kernelBackend.disposeData(t.dataId);
  }
};
