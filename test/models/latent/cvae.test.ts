import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { UserError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { isConditional } from '../../../src/models/capabilities.js';
import { Cvae, type CvaeConfig } from '../../../src/models/latent/cvae.js';
import { oneHotLabels } from '../../../src/nn/oneHot.js';
import { assertNoLeaks, assertWeightsRoundTrip, mean, train } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

/** K classes on D = 12 binary pixels, each class one fixed pattern; `perClass` copies of each. */
const PATTERNS = [
  [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
  [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
];

function patternData(perClass: number): { x: Float32Array; labels: Int32Array; n: number } {
  const n = perClass * PATTERNS.length;
  const labels = Int32Array.from({ length: n }, (_, i) => i % PATTERNS.length);
  const x = new Float32Array(n * 12);
  labels.forEach((c, i) => x.set(PATTERNS[c], i * 12));
  return { x, labels, n };
}

/** Fraction of pixels where the rounded sample equals its class pattern. */
function agreement(samples: Float32Array, labels: Int32Array): number {
  let same = 0;
  for (let i = 0; i < labels.length; i++) for (let d = 0; d < 12; d++) if (Math.round(samples[i * 12 + d]) === PATTERNS[labels[i]][d]) same++;
  return same / (labels.length * 12);
}

test('CVAE samples follow the requested labels on a toy set where each class is a fixed pattern (MLP and conv)', async () => {
  const batch = patternData(10);
  const cases: [Partial<CvaeConfig>, number[]][] = [
    [{ hidden: [16], latent: 2 }, [12]],
    [{ architecture: 'conv', channels: [8], hidden: [16], latent: 2 }, [2, 6, 1]],
  ];
  for (const [config, shape] of cases) {
    const model = new Cvae({ ...config, numClasses: 3, seed: 1 }, shape);
    const before = mean((await model.bound(batch, new Rng(0))).bound);
    await train(model, batch, 150, 0.03);
    const after = mean((await model.bound(batch, new Rng(0))).bound);
    assert.ok(after > before + 3, `${config.architecture ?? 'mlp'}: ELBO ${before} -> ${after}`);
    const asked = Int32Array.from([2, 0, 1, 1, 2, 0, 0, 2, 1, 2, 2, 2]);
    const means = await model.sample(asked.length, new Rng(4), { labels: asked });
    assert.ok(agreement(means, asked) > 0.97, `${config.architecture ?? 'mlp'}: samples match their class pattern for ${agreement(means, asked)}`);
    // Without labels the classes cycle 0, 1, 2, 0, ...
    const cycled = await model.sample(6, new Rng(4));
    assert.ok(agreement(cycled, Int32Array.from([0, 1, 2, 0, 1, 2])) > 0.97);
    // The likelihood is conditional: the right label explains x far better than a wrong one.
    const right = await model.logMarginal(batch, new Rng(1), 20);
    const wrong = await model.logMarginal({ ...batch, labels: batch.labels.map((c) => (c + 1) % 3) }, new Rng(1), 20);
    assert.ok(mean(right) > mean(wrong) + 2, `log p(x|y) ${mean(right)} vs with wrong labels ${mean(wrong)}`);
    model.dispose();
  }
});

test('CVAE: labels are required and checked; capabilities; no leaks; weights round trip', async () => {
  const batch = patternData(2);
  const model = new Cvae({ hidden: [8], latent: 2, numClasses: 3, evalSamples: 5 }, [12]);
  assert.ok(isConditional(model) && model.numClasses === 3);
  assert.equal(model.name, 'cvae');
  await assert.rejects(model.bound({ x: batch.x, n: batch.n }, new Rng(0)), /needs class labels/);
  await assert.rejects(model.logProb({ ...batch, labels: batch.labels.map(() => 3) }, new Rng(0)), UserError);
  await assert.rejects(model.sample(2, new Rng(0), { labels: Int32Array.from([0]) }), /1 labels for 2 samples/);
  assert.throws(() => new Cvae({ numClasses: 1 }, [12]), /numClasses/);
  assert.equal((await model.decode(new Float32Array(4), 2, Int32Array.from([0, 2]))).length, 24);
  await assertNoLeaks(model, batch);
  assert.equal(JSON.parse(JSON.stringify(model.getConfig())).numClasses, 3);
  model.dispose();
  await assertWeightsRoundTrip((seed) => new Cvae({ hidden: [8], latent: 2, numClasses: 3, seed }, [12]), batch);
});

test('one-hot labels are exact 0/1 floats on wasm (its float32 OneHot writes int32 bits)', () => {
  const before = tf.memory().numTensors;
  const y = oneHotLabels(Int32Array.from([2, 0, 1]), 3);
  assert.equal(y.dtype, 'float32');
  assert.deepEqual(Array.from(y.dataSync()), [0, 0, 1, 1, 0, 0, 0, 1, 0]);
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
});
