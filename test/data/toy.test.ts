import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';
import { TOY_NAMES, TOYS, gmm1d, grid, loadToy, ring } from '../../src/data/toy.js';

test('every toy: n points of kind real, shape [dim], finite, reproducible from the seed', () => {
  for (const name of TOY_NAMES) {
    const d = loadToy(name, 300, new Rng(1));
    const dim = name === 'gmm1d' ? 1 : 2;
    assert.equal(d.n, 300, name);
    assert.deepEqual(d.shape, [dim], name);
    assert.equal(d.x.length, 300 * dim, name);
    assert.equal(d.kind, 'real', name);
    assert.equal(d.name, `toy:${name}`);
    assert.ok(d.x.every(Number.isFinite), name);
    assert.deepEqual(loadToy(name, 300, new Rng(1)).x, d.x, name);
    assert.notDeepEqual(loadToy(name, 300, new Rng(2)).x, d.x, name);
    if (name !== 'swissroll') assert.equal(d.labels!.length, 300, name);
    assert.equal(TOYS[name].dim, dim);
  }
});

test('ring: every point lies within 5 std of its labelled mode, and all 8 modes are used', () => {
  const n = 4000;
  const d = ring.sample(n, new Rng(5));
  const counts = new Array(8).fill(0);
  for (let i = 0; i < n; i++) {
    const k = d.labels![i];
    counts[k]++;
    const a = (2 * Math.PI * k) / 8;
    const dist = Math.hypot(d.x[2 * i] - 2 * Math.cos(a), d.x[2 * i + 1] - 2 * Math.sin(a));
    assert.ok(dist < 0.1, `point ${i} is ${dist} from mode ${k}`);
  }
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 8) < 0.03, `mode frequencies ${counts}`);
});

test('grid: labels are the nearest of the 25 modes', () => {
  const d = grid.sample(1000, new Rng(6));
  for (let i = 0; i < d.n; i++) {
    const row = Math.round((d.x[2 * i] + 4) / 2);
    const col = Math.round((d.x[2 * i + 1] + 4) / 2);
    assert.ok(5 * row + col === d.labels![i], `point ${i} (${d.x[2 * i]}, ${d.x[2 * i + 1]}) labelled ${d.labels![i]}`);
  }
});

test('logDensity: the 1-D mixture integrates to 1; grid too (trapezoid rule)', () => {
  let s = 0;
  const h = 0.001;
  for (let x = -10; x <= 10; x += h) s += Math.exp(gmm1d.logDensity([x])) * h;
  assert.ok(Math.abs(s - 1) < 1e-6, `gmm1d integral ${s}`);
  let s2 = 0;
  const h2 = 0.01;
  for (let x = -5; x <= 5; x += h2) for (let y = -5; y <= 5; y += h2) s2 += Math.exp(grid.logDensity([x, y])) * h2 * h2;
  assert.ok(Math.abs(s2 - 1) < 1e-3, `grid integral ${s2}`);
});

test('ring logDensity at a mode is log(1/8 * 1/(2 pi sigma^2)), and decays off the circle', () => {
  const expected = Math.log(1 / 8) - Math.log(2 * Math.PI * 0.02 ** 2);
  assert.ok(Math.abs(ring.logDensity([2, 0]) - expected) < 1e-9);
  assert.ok(ring.logDensity([0, 0]) < -1000);
  assert.throws(() => ring.logDensity([1]), UserError);
});

test('loadToy: a bad name lists the valid ones; n must be a positive integer', () => {
  assert.throws(
    () => loadToy('rings', 10, new Rng(0)),
    (e: Error) => e instanceof UserError && e.message.includes("'rings'") && TOY_NAMES.every((nm) => e.message.includes(nm)),
  );
  assert.throws(() => loadToy('ring', 0, new Rng(0)), UserError);
  assert.throws(() => loadToy('ring', 2.5, new Rng(0)), UserError);
});

test('moons and spiral use both classes', () => {
  for (const name of ['moons', 'spiral']) {
    const d = loadToy(name, 200, new Rng(9));
    const ones = d.labels!.reduce((a, b) => a + b, 0);
    assert.ok(ones > 60 && ones < 140, `${name}: ${ones} of 200 in class 1`);
  }
});
