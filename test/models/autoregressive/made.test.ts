import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { buildMaskSet, Made, MADE_DEFAULTS } from '../../../src/models/autoregressive/made.js';
import { assertAutoregressive, assertNoLeaks, correlatedBinary, totalProbability, trainBriefly } from './checks.js';

before(async () => {
  await initBackend('wasm');
});

test('MADE masks: output d connects only to inputs earlier in the ordering (mask product)', () => {
  const config = { ...MADE_DEFAULTS, hidden: [7, 5], masks: 3, orderAgnostic: true, seed: 2 };
  for (let k = 0; k < 3; k++) {
    const { ordering, masks } = buildMaskSet(config, [6], k);
    // Paths from input i to output d: the product of the masks; must be 0 unless i precedes d.
    const sizes = [6, 7, 5, 6];
    let paths = Float64Array.from({ length: 36 }, (_, j) => (Math.floor(j / 6) === j % 6 ? 1 : 0));
    for (let l = 0; l < masks.length; l++) {
      const next = new Float64Array(6 * sizes[l + 1]);
      for (let i = 0; i < 6; i++)
        for (let a = 0; a < sizes[l]; a++)
          for (let b = 0; b < sizes[l + 1]; b++) next[i * sizes[l + 1] + b] += paths[i * sizes[l] + a] * masks[l][a * sizes[l + 1] + b];
      paths = next;
    }
    for (let i = 0; i < 6; i++)
      for (let d = 0; d < 6; d++) if (!ordering.precedes(i, d)) assert.equal(paths[i * 6 + d], 0, `set ${k}: input ${i} reaches output ${d}`);
  }
});

test('MADE densities sum to 1 over all 1,024 inputs: one mask, and an order-agnostic ensemble', async () => {
  for (const config of [{ hidden: [16, 16] }, { hidden: [16], masks: 4, orderAgnostic: true }, { hidden: [12], ordering: { type: 'snake' as const } }]) {
    const model = new Made({ ...config, seed: 1 }, [2, 5, 1]);
    assert.ok(Math.abs((await totalProbability(model, 10)) - 1) < 1e-4, `${JSON.stringify(config)} at init`);
    const { before: b, after: a } = await trainBriefly(model, correlatedBinary(64, 10), 10, 40, 0.02);
    assert.ok(a < b - 0.5, `training did not lower the NLL (${b} -> ${a})`);
    assert.ok(Math.abs((await totalProbability(model, 10)) - 1) < 1e-4, `${JSON.stringify(config)} trained`);
    model.dispose();
  }
});

test('MADE conditionals depend only on earlier variables, for every mask set (autograd check)', () => {
  const model = new Made({ hidden: [20, 20], masks: 3, orderAgnostic: true, seed: 5 }, [3, 3, 1]);
  model.orderings.forEach((ordering, k) => assertAutoregressive((x) => model.logits(x, k), ordering.position, correlatedBinary(1, 9, k)));
  model.dispose();
});

test('MADE sampling is reproducible; completion keeps observed values; no leaks', async () => {
  const model = new Made({ hidden: [8], masks: 2, orderAgnostic: true }, [5]);
  assert.deepEqual(await model.sample(20, new Rng(3)), await model.sample(20, new Rng(3)));
  const x = correlatedBinary(4, 5);
  const missing = new Uint8Array([1, 0, 1, 0, 1]);
  const completed = await model.complete({ x, n: 4 }, missing, new Rng(1));
  for (let i = 0; i < 20; i++) if (!missing[i % 5]) assert.equal(completed[i], x[i]);
  await assertNoLeaks(model, x, 5);
  model.dispose();
});
