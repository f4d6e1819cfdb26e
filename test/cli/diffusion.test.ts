import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
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
