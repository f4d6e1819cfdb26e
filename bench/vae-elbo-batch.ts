/**
 * genlab's side of the PyTorch check of a VAE export (bench/reference/vae_safetensors_check.py):
 * writes the first N test examples of a run, as its model sees them, as raw float32, and genlab's
 * deterministic ELBO terms on them: the reconstruction log p(x | z = mu(x)) (the one-sample
 * reconstruction term with the noise set to zero) and the analytic KL(q(z|x) || N(0, I)) (Kingma &
 * Welling 2014, Eq. 10). Without noise to share, the two implementations must agree to rounding.
 * The weights are the ones `genlab export` writes: the EMA weights when the run kept them, unless --no-ema.
 *
 * Usage: node dist/bench/vae-elbo-batch.js RUN OUT_DIR [N=100] [--no-ema]
 *   -> OUT_DIR/batch.f32 ([N, D] float32, little-endian, row-major) and OUT_DIR/genlab.json
 * bench/vae-safetensors-check.sh runs the whole check.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { exampleSize, head } from '../src/data/dataset.js';
import { isConditional } from '../src/models/capabilities.js';
import { Vae } from '../src/models/latent/vae.js';
import { initNodeBackend } from '../src/node/engine.js';
import { loadRunData, openRun } from '../src/node/run.js';

const args = process.argv.slice(2);
const noEma = args.includes('--no-ema');
const [runDir, outDir, count = '100'] = args.filter((a) => a !== '--no-ema');
if (!runDir || !outDir || !(Number(count) >= 1)) {
  console.error('usage: node dist/bench/vae-elbo-batch.js RUN OUT_DIR [N=100] [--no-ema]');
  process.exit(2);
}

const backend = await initNodeBackend();
const run = openRun(runDir, { ema: !noEma });
const model = run.model;
if (!(model instanceof Vae) || isConditional(model) || model.config.architecture !== 'mlp') {
  console.error(`${model.name} (${JSON.stringify(run.config.model.config)}): the check covers the unconditional MLP VAEs (vae, betavae, iwae)`);
  process.exit(2);
}
const batch = head(loadRunData(run.config).test, Number(count));
const D = exampleSize(batch);

// Zero noise: z = mu + sigma * 0 = mu, so reconstruction = log p(x | mu(x)); the KL is analytic.
const terms = tf.tidy(() => {
  const t = model.elboTerms(tf.tensor2d(batch.x, [batch.n, D]), tf.zeros([batch.n, model.latentSize]), null);
  return tf.stack([t.reconstruction, t.kl]); // [2, n]
});
const values = await terms.data();
terms.dispose();
model.dispose();
const reconstruction = Array.from(values.subarray(0, batch.n));
const kl = Array.from(values.subarray(batch.n));
const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'batch.f32'), new Uint8Array(batch.x.buffer, batch.x.byteOffset, batch.x.byteLength));
const report = {
  run: runDir,
  model: model.name,
  backend,
  step: run.checkpoint.manifest.train.step,
  ema: run.usingEma,
  n: batch.n,
  D,
  reconstructionAtMean: reconstruction,
  kl,
  elboAtMean: reconstruction.map((r, i) => r - kl[i]),
};
fs.writeFileSync(path.join(outDir, 'genlab.json'), JSON.stringify(report) + '\n');
console.log(
  `genlab (${backend}, ${run.usingEma ? 'EMA weights' : 'weights'} of step ${report.step}), ${batch.n} test examples: ` +
    `log p(x | z = mu) ${mean(reconstruction).toFixed(4)}, KL ${mean(kl).toFixed(4)}, ELBO at the mean ${mean(report.elboAtMean).toFixed(4)} nats per example`,
);
