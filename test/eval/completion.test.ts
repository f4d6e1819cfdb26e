import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { completeEach, regionMask } from '../../src/eval/completion.js';
import type { CompletionModel } from '../../src/models/capabilities.js';
import type { Batch, GenerativeModel } from '../../src/models/model.js';

test('regionMask: each half of a 4 x 2 x 3 image, all channels', () => {
  const rows = (m: Uint8Array) => Array.from({ length: 4 }, (_, r) => Array.from({ length: 2 }, (_, c) => m[(r * 2 + c) * 3]).join('')).join('|');
  assert.equal(rows(regionMask('top', [4, 2, 3])), '11|11|00|00');
  assert.equal(rows(regionMask('bottom', [4, 2, 3])), '00|00|11|11');
  assert.equal(rows(regionMask('left', [4, 2, 3])), '10|10|10|10');
  assert.equal(rows(regionMask('right', [4, 2, 3])), '01|01|01|01');
  const m = regionMask('top', [4, 2, 3]);
  for (let i = 0; i < m.length; i += 3) assert.ok(m[i] === m[i + 1] && m[i] === m[i + 2], 'channels alike');
  assert.throws(() => regionMask('middle' as 'top', [4, 2, 3]), /top, bottom/);
});

test('completeEach: k copies of each input, in input order, with their labels', async () => {
  const seen: Batch[] = [];
  // A stand-in model that fills missing entries with 100 + the copy's row and records its batch.
  const model = {
    async complete(batch: Batch, missing: Uint8Array) {
      seen.push(batch);
      const D = missing.length;
      return Float32Array.from(batch.x, (v, i) => (missing[i % D] ? 100 + Math.floor(i / D) : v));
    },
  } as unknown as GenerativeModel & CompletionModel;
  const out = await completeEach(model, Float32Array.of(1, 2, 3, 4), 2, Uint8Array.of(0, 1), 3, new Rng(0), Int32Array.of(7, 8));
  assert.deepEqual(Array.from(out), [1, 100, 1, 101, 1, 102, 3, 103, 3, 104, 3, 105]);
  assert.equal(seen[0].n, 6);
  assert.deepEqual(Array.from(seen[0].labels!), [7, 7, 7, 8, 8, 8]);
});
