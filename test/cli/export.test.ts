import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMA_PART, loadLatestCheckpoint } from '../../src/node/checkpoint.js';
import { withShadow } from '../../src/train/ema.js';
import { readSafetensorsIndependently } from '../io/safetensorsReader.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-export-');
const vae = path.join(tmp, 'run-vae');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const packageVersion = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

before(async () => {
  // 2 steps of a small VAE with EMA weights (decay 0.5: far from the trained weights after 2 steps).
  const quick = ['--data', 'mnist', '--train-limit', '200', '--batch-size', '100', '--epochs', '1', '--eval-examples', '0', '--sample-count', '0'];
  await json('train', 'vae', ...quick, '--hidden', '16', '--latent', '2', '--ema', '0.5', '--out', vae, '--json');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The exported file read by the test's own parser, beside the arrays it must hold. */
function checkExport(file: string, expected: { name: string; shape: number[]; data: Float32Array | Int32Array }[]) {
  const read = readSafetensorsIndependently(fs.readFileSync(file));
  assert.equal(read.headerLength % 8, 0, 'the buffer starts 8-byte aligned');
  assert.deepEqual(read.names, expected.map((w) => w.name), 'the checkpoint names, in checkpoint order');
  for (const w of expected) {
    assert.deepEqual(read.tensors[w.name].shape, w.shape, w.name);
    assert.deepEqual(read.tensors[w.name].values, Array.from(w.data), `${w.name}: every value exactly`);
  }
  return read;
}

test('export writes the EMA weights of the newest checkpoint by default, the trained ones with --no-ema, with the metadata to rebuild the model', async () => {
  const checkpoint = loadLatestCheckpoint(vae)!;
  const ema = withShadow(checkpoint.weights, checkpoint.parts[EMA_PART]);
  assert.ok(checkpoint.parts[EMA_PART].length > 0);

  const r = await json('export', vae, '--format', 'safetensors', '--json');
  const file = path.join(vae, 'model.safetensors');
  assert.deepEqual(r, { out: file, format: 'safetensors', model: 'vae', step: 2, epoch: 1, ema: true, tensors: ema.length, bytes: fs.statSync(file).size });
  assert.deepEqual(
    ema.map((w) => [w.name, w.shape]),
    [
      ['encoder/dense0/W', [784, 16]],
      ['encoder/dense0/b', [16]],
      ['encoder/mu/W', [16, 2]],
      ['encoder/mu/b', [2]],
      ['encoder/logVar/W', [16, 2]],
      ['encoder/logVar/b', [2]],
      ['decoder/dense0/W', [2, 16]],
      ['decoder/dense0/b', [16]],
      ['decoder/output/W', [16, 784]],
      ['decoder/output/b', [784]],
    ],
  );
  const read = checkExport(file, ema);
  const metadata = read.metadata!;
  assert.equal(metadata.model, 'vae');
  assert.deepEqual(JSON.parse(metadata.config), checkpoint.manifest.model.config);
  assert.equal(JSON.parse(metadata.config).decoder, 'bernoulli');
  assert.deepEqual(JSON.parse(metadata.data), checkpoint.manifest.data);
  assert.deepEqual(JSON.parse(metadata.data).shape, [28, 28, 1]);
  assert.deepEqual([metadata.step, metadata.epoch, metadata.ema, metadata.genlab_version], ['2', '1', 'true', packageVersion]);
  assert.match(metadata.layout, /dense W \[in, out\]/);

  const raw = path.join(tmp, 'raw.safetensors');
  const text = await genlab('export', vae, '--format', 'safetensors', '--no-ema', '--out', raw);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stderr, /wrote the weights of vae at step 2 \(10 arrays, \d+ bytes\) to .*raw\.safetensors/);
  assert.equal(checkExport(raw, checkpoint.weights).metadata!.ema, 'false');
  // The control: the two exports differ, so the comparisons above can tell EMA from trained weights.
  assert.notDeepEqual(fs.readFileSync(raw), fs.readFileSync(file));

  // An existing file is replaced, as sample --out replaces its file.
  fs.writeFileSync(raw, 'old');
  assert.equal((await genlab('export', vae, '--format', 'safetensors', '--no-ema', '--out', raw)).code, 0);
  checkExport(raw, checkpoint.weights);
});

test('a model fit by counting exports its count table as I32', async () => {
  const csv = path.join(tmp, 'bits.csv');
  fs.writeFileSync(csv, ['a,b,c', '0,1,1', '1,1,0', '1,0,0', '0,0,1', '1,1,1'].join('\n') + '\n');
  const run = path.join(tmp, 'run-markov');
  await json('train', 'markov', '--data', `csv:${csv}`, '--out', run, '--json');
  const out = path.join(tmp, 'markov.safetensors');
  await json('export', run, '--format', 'safetensors', '--out', out, '--json');
  const { weights } = loadLatestCheckpoint(run)!;
  assert.ok(weights.some((w) => w.dtype === 'int32'));
  const read = checkExport(out, weights);
  for (const w of weights) assert.equal(read.tensors[w.name].dtype, w.dtype === 'int32' ? 'I32' : 'F32');
  assert.equal(read.metadata!.ema, 'false');
});

test('export: --help explains the layouts; mistakes give one line and exit 2', async () => {
  const help = await genlab('export', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: genlab export RUN --format safetensors/);
  assert.match(help.stdout, /nn\.Linear\.weight = W\.T/);
  assert.match(help.stdout, /permute\(3, 2, 0, 1\)/);

  const refused = async (args: string[], message: RegExp) => {
    const r = await genlab('export', ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };
  await refused([vae, '--format', 'onnx'], /^genlab export: --format must be one of safetensors, got 'onnx'$/m);
  await refused([vae], /^genlab export needs --format NAME \(safetensors\)$/m);
  await refused(['--format', 'safetensors'], /needs exactly one RUN folder/);
  await refused([vae, '--format', 'safetensors', '--out', path.join(tmp, 'w.pt')], /--out must end in \.safetensors/);
  await refused([path.join(tmp, 'nowhere'), '--format', 'safetensors'], /is not a genlab run folder \(no config\.json\)/);
  const untrained = path.join(tmp, 'untrained');
  fs.mkdirSync(untrained);
  fs.copyFileSync(path.join(vae, 'config.json'), path.join(untrained, 'config.json'));
  await refused([untrained, '--format', 'safetensors'], /has no checkpoint yet/);
  assert.ok(!fs.existsSync(path.join(untrained, 'model.safetensors')));
});
