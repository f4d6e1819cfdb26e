import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { moons } from '../../../src/data/toy.js';
import { capabilitiesOf } from '../../../src/models/capabilities.js';
import type { FlowModel, FlowDataConfig } from '../../../src/models/flow/flowModel.js';
import { Glow } from '../../../src/models/flow/glow.js';
import { Iaf } from '../../../src/models/flow/iaf.js';
import { Maf } from '../../../src/models/flow/maf.js';
import { Nice } from '../../../src/models/flow/nice.js';
import { RealNvp } from '../../../src/models/flow/realnvp.js';
import { createModel } from '../../../src/models/registry.js';
import { Trainer } from '../../../src/train/trainer.js';
import { trapezoidGrid } from '../grid.js';

before(async () => {
  await initBackend('wasm');
});

type Flow = FlowModel<FlowDataConfig>;

/** Small 2-D flows of each kind (NICE with its logistic base and with a Gaussian one). */
const FLOWS: [string, () => Flow][] = [
  ['nice', () => new Nice({ couplings: 4, hidden: [24, 24], seed: 1 }, [2])],
  ['nice gaussian', () => new Nice({ couplings: 3, hidden: [24], prior: 'gaussian', seed: 2 }, [2])],
  ['realnvp', () => new RealNvp({ couplings: 4, hidden: [24, 24], seed: 1 }, [2])],
  ['maf', () => new Maf({ layers: 3, hidden: [24, 24], seed: 1 }, [2])],
  ['iaf', () => new Iaf({ layers: 3, hidden: [24, 24], seed: 1 }, [2])],
  ['glow (vectors: actnorm, LU dense, affine coupling)', () => new Glow({ levels: 1, steps: 4, hidden: [24, 24], seed: 1 }, [2])],
];

/** `steps` Adam steps on 256 moons in batches of 64; returns the held-out NLL before and after, and the leak check's counts. */
async function trainOnMoons(model: Flow, steps: number, lr = 1e-2) {
  const train = moons.sample(256, new Rng(1)).x;
  const heldOut = { x: moons.sample(500, new Rng(2)).x, n: 500 };
  const nll = async () => -(await model.logProb(heldOut)).reduce((a, b) => a + b, 0) / heldOut.n;
  const trainer = new Trainer(model, { optimizer: { learningRate: lr } });
  const rng = new Rng(0);
  const step = (s: number) => trainer.step({ x: train.subarray((s % 4) * 128, ((s % 4) + 1) * 128), n: 64 }, { rng, step: s });
  await step(0); // actnorm's initialisation and Adam's moments
  const before = await nll();
  const tensors = tf.memory().numTensors;
  for (let s = 1; s < steps; s++) await step(s);
  await model.sample(4, rng);
  await model.encode(heldOut);
  const leaked = tf.memory().numTensors - tensors;
  trainer.dispose();
  return { before, after: await nll(), leaked };
}

/** Trapezoid integral of exp(log p) over [-L, L]^2 with `steps` intervals per axis. */
async function integrate(model: Flow, L: number, steps: number): Promise<number> {
  const { points, weights, n } = trapezoidGrid(L, steps);
  const logp = await model.logProb({ x: points, n });
  let total = 0;
  for (let k = 0; k < n; k++) total += Math.exp(logp[k]) * weights[k];
  return total;
}

for (const [label, build] of FLOWS) {
  test(`${label}: training lowers the NLL without leaking tensors, the density integrates to 1, samples score finite, decode(encode(x)) = x`, async () => {
    const model = build();
    const { before, after, leaked } = await trainOnMoons(model, 60);
    assert.equal(leaked, 0, 'training steps, sampling or encoding leak tensors');
    assert.ok(after < before - 0.1, `held-out NLL ${before} -> ${after}`);
    // Not the identity any more, yet still a density: the change of variables keeps the total at 1.
    const total = await integrate(model, 8, 320);
    assert.ok(Math.abs(total - 1) < 0.015, `integral ${total}`);
    const samples = await model.sample(200, new Rng(5));
    assert.deepEqual(await model.sample(200, new Rng(5)), samples, 'seeded samples repeat');
    const logp = await model.logProb({ x: samples, n: 200 });
    assert.ok(logp.every(Number.isFinite), 'a sample scores non-finite');
    // The samples' mean NLL is the model's entropy, close to its NLL on the data it fits (moons: ~1.5-2.5 nats).
    const points = { x: moons.sample(8, new Rng(6)).x, n: 8 };
    const z = await model.encode(points);
    const back = await model.decode(z, 8);
    back.forEach((v, i) => assert.ok(Math.abs(v - points.x[i]) < 1e-4, `decode(encode(x))[${i}] = ${v}, x = ${points.x[i]}`));
    model.dispose();
  });
}

test('log p(x) is log N(f(x); 0, I) + log-det, and the logged terms are their batch means (RealNVP, hand check through encode)', async () => {
  const model = new RealNvp({ couplings: 2, hidden: [8], seed: 3 }, [2]);
  await trainOnMoons(model, 20);
  const x = moons.sample(16, new Rng(7)).x;
  const z = await model.encode({ x, n: 16 });
  const logp = await model.logProb({ x, n: 16 });
  const terms = tf.tidy(() => {
    const t = model.loss({ x, n: 16 }, { rng: new Rng(0), step: 0, epoch: 0 });
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]]));
  });
  let meanLogPrior = 0;
  for (let b = 0; b < 16; b++) meanLogPrior += (-0.5 * (z[2 * b] ** 2 + z[2 * b + 1] ** 2) - Math.log(2 * Math.PI)) / 16;
  const meanLogp = logp.reduce((a, v) => a + v, 0) / 16;
  assert.ok(Math.abs(terms.logPrior - meanLogPrior) < 1e-4, `logPrior ${terms.logPrior}, from the codes ${meanLogPrior}`);
  assert.ok(Math.abs(terms.logDet - (meanLogp - meanLogPrior)) < 1e-4, `logDet ${terms.logDet}`);
  assert.ok(Math.abs(terms.loss + meanLogp) < 1e-4, `loss ${terms.loss}, mean log p ${meanLogp}`);
  assert.ok(Math.abs(terms.logDet) > 0.05, 'the trained flow still preserves volume: the check could not fail');
  assert.equal(terms.bitsPerDim, undefined, 'real data: no bits/dim');
  model.dispose();
});

test('8-bit intensities: dequantized training with bits/dim = (nll + D log 256) / (D ln 2), samples and decodes on the 256 levels', async () => {
  const D = 6;
  const rng = new Rng(8);
  const levels = Float32Array.from({ length: 64 * D }, (_, i) => Math.min(255, Math.floor(128 + (i % D) * 10 + 30 * rng.normal())) / 255);
  for (const model of [
    createModel('realnvp', { couplings: 2, hidden: [16] }, { shape: [D], kind: 'continuous' }) as Flow,
    createModel('maf', { layers: 2, hidden: [16] }, { shape: [D], kind: 'continuous' }) as Flow,
  ]) {
    assert.equal(model.config.dequantize, true);
    assert.equal(model.config.logit, true);
    const terms = tf.tidy(() => {
      const t = model.loss({ x: levels, n: 64 }, { rng: new Rng(0), step: 0, epoch: 0 });
      return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]]));
    });
    assert.ok(Math.abs(terms.bitsPerDim - (terms.loss + D * Math.log(256)) / (D * Math.LN2)) < 1e-4, JSON.stringify(terms));
    // Training saw dequantized values: the loss differs from the NLL of the levels themselves.
    const atLevels = -(await model.logProb({ x: levels, n: 64 })).reduce((a, v) => a + v, 0) / 64;
    assert.ok(Math.abs(atLevels - terms.loss) > 1e-3, `loss ${terms.loss} equals the NLL at the levels ${atLevels}`);
    const samples = await model.sample(20, new Rng(9));
    assert.ok(samples.every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4), 'samples off the levels');
    const back = await model.decode(await model.encode({ x: levels, n: 64 }), 64);
    assert.deepEqual(back, levels, 'decode(encode(x)) is not x on the levels');
    model.dispose();
  }
});

test('registry: flows follow the data (real: as given; [0, 1]: dequantized, logit) and say they have exact densities and codes', () => {
  for (const name of ['nice', 'realnvp', 'maf', 'glow', 'iaf']) {
    const real = createModel(name, {}, { shape: [2], kind: 'real' }) as Flow;
    assert.deepEqual([real.config.dequantize, real.config.logit], [false, false]);
    assert.deepEqual(capabilitiesOf(real), { density: 'exact', latent: true, conditional: false, completion: false });
    assert.equal(real.latentSize, 2);
    real.dispose();
  }
  assert.throws(() => createModel('realnvp', { coupling: 3 }, { shape: [2], kind: 'real' }), /no option 'coupling'/);
});
