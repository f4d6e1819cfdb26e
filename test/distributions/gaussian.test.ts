import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gaussian } from '../../src/distributions/gaussian.js';
import { Rng } from '../../src/core/rng.js';
import { UserError } from '../../src/core/errors.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b} (tol ${tol})`);
const LOG_2PI = Math.log(2 * Math.PI);

test('logProb against the closed form at known points', () => {
  const std = new Gaussian({ mean: [0], std: [1] });
  close(std.logProb(0), -0.5 * LOG_2PI, 1e-15);
  close(std.logProb(1), -0.5 - 0.5 * LOG_2PI, 1e-15);
  const g = new Gaussian({ mean: [2], std: [3] });
  close(g.logProb(5), -0.5 - Math.log(3) - 0.5 * LOG_2PI, 1e-15); // z = 1
  close(Math.exp(g.logProb(2)), 1 / (3 * Math.sqrt(2 * Math.PI)), 1e-15);
  // 2-D from logStd: the coordinates add.
  const h = new Gaussian({ mean: [1, -1], logStd: [0, Math.log(2)] });
  close(h.logProb([2, 3]), -0.5 * (1 + 4) - Math.log(2) - LOG_2PI, 1e-14);
  const batch = h.logProbBatch(new Float64Array([2, 3, 1, -1]));
  close(batch[0], h.logProb([2, 3]), 0);
  close(batch[1], -Math.log(2) - LOG_2PI, 1e-14);
  // Far in the tail the log-density stays finite where the density underflows.
  close(std.logProb(100), -5000 - 0.5 * LOG_2PI, 1e-9);
});

test('1-D density integrates to 1 (trapezoid rule over mean +- 12 std)', () => {
  const g = new Gaussian({ mean: [1.5], std: [0.7] });
  const a = 1.5 - 12 * 0.7;
  const b = 1.5 + 12 * 0.7;
  const m = 4000;
  const h = (b - a) / m;
  let s = 0;
  for (let i = 0; i <= m; i++) s += (i === 0 || i === m ? 0.5 : 1) * Math.exp(g.logProb(a + i * h));
  close(s * h, 1, 1e-9);
});

test('entropy: closed form, and Monte Carlo within 4 standard errors', () => {
  const sigma = [0.5, 1, 3];
  const g = new Gaussian({ mean: [0, 10, -3], std: sigma });
  const closed = 1.5 * (1 + LOG_2PI) + sigma.reduce((s, v) => s + Math.log(v), 0);
  close(g.entropy(), closed, 1e-14);
  const mc = g.entropyEstimate(20000, new Rng(3));
  // Var(log p) = D/2 for a Gaussian, so the standard error is about sqrt(1.5 / 20000) = 0.0087.
  close(mc.standardError, Math.sqrt(1.5 / 20000), 0.002);
  close(mc.entropy, closed, 4 * mc.standardError);
});

test('KL divergence: zero to itself, closed form vs Monte Carlo', () => {
  const p = new Gaussian({ mean: [0.5, -1], std: [0.8, 1.5] });
  const q = new Gaussian({ mean: [0, 0], std: [1, 1] });
  close(p.klDivergence(p), 0, 1e-15);
  const x = p.sample(40000, new Rng(11));
  const lp = p.logProbBatch(x);
  const lq = q.logProbBatch(x);
  let mean = 0;
  for (let i = 0; i < lp.length; i++) mean += (lp[i] - lq[i]) / lp.length;
  close(p.klDivergence(q), mean, 0.03);
});

test('ML fit recovers mean and std from samples within sampling error', () => {
  const mean = [3, -2];
  const std = [0.5, 4];
  const n = 20000;
  const x = new Gaussian({ mean, std }).sample(n, new Rng(5));
  assert.equal(x.length, n * 2);
  const fit = Gaussian.fit(x, { dim: 2 });
  for (let d = 0; d < 2; d++) {
    close(fit.mean[d], mean[d], (4 * std[d]) / Math.sqrt(n), `mean[${d}]`);
    close(fit.std[d], std[d], (4 * std[d]) / Math.sqrt(2 * n), `std[${d}]`);
  }
  // The ML variance divides by N: exact on a tiny hand case.
  const tiny = Gaussian.fit([[1], [3]]);
  assert.deepEqual([tiny.mean[0], tiny.std[0]], [2, 1]);
  // A constant coordinate gets minStd, not 0.
  const flat = Gaussian.fit([[1, 5], [2, 5]], { minStd: 1e-3 });
  assert.equal(flat.std[1], 1e-3);
});

test('fit and constructor reject bad input with UserError', () => {
  assert.throws(() => Gaussian.fit([]), UserError);
  assert.throws(() => Gaussian.fit([1, 2, 3], { dim: 2 }), UserError);
  assert.throws(() => Gaussian.fit([[1, 2], [3]]), UserError);
  assert.throws(() => Gaussian.fit([1, 2], { minStd: 0 }), UserError);
  assert.throws(() => new Gaussian({ mean: [0], std: [0] }), UserError);
  assert.throws(() => new Gaussian({ mean: [0], std: [-1] }), UserError);
  assert.throws(() => new Gaussian({ mean: [0, 1], std: [1] }), UserError);
  assert.throws(() => new Gaussian({ mean: [0], logStd: [1000] }), UserError);
  assert.throws(() => new Gaussian({ mean: [0] } as never), UserError);
  assert.throws(() => new Gaussian({ mean: [0, 0], std: [1, 1] }).logProb([1]), UserError);
});

test('JSON round trip', () => {
  for (const g of [new Gaussian({ mean: [1, 2], std: [0.1, 3] }), new Gaussian({ mean: [0], logStd: [-0.3] })]) {
    const back = Gaussian.fromJSON(JSON.parse(JSON.stringify(g)));
    assert.deepEqual(back.getParams(), g.getParams());
    const x = g.dim === 1 ? 0.4 : [0.4, 1];
    assert.equal(back.logProb(x), g.logProb(x));
  }
});
