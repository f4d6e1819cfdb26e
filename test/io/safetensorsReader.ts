/**
 * A minimal safetensors reader written from the format's description alone and sharing no code
 * with src/io/safetensors.ts, so that the tests check genlab's files against the format rather
 * than against genlab's own decoder: it reads the 8-byte length, parses the JSON header, checks
 * that the byte ranges tile the buffer, and reads every value with DataView (little-endian).
 */
import assert from 'node:assert/strict';

export interface IndependentlyRead {
  headerLength: number;
  metadata: Record<string, string> | undefined;
  /** Tensor names in buffer order. */
  names: string[];
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
}

export function readSafetensorsIndependently(bytes: Uint8Array): IndependentlyRead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  assert.equal(high, 0, 'a header under 4 GB');
  const headerLength = low;
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLength).toString('utf8')) as Record<string, any>;
  const bufferStart = 8 + headerLength;
  const bufferLength = bytes.byteLength - bufferStart;
  const { __metadata__: metadata, ...entries } = header;
  const names = Object.keys(entries).sort((a, b) => entries[a].data_offsets[0] - entries[b].data_offsets[0]);
  let next = 0;
  const tensors: IndependentlyRead['tensors'] = {};
  for (const name of names) {
    const { dtype, shape, data_offsets: [begin, end] } = entries[name];
    assert.equal(begin, next, `'${name}' starts where the previous array ends (contiguous, no overlap)`);
    const count = (shape as number[]).reduce((p, d) => p * d, 1);
    assert.equal(end - begin, 4 * count, `'${name}': 4 bytes per value`);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = bufferStart + begin + 4 * i;
      if (dtype === 'F32') values.push(view.getFloat32(at, true));
      else if (dtype === 'I32') values.push(view.getInt32(at, true));
      else assert.fail(`'${name}': unexpected dtype ${dtype}`);
    }
    tensors[name] = { dtype, shape, values };
    next = end;
  }
  assert.equal(next, bufferLength, 'the arrays cover the whole buffer');
  return { headerLength, metadata, names, tensors };
}
