import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import { evaluateSplit } from '../../src/eval/likelihood.js';
import type { Batch, GenerativeModel } from '../../src/models/model.js';

/**
 * Density 1 on the 256 dequantization boxes [k/255, k/255 + 1/256) of each of the D = 4 values (total
 * mass 1 per value: log p = 0 on the boxes; the stub tests their hull), recording what it scored.
 */
function uniformDensity(dequantize: boolean, seen: Float32Array[]): GenerativeModel {
  return {
    name: 'uniform',
    densityKind: 'exact',
    getConfig: () => ({ dequantize }),
    logProb: async (batch: Batch) => {
      seen.push(Float32Array.from(batch.x));
      return new Float64Array(batch.n).map((_, i) => (batch.x.subarray(i * 4, i * 4 + 4).every((v) => v >= 0 && v < 1 + 1 / 256) ? 0 : -Infinity));
    },
  } as unknown as GenerativeModel;
}

// 8-bit levels k / 255, including both ends.
const levels: Dataset = { name: 'levels', n: 3, shape: [4], kind: 'continuous', x: Float32Array.from([0, 1, 2, 3, 100, 128, 200, 254, 255, 255, 0, 7], (k) => k / 255) };

test('a dequantized model is scored on x + u / 256 and shifted by D log 256: the uniform density is 8 bits/dim', async () => {
  const seen: Float32Array[] = [];
  const r = await evaluateSplit(uniformDensity(true, seen), levels, { seed: 0 });
  assert.equal(r.dequantized, true);
  assert.equal(r.nll!.kind, 'bound');
  // Uniform over the boxes is uniform over the 256 levels: 8 bits each, and the bound is tight.
  assert.ok(Math.abs(r.nll!.nll - 4 * Math.log(256)) < 1e-9, String(r.nll!.nll));
  assert.ok(Math.abs(r.nll!.bitsPerDim - 8) < 1e-12);
  const x = seen[0];
  for (let i = 0; i < x.length; i++) {
    const noise = x[i] - levels.x[i];
    assert.ok(noise >= 0 && noise < 1 / 256 + 1e-7, `value ${i}: noise ${noise} outside [0, 1/256)`);
  }
  // One fixed draw per seed: the same figure and the same noisy input again.
  const again: Float32Array[] = [];
  await evaluateSplit(uniformDensity(true, again), levels, { seed: 0 });
  assert.deepEqual(again[0], x);
});

test('a model without dequantization is scored on its data as given, with its own density kind', async () => {
  const seen: Float32Array[] = [];
  const r = await evaluateSplit(uniformDensity(false, seen), levels, { seed: 0, batchSize: 2 });
  assert.deepEqual([r.dequantized, r.nll!.kind, r.nll!.nll, r.nll!.n], [false, 'exact', 0, 3]);
  assert.deepEqual(Float32Array.from([...seen[0], ...seen[1]]), levels.x);
  assert.equal(r.bound, undefined, 'no bound without a bound method');
});

/** A dequantized stub with a two-term bound: bound = rec - kl, constant per example (nats). */
function boundStub(rec: number, kl: number): GenerativeModel {
  return {
    name: 'bounded',
    densityKind: 'estimate',
    getConfig: () => ({ dequantize: true }),
    logProb: async (batch: Batch) => new Float64Array(batch.n),
    termKinds: { reconstruction: 'logLikelihood', kl: 'divergence' },
    bound: async (batch: Batch) => ({
      bound: new Float64Array(batch.n).fill(rec - kl),
      terms: { reconstruction: new Float64Array(batch.n).fill(rec), kl: new Float64Array(batch.n).fill(kl) },
    }),
  } as unknown as GenerativeModel;
}

test('a bound under dequantization: the bound and its log-likelihood terms move by D log 256, its divergences do not', async () => {
  const r = await evaluateSplit(boundStub(5, 2), levels, { seed: 0, batchSize: 2 });
  const shift = 4 * Math.log(256);
  assert.deepEqual(Object.keys(r.bound!.terms), ['reconstruction', 'kl']);
  assert.ok(Math.abs(r.bound!.bound - (3 - shift)) < 1e-12, String(r.bound!.bound));
  assert.ok(Math.abs(r.bound!.terms.reconstruction - (5 - shift)) < 1e-12);
  assert.equal(r.bound!.terms.kl, 2);
  // The shifted figures still combine as the kinds say.
  assert.ok(Math.abs(r.bound!.bound - (r.bound!.terms.reconstruction - r.bound!.terms.kl)) < 1e-12);
  assert.equal((await evaluateSplit(boundStub(5, 2), levels, { seed: 0, bound: false })).bound, undefined, 'not asked for');
});
