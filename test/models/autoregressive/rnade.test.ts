import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { GaussianMixture } from '../../../src/distributions/mixture.js';
import { gmm1d, moons, ring } from '../../../src/data/toy.js';
import { dequantize, quantize } from '../../../src/data/dequantize.js';
import { Rnade, type RnadeConfig } from '../../../src/models/autoregressive/rnade.js';
import { Trainer } from '../../../src/train/trainer.js';
import { assertAutoregressive, assertNoLeaks, trainBriefly } from './checks.js';
import { trapezoidGrid } from '../grid.js';

before(async () => {
  await initBackend('wasm');
});

/**
 * log p(x) in float64, one step at a time and with no running sum: h_t = sigma(rho_t (c + sum_{s<t}
 * W[:, s] x_{o(s)})), and the conditional of step t is a 1-D GaussianMixture built from the weights.
 */
function referenceLogProb(model: Rnade, x: Float32Array, n: number): Float64Array {
  const w = Object.fromEntries(model.getWeights().map((a) => [a.name, a.data]));
  const { hidden: H, components: C, minStd } = model.config;
  const order = model.ordering.order;
  const D = order.length;
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const a = Float64Array.from(w.c);
    for (let t = 0; t < D; t++) {
      const i = order[t];
      const h = Array.from(a, (v) => 1 / (1 + Math.exp(-w.rho[t] * v)));
      const head = (V: ArrayLike<number>, bias: ArrayLike<number>) =>
        Array.from({ length: C }, (_, j) => h.reduce((s, hk, k) => s + hk * V[(t * H + k) * C + j], bias[t * C + j]));
      const mixture = new GaussianMixture({
        logits: head(w.Valpha, w.balpha),
        means: head(w.Vmu, w.bmu).map((m) => [m]),
        stds: head(w.Vsigma, w.bsigma).map((s) => [minStd + Math.exp(s)]),
      });
      out[b] += mixture.logProb(x[b * D + i]);
      for (let k = 0; k < H; k++) a[k] += x[b * D + i] * w.W[k * D + t];
    }
  }
  return out;
}

test('D = 1: RNADE is a Gaussian mixture, and its logProb equals GaussianMixture.logProb on the same parameters', async () => {
  const model = new Rnade({ hidden: 6, components: 4, seed: 2 }, [1]);
  const data = gmm1d.sample(256, new Rng(3)).x;
  await trainBriefly(model, data, 1, 40, 0.05); // move every parameter off its initial value
  const points = Float32Array.from([-5, -2.2, -1, 0, 0.3, 1.1, 2.5, 4, 7]);
  const got = await model.logProb({ x: points, n: points.length });
  const want = referenceLogProb(model, points, points.length);
  points.forEach((p, b) => assert.ok(Math.abs(got[b] - want[b]) < 1e-4 * Math.max(1, Math.abs(want[b])), `x = ${p}: ${got[b]} vs ${want[b]}`));
  model.dispose();
});

test('D = 3: the O(DH) running sum equals the step-by-step float64 reference (random ordering)', async () => {
  const D = 3;
  const model = new Rnade({ hidden: 5, components: 3, ordering: { type: 'random', seed: 4 }, seed: 1 }, [D]);
  const rng = new Rng(7);
  const data = Float32Array.from({ length: 64 * D }, (_, j) => (j % D === 0 ? rng.normal() : 0) + 0.5 * rng.normal());
  await trainBriefly(model, data, D, 30, 0.05);
  const x = data.subarray(0, 8 * D);
  const got = await model.logProb({ x, n: 8 });
  const want = referenceLogProb(model, x, 8);
  for (let b = 0; b < 8; b++) assert.ok(Math.abs(got[b] - want[b]) < 1e-4 * Math.max(1, Math.abs(want[b])), `example ${b}: ${got[b]} vs ${want[b]}`);
  model.dispose();
});

/** Trapezoid integral of exp(log p) over [-L, L]^2 with `steps` intervals per axis; also E[x] and E[x x^T]. */
async function integrate(model: Rnade, L: number, steps: number) {
  const { points, weights, n } = trapezoidGrid(L, steps);
  const logp = await model.logProb({ x: points, n });
  const moments = { total: 0, mean: [0, 0], second: [0, 0, 0] };
  for (let k = 0; k < n; k++) {
    const w = Math.exp(logp[k]) * weights[k];
    const [u, v] = [points[2 * k], points[2 * k + 1]];
    moments.total += w;
    moments.mean[0] += w * u;
    moments.mean[1] += w * v;
    moments.second[0] += w * u * u;
    moments.second[1] += w * u * v;
    moments.second[2] += w * v * v;
  }
  return moments;
}

test('D = 2: the density integrates to 1 on a grid, at init and after training, and samples have its moments', async () => {
  const model = new Rnade({ hidden: 12, components: 5, seed: 3 }, [2]);
  const init = await integrate(model, 15, 600); // the initial sds reach ~2: a wide box
  assert.ok(Math.abs(init.total - 1) < 1e-3, `at init: integral ${init.total}`);
  await trainBriefly(model, moons.sample(512, new Rng(1)).x, 2, 150, 0.02);
  const trained = await integrate(model, 6, 600);
  assert.ok(Math.abs(trained.total - 1) < 1e-3, `trained: integral ${trained.total}`);
  // Ancestral samples against the grid's moments: 4,000 draws give standard errors below 0.02.
  const n = 4000;
  const s = await model.sample(n, new Rng(9));
  const mean = [0, 0];
  const second = [0, 0, 0];
  for (let b = 0; b < n; b++) {
    const [u, v] = [s[2 * b], s[2 * b + 1]];
    mean[0] += u / n;
    mean[1] += v / n;
    second[0] += (u * u) / n;
    second[1] += (u * v) / n;
    second[2] += (v * v) / n;
  }
  mean.forEach((m, k) => assert.ok(Math.abs(m - trained.mean[k]) < 0.06, `E[x_${k}]: samples ${m}, grid ${trained.mean[k]}`));
  second.forEach((m, k) => assert.ok(Math.abs(m - trained.second[k]) < 0.08, `second moment ${k}: samples ${m}, grid ${trained.second[k]}`));
  model.dispose();
});

test('every mixture parameter of a conditional depends only on earlier variables (autograd check)', async () => {
  const D = 5;
  const C = 3;
  for (const ordering of [{ type: 'raster' }, { type: 'random', seed: 5 }] as RnadeConfig['ordering'][]) {
    const model = new Rnade({ hidden: 6, components: C, ordering, seed: 4 }, [D]);
    const rng = new Rng(2);
    await trainBriefly(model, Float32Array.from({ length: 32 * D }, () => rng.normal()), D, 5, 0.05); // rho, c, b off their init
    // Permutation matrices instead of gathers: wasm lacks the kernel of gather's gradient.
    const P = new Float32Array(D * D); // P[i, t] = 1 iff variable i is visited at step t
    model.ordering.order.forEach((i, t) => (P[i * D + t] = 1));
    const toOrdered = tf.tensor2d(P, [D, D]);
    const x = Float32Array.from({ length: D }, () => rng.normal());
    for (const which of ['logWeights', 'means', 'stds'] as const) {
      for (let k = 0; k < C; k++) {
        assertAutoregressive(
          (input) => {
            const params = model.conditionals(tf.matMul(input, toOrdered))[which]; // [D, 1, C]
            const perStep = tf.reshape(tf.slice(params, [0, 0, k], [D, 1, 1]), [1, D]); // [1, D], ordered
            return tf.matMul(perStep, toOrdered, false, true); // [1, D], input order
          },
          model.ordering.position,
          x,
        );
      }
    }
    toOrdered.dispose();
    model.dispose();
  }
});

/**
 * The ring's entropy: 8 equally weighted, well-separated isotropic Gaussians in 2-D with std s = 0.02
 * (overlaps ~ exp(-(1.53 / 0.04)^2 / 2), nil), so H = log 8 + log(2 pi e s^2) = 2.079 - 4.986 = -2.907
 * nats: the best expected test NLL. Any model in which x_2 ignores x_1 does no better than the
 * product of the exact marginals, H(x_1) + H(x_2) = 2 (1.560 - 2.493) = -1.866 (each coordinate takes
 * 5 values with probabilities 1/8, 1/4, 1/4, 1/4, 1/8, blurred by s).
 */
const RING_ENTROPY = Math.log(8) + Math.log(2 * Math.PI * Math.E * 0.02 ** 2);

test('on the 8-Gaussian ring (std 0.02) the held-out NLL approaches the true entropy, -2.91 nats', async () => {
  const heldOut = ring.sample(2000, new Rng(12)).x;
  // The stated entropy against the exact density on the held-out points (Monte Carlo, se ~ 0.02).
  let exact = 0;
  for (let b = 0; b < 2000; b++) exact -= ring.logDensity(heldOut.subarray(2 * b, 2 * b + 2)) / 2000;
  assert.ok(Math.abs(RING_ENTROPY - -2.907) < 1e-3 && Math.abs(exact - RING_ENTROPY) < 0.08, `entropy ${RING_ENTROPY}, exact NLL ${exact}`);

  const model = new Rnade({ hidden: 32, components: 10, seed: 1 }, [2]);
  const train = ring.sample(2000, new Rng(11)).x;
  const trainer = new Trainer(model, { optimizer: { learningRate: 3e-3 } });
  const rng = new Rng(0);
  const B = 100;
  for (let s = 0; s < 1000; s++) {
    const at = (s % 20) * B; // 20 minibatches of 100, in a fixed order
    await trainer.step({ x: train.subarray(2 * at, 2 * (at + B)), n: B }, { rng, step: s });
  }
  trainer.dispose();
  const nll = -(await model.logProb({ x: heldOut, n: 2000 })).reduce((a, b) => a + b, 0) / 2000;
  // Below -2.3, x_2's conditional must follow x_1 (the independent bound is -1.87). Model seeds 1-5
  // reached -2.46 to -2.63 here; the old initialisation (Glorot W, c = 0, means at 0) -1.35 (seeds 2, 3:
  // -2.12, -1.77).
  assert.ok(nll < -2.3, `held-out NLL ${nll} nats; true entropy ${RING_ENTROPY}, product of marginals -1.866`);
  model.dispose();
});

test('sampling is reproducible, completion keeps observed values and conditions on earlier ones', async () => {
  const D = 3;
  // x_1 ~ N(0, 1), x_2 = x_1 + small noise, x_3 = -x_1 + small noise: the completion of x_2, x_3 must follow x_1.
  const rng = new Rng(5);
  const data = new Float32Array(512 * D);
  for (let b = 0; b < 512; b++) {
    const u = rng.normal();
    data.set([u, u + 0.05 * rng.normal(), -u + 0.05 * rng.normal()], b * D);
  }
  const model = new Rnade({ hidden: 16, components: 5, seed: 2 }, [D]);
  await trainBriefly(model, data, D, 300, 0.02);
  assert.deepEqual(await model.sample(50, new Rng(3)), await model.sample(50, new Rng(3)));
  const n = 200;
  const observed = new Float32Array(n * D);
  for (let b = 0; b < n; b++) observed[b * D] = b % 2 ? 1.5 : -1.5;
  const completed = await model.complete({ x: observed, n }, new Uint8Array([0, 1, 1]), new Rng(4));
  let err2 = 0;
  let err3 = 0;
  for (let b = 0; b < n; b++) {
    assert.equal(completed[b * D], observed[b * D]);
    err2 += Math.abs(completed[b * D + 1] - completed[b * D]) / n;
    err3 += Math.abs(completed[b * D + 2] + completed[b * D]) / n;
  }
  assert.ok(err2 < 0.3 && err3 < 0.3, `completions do not follow x_1: mean |x2 - x1| = ${err2}, |x3 + x1| = ${err3}`);
  model.dispose();
});

test('dequantization: 8-bit levels map into disjoint intervals of width 1/256 and quantize back', () => {
  const levels = Float32Array.from({ length: 256 }, (_, k) => k / 255);
  for (let draw = 0; draw < 20; draw++) {
    const y = dequantize(levels, new Rng(draw));
    levels.forEach((x, k) => {
      assert.ok(y[k] >= x && y[k] < x + 1 / 256 + 1e-7, `level ${k}: ${y[k]}`);
      if (k > 0) assert.ok(y[k] > y[k - 1]);
      assert.equal(quantize(y[k]), k / 255);
    });
  }
});

test('dequantized training on 8-bit-like data gives finite densities and samples on the 256 levels', async () => {
  const D = 4;
  const rng = new Rng(6);
  const x = Float32Array.from({ length: 128 * D }, () => (rng.uniform() < 0.5 ? 0 : Math.round(255 * rng.uniform()) / 255));
  const model = new Rnade({ hidden: 8, components: 3, dequantize: true, seed: 1 }, [D]);
  const { before: b, after: a } = await trainBriefly(model, x, D, 30, 0.02);
  assert.ok(Number.isFinite(a) && a < b, `NLL ${b} -> ${a}`);
  for (const v of await model.sample(20, new Rng(1))) assert.ok(Number.isInteger(Math.round(v * 255)) && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4 && v >= 0 && v <= 1, `sample ${v}`);
  model.dispose();
});

test('weights and config round trip', async () => {
  const D = 3;
  const model = new Rnade({ hidden: 7, components: 4, ordering: { type: 'random', seed: 3 }, seed: 1 }, [D]);
  const rng = new Rng(2);
  const x = Float32Array.from({ length: 16 * D }, () => rng.normal());
  await trainBriefly(model, x, D, 5, 0.05);
  const copy = new Rnade({ ...(model.getConfig() as Partial<RnadeConfig>), seed: 99 }, [D]);
  copy.setWeights(model.getWeights());
  assert.deepEqual(await copy.logProb({ x, n: 16 }), await model.logProb({ x, n: 16 }));
  assert.deepEqual(await copy.sample(5, new Rng(8)), await model.sample(5, new Rng(8)));
  assert.deepEqual(JSON.parse(JSON.stringify(model.getConfig())), model.getConfig());
  model.dispose();
  copy.dispose();
});

test('no tensor leaks over training steps, sampling, scoring and completion', async () => {
  const D = 3;
  const rng = new Rng(1);
  const x = Float32Array.from({ length: 8 * D }, () => rng.uniform());
  const model = new Rnade({ hidden: 5, components: 2, dequantize: true }, [D]);
  await assertNoLeaks(model, x, D);
  const before = tf.memory().numTensors;
  await model.complete({ x, n: 8 }, new Uint8Array([0, 1, 0]), rng);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
