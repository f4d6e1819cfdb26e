import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { writePng } from '../../src/node/data/images.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-flow-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const quiet = ['--eval-examples', '0', '--sample-count', '4'];

/** 80 noisy 8 x 8 grey images in tmp/NAME (every pixel varies: no constant dimension for actnorm to blow up). */
function writeImages(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const rng = new Rng(4);
  for (let i = 0; i < 80; i++) {
    const data = Uint8Array.from({ length: 64 }, (_, p) => Math.max(0, Math.min(255, Math.round(100 + 2 * p + 40 * rng.normal()))));
    writePng(path.join(dir, `${String(i).padStart(2, '0')}.png`), { width: 8, height: 8, channels: 1, data });
  }
  return dir;
}

test('flows through the CLI on toy:moons: train writes a checkpoint, resume continues it, eval is exact, sample and encode work', async () => {
  const run = path.join(tmp, 'run-realnvp');
  const model = ['--model-config', '{"couplings":4,"hidden":[32,32]}'];
  await json('train', 'realnvp', '--data', 'toy:moons', '--train-limit', '256', '--batch-size', '64', '--ema', '0.9', ...model, ...quiet, '--out', run, '--json');
  assert.ok(fs.existsSync(path.join(run, 'checkpoints', 'latest.json')));
  const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  // Real values go in as they are: no dequantization, no logit (the registry's choice from the data, stored).
  assert.deepEqual([config.model.name, config.model.config.dequantize, config.model.config.logit], ['realnvp', false, false]);
  const first = await json('eval', run, '--limit', '300', '--json');
  assert.equal(first.kind, 'exact');
  const resumed = await json('train', 'realnvp', '--resume', '--out', run, '--epochs', '3', ...quiet, '--json');
  assert.equal(resumed.steps, 12);
  const report = await json('eval', run, '--limit', '300', '--json');
  assert.ok(report.nll < first.nll, `two more epochs lowered the NLL: ${first.nll} -> ${report.nll}`);
  const out = path.join(tmp, 'moons.csv');
  assert.equal((await genlab('sample', run, '-n', '50', '--out', out)).code, 0);
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n');
  const points = rows.filter((r) => r.split(',').length === 2 && r.split(',').every((v) => Number.isFinite(Number(v))));
  assert.ok(points.length === 50 && rows.length <= 51, `${rows.length} lines, ${points.length} points`);
  // Exact codes through the latent commands, no special case: z = f(x) has the data's size.
  const codes = await json('encode', run, '--split', 'test', '--limit', '20', '--out', path.join(tmp, 'z.csv'), '--json');
  assert.equal(codes.latentSize, 2);
  assert.equal(codes.n, 20);
});

test('a flow on 8-bit images: dequantized with the logit transform, eval reports a bound in bits/dim, samples are PNGs', async () => {
  const dir = writeImages('images');
  const run = path.join(tmp, 'run-realnvp-images');
  await json('train', 'realnvp', '--data', `images:${dir}`, '--batch-size', '24', '--model-config', '{"couplings":2,"hidden":[32]}', ...quiet, '--out', run, '--json');
  const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.deepEqual([config.model.config.dequantize, config.model.config.logit], [true, true]);
  const report = await json('eval', run, '--json');
  assert.equal(report.kind, 'bound', 'scored on dequantized data: an upper bound on -log P of the 8-bit images');
  assert.ok(Math.abs(report.bitsPerDim - report.nll / (64 * Math.LN2)) < 1e-9);
  // Pixels ~ N(., 40^2) levels carry about 0.5 log2(2 pi e 40^2) = 7.4 bits each: no bound goes below;
  // three steps leave the flow far from that, but finite.
  assert.ok(report.bitsPerDim > 7 && report.bitsPerDim < 16, `bits/dim ${report.bitsPerDim}`);
  // Training logged the same quantity on its dequantized batches.
  const logged = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"bitsPerDim"'));
  assert.ok(logged.length > 0, 'no bitsPerDim in the training log');
  assert.equal((await genlab('sample', run, '-n', '4', '--out', path.join(tmp, 'realnvp.png'))).code, 0);
});

test('glow through the CLI: on toy:moons (vector steps) and on 8 x 8 PNGs (multi-scale), a checkpoint each, samples with --temperature', async () => {
  const moonsRun = path.join(tmp, 'run-glow-moons');
  await json('train', 'glow', '--data', 'toy:moons', '--train-limit', '256', '--batch-size', '64', '--model-config', '{"levels":1,"steps":3,"hidden":[32]}', ...quiet, '--out', moonsRun, '--json');
  assert.ok(fs.existsSync(path.join(moonsRun, 'checkpoints', 'latest.json')));
  const report = await json('eval', moonsRun, '--limit', '300', '--json');
  assert.ok(report.kind === 'exact' && Number.isFinite(report.nll), JSON.stringify(report));
  const csv = path.join(tmp, 'glow-moons.csv');
  assert.equal((await genlab('sample', moonsRun, '-n', '30', '--temperature', '0.5', '--out', csv)).code, 0);
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').filter((r) => r.split(',').length === 2 && r.split(',').every((v) => Number.isFinite(Number(v))));
  assert.equal(rows.length, 30);

  const imagesRun = path.join(tmp, 'run-glow-images');
  const dir = writeImages('glow-images');
  await json('train', 'glow', '--data', `images:${dir}`, '--batch-size', '40', '--model-config', '{"levels":2,"steps":2,"hidden":[8,8]}', ...quiet, '--out', imagesRun, '--json');
  assert.ok(fs.existsSync(path.join(imagesRun, 'checkpoints', 'latest.json')));
  const images = await json('eval', imagesRun, '--json');
  assert.ok(images.kind === 'bound' && images.bitsPerDim > 7 && images.bitsPerDim < 16, JSON.stringify(images));
  const png = path.join(tmp, 'glow.png');
  assert.equal((await genlab('sample', imagesRun, '-n', '4', '--temperature', '0.7', '--out', png)).code, 0);
  assert.ok(fs.statSync(png).size > 0);
  const refused = await genlab('sample', imagesRun, '-n', '4', '--temperature', '-1', '--out', png);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--temperature/);
});

test('genlab models lists the flows with exact densities and codes', async () => {
  const models = (await json('models', '--json')) as { name: string; family: string; capabilities: { density: string; latent: boolean } }[];
  for (const name of ['nice', 'realnvp', 'maf', 'glow', 'iaf']) {
    const m = models.find((e) => e.name === name);
    assert.deepEqual([m?.family, m?.capabilities.density, m?.capabilities.latent], ['flow', 'exact', true], name);
  }
});
