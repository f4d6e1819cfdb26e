import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';

test('a saved state includes a pending Box-Muller spare: a restored stream continues exactly, after an odd number of normals too', () => {
  const rng = new Rng(21);
  rng.normal(); // the second value of the pair is now cached
  const state = rng.getState();
  assert.equal(state.length, 5);
  const restored = new Rng(JSON.parse(JSON.stringify(state)));
  const ahead = Array.from({ length: 5 }, () => rng.normal());
  assert.deepEqual(Array.from({ length: 5 }, () => restored.normal()), ahead);
  // Control: the four words alone lose the spare and the streams part.
  const wordsOnly = new Rng(21);
  wordsOnly.normal();
  const truncated = new Rng(wordsOnly.getState().slice(0, 4) as [number, number, number, number]);
  assert.notDeepEqual(Array.from({ length: 5 }, () => truncated.normal()), ahead);
});
