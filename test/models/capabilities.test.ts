import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { canComplete, capabilitiesOf, hasBound, hasDensity, isConditional, isLatent, type DensityKind } from '../../src/models/capabilities.js';
import type { GenerativeModel } from '../../src/models/model.js';
import { createModel, listModels, type DataInfo } from '../../src/models/registry.js';
import { correlatedBinary } from './autoregressive/checks.js';

before(async () => {
  await initBackend('wasm');
});

const BINARY: DataInfo = { shape: [4, 4, 1], kind: 'binary', numClasses: 3 };
const REAL: DataInfo = { shape: [3], kind: 'continuous' };

/** What each model is, from the papers: [density kind or none, bound, latent, conditional, completion]. */
const EXPECTED: Record<string, [DensityKind | null, boolean, boolean, boolean, boolean]> = {
  independent: ['exact', false, false, false, true],
  markov: ['exact', false, false, false, true],
  ar: ['exact', false, false, false, true],
  fvsbn: ['exact', false, false, false, true],
  nade: ['exact', false, false, false, true],
  eonade: ['exact', false, false, false, true],
  rnade: ['exact', false, false, false, true],
  made: ['exact', false, false, false, true],
  pixelcnn: ['exact', false, false, false, true],
  rowlstm: ['exact', false, false, false, true],
  diagbilstm: ['exact', false, false, false, true],
  ae: [null, false, true, false, false],
  vae: ['estimate', true, true, false, false],
  betavae: ['estimate', true, true, false, false],
  cvae: ['estimate', true, true, true, false],
  iwae: ['estimate', true, true, false, false],
  aae: [null, false, true, false, false],
  // Flows: exact densities and exact codes z = f(x).
  nice: ['exact', false, true, false, false],
  realnvp: ['exact', false, true, false, false],
  maf: ['exact', false, true, false, false],
  glow: ['exact', false, true, false, false],
  iaf: ['exact', false, true, false, false],
  // Diffusion: the variational bound (Ho et al. 2020, Eq. 5) is its density, with named terms.
  ddpm: ['bound', true, false, false, true],
  classcond: ['exact', false, false, true, false],
  // Implicit models: samples only (their own guards, isAdversarial and hasCodes, are tested in adversarial/).
  gan: [null, false, false, false, false],
  dcgan: [null, false, false, false, false],
  wgan: [null, false, false, false, false],
  wgangp: [null, false, false, false, false],
  sngan: [null, false, false, false, false],
  cgan: [null, false, false, true, false],
  acgan: [null, false, false, true, false],
  infogan: [null, false, false, false, false],
  unrolled: [null, false, false, false, false],
};

function build(name: string): { model: GenerativeModel; data: DataInfo } {
  const flow = name === 'nice' || name === 'realnvp' || name === 'maf' || name === 'glow' || name === 'iaf';
  const data = name === 'rnade' || flow || name === 'ddpm' ? REAL : BINARY;
  // Small nets: the defaults are MNIST-sized.
  const config =
    name === 'vae' || name === 'betavae' || name === 'cvae' || name === 'iwae'
      ? { hidden: [8], latent: 2, evalSamples: 7 }
      : flow
        ? { hidden: [8] }
        : name === 'ddpm'
          ? { hidden: [8], timesteps: 20, boundStrata: 5, resamples: 2 }
          : {};
  return { model: createModel(name, config, data), data };
}

test('every registered model answers the guards as its paper says, and capabilitiesOf summarises them', () => {
  assert.deepEqual(listModels().map((m) => m.name).sort(), Object.keys(EXPECTED).sort(), 'the table covers the registry');
  for (const [name, [density, bound, latent, conditional, completion]] of Object.entries(EXPECTED)) {
    const { model } = build(name);
    assert.equal(hasDensity(model) ? model.densityKind : null, density, `${name}: density`);
    assert.equal(hasBound(model), bound, `${name}: bound`);
    assert.equal(isLatent(model), latent, `${name}: latent`);
    assert.equal(isConditional(model), conditional, `${name}: conditional`);
    assert.equal(canComplete(model), completion, `${name}: completion`);
    assert.deepEqual(capabilitiesOf(model), { density: density ?? 'implicit', latent, conditional, completion }, name);
    model.dispose();
  }
});

test('what a guard admits works: scores, bounds, codes, labelled samples and completions have their shapes, without leaking tensors', async () => {
  for (const name of Object.keys(EXPECTED)) {
    const { model, data } = build(name);
    const D = data.shape.reduce((a, b) => a * b, 1);
    const n = 3;
    const x = data.kind === 'binary' ? correlatedBinary(n, D) : Float32Array.from({ length: n * D }, (_, i) => ((i * 7) % 10) / 10 + 0.05);
    const batch = { x, n, labels: isConditional(model) ? Int32Array.from([0, 2, 1]) : undefined };
    const rng = new Rng(1);
    const tensors = tf.memory().numTensors;
    if (hasDensity(model)) {
      const logp = await model.logProb(batch, rng);
      assert.ok(logp.length === n && logp.every(Number.isFinite), `${name}: logProb ${logp}`);
    }
    if (hasBound(model)) {
      const b = await model.bound(batch, rng);
      assert.equal(b.bound.length, n, name);
      assert.deepEqual(Object.keys(b.terms), Object.keys(model.termKinds), `${name}: the terms, in the order termKinds gives`);
    }
    if (isLatent(model)) {
      const z = await model.encode(batch, rng);
      assert.equal(z.length, n * model.latentSize, name);
      assert.equal((await model.decode(z, n, batch.labels)).length, n * D, name);
    }
    if (isConditional(model)) {
      assert.equal(model.numClasses, 3, `${name}: numClasses from the data`);
      assert.equal((await model.sample(2, rng, { labels: Int32Array.from([2, 0]) })).length, 2 * D, name);
    }
    if (canComplete(model)) {
      const missing = new Uint8Array(D).fill(1, Math.floor(D / 2));
      const filled = await model.complete(batch, missing, rng);
      for (let i = 0; i < n * D; i++) if (!missing[i % D]) assert.equal(filled[i], x[i], `${name}: observed value ${i} changed`);
    }
    assert.equal(tf.memory().numTensors, tensors, `${name} leaks tensors`);
    model.dispose();
  }
});

test('the VAE family\'s bound is the ELBO = reconstruction - kl, per example, exactly as termKinds says', async () => {
  for (const name of ['vae', 'betavae', 'iwae', 'cvae']) {
    const { model } = build(name);
    assert.ok(hasBound(model));
    assert.deepEqual(model.termKinds, { reconstruction: 'logLikelihood', kl: 'divergence' }, name);
    const batch = { x: correlatedBinary(6, 16), n: 6, labels: Int32Array.from([0, 1, 2, 0, 1, 2]) };
    const { bound, terms } = await model.bound(batch, new Rng(4));
    for (let i = 0; i < 6; i++) {
      assert.equal(bound[i], terms.reconstruction[i] - terms.kl[i], `${name}[${i}]`);
      assert.ok(terms.kl[i] >= 0 && terms.reconstruction[i] < 0, `${name}[${i}]: KL >= 0 and log p(x|z) < 0 for binary x`);
      // Control: the other sign is not the bound, so the comparison above can fail.
      assert.notEqual(bound[i], terms.reconstruction[i] + terms.kl[i]);
    }
    model.dispose();
  }
});

test('the guards look at what is there: a method without its companion field is not a capability', () => {
  const base = { name: 'stub', inputShape: [2] } as unknown as GenerativeModel;
  const logProb = async () => new Float64Array(0);
  assert.equal(hasDensity({ ...base, logProb } as GenerativeModel), false, 'logProb without densityKind');
  assert.equal(hasDensity({ ...base, logProb, densityKind: 'exact' } as GenerativeModel), true);
  const encode = async () => new Float32Array(0);
  assert.equal(isLatent({ ...base, encode, decode: encode } as GenerativeModel), false, 'no latentSize');
  assert.equal(isLatent({ ...base, encode, decode: encode, latentSize: 2 } as GenerativeModel), true);
  assert.equal(hasBound({ ...base, bound: encode } as GenerativeModel), false, 'no termKinds');
  assert.equal(isConditional({ ...base, numClasses: 4 } as GenerativeModel), true);
  assert.deepEqual(capabilitiesOf(base), { density: 'implicit', latent: false, conditional: false, completion: false });
});
