/**
 * The adversarial models from the command line: training on a CSV with the model's own optimizer
 * defaults, EMA and resume; conditional sampling; InfoGAN traversals; the 2-D GAN lab's frames and
 * GIF; and the refusals. Run in process (genlabInProcess): no start-up cost per command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genlabInProcess } from './genlab.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-adversarial-'));
const SMALL = ['--generator-hidden', '16', '--discriminator-hidden', '16', '--latent', '4'];
const TINY_DCGAN = ['--generator-channels', '4,4', '--discriminator-channels', '4,4', '--latent', '4'];

async function ok(...args: string[]): Promise<any> {
  const r = await genlabInProcess(...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function refused(pattern: RegExp, ...args: string[]): Promise<void> {
  const r = await genlabInProcess(...args);
  assert.notEqual(r.code, 0, `expected a refusal: genlab ${args.join(' ')}`);
  assert.match(r.stderr, pattern);
}

/** Three labelled clusters in 2-D, with a header row. */
const csv = path.join(tmp, 'clusters.csv');
fs.writeFileSync(csv, 'x,y,label\n' + Array.from({ length: 96 }, (_, i) => `${(i % 3) * 2 + 0.1 * Math.sin(i)},${(i % 3) - 1 + 0.1 * Math.cos(i)},${i % 3}`).join('\n') + '\n');

test('gan on a CSV: the DCGAN optimizer by default, EMA, resume to more epochs, samples as PNG and CSV (truncated)', async () => {
  const run = path.join(tmp, 'gan');
  const first = await ok('train', 'gan', '--data', `csv:${csv}`, '--epochs', '1', '--batch-size', '32', '--ema', '0.9', ...SMALL, '--out', run);
  const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.equal(config.train.learningRate, 2e-4, "the model's own step size (Radford et al.)");
  assert.equal(config.train.optimizer.beta1, 0.5);
  const resumed = await ok('train', 'gan', '--resume', '--out', run, '--epochs', '2');
  assert.equal(resumed.steps, 2 * first.steps, 'the second epoch continues the first');
  const metrics = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8');
  for (const key of ['discriminatorLoss', 'generatorLoss', 'dReal', 'dFake', 'generatorGradNorm', 'generatorMinimax', 'generatorNonSaturating']) {
    assert.ok(metrics.includes(`"${key}"`), `metrics.jsonl logs ${key}`);
  }
  assert.ok(fs.readdirSync(path.join(run, 'samples')).some((f) => f.endsWith('.png')), 'epoch pictures');
  const out = path.join(tmp, 'gan-samples.csv');
  await ok('sample', run, '-n', '12', '--truncation', '0.5', '--out', out);
  assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 13, 'a header and 12 rows');
  const own = await ok('train', 'gan', '--data', `csv:${csv}`, '--epochs', '1', '--lr', '0.001', '--beta1', '0.9', ...SMALL, '--out', path.join(tmp, 'gan-lr'));
  assert.ok(own.steps > 0);
  const ownConfig = JSON.parse(fs.readFileSync(path.join(tmp, 'gan-lr', 'config.json'), 'utf8'));
  assert.equal(ownConfig.train.learningRate, 0.001, 'flags override the model defaults');
  assert.equal(ownConfig.train.optimizer.beta1, 0.9);
  await refused(/--label needs a conditional model/, 'sample', run, '--label', '1', '--out', path.join(tmp, 'x.png'));
});

test('every adversarial model trains on a CSV (the convolutional ones with MLP players) and samples', async () => {
  const models: [string, string[]][] = [
    ['wgangp', []],
    ['sngan', []],
    ['unrolled', ['--unroll-steps', '2']],
    ['acgan', ['--architecture', 'mlp', '--label-column', 'label']],
    ['infogan', ['--architecture', 'mlp']],
  ];
  for (const [model, flags] of models) {
    const run = path.join(tmp, `csv-${model}`);
    const trained = await ok('train', model, '--data', `csv:${csv}`, '--epochs', '1', '--batch-size', '16', ...SMALL, ...flags, '--out', run);
    assert.ok(trained.steps > 0, model);
    await ok('sample', run, '-n', '5', '--out', path.join(tmp, `csv-${model}.csv`));
  }
});

test('cgan on a labelled CSV samples a chosen class; wgan trains with RMSProp by default', async () => {
  const run = path.join(tmp, 'cgan');
  await ok('train', 'cgan', '--data', `csv:${csv}`, '--label-column', 'label', '--epochs', '1', '--batch-size', '32', ...SMALL, '--out', run);
  const sampled = await ok('sample', run, '-n', '6', '--label', '2', '--out', path.join(tmp, 'cgan.csv'));
  assert.equal(sampled.label, 2);
  await refused(/label must be .*2|--label/, 'sample', run, '--label', '3', '--out', path.join(tmp, 'cgan.png'));
  await refused(/conditional and trains on class labels/, 'train', 'cgan', '--data', `csv:${csv}`, '--out', path.join(tmp, 'cgan-nolabels'));
  const wgan = path.join(tmp, 'wgan');
  await ok('train', 'wgan', '--data', `csv:${csv}`, '--epochs', '1', '--batch-size', '16', ...SMALL, '--out', wgan);
  const config = JSON.parse(fs.readFileSync(path.join(wgan, 'config.json'), 'utf8'));
  assert.deepEqual([config.train.learningRate, config.train.optimizer.kind, config.model.config.k, config.model.config.clipWeights], [5e-5, 'rmsprop', 5, 0.01]);
});

test('MNIST: ACGAN samples a chosen digit, InfoGAN writes one traversal per code; dcgan refuses flat data', async () => {
  const acgan = path.join(tmp, 'acgan');
  await ok('train', 'acgan', '--data', 'mnist', '--train-limit', '64', '--batch-size', '32', '--epochs', '1', '--eval-examples', '0', '--sample-count', '10', ...TINY_DCGAN, '--out', acgan);
  assert.equal((await ok('sample', acgan, '-n', '4', '--label', '7', '--out', path.join(tmp, 'sevens.png'))).label, 7);
  const infogan = path.join(tmp, 'infogan');
  await ok('train', 'infogan', '--data', 'mnist', '--train-limit', '64', '--batch-size', '32', '--epochs', '1', '--eval-examples', '0', '--sample-count', '4', ...TINY_DCGAN, '--out', infogan);
  const out = path.join(tmp, 'codes.png');
  const traversed = await ok('traverse', infogan, '--code', 'all', '--rows', '2', '--steps', '5', '--out', out);
  assert.deepEqual(traversed.codes, ['category', 'continuous1', 'continuous2']);
  for (const file of traversed.out) assert.ok(fs.statSync(file).size > 0, file);
  await refused(/no code 'width'.*category, continuous1, continuous2/, 'traverse', infogan, '--code', 'width', '--out', out);
  await refused(/needs a latent-variable model|no latent/i, 'traverse', infogan, '--dim', '0', '--out', out);
  await refused(/dcgan architecture needs images/, 'train', 'dcgan', '--data', `csv:${csv}`, '--out', path.join(tmp, 'dcgan-flat'));
});

test('every other adversarial model trains on MNIST (a few steps), resumes and samples a grid', async () => {
  const models: [string, string[]][] = [
    ['gan', SMALL],
    ['dcgan', TINY_DCGAN],
    ['cgan', SMALL],
    ['wgan', SMALL],
    ['wgangp', SMALL],
    ['sngan', ['--architecture', 'dcgan', ...TINY_DCGAN]],
    ['unrolled', [...SMALL, '--unroll-steps', '1']],
  ];
  for (const [model, flags] of models) {
    const run = path.join(tmp, `mnist-${model}`);
    const common = ['--data', 'mnist', '--train-limit', '64', '--batch-size', '16', '--eval-examples', '0', '--sample-count', '4'];
    const first = await ok('train', model, ...common, '--epochs', '1', '--ema', '0.9', ...flags, '--out', run);
    const second = await ok('train', model, '--resume', '--out', run, '--epochs', '2');
    assert.equal(second.steps, 2 * first.steps, `${model}: resumed`);
    assert.ok(fs.readdirSync(path.join(run, 'samples')).includes('epoch-002.png'), `${model}: a grid per epoch`);
  }
});

test('the 2-D GAN lab: --snapshot-every writes frames and a GIF; a resume adds frames and rebuilds the GIF', async () => {
  const run = path.join(tmp, 'lab');
  const lab = [...SMALL, '--batch-size', '500', '--eval-examples', '0', '--sample-count', '0', '--snapshot-every', '10'];
  await ok('train', 'gan', '--data', 'toy:ring', '--epochs', '1', ...lab, '--out', run);
  const frames = () => fs.readdirSync(path.join(run, 'snapshots')).filter((f) => /^step-\d+\.png$/.test(f));
  assert.deepEqual(frames(), ['step-000010.png', 'step-000020.png']);
  const gif = path.join(run, 'snapshots', 'summary.gif');
  assert.equal(fs.readFileSync(gif).subarray(0, 6).toString('latin1'), 'GIF89a');
  const size = fs.statSync(gif).size;
  await ok('train', 'gan', '--resume', '--out', run, '--epochs', '2', '--snapshot-every', '10');
  assert.equal(frames().length, 4);
  assert.ok(fs.statSync(gif).size > size, 'the summary holds the new frames');
  await refused(/snapshot/i, 'train', 'vae', '--data', 'toy:ring', '--snapshot-every', '10', '--out', path.join(tmp, 'lab-vae'));
});
