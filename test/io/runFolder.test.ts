/**
 * Run folders as lists of files (what the browser studio opens and exports), against the CLI:
 * a run `genlab train` wrote reads back as Node reads it, from a folder picker's paths, single files
 * or a .tar; damage is refused or passed over as Node does, naming the file; the files
 * `runFolderFiles` writes are the CLI's byte for byte, and `genlab info` and `genlab sample` read
 * them, including a run trained in memory by `fit` as the browser trains one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { loadToy } from '../../src/data/toy.js';
import { checkpointParts, emaWeights } from '../../src/io/checkpoint.js';
import { readRunFiles, runFolderFiles, type RunConfig, type RunFile } from '../../src/io/runFolder.js';
import { readTar, writeTar } from '../../src/io/tar.js';
import { createModel } from '../../src/models/registry.js';
import { loadLatestCheckpoint, type Checkpoint } from '../../src/node/checkpoint.js';
import { MetricsLog, readRunConfig } from '../../src/node/run.js';
import { withShadow } from '../../src/train/ema.js';
import { fit } from '../../src/train/fit.js';
import { MemoryStorage } from '../../src/train/storage.js';
import { genlabInProcess as genlab } from '../cli/genlab.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-runio-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Trained once by the CLI: two steps, a checkpoint after each, with optimizer state and EMA weights. */
const base = path.join(tmp, 'base');
const TRAIN = ['train', 'rnade', '--data', 'toy:ring', '--train-limit', '64', '--batch-size', '32', '--model-config', '{"hidden": 8}'];
const QUIET = ['--checkpoint-steps', '1', '--ema', '0.9', '--eval-examples', '0', '--sample-count', '0'];

before(async () => {
  const r = await genlab(...TRAIN, ...QUIET, '--out', base);
  assert.equal(r.code, 0, r.stderr);
});

/** Every file under `dir`, paths relative to it ('/'-separated) after `prefix`. */
function folderFiles(dir: string, prefix = ''): RunFile[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath ?? e.path, e.name);
      return { path: prefix + path.relative(dir, file).split(path.sep).join('/'), bytes: new Uint8Array(fs.readFileSync(file)) };
    });
}

function writeFiles(dir: string, files: RunFile[]): void {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), f.bytes);
  }
}

const flip = (f: RunFile): RunFile => {
  const bytes = f.bytes.slice();
  bytes[bytes.length >> 1] ^= 0x01;
  return { path: f.path, bytes };
};

/** Node's view of a run folder on disk, warnings collected. */
function nodeLoad(run: string): { checkpoint: Checkpoint; warnings: string[] } {
  const warnings: string[] = [];
  return { checkpoint: loadLatestCheckpoint(run, { warn: (m) => warnings.push(m) })!, warnings };
}

const isUserError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('readRunFiles reads a CLI run from a folder picker\'s paths, root-relative paths and a .tar as Node loads it', async () => {
  const { checkpoint: node, warnings } = nodeLoad(base);
  assert.deepEqual(warnings, []);
  const variants = {
    webkitRelativePath: folderFiles(base, 'myrun/'),
    'relative to the run': folderFiles(base),
    '.tar': readTar(writeTar(folderFiles(base), 'myrun')),
    'tar cf -C run .': folderFiles(base, './'),
  };
  for (const [what, files] of Object.entries(variants)) {
    const run = await readRunFiles(files);
    assert.deepEqual(run.config, readRunConfig(base), what);
    assert.deepEqual(run.metrics, new MetricsLog(base).read(), what);
    assert.equal(run.checkpoint.name, 'step-00000002', what);
    assert.deepEqual(run.checkpoint.manifest, node.manifest, what);
    assert.deepEqual(run.checkpoint.weights, node.weights, what);
    assert.deepEqual(run.checkpoint.optimizer, node.optimizer, what);
    assert.deepEqual(run.checkpoint.ema, emaWeights(node), what);
    assert.deepEqual(run.checkpoint.skipped, [], what);
  }
  assert.ok(node.optimizer.length > 0 && emaWeights(node).length > 0, 'the run has optimizer state and EMA weights to compare');
});

test('single files picked (config.json, metrics.jsonl, one checkpoint.json and its .bin files) read as that checkpoint', async () => {
  const all = folderFiles(base);
  const flat = (step: string) =>
    all.flatMap((f) => (!f.path.includes('/') ? [f] : f.path.startsWith(`checkpoints/${step}/`) ? [{ ...f, path: path.posix.basename(f.path) }] : []));
  const older = await readRunFiles(flat('step-00000001'));
  assert.equal(older.checkpoint.manifest.train.step, 1);
  // Node's view of step 1: the run with step 2 gone.
  const copy = path.join(tmp, 'only-step-1');
  fs.cpSync(base, copy, { recursive: true });
  fs.rmSync(path.join(copy, 'checkpoints', 'step-00000002'), { recursive: true });
  assert.deepEqual(older.checkpoint.weights, nodeLoad(copy).checkpoint.weights);
  assert.deepEqual(older.checkpoint.ema, emaWeights(nodeLoad(copy).checkpoint));
  assert.notDeepEqual(older.checkpoint.weights, nodeLoad(base).checkpoint.weights, 'the two checkpoints differ, so the comparison above can fail');

  const files = flat('step-00000002');
  const weights = files.findIndex((f) => f.path === 'weights.bin');
  const damaged = files.map((f, i) => (i === weights ? flip(f) : f));
  await assert.rejects(readRunFiles(damaged), isUserError(/^weights\.bin: does not match its checksum in checkpoint\.json/));
  await assert.rejects(readRunFiles(files.filter((f) => f.path !== 'optimizer.bin')), isUserError(/^optimizer\.bin is missing/));
  await assert.rejects(readRunFiles(files.filter((f) => f.path !== 'checkpoint.json')), isUserError(/no checkpoint/));
});

test('a flipped byte in the newest weights.bin falls back to the checkpoint before, as Node does; in both, it is refused naming both files', async () => {
  const files = folderFiles(base, 'myrun/');
  const newest = 'myrun/checkpoints/step-00000002/weights.bin';
  const older = 'myrun/checkpoints/step-00000001/weights.bin';
  const damaged = files.map((f) => (f.path === newest ? flip(f) : f));
  const warnings: string[] = [];
  const run = await readRunFiles(damaged, { warn: (m) => warnings.push(m) });
  assert.equal(run.checkpoint.name, 'step-00000001');
  assert.deepEqual(run.checkpoint.skipped, [{ checkpoint: 'step-00000002', file: newest, reason: 'does not match its checksum in checkpoint.json (the file is corrupt)' }]);
  assert.deepEqual(warnings, [`skipping checkpoint step-00000002: ${newest}: does not match its checksum in checkpoint.json (the file is corrupt)`, 'loading myrun/checkpoints/step-00000001, the newest intact checkpoint']);
  // Node, given the same damage on disk, loads the same weights.
  const copy = path.join(tmp, 'damaged');
  writeFiles(copy, damaged);
  const node = nodeLoad(path.join(copy, 'myrun'));
  assert.deepEqual(run.checkpoint.weights, node.checkpoint.weights);
  assert.equal(node.checkpoint.skipped.length, 1);

  const both = damaged.map((f) => (f.path === older ? flip(f) : f));
  await assert.rejects(readRunFiles(both), isUserError(new RegExp(`^run 'myrun' has no intact checkpoint: ${newest}: does not match .*; ${older}: does not match`)));
  const noEma = files.filter((f) => !f.path.endsWith('/ema.bin'));
  await assert.rejects(readRunFiles(noEma), isUserError(/step-00000002\/ema\.bin: is missing; .*step-00000001\/ema\.bin: is missing/));
});

test('files that are not one run are refused with a UserError that says what to choose', async () => {
  const files = folderFiles(base, 'myrun/');
  await assert.rejects(readRunFiles(files.filter((f) => !f.path.endsWith('config.json'))), isUserError(/no config\.json, so they are not a genlab run/));
  await assert.rejects(readRunFiles([...files, ...folderFiles(base, 'other/')]), isUserError(/several runs \(myrun\/config\.json, other\/config\.json\)/));
  const notRun = files.map((f) => (f.path === 'myrun/config.json' ? { ...f, bytes: new TextEncoder().encode('{"format": "something else"}') } : f));
  await assert.rejects(readRunFiles(notRun), isUserError(/^myrun\/config\.json is not a genlab run config/));
  await assert.rejects(readRunFiles(files.filter((f) => !f.path.includes('/checkpoints/'))), isUserError(/no checkpoint/));
  await assert.rejects(readRunFiles([...files, files[0]]), isUserError(/two files are named/));
});

test('runFolderFiles writes back the CLI\'s files byte for byte; genlab info and sample read them and sample the same values', async () => {
  const run = await readRunFiles(folderFiles(base, 'myrun/'));
  const { manifest, parts } = run.checkpoint;
  const files = await runFolderFiles({ config: run.config, metrics: run.metrics, checkpoint: { info: manifest, parts, savedAt: manifest.savedAt } });
  assert.deepEqual(
    files.map((f) => f.path),
    ['config.json', 'metrics.jsonl', 'checkpoints/latest.json', ...['checkpoint.json', 'weights.bin', 'optimizer.bin', 'ema.bin'].map((f) => `checkpoints/step-00000002/${f}`)],
  );
  for (const f of files) assert.deepEqual(f.bytes, new Uint8Array(fs.readFileSync(path.join(base, f.path))), `${f.path} is the CLI's, byte for byte`);

  const out = path.join(tmp, 'exported');
  writeFiles(out, files);
  const node = nodeLoad(out);
  assert.deepEqual(node.warnings, [], 'checksums verify');
  assert.deepEqual(node.checkpoint.weights, run.checkpoint.weights);
  const info = await genlab('info', out, '--json');
  assert.equal(info.code, 0, info.stderr);
  const report = JSON.parse(info.stdout);
  assert.deepEqual([report.checkpoint, report.damaged, report.trained.step], ['step-00000002', [], 2]);

  const sample = async (run: string, out: string, ...more: string[]) => {
    const r = await genlab('sample', run, '-n', '4', '--out', out, ...more);
    assert.equal(r.code, 0, r.stderr);
    return fs.readFileSync(out);
  };
  const x = (name: string) => path.join(tmp, name);
  assert.deepEqual(await sample(out, x('exported.png')), await sample(base, x('base.png')));
  const csv = await sample(out, x('exported.csv'));
  assert.deepEqual(csv, await sample(base, x('base.csv')));
  assert.notDeepEqual(await sample(base, x('seed1.csv'), '--seed', '1'), csv, 'another seed samples other values: the comparison can fail');
});

test('a run trained in memory by fit, as the browser trains one, exports to a folder that genlab info and sample read', async () => {
  const data = { shape: [2], kind: 'real' as const };
  const modelConfig = { hidden: 8 };
  const model = createModel('rnade', modelConfig, data);
  const storage = new MemoryStorage();
  const train = loadToy('ring', 64, new Rng(5));
  await fit(model, train, { epochs: 1, batchSize: 32, seed: 3, learningRate: 0.01, ema: 0.9, storage, logEverySteps: 1 });
  const saved = storage.checkpoints.at(-1)!;
  const config: RunConfig = {
    format: 'genlab-run',
    version: 1,
    command: 'genlab studio',
    createdAt: new Date().toISOString(),
    backend: tf.getBackend(),
    model: { name: 'rnade', config: model.getConfig() },
    data: { spec: 'toy:ring', binarize: 'none', dataSeed: 0, ...data, trainExamples: 64, testExamples: 0 },
    train: { epochs: 1, batchSize: 32, learningRate: 0.01, seed: 3, ema: 0.9 },
  };
  const files = await runFolderFiles({
    config,
    metrics: storage.records,
    checkpoint: { info: { model: config.model, data, train: saved.state, backend: config.backend }, parts: checkpointParts(saved) },
  });
  const out = path.join(tmp, 'studio-run');
  writeFiles(out, files);

  const info = await genlab('info', out, '--json');
  assert.equal(info.code, 0, info.stderr);
  assert.deepEqual([JSON.parse(info.stdout).trained.step, JSON.parse(info.stdout).damaged], [2, []]);
  const r = await genlab('sample', out, '-n', '4', '--out', path.join(tmp, 'studio.csv'));
  assert.equal(r.code, 0, r.stderr);
  const cli = fs.readFileSync(path.join(tmp, 'studio.csv'), 'utf8').trim().split('\n').flatMap((line) => line.split(',').map(Number));
  // The same draw in this process, from the weights the run ended with and its EMA shadow (as the CLI samples).
  const mine = createModel('rnade', modelConfig, data);
  mine.setWeights(withShadow(saved.weights, saved.ema));
  const expected = await mine.sample(4, new Rng(0));
  assert.equal(cli.length, expected.length);
  cli.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-5 * (1 + Math.abs(expected[i])), `sample value ${i}: ${v} vs ${expected[i]}`));
  assert.ok(saved.ema.length > 0 && saved.optimizer.length > 0);
  assert.deepEqual(loadLatestCheckpoint(out)!.optimizer, saved.optimizer, 'the optimizer state survives for a resume');
  model.dispose();
  mine.dispose();
});
