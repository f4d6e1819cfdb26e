import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { gmm1d, grid, ring } from '../../src/data/toy.js';
import { gaussianMassWithin, modeCoverage } from '../../src/eval/modeCoverage.js';

/** `count` copies of a point, flattened. */
const repeat = (point: number[], count: number) => Array.from({ length: count }, () => point).flat();

test('all samples at one mode: 1 mode covered, every sample high quality, KL(q || w) = log K', () => {
  const at3 = repeat(ring.spec.means[3], 50);
  const r = modeCoverage(at3, 50, ring.spec);
  assert.equal(r.modes, 8);
  assert.equal(r.covered, 1);
  assert.equal(r.highQualityFraction, 1);
  assert.deepEqual(r.perMode, [0, 0, 0, 50, 0, 0, 0, 0]);
  assert.ok(Math.abs(r.klToWeights! - Math.log(8)) < 1e-12);
});

test('one sample at every mode mean: all K covered, KL 0 (ring and grid)', () => {
  for (const toy of [ring, grid]) {
    const K = toy.spec.means.length;
    const r = modeCoverage(toy.spec.means.flat(), K, toy.spec);
    assert.equal(r.covered, K);
    assert.equal(r.highQualityFraction, 1);
    assert.deepEqual(r.perMode, new Array(K).fill(1));
    assert.ok(Math.abs(r.klToWeights!) < 1e-12);
  }
});

test('points far from every mode: no high-quality sample, nothing covered, no KL', () => {
  const far = repeat([10, -7], 20);
  const r = modeCoverage(far, 20, ring.spec);
  assert.equal(r.highQualityFraction, 0);
  assert.equal(r.covered, 0);
  assert.equal(r.klToWeights, undefined);
  // The origin is 2 from every ring mode, 100 standard deviations: also not high quality.
  assert.equal(modeCoverage([0, 0], 1, ring.spec).highQualityFraction, 0);
});

test('the 3-sigma boundary is inclusive, radial in any direction, and scales with `sigmas`', () => {
  const [mx, my] = ring.spec.means[0]; // (2, 0), std 0.02: the radius is 0.06
  const angle = 0.7;
  const at = (radius: number) => [mx + radius * Math.cos(angle), my + radius * Math.sin(angle)];
  assert.equal(modeCoverage(at(0.06 * (1 - 1e-9)), 1, ring.spec).highQualityFraction, 1);
  assert.equal(modeCoverage(at(0.06 * (1 + 1e-9)), 1, ring.spec).highQualityFraction, 0);
  assert.equal(modeCoverage(at(0.09), 1, ring.spec, { sigmas: 5 }).highQualityFraction, 1);
  assert.equal(modeCoverage(at(0.09), 1, ring.spec).highQualityFraction, 0);
});

test('a sample counts against its nearest mean (Euclidean), not against a wider mode it is within 3 sigma of', () => {
  // gmm1d: means -2, 1, 4 with stds 0.5, 0.7, 0.3.
  // x = 2.4: nearest is 1 (distance 1.4 <= 3 * 0.7): high quality at mode 1.
  // x = 2.6: nearest is 4 (1.4 > 3 * 0.3): not high quality, although within 3 * 0.7 of mode 1.
  assert.deepEqual(modeCoverage([2.4], 1, gmm1d.spec).perMode, [0, 1, 0]);
  const r = modeCoverage([2.6], 1, gmm1d.spec);
  assert.deepEqual(r.perMode, [0, 0, 0]);
  assert.equal(r.highQualityFraction, 0);
});

test('minCount: a mode is covered only with that many high-quality samples', () => {
  const points = [...repeat(ring.spec.means[0], 3), ...repeat(ring.spec.means[1], 1), 10, 10];
  assert.equal(modeCoverage(points, 5, ring.spec).covered, 2);
  assert.equal(modeCoverage(points, 5, ring.spec, { minCount: 2 }).covered, 1);
  assert.equal(modeCoverage(points, 5, ring.spec, { minCount: 4 }).covered, 0);
  assert.equal(modeCoverage(points, 5, ring.spec).highQualityFraction, 4 / 5);
});

test('KL(q || w) against unequal weights, by hand', () => {
  // gmm1d weights 0.3 / 0.5 / 0.2; one sample at each mean gives q = 1/3 each.
  const r = modeCoverage([-2, 1, 4], 3, gmm1d.spec);
  const expected = [0.3, 0.5, 0.2].reduce((s, w) => s + (1 / 3) * Math.log(1 / 3 / w), 0);
  assert.ok(Math.abs(r.klToWeights! - expected) < 1e-12, `${r.klToWeights} vs ${expected}`);
  // Samples in the data's proportions: KL 0.
  const proportional = [...repeat([-2], 3), ...repeat([1], 5), ...repeat([4], 2)];
  assert.ok(Math.abs(modeCoverage(proportional, 10, gmm1d.spec).klToWeights!) < 1e-12);
});

test('the data itself: all 8 ring modes, high-quality fraction 1 - exp(-9/2), KL near 0', () => {
  const n = 20000;
  const data = ring.sample(n, new Rng(5));
  const r = modeCoverage(data.x, n, ring.spec);
  const expected = 1 - Math.exp(-4.5); // 0.98889
  // Binomial standard deviation sqrt(p (1 - p) / n) = 7.4e-4: 4 of them.
  assert.ok(Math.abs(r.highQualityFraction - expected) < 0.003, `${r.highQualityFraction} vs ${expected}`);
  assert.equal(r.covered, 8);
  // Multinomial noise alone gives KL ~ (K - 1) / (2 n) = 1.8e-4.
  assert.ok(r.klToWeights! < 2e-3, String(r.klToWeights));
  // The grid in the same way (std 0.05, modes 2 apart).
  const g = modeCoverage(grid.sample(n, new Rng(6)).x, n, grid.spec);
  assert.equal(g.covered, 25);
  assert.ok(Math.abs(g.highQualityFraction - expected) < 0.003);
});

test('gaussianMassWithin: chi-square closed forms in 1, 2 and 3 dimensions', () => {
  // erf(s / sqrt 2) for s = 1, 2, 3 (the 68-95-99.7 rule, to 12 digits).
  const erf = [0.682689492137086, 0.954499736103642, 0.99730020393674];
  [1, 2, 3].forEach((s, i) => {
    assert.ok(Math.abs(gaussianMassWithin(1, s) - erf[i]) < 1e-12, `dim 1, s ${s}`);
    assert.ok(Math.abs(gaussianMassWithin(2, s) - (1 - Math.exp((-s * s) / 2))) < 1e-12, `dim 2, s ${s}`);
    // chi with 3 degrees of freedom: erf(s / sqrt 2) - sqrt(2 / pi) s exp(-s^2 / 2).
    const chi3 = erf[i] - Math.sqrt(2 / Math.PI) * s * Math.exp((-s * s) / 2);
    assert.ok(Math.abs(gaussianMassWithin(3, s) - chi3) < 1e-12, `dim 3, s ${s}`);
  });
  assert.equal(gaussianMassWithin(2, 0), 0);
  assert.ok(gaussianMassWithin(2, 40) === 1 && gaussianMassWithin(700, 10) < 1e-100);
});

test('refuses points of the wrong size and bad options', () => {
  assert.throws(() => modeCoverage([1, 2, 3], 2, ring.spec), /expected 2 points of dimension 2/);
  assert.throws(() => modeCoverage([1, 2], 1, ring.spec, { minCount: 0 }), /minCount/);
  assert.throws(() => modeCoverage([1, 2], 1, ring.spec, { sigmas: -1 }), /sigmas/);
});
