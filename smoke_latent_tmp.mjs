import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './dist/src/core/engine.js';
import { Rng } from './dist/src/core/rng.js';
import { Vae } from './dist/src/models/latent/vae.js';
import { BetaVae } from './dist/src/models/latent/betavae.js';
import { Cvae } from './dist/src/models/latent/cvae.js';
import { Iwae } from './dist/src/models/latent/iwae.js';
import { Autoencoder } from './dist/src/models/latent/ae.js';
import { createOptimizers } from './dist/src/train/optimizers.js';
await initBackend('wasm');
const D = 16;
const rng = new Rng(1);
const x = Float32Array.from({ length: 32 * D }, () => (rng.uniform() < 0.5 ? 1 : 0));
const labels = Int32Array.from({ length: 32 }, (_, i) => i % 3);
const u8 = Float32Array.from({ length: 32 * D }, () => rng.int(256));
const real = Float32Array.from({ length: 32 * D }, () => rng.uniform());
for (const [name, m, data] of [
  ['vae', new Vae({ hidden: [8], latent: 2 }, [D]), x],
  ['vae-g', new Vae({ hidden: [8], latent: 2, decoder: 'gaussian', dequantize: true }, [D]), real],
  ['vae-l', new Vae({ hidden: [8], latent: 2, decoder: 'logistic' }, [D]), u8],
  ['vae-conv', new Vae({ hidden: [8], latent: 2, architecture: 'conv', channels: [4, 8] }, [4, 4, 1]), x],
  ['betavae', new BetaVae({ hidden: [8], latent: 2, capacity: 5, capacitySteps: 10 }, [D]), x],
  ['cvae', new Cvae({ hidden: [8], latent: 2, numClasses: 3 }, [D]), x],
  ['cvae-conv', new Cvae({ hidden: [8], latent: 2, numClasses: 3, architecture: 'conv', channels: [4] }, [4, 4, 1]), x],
  ['iwae', new Iwae({ hidden: [8], latent: 2 }, [D]), x],
  ['ae', new Autoencoder({ hidden: [8], latent: 2 }, [D]), x],
]) {
  const opt = createOptimizers(m, 0.01);
  const batch = { x: data, n: 32, labels };
  const t0 = tf.memory().numTensors;
  let metrics;
  for (let s = 0; s < 5; s++) metrics = await m.trainStep(batch, { rng, step: s, epoch: 0, learningRate: 0.01, optimizers: opt });
  const t1 = tf.memory().numTensors;
  const lp = m.logProb ? await m.logMarginal(batch, rng, 20) : null;
  const el = m.elbo ? await m.elbo(batch, rng) : null;
  const s = await m.sample(3, rng);
  const e = await m.encode(batch, rng);
  console.log(name, JSON.stringify(metrics), 'lp', lp?.[0], 'elbo', el?.elbo[0], 'sample', s.length, Array.from(s.slice(0, 4)).map(v=>v.toFixed(2)).join(','), 'enc', e.length, 'leak', tf.memory().numTensors - t1, t1 - t0);
}
