/**
 * The logic of bench/gan-toys-coverage.ts on synthetic "models" whose samples are known: the
 * toy's own sampler (every mode), a collapsed one (one mode), a blurred one (no high-quality
 * samples), and the table that aggregates seeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rng } from '../../src/core/rng.js';
import { ring } from '../../src/data/toy.js';
import { coverageOfModel, coverageTable, meanSd, toyMixture, type CoverageRecord } from '../../bench/gan-toys-coverage.js';

/** A stand-in for a trained model: `sample` is all the script asks of it. */
const fakeModel = (name: string, sample: (n: number, rng: Rng) => Float32Array) => ({ name, sample: async (n: number, rng: Rng) => sample(n, rng) });

const perfect = fakeModel('perfect', (n, rng) => ring.sample(n, rng).x);
// Every sample on mode 2 (0, 2), with the mode's own spread.
const collapsed = fakeModel('collapsed', (n, rng) => Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 0 : 2) + 0.02 * rng.normal()));
// The ring's modes blurred to std 0.5: near every mode, almost never within 0.06 of one.
const blurred = fakeModel('blurred', (n, rng) => ring.sample(n, rng).x.map((v) => v + 0.5 * rng.normal()));

test('coverageOfModel: a sampler of the data covers 8 of 8 at the data\'s own high-quality fraction; a collapsed one covers 1', async () => {
  const good = await coverageOfModel(perfect, 'toy:ring', 2000, 1, 'runs/x');
  assert.equal(good.covered, 8);
  assert.equal(good.samples, 2000);
  assert.ok(Math.abs(good.dataHighQualityFraction - (1 - Math.exp(-4.5))) < 1e-12);
  // 2000 draws: binomial sd 0.0023 around 0.989.
  assert.ok(Math.abs(good.highQualityFraction - good.dataHighQualityFraction) < 0.01, String(good.highQualityFraction));
  assert.equal(good.run, 'runs/x');
  assert.equal(good.model, 'perfect');

  const bad = await coverageOfModel(collapsed, 'toy:ring', 2000, 1);
  assert.equal(bad.covered, 1);
  assert.equal(bad.perMode[2], bad.perMode.reduce((a, b) => a + b, 0));
  assert.ok(bad.highQualityFraction > 0.97);
  assert.ok(Math.abs(bad.klToWeights! - Math.log(8)) < 1e-12);

  const blur = await coverageOfModel(blurred, 'toy:ring', 2000, 1);
  // P(|N(0, 0.5^2 I)| <= 0.06) = 1 - exp(-0.0072) = 0.7%: a handful of samples, low quality overall.
  assert.ok(blur.highQualityFraction < 0.03, String(blur.highQualityFraction));
});

test('toyMixture: the mixture of a toy spec, and a clear refusal for other data', () => {
  assert.equal(toyMixture('toy:ring'), ring.spec);
  assert.equal(toyMixture('toy:grid').means.length, 25);
  assert.throws(() => toyMixture('toy:moons'), /Gaussian-mixture toy/);
  assert.throws(() => toyMixture('mnist'), /Gaussian-mixture toy/);
});

test('coverageTable: mean ± sample sd over seeds, missing seeds counted, the data row last', async () => {
  assert.equal(meanSd([6, 8, 7], 1), '7.0 ± 1.0');
  assert.equal(meanSd([0.5], 3), '0.500');
  const records: CoverageRecord[] = await Promise.all([1, 2, 3].map((seed) => coverageOfModel(collapsed, 'toy:ring', 500, seed)));
  const good = await coverageOfModel(perfect, 'toy:ring', 500, 1);
  const table = coverageTable([
    { name: 'collapsed', records },
    { name: 'perfect', records: [good] },
    { name: 'diverged', records: [] },
  ]).split('\n');
  assert.equal(table[0], '| setting | modes covered (of 8) | high-quality fraction | KL(q ‖ w), nats | seeds |');
  assert.match(table[2], /^\| collapsed \| 1\.0 ± 0\.0 \| 0\.9\d\d ± 0\.0\d\d \| 2\.079 ± 0\.000 \| 3 \|$/);
  assert.match(table[3], /^\| perfect \| 8\.0 \| 0\.9\d\d \| 0\.\d\d\d \| 1 \|$/);
  assert.equal(table[4], '| diverged | - | - | - | 0 |');
  assert.equal(table[5], '| data (exact) | 8 | 0.989 | 0 | - |');
});
