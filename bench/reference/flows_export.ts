/**
 * genlab's side of the architecture check of bench/reference/flows_torch.py: builds genlab's `glow`
 * (defaults) or `realnvp --architecture conv` for MNIST, moves every weight and actnorm statistic
 * off its starting value (zero-initialised convolutions would make every coupling the identity and
 * hide a wrong mask, split or channel order), and writes the weights (with the state: actnorm's
 * statistics, the 1 x 1 convolutions' P and signs) with `logProb` of the first N training images
 * (levels k / 255 at the centre of their dequantization interval, + 1/512). `flows_torch.py
 * --compare FILE` loads the same weights into its flow and must give the same log-densities.
 * Usage: node dist/bench/reference/flows_export.js glow|realnvp OUT.json [N=8]
 */
import * as fs from 'node:fs';
import { Rng } from '../../src/core/rng.js';
import { createModel } from '../../src/models/registry.js';
import type { DensityModel } from '../../src/models/capabilities.js';
import type { NamedArray } from '../../src/models/model.js';
import { loadMnist } from '../../src/node/data/mnist.js';
import { initNodeBackend } from '../../src/node/engine.js';

const [name, out, nArg] = process.argv.slice(2);
if ((name !== 'glow' && name !== 'realnvp') || !out) throw new Error('usage: node dist/bench/reference/flows_export.js glow|realnvp OUT.json [N=8]');
const n = Number(nArg ?? 8);
await initNodeBackend('cpu');
const config = name === 'realnvp' ? { architecture: 'conv' } : {};
const model = createModel(name, config, { shape: [28, 28, 1], kind: 'continuous' });

// Every value moved: weights by N(0, 0.05^2), actnorm's mean0 and logSd0 to plausible statistics,
// marked initialised; the fixed permutations and signs kept (they define the LU parameterisation).
const rng = new Rng(12345);
const fixed = /\/(permutation|signS|initialized)$/;
const weights: NamedArray[] = model.getWeights().map((w) => {
  const data = Float32Array.from(w.data);
  if (w.name.endsWith('/initialized')) data[0] = 1;
  else if (w.name.endsWith('/mean0')) data.forEach((_, i) => (data[i] = 0.5 * rng.normal()));
  else if (w.name.endsWith('/logSd0')) data.forEach((_, i) => (data[i] = 0.3 * rng.normal()));
  else if (!fixed.test(w.name)) data.forEach((v, i) => (data[i] = v + 0.05 * rng.normal()));
  return { ...w, data };
});
model.setWeights(weights);

const D = 784;
const x = loadMnist().train.x.subarray(0, n * D).map((v) => v / 255 + 0.5 / 256);
const logProb = await (model as unknown as DensityModel).logProb({ x, n }, new Rng(0));
const json = {
  model: name,
  config: model.getConfig(),
  x: Array.from(x),
  logProb: Array.from(logProb),
  weights: weights.map((w) => ({ name: w.name, shape: w.shape, data: Array.from(w.data) })),
};
fs.writeFileSync(out, JSON.stringify(json));
console.log(`${name}: ${weights.length} arrays, logProb of ${n} images [${Array.from(logProb.slice(0, 3), (v) => v.toFixed(3)).join(', ')}, ...] -> ${out}`);
