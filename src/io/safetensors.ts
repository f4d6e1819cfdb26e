/**
 * Named arrays <-> safetensors (https://github.com/huggingface/safetensors), the weights format
 * PyTorch, JAX and TensorFlow users load without running code from the file:
 *
 *   8 bytes    N, the header's length, an unsigned little-endian 64-bit integer
 *   N bytes    UTF-8 JSON: {"NAME": {"dtype": "F32" | "I32", "shape": [...], "data_offsets": [begin, end]},
 *              ..., "__metadata__": {"key": "string value", ...}}, padded with spaces so that the
 *              buffer starts 8-byte aligned
 *   the rest   the byte buffer: each array's values back to back, little-endian, row-major;
 *              data_offsets count from the buffer's first byte, and the arrays tile it exactly
 *
 * Names are genlab's checkpoint names ('encoder/dense0/W', 'decoder/logStd', 'class3/...'), so a
 * file maps back onto the model it came from. Layouts are TensorFlow's, not PyTorch's:
 *   dense weights `W`            [in, out]          nn.Linear.weight is [out, in]: W.T
 *   conv2d `filter`              [fh, fw, in, out]  nn.Conv2d.weight is [out, in, fh, fw]: permute(3, 2, 0, 1)
 *   conv2dTranspose `filter`     [fh, fw, out, in]  nn.ConvTranspose2d.weight is [in, out, fh, fw]: permute(3, 2, 0, 1)
 *   biases, per-dimension vectors                   as they are
 * Images are NHWC ([B, H, W, C]); a dense layer after a flattened feature map reads it in (h, w, c)
 * order, where PyTorch's NCHW flatten gives (c, h, w). genlab's 4x4 stride-2 'same' convolutions on
 * even sizes pad one pixel on each side, as padding=1 does in PyTorch.
 *
 * Browser-safe: bytes in, bytes out (src/node writes the file).
 */
import type { NamedArray } from '../models/model.js';

/** The dtypes genlab's arrays have, as safetensors spells them. */
const DTYPES = { float32: 'F32', int32: 'I32' } as const;
const BYTES_PER_VALUE = 4;
/** The header key that holds string metadata instead of an array. */
export const METADATA_KEY = '__metadata__';
/** The buffer starts at a multiple of this (the reference implementation's alignment). */
const ALIGNMENT = 8;
/** Headers above this are refused on reading (the reference implementation's limit: 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A safetensors file as bytes: the arrays in the order given, and string metadata. */
export function encodeSafetensors(arrays: NamedArray[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, SafetensorsEntry | Record<string, string>> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new Error(`safetensors metadata '${key}' must be a string, got ${typeof value}`);
  }
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const a of arrays) {
    if (a.name === METADATA_KEY || a.name in header) throw new Error(`safetensors: the name '${a.name}' is ${a.name === METADATA_KEY ? 'reserved' : 'used twice'}`);
    const size = a.shape.reduce((p, d) => p * d, 1);
    if (size !== a.data.length) throw new Error(`safetensors: '${a.name}' has shape [${a.shape}], which does not hold ${a.data.length} values`);
    const dtype = DTYPES[a.dtype];
    if (!dtype || (a.dtype === 'float32') !== a.data instanceof Float32Array) throw new Error(`safetensors: '${a.name}' has dtype ${a.dtype} and ${a.data.constructor.name} values`);
    header[a.name] = { dtype, shape: [...a.shape], data_offsets: [offset, offset + size * BYTES_PER_VALUE] };
    offset += size * BYTES_PER_VALUE;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / ALIGNMENT) * ALIGNMENT;
  const bytes = new Uint8Array(8 + headerLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength); // spaces: JSON whitespace, so the header still parses
  let at = 8 + headerLength;
  for (const a of arrays) {
    // The typed array's own bytes: little-endian on every platform TF.js runs on (as in weights.ts).
    bytes.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), at);
    at += a.data.byteLength;
  }
  return bytes;
}

/**
 * The arrays (in buffer order) and metadata of a safetensors file holding F32 and I32 arrays.
 * Checks what the format promises: a JSON header of known dtypes, shapes that match their byte
 * ranges, and ranges that tile the buffer with no gap or overlap.
 */
export function decodeSafetensors(bytes: Uint8Array): { arrays: NamedArray[]; metadata: Record<string, string> } {
  if (bytes.byteLength < 8) throw new Error(`safetensors: ${bytes.byteLength} bytes cannot hold the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    throw new Error(`safetensors: header length ${headerLength} does not fit the ${bytes.byteLength}-byte file`);
  }
  const start = 8 + Number(headerLength);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start)));
  } catch (e) {
    throw new Error(`safetensors: the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error('safetensors: the header is not a JSON object');
  const metadata = (header[METADATA_KEY] ?? {}) as Record<string, string>;
  if (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new Error(`safetensors: ${METADATA_KEY} must map names to strings`);
  }
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, entry]) => ({ name, ...checkEntry(name, entry) }))
    .sort((a, b) => a.data_offsets[0] - b.data_offsets[0]);
  const bufferLength = bytes.byteLength - start;
  let expected = 0;
  const arrays = entries.map(({ name, dtype, shape, data_offsets: [begin, end] }) => {
    if (begin !== expected) throw new Error(`safetensors: '${name}' starts at byte ${begin}, not ${expected} (a gap or an overlap)`);
    if (end > bufferLength) throw new Error(`safetensors: '${name}' ends at byte ${end}, past the ${bufferLength}-byte buffer`);
    expected = end;
    // Copied into an aligned buffer: a 4-byte value may start at any offset of `bytes`.
    const buffer = bytes.slice(start + begin, start + end).buffer;
    return dtype === 'I32'
      ? { name, shape, dtype: 'int32' as const, data: new Int32Array(buffer) }
      : { name, shape, dtype: 'float32' as const, data: new Float32Array(buffer) };
  });
  if (expected !== bufferLength) throw new Error(`safetensors: the arrays cover ${expected} of the buffer's ${bufferLength} bytes`);
  return { arrays, metadata: { ...metadata } };
}

function checkEntry(name: string, entry: unknown): SafetensorsEntry {
  const e = entry as SafetensorsEntry;
  if (e?.dtype !== 'F32' && e?.dtype !== 'I32') throw new Error(`safetensors: '${name}' has dtype ${JSON.stringify(e?.dtype)}; genlab reads F32 and I32`);
  const shapeOk = Array.isArray(e.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0);
  const offsetsOk = Array.isArray(e.data_offsets) && e.data_offsets.length === 2 && e.data_offsets.every((o) => Number.isSafeInteger(o) && o >= 0);
  if (!shapeOk || !offsetsOk) throw new Error(`safetensors: '${name}' has a malformed shape or data_offsets`);
  const size = e.shape.reduce((p, d) => p * d, 1);
  if (e.data_offsets[1] - e.data_offsets[0] !== size * BYTES_PER_VALUE) {
    throw new Error(`safetensors: '${name}' of shape [${e.shape}] spans bytes ${e.data_offsets[0]}..${e.data_offsets[1]}, not ${size * BYTES_PER_VALUE}`);
  }
  return e;
}
