import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { writePng } from '../../src/node/data/images.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-diffusion-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('ddpm through the CLI on toy:moons: train writes a checkpoint, sample --steps 10 reports its time, eval reports the bound with its terms', async () => {
  const run = path.join(tmp, 'run-ddpm');
  const trained = await json('train', 'ddpm', '--data', 'toy:moons', '--train-limit', '256', '--batch-size', '64', '--timesteps', '50', '--hidden', '32,32', '--bound-strata', '49', '--eval-examples', '0', '--sample-count', '4', '--out', run, '--json');
  assert.equal(trained.steps, 4);
  assert.ok(fs.existsSync(path.join(run, 'checkpoints', 'latest.json')));
  const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.deepEqual([config.model.name, config.model.config.intensities, config.model.config.timesteps], ['ddpm', false, 50]);

  const out = path.join(tmp, 'moons.csv');
  const sampled = await json('sample', run, '-n', '20', '--steps', '10', '--out', out, '--json');
  assert.equal(sampled.steps, 10);
  assert.ok(sampled.secondsPerSample > 0 && sampled.secondsPerSample < 5, `${sampled.secondsPerSample} s per sample`);
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n');
  const points = rows.filter((r) => r.split(',').length === 2 && r.split(',').every((v) => Number.isFinite(Number(v))));
  assert.ok(points.length === 20 && rows.length <= 21, `${rows.length} lines, ${points.length} points`);
  // The text report names the sampler and the time per sample; DDPM over all T without --steps.
  const text = await genlab('sample', run, '-n', '4', '--out', path.join(tmp, 'ddpm.csv'));
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stderr, /\(DDPM, 50 steps\), [\d.]+ ms per sample/);

  const report = await json('eval', run, '--limit', '100', '--json');
  assert.equal(report.kind, 'bound');
  assert.ok(Math.abs(report.elbo - (report.decoder - report.denoising - report.prior)) < 1e-6, JSON.stringify(report));
  assert.ok(Math.abs(report.nll + report.elbo) < 1e-6, 'the NLL reported is the negative bound');
  assert.ok(report.prior > 0 && report.denoising > 0);
});

test('the sampling flags of diffusion models are refused where they do not apply', async () => {
  const run = path.join(tmp, 'run-ddpm-small');
  await json('train', 'ddpm', '--data', 'toy:ring', '--train-limit', '64', '--batch-size', '64', '--timesteps', '10', '--hidden', '8', '--eval-examples', '0', '--sample-count', '0', '--out', run, '--json');
  const tooMany = await genlab('sample', run, '--steps', '11', '--out', path.join(tmp, 'x.csv'));
  assert.notEqual(tooMany.code, 0);
  assert.match(tooMany.stderr, /--steps/);
  const guided = await genlab('sample', run, '--guidance', '2', '--out', path.join(tmp, 'x.csv'));
  assert.notEqual(guided.code, 0);
  assert.match(guided.stderr, /class-conditional/);
  const flow = path.join(tmp, 'run-nice');
  await json('train', 'nice', '--data', 'toy:ring', '--train-limit', '64', '--batch-size', '64', '--model-config', '{"couplings":2,"hidden":[8]}', '--eval-examples', '0', '--sample-count', '0', '--out', flow, '--json');
  const notDiffusion = await genlab('sample', flow, '--steps', '5', '--out', path.join(tmp, 'x.csv'));
  assert.notEqual(notDiffusion.code, 0);
  assert.match(notDiffusion.stderr, /needs a diffusion model/);
});

test('ddpm on 8-bit images: the U-Net, the bound in bits/dim of the levels, DDIM samples as PNG, RePaint completions', async () => {
  const dir = path.join(tmp, 'images');
  fs.mkdirSync(dir);
  const rng = new Rng(4);
  for (let i = 0; i < 16; i++) {
    const data = Uint8Array.from({ length: 64 }, (_, p) => Math.max(0, Math.min(255, Math.round(100 + 2 * p + 40 * rng.normal()))));
    writePng(path.join(dir, `${String(i).padStart(2, '0')}.png`), { width: 8, height: 8, channels: 1, data });
  }
  const run = path.join(tmp, 'run-ddpm-images');
  const model = ['--timesteps', '10', '--channels', '8', '--norm-groups', '4', '--embedding', '16', '--bound-strata', '9', '--resamples', '2'];
  await json('train', 'ddpm', '--data', `images:${dir}`, '--batch-size', '8', ...model, '--eval-examples', '0', '--sample-count', '2', '--out', run, '--json');
  const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.equal(config.model.config.intensities, true, '[0, 1] intensities: scaled to [-1, 1], discretized decoder');
  const report = await json('eval', run, '--json');
  assert.equal(report.kind, 'bound');
  assert.ok(report.dequantized === undefined, 'no dequantization: the discretized decoder bounds the levels directly');
  assert.ok(Math.abs(report.bitsPerDim - report.nll / (64 * Math.LN2)) < 1e-9);
  assert.ok(report.bitsPerDim > 0 && report.bitsPerDim < 40, `bits/dim ${report.bitsPerDim}`);
  const sampled = await json('sample', run, '-n', '4', '--steps', '5', '--out', path.join(tmp, 'ddim.png'), '--json');
  assert.ok(fs.existsSync(sampled.out));
  const completed = await genlab('complete', run, '--input', path.join(dir, '00.png'), '--mask', 'bottom', '-n', '2', '--out', path.join(tmp, 'completed.png'));
  assert.equal(completed.code, 0, completed.stderr);
  assert.ok(fs.existsSync(path.join(tmp, 'completed.png')));
});
