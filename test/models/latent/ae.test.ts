import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { capabilitiesOf } from '../../../src/models/capabilities.js';
import { Autoencoder } from '../../../src/models/latent/ae.js';
import { correlatedBinary } from '../autoregressive/checks.js';
import { assertCodesAndSamples, assertNoLeaks, assertWeightsRoundTrip, train } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

test('AE: encode / decode / sample shapes and ranges; no density', async () => {
  const model = new Autoencoder({ hidden: [8], latent: 3 }, [4, 4, 1]);
  assert.deepEqual(capabilitiesOf(model), { density: 'implicit', latent: true, conditional: false, completion: false });
  assert.equal((model as { logProb?: unknown }).logProb, undefined);
  const x = correlatedBinary(5, 16);
  await assertCodesAndSamples(model, x, 3);
  const conv = new Autoencoder({ architecture: 'conv', channels: [4], hidden: [], latent: 2, decoder: 'gaussian', decoderStd: 1 }, [4, 4, 1]);
  assert.equal((await conv.encode({ x, n: 5 })).length, 10);
  assert.equal((await conv.sample(3, new Rng(0))).length, 48);
  conv.dispose();
});

test('AE training lowers the reconstruction loss (Bernoulli cross-entropy; Gaussian with sigma = 1: squared error / 2 + const)', async () => {
  const x = correlatedBinary(64, 16);
  const model = new Autoencoder({ hidden: [32], latent: 2 }, [16]);
  const m = await train(model, { x, n: 64 }, 150, 0.02);
  assert.ok(m.at(-1)!.loss < m[0].loss - 2, `cross-entropy ${m[0].loss} -> ${m.at(-1)!.loss}`);
  assert.deepEqual(Object.keys(m[0]).sort(), ['gradNorm', 'loss', 'reconstruction']);
  assert.ok(m.every((s) => s.gradNorm > 0 && Number.isFinite(s.gradNorm)), 'the trainer reports the gradient norm of each update');
  model.dispose();
  const mse = new Autoencoder({ hidden: [32], latent: 2, decoder: 'gaussian', decoderStd: 1 }, [16]);
  await train(mse, { x, n: 64 }, 20, 0.02);
  // At sigma = 1: -log p(x|x^) = 1/2 sum_d (x_d - x^_d)^2 + D/2 log(2 pi), with x^ = decode(encode(x)).
  const xh = await mse.decode(await mse.encode({ x: x.subarray(0, 4 * 16), n: 4 }), 4);
  const losses = tf.tidy(() => mse.reconstructionLoss(tf.tensor2d(x.subarray(0, 4 * 16), [4, 16])).dataSync());
  for (let b = 0; b < 4; b++) {
    let sq = 0;
    for (let d = 0; d < 16; d++) sq += (x[b * 16 + d] - xh[b * 16 + d]) ** 2;
    const want = 0.5 * sq + 8 * Math.log(2 * Math.PI);
    assert.ok(Math.abs(losses[b] - want) < 1e-4 * want, `example ${b}: ${losses[b]} vs ${want}`);
  }
  mse.dispose();
});

test('AE: no leaks; weights round trip', async () => {
  const x = correlatedBinary(6, 16);
  const model = new Autoencoder({ hidden: [4], latent: 2 }, [16]);
  await assertNoLeaks(model, { x, n: 6 });
  model.dispose();
  await assertWeightsRoundTrip((seed) => new Autoencoder({ hidden: [4], latent: 2, seed }, [16]), { x, n: 6 });
});
