import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import type { NamedArray } from '../../src/models/model.js';
import { readSafetensorsIndependently } from './safetensorsReader.js';

const f32 = (name: string, shape: number[], values: number[]): NamedArray => ({ name, shape, dtype: 'float32', data: Float32Array.from(values) });
const i32 = (name: string, shape: number[], values: number[]): NamedArray => ({ name, shape, dtype: 'int32', data: Int32Array.from(values) });

test('the bytes of a one-array file, computed by hand', () => {
  const bytes = encodeSafetensors([f32('a', [2], [1, -2])]);
  const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes, padded to 56
  assert.equal(json.length, 54);
  assert.deepEqual([...bytes.subarray(0, 8)], [56, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(new TextDecoder().decode(bytes.subarray(8, 64)), json + '  ');
  // 1 = 0x3f800000, -2 = 0xc0000000, little-endian.
  assert.deepEqual([...bytes.subarray(64)], [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
});

test('float32 and int32 arrays of every rank, with metadata, read back exactly by an independent parser and by decodeSafetensors', () => {
  const arrays = [
    f32('encoder/dense0/W', [3, 2], [0.1, -0.2, 3e-38, 1e30, -0, 7]),
    f32('encoder/dense0/b', [2], [Math.PI, -Math.E]),
    i32('counts', [2, 2, 1], [0, 1, -2147483648, 2147483647]),
    f32('scale', [], [0.5]),
    f32('empty', [0, 4], []),
    f32('decoder/logStd', [5], [1, 2, 3, 4, 5]),
  ];
  const metadata = { model: 'vae', config: '{"hidden":[500]}', note: 'ünïcödé' };
  for (let pad = 0; pad < 8; pad++) {
    // Names of every length mod 8, so that the padding takes each of its values.
    const named = arrays.map((a, i) => (i === 0 ? { ...a, name: a.name + 'x'.repeat(pad) } : a));
    const bytes = encodeSafetensors(named, metadata);
    const read = readSafetensorsIndependently(bytes);
    assert.equal(read.headerLength % 8, 0);
    assert.deepEqual(read.metadata, metadata);
    assert.deepEqual(read.names, named.map((a) => a.name), 'in the order given');
    for (const a of named) {
      assert.deepEqual(read.tensors[a.name].shape, a.shape);
      assert.equal(read.tensors[a.name].dtype, a.dtype === 'float32' ? 'F32' : 'I32');
      assert.deepEqual(read.tensors[a.name].values, Array.from(a.data), a.name);
    }
    const decoded = decodeSafetensors(bytes);
    assert.deepEqual(decoded.metadata, metadata);
    assert.deepEqual(decoded.arrays, named);
  }
});

test('decodeSafetensors reads a file that starts at any offset of a larger buffer', () => {
  const bytes = encodeSafetensors([f32('w', [3], [1, 2, 3]), i32('k', [1], [-5])]);
  const host = new Uint8Array(bytes.length + 3);
  host.set(bytes, 3);
  const { arrays } = decodeSafetensors(host.subarray(3));
  assert.deepEqual(arrays.map((a) => Array.from(a.data)), [[1, 2, 3], [-5]]);
});

test('encodeSafetensors refuses what the format cannot say', () => {
  assert.throws(() => encodeSafetensors([f32('w', [2, 2], [1, 2, 3])]), /does not hold 3 values/);
  assert.throws(() => encodeSafetensors([f32('w', [1], [1]), f32('w', [1], [2])]), /used twice/);
  assert.throws(() => encodeSafetensors([f32('__metadata__', [1], [1])]), /reserved/);
  assert.throws(() => encodeSafetensors([{ name: 'w', shape: [1], dtype: 'int32', data: Float32Array.of(1) }]), /dtype int32/);
  assert.throws(() => encodeSafetensors([], { step: 3 as unknown as string }), /must be a string/);
});

/** A valid file whose header is replaced by `header` (the buffer kept). */
function withHeader(header: object, buffer: Uint8Array): Uint8Array {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const bytes = new Uint8Array(8 + json.length + buffer.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(new TextEncoder().encode(json), 8);
  bytes.set(buffer, 8 + json.length);
  return bytes;
}

test('decodeSafetensors refuses gaps, overlaps, short buffers, unknown dtypes and bad lengths', () => {
  const buffer = new Uint8Array(16);
  const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });
  // The control: the same construction, valid, decodes.
  assert.equal(decodeSafetensors(withHeader({ a: entry('F32', [2], 0, 8), b: entry('I32', [2], 8, 16) }, buffer)).arrays.length, 2);
  assert.throws(() => decodeSafetensors(withHeader({ a: entry('F32', [1], 0, 4), b: entry('F32', [2], 8, 16) }, buffer)), /a gap or an overlap/);
  assert.throws(() => decodeSafetensors(withHeader({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, buffer)), /a gap or an overlap/);
  assert.throws(() => decodeSafetensors(withHeader({ a: entry('F32', [2], 0, 8) }, buffer)), /cover 8 of the buffer's 16 bytes/);
  assert.throws(() => decodeSafetensors(withHeader({ a: entry('F32', [6], 0, 24) }, buffer)), /past the 16-byte buffer/);
  assert.throws(() => decodeSafetensors(withHeader({ a: entry('F64', [2], 0, 16) }, buffer)), /dtype "F64"/);
  assert.throws(() => decodeSafetensors(withHeader({ a: entry('F32', [3], 0, 16) }, buffer)), /not 12/);
  assert.throws(() => decodeSafetensors(withHeader({ __metadata__: { step: 3 } }, new Uint8Array(0))), /map names to strings/);
  const file = encodeSafetensors([f32('w', [1], [1])]);
  assert.throws(() => decodeSafetensors(file.subarray(0, 20)), /does not fit/);
  assert.throws(() => decodeSafetensors(file.subarray(0, 5)), /8-byte header length/);
});
