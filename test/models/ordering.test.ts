import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ordering } from '../../src/models/ordering.js';
import { UserError } from '../../src/core/errors.js';

test('orderings are permutations visiting channels of a pixel consecutively', () => {
  const shape = [3, 4, 3];
  for (const type of ['raster', 'snake', 'column', 'random'] as const) {
    const o = new Ordering({ type, seed: 5 }, shape);
    assert.deepEqual([...o.order].sort((a, b) => a - b), Array.from({ length: 36 }, (_, i) => i));
    for (let t = 0; t < 36; t += 3) {
      // R, G, B of one pixel, in that order.
      assert.equal(o.order[t + 1], o.order[t] + 1);
      assert.equal(o.order[t + 2], o.order[t] + 2);
    }
    for (let t = 0; t < 36; t++) assert.equal(o.position[o.order[t]], t);
  }
});

test('snake and column visit pixels in the documented order', () => {
  assert.deepEqual([...new Ordering({ type: 'snake' }, [2, 3, 1]).order], [0, 1, 2, 5, 4, 3]);
  assert.deepEqual([...new Ordering({ type: 'column' }, [2, 3, 1]).order], [0, 3, 1, 4, 2, 5]);
  assert.deepEqual([...new Ordering({ type: 'raster' }, [4]).order], [0, 1, 2, 3]);
  const r1 = new Ordering({ type: 'random', seed: 1 }, [10]).order;
  const r2 = new Ordering({ type: 'random', seed: 1 }, [10]).order;
  assert.deepEqual(r1, r2);
  assert.ok(new Ordering({ type: 'random', seed: 1 }, [10]).precedes(r1[0], r1[9]));
});

test('a custom ordering must be a permutation', () => {
  assert.deepEqual([...new Ordering({ type: 'custom', permutation: [2, 0, 1] }, [3]).order], [2, 0, 1]);
  assert.throws(() => new Ordering({ type: 'custom', permutation: [0, 0, 1] }, [3]), UserError);
  assert.throws(() => new Ordering({ type: 'custom', permutation: [0, 1] }, [3]), UserError);
});
