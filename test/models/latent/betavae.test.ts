import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { BetaVae } from '../../../src/models/latent/betavae.js';
import { Vae } from '../../../src/models/latent/vae.js';
import { correlatedBinary } from '../autoregressive/checks.js';
import { assertNoLeaks, mean, train } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

test('beta-VAE with a large beta ends with a smaller KL (and a worse reconstruction) than beta = 1', async () => {
  const x = correlatedBinary(64, 12);
  const batch = { x, n: 64 };
  const config = { hidden: [24], latent: 4, seed: 3 };
  const vae = new Vae(config, [12]);
  const beta = new BetaVae({ ...config, beta: 8 }, [12]);
  await train(vae, batch, 150, 0.02);
  const metrics = await train(beta, batch, 150, 0.02);
  assert.equal(metrics.at(-1)!.beta, 8);
  const a = await vae.bound(batch, new Rng(1));
  const b = await beta.bound(batch, new Rng(1));
  assert.ok(mean(b.terms.kl) < 0.5 * mean(a.terms.kl), `KL: beta = 8 gives ${mean(b.terms.kl)}, beta = 1 gives ${mean(a.terms.kl)}`);
  assert.ok(mean(b.terms.reconstruction) < mean(a.terms.reconstruction), 'the KL pressure costs reconstruction');
  assert.ok(mean(b.bound) < mean(a.bound), 'beta = 1 optimises the ELBO itself');
  [vae, beta].forEach((m) => m.dispose());
});

test('schedules: linear KL warm-up from 0, and the capacity objective gamma |KL - C| with C growing linearly', async () => {
  const x = correlatedBinary(16, 8);
  const warm = new BetaVae({ hidden: [8], latent: 2, beta: 4, warmupSteps: 10 }, [8]);
  assert.deepEqual([0, 5, 10, 50].map((s) => warm.betaAt(s)), [0, 2, 4, 4]);
  const steps = await train(warm, { x, n: 16 }, 6);
  assert.deepEqual(steps.map((m) => m.beta), [0, 0.4, 0.8, 1.2, 1.6, 2].map((v) => Math.fround(v)));
  // Step 0 of the warm-up minimises the reconstruction alone.
  assert.ok(Math.abs(steps[0].loss + steps[0].reconstruction) < 1e-4 * Math.abs(steps[0].loss));

  const capped = new BetaVae({ hidden: [8], latent: 2, capacity: 10, capacitySteps: 4, gamma: 100 }, [8]);
  assert.deepEqual([0, 2, 4, 9].map((s) => capped.capacityAt(s)), [0, 5, 10, 10]);
  const m = await train(capped, { x, n: 16 }, 5);
  m.forEach((t, s) => {
    assert.equal(t.capacity, Math.fround(capped.capacityAt(s)));
    assert.equal(t.beta, 100);
    const want = 100 * Math.abs(t.kl - t.capacity) - t.reconstruction;
    assert.ok(Math.abs(t.loss - want) < 1e-4 * Math.abs(want), `step ${s}: loss ${t.loss} vs ${want}`);
  });
  // Training under the capacity objective steers the KL towards C (here well above the start).
  const steered = new BetaVae({ hidden: [16], latent: 3, capacity: 6, capacitySteps: 1, gamma: 5 }, [8]);
  const k = await train(steered, { x: correlatedBinary(64, 8), n: 64 }, 120, 0.02);
  assert.ok(Math.abs(k.at(-1)!.kl - 6) < 1.5, `KL ${k.at(-1)!.kl} should approach C = 6 (started at ${k[0].kl})`);
  [warm, capped, steered].forEach((v) => v.dispose());
});

test('beta-VAE: no leaks, config round trip, invalid schedules rejected', async () => {
  const model = new BetaVae({ hidden: [4], latent: 2, capacity: 3, evalSamples: 4 }, [6]);
  await assertNoLeaks(model, { x: correlatedBinary(6, 6), n: 6 });
  const config = JSON.parse(JSON.stringify(model.getConfig()));
  assert.equal(config.capacity, 3);
  assert.equal(config.beta, 4);
  assert.deepEqual(new BetaVae(config, [6]).getConfig(), model.getConfig());
  assert.equal(model.name, 'betavae');
  assert.throws(() => new BetaVae({ warmupSteps: -1 }, [6]), /warmupSteps/);
  assert.throws(() => new BetaVae({ gamma: Number.NaN }, [6]), /gamma/);
  model.dispose();
});
