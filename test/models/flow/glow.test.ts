import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { moons } from '../../../src/data/toy.js';
import type { FlowDataConfig, FlowModel } from '../../../src/models/flow/flowModel.js';
import { Glow } from '../../../src/models/flow/glow.js';
import { createModel } from '../../../src/models/registry.js';
import { Trainer } from '../../../src/train/trainer.js';

before(async () => {
  await initBackend('wasm');
});

type Flow = FlowModel<FlowDataConfig>;

/** 48 tiny 8 x 8 grey 8-bit images: a smooth gradient plus noise, so every pixel varies. */
function tinyImages(n: number): Float32Array {
  const rng = new Rng(4);
  return Float32Array.from({ length: n * 64 }, (_, i) => Math.max(0, Math.min(255, Math.round(100 + 2 * (i % 64) + 30 * rng.normal()))) / 255);
}

for (const [label, config] of [
  ['glow (2 levels of squeeze, 2 steps, factor-out)', { name: 'glow', config: { levels: 2, steps: 2, hidden: [8, 8] } }],
  ['realnvp --architecture conv (2 scales)', { name: 'realnvp', config: { architecture: 'conv', scales: 2, channels: [8] } }],
] as const) {
  test(`${label} on 8 x 8 images: finite, decreasing NLL over a few steps, no tensor leak, samples on the levels, decode(encode(x)) = x`, async () => {
    const model = createModel(config.name, { ...config.config }, { shape: [8, 8, 1], kind: 'continuous' }) as Flow;
    const images = tinyImages(48);
    const batch = { x: images, n: 48 };
    const trainer = new Trainer(model, { optimizer: { learningRate: 3e-3 } });
    const rng = new Rng(0);
    await trainer.step(batch, { rng, step: 0 }); // actnorm's initialisation
    const nll = async () => -(await model.logProb(batch)).reduce((a, v) => a + v, 0) / batch.n;
    const before = await nll();
    const tensors = tf.memory().numTensors;
    for (let s = 1; s < 8; s++) await trainer.step(batch, { rng, step: s });
    const samples = await model.sample(4, rng, { temperature: 0.7 });
    await model.encode({ x: images.subarray(0, 4 * 64), n: 4 });
    assert.equal(tf.memory().numTensors - tensors, 0, 'training, sampling or encoding leaks tensors');
    const after = await nll();
    assert.ok(Number.isFinite(before) && Number.isFinite(after) && after < before, `NLL ${before} -> ${after}`);
    assert.ok(samples.every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4), 'samples off the 256 levels');
    const some = { x: images.subarray(0, 8 * 64), n: 8 };
    assert.deepEqual(await model.decode(await model.encode(some), 8), some.x, 'decode(encode(x)) is not x on the levels');
    trainer.dispose();
    model.dispose();
  });
}

test('glow on MNIST-sized images: 28 -> 14 -> 7 with the default 2 levels; shapes that do not divide are refused', () => {
  const model = createModel('glow', { steps: 1, hidden: [4] }, { shape: [28, 28, 1], kind: 'continuous' }) as Flow;
  const z = tf.tidy(() => model.terms(tf.fill([2, 784], 0.5)).logDet.dataSync());
  assert.ok(z.every(Number.isFinite));
  model.dispose();
  assert.throws(() => createModel('glow', { levels: 3 }, { shape: [28, 28, 1], kind: 'continuous' }), /multiples of 8/);
  assert.throws(() => createModel('realnvp', { architecture: 'conv' }, { shape: [6], kind: 'real' }), /needs images/);
});

test('temperature T scales the base draw: encode(sample at T) = T encode(sample at 1) for the same seed; T = 0 gives decode(0)', async () => {
  const model = new Glow({ levels: 1, steps: 2, hidden: [16], seed: 3 }, [2]);
  const trainer = new Trainer(model, { optimizer: { learningRate: 1e-2 } });
  const data = { x: moons.sample(64, new Rng(1)).x, n: 64 };
  for (let s = 0; s < 5; s++) await trainer.step(data, { rng: new Rng(s), step: s });
  const z1 = await model.encode({ x: await model.sample(50, new Rng(7)), n: 50 });
  const zT = await model.encode({ x: await model.sample(50, new Rng(7), { temperature: 0.5 }), n: 50 });
  zT.forEach((v, i) => assert.ok(Math.abs(v - 0.5 * z1[i]) < 1e-3 * (1 + Math.abs(z1[i])), `z[${i}]: ${v} at T = 0.5, ${z1[i]} at T = 1`));
  const cold = await model.sample(3, new Rng(8), { temperature: 0 });
  assert.deepEqual(cold, await model.decode(new Float32Array(6), 3));
  assert.notDeepEqual(cold, new Float32Array(6), 'decode(0) = 0: the flow is still the identity, the check could not fail');
  await assert.rejects(() => model.sample(2, new Rng(1), { temperature: -1 }), /temperature/);
  trainer.dispose();
  model.dispose();
});
