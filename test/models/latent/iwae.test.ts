import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { Iwae } from '../../../src/models/latent/iwae.js';
import { Vae } from '../../../src/models/latent/vae.js';
import { allBinary, correlatedBinary } from '../autoregressive/checks.js';
import { assertNoLeaks, assertWeightsRoundTrip, mean, train } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

test("IWAE's training bound L_k is above the ELBO: in the step's own terms, and over all 1,024 inputs", async () => {
  const x = correlatedBinary(64, 10);
  const model = new Iwae({ hidden: [16], latent: 2, trainSamples: 5, seed: 2 }, [10]);
  const metrics = await train(model, { x, n: 64 }, 200, 0.02);
  // Each step reports loss = -L_k (one draw) beside the ELBO terms of its first sample.
  const last = metrics.slice(-50);
  const bound = -mean(last.map((m) => m.loss));
  const elbo = mean(last.map((m) => m.reconstruction - m.kl));
  assert.ok(bound > elbo, `training L_5 ${bound} vs ELBO ${elbo}`);
  // On all 1,024 inputs: ELBO <= L_5 (the training objective) <= L_50.
  const all = { x: allBinary(10), n: 1024 };
  const e = mean((await model.bound(all, new Rng(1))).bound);
  const L5 = mean(await model.logMarginal(all, new Rng(2), 5));
  const L50 = mean(await model.logMarginal(all, new Rng(3), 50));
  assert.ok(e < L5 && L5 < L50, `ELBO ${e}, L_5 ${L5}, L_50 ${L50}`);
  model.dispose();
});

test('IWAE with k = 1 is the VAE with a sampled KL: same z and terms in a step; L_1 and the ELBO agree in expectation', async () => {
  const x = correlatedBinary(32, 8);
  const iwae = new Iwae({ hidden: [8], latent: 2, trainSamples: 1, seed: 4 }, [8]);
  const vae = new Vae({ hidden: [8], latent: 2, seed: 4 }, [8]);
  assert.deepEqual(iwae.getWeights(), vae.getWeights(), 'same networks from the same seed');
  const [a] = await train(iwae, { x, n: 32 }, 1, 0.01, 7);
  const [b] = await train(vae, { x, n: 32 }, 1, 0.01, 7);
  assert.ok(Math.abs(a.reconstruction - b.reconstruction) < 1e-5 && Math.abs(a.kl - b.kl) < 1e-6, 'same noise, same terms');
  // L_1 = log p(x|z) + log p(z) - log q(z|x): its mean over examples equals the analytic-KL ELBO's
  // up to Monte-Carlo error (4 standard errors of the mean difference).
  const all = { x: allBinary(8), n: 256 };
  const L1 = await iwae.logMarginal(all, new Rng(0), 1);
  const elbo = (await iwae.bound(all, new Rng(0))).bound; // same eps for both: the difference is KL_analytic - KL_sampled
  const diff = Float64Array.from(L1, (v, i) => v - elbo[i]);
  const m = mean(diff);
  const se = Math.sqrt(mean(diff.map((d) => (d - m) ** 2)) / diff.length);
  assert.ok(Math.abs(m) < 4 * se + 1e-5, `mean(L_1 - ELBO) = ${m} +- ${se}`);
  [iwae, vae].forEach((v) => v.dispose());
});

test('IWAE: no leaks, config and weights round trip, beta must be 1', async () => {
  const x = correlatedBinary(6, 6);
  const model = new Iwae({ hidden: [4], latent: 2, trainSamples: 3, evalSamples: 4 }, [6]);
  assert.equal(model.name, 'iwae');
  await assertNoLeaks(model, { x, n: 6 });
  assert.equal(JSON.parse(JSON.stringify(model.getConfig())).trainSamples, 3);
  model.dispose();
  await assertWeightsRoundTrip((seed) => new Iwae({ hidden: [4], latent: 2, seed }, [6]), { x, n: 6 });
  assert.throws(() => new Iwae({ beta: 2 }, [6]), /beta must be 1/);
  assert.throws(() => new Iwae({ trainSamples: 0 }, [6]), /trainSamples/);
});
