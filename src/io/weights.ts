/**
 * Named arrays <-> the TF.js weights format: a manifest of {name, shape, dtype} specs plus one
 * binary buffer holding the values back to back (little-endian), as `tf.io.decodeWeights` reads it.
 * Written by hand rather than through tensors so that large tables are not copied onto a backend.
 */
import type { NamedArray } from '../models/model.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

export function encodeWeights(arrays: NamedArray[]): { specs: WeightSpec[]; data: Uint8Array } {
  const total = arrays.reduce((s, a) => s + a.data.length * 4, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  const specs = arrays.map((a) => {
    const size = a.shape.reduce((p, d) => p * d, 1);
    if (size !== a.data.length) throw new Error(`weight '${a.name}': shape ${a.shape} does not hold ${a.data.length} values`);
    const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    data.set(bytes, offset);
    offset += bytes.length;
    return { name: a.name, shape: [...a.shape], dtype: a.dtype };
  });
  return { specs, data };
}

export function decodeWeights(specs: WeightSpec[], data: Uint8Array): NamedArray[] {
  let offset = 0;
  return specs.map((spec) => {
    const size = spec.shape.reduce((p, d) => p * d, 1);
    if (offset + size * 4 > data.byteLength) throw new Error(`weights data ends before '${spec.name}'`);
    // Copy into an aligned buffer: the file's bytes may start at any offset.
    const buffer = data.slice(offset, offset + size * 4).buffer;
    offset += size * 4;
    const values = spec.dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer);
    return { name: spec.name, shape: spec.shape, dtype: spec.dtype, data: values };
  });
}
