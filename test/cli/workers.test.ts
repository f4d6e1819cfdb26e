import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { MIN_AUTO_SHARD, autoReplicas } from '../../src/train/parallel.js';
import { loadLatestCheckpoint } from '../../src/node/checkpoint.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-workers-');

const csv = path.join(tmp, 'bits.csv');
{
  const rng = new Rng(3);
  const lines = [Array.from({ length: 10 }, (_, i) => `p${i}`).join(',')];
  for (let r = 0; r < 300; r++) {
    let v = rng.int(2);
    lines.push(Array.from({ length: 10 }, () => (v = rng.uniform() < 0.8 ? v : 1 - v)).join(','));
  }
  fs.writeFileSync(csv, lines.join('\n') + '\n');
}

/** A VAE: its noise is drawn in both replicas, so a resumed run matches only if the workers' noise is a function of the step. */
const VAE = ['vae', '--data', `csv:${csv}`, '--hidden', '8', '--latent', '2', '--batch-size', '16', '--eval-examples', '0', '--sample-count', '0'];

function weightsOf(run: string) {
  return loadLatestCheckpoint(path.join(tmp, run))!.weights;
}

function recordedWorkers(run: string): number | undefined {
  return JSON.parse(fs.readFileSync(path.join(tmp, run, 'config.json'), 'utf8')).train.workers;
}

/** Runs `body` with $GENLAB_WORKERS set to `value` (undefined: unset), as a user's shell would have it. */
async function withWorkersEnv<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env.GENLAB_WORKERS;
  if (value === undefined) delete process.env.GENLAB_WORKERS;
  else process.env.GENLAB_WORKERS = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.GENLAB_WORKERS;
    else process.env.GENLAB_WORKERS = saved;
  }
}

test('train --help shows --workers', async () => {
  const help = await genlab('train', '--help');
  assert.match(help.stdout, /--workers N\|auto\s+train on N threads.*auto: one per core.*\$GENLAB_WORKERS sets the default\) \(default auto\)/);
});

test('--workers 2 trains a VAE, records the count, and a resumed run ends bit for bit where an uninterrupted one does', async () => {
  // 257 training examples in batches of 16: every epoch ends on a batch of one, which both replicas share.
  const limit = ['--train-limit', '257'];
  const first = await genlab('train', ...VAE, ...limit, '--workers', '2', '--epochs', '1', '--out', 'resumed', '--json');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /backend wasm on 2 threads \(data-parallel\)/);
  const config = JSON.parse(fs.readFileSync(path.join(tmp, 'resumed', 'config.json'), 'utf8'));
  assert.equal(config.train.workers, 2);
  // Resumed without --workers (and with the tests' $GENLAB_WORKERS=1), the run keeps its two threads.
  const resumed = await json('train', 'vae', '--resume', '--out', 'resumed', '--epochs', '2', '--json');
  assert.equal(resumed.steps, 34);
  assert.equal(recordedWorkers('resumed'), 2);
  await json('train', ...VAE, ...limit, '--workers', '2', '--epochs', '2', '--out', 'straight', '--json');
  assert.deepEqual(weightsOf('resumed'), weightsOf('straight'));
  // Control: one thread draws other noise, so it ends elsewhere (the comparison above can fail).
  await json('train', ...VAE, ...limit, '--epochs', '2', '--out', 'alone', '--json');
  assert.notDeepEqual(weightsOf('alone'), weightsOf('straight'));
});

test('--workers is refused for models fit by counting and for batches smaller than the thread count', async () => {
  const counting = await genlab('train', 'markov', '--data', `csv:${csv}`, '--workers', '2', '--out', 'markov');
  assert.equal(counting.code, 2);
  assert.match(counting.stderr, /markov is fit by counting.*drop --workers/);
  const small = await genlab('train', ...VAE.slice(0, 7), '--batch-size', '2', '--workers', '3', '--out', 'small');
  assert.equal(small.code, 2);
  assert.match(small.stderr, /--workers 3 .* needs --batch-size 3 or more \(got 2\)/);
});

test('auto: one replica per core on one-thread engines, one on engines that thread themselves, shards of at least 16', () => {
  assert.equal(MIN_AUTO_SHARD, 16);
  assert.equal(autoReplicas(2, 128, 'wasm'), 2);
  assert.equal(autoReplicas(2, 128, 'cpu'), 2);
  assert.equal(autoReplicas(64, 128, 'wasm'), 8, 'batch 128 gives at most 8 shards of 16');
  assert.equal(autoReplicas(4, 40, 'wasm'), 2);
  assert.equal(autoReplicas(2, 32, 'wasm'), 2);
  assert.equal(autoReplicas(2, 31, 'wasm'), 1);
  assert.equal(autoReplicas(1, 128, 'wasm'), 1);
  assert.equal(autoReplicas(0, 128, 'wasm'), 1);
  for (const backend of ['tensorflow', 'webgl', 'webgpu']) assert.equal(autoReplicas(16, 1024, backend), 1, backend);
});

test('by default a run trains on auto workers and records the count; $GENLAB_WORKERS sets the default, --workers overrides it', async () => {
  const cores = os.availableParallelism();
  const base = [...VAE.slice(0, 7), '--train-limit', '64', '--epochs', '1', '--eval-examples', '0', '--sample-count', '0'];
  const auto = await withWorkersEnv(undefined, () => genlab('train', ...base, '--batch-size', '32', '--out', 'auto'));
  assert.equal(auto.code, 0, auto.stderr);
  assert.equal(recordedWorkers('auto'), autoReplicas(cores, 32, 'wasm'));
  if (cores >= 2) {
    assert.equal(recordedWorkers('auto'), 2);
    assert.match(auto.stderr, /on 2 threads \(data-parallel; --workers auto: one per core, --workers 1 for one\)/);
  }
  // A batch of 16 makes one shard only.
  await withWorkersEnv(undefined, () => json('train', ...base, '--batch-size', '16', '--out', 'auto-small', '--json'));
  assert.equal(recordedWorkers('auto-small'), 1);
  await withWorkersEnv('2', () => json('train', ...base, '--batch-size', '16', '--out', 'env', '--json'));
  assert.equal(recordedWorkers('env'), 2);
  await withWorkersEnv('2', () => json('train', ...base, '--batch-size', '16', '--workers', '1', '--out', 'flag', '--json'));
  assert.equal(recordedWorkers('flag'), 1);
  const bad = await withWorkersEnv('many', () => genlab('train', ...base, '--out', 'bad'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /GENLAB_WORKERS must be auto or an integer between 1 and 256, got 'many'/);
  // A model fit by counting takes no steps: neither auto nor $GENLAB_WORKERS gives it workers, and its run records none.
  await withWorkersEnv(undefined, () => json('train', 'markov', '--data', `csv:${csv}`, '--out', 'counted', '--json'));
  assert.equal(recordedWorkers('counted'), undefined);
  await withWorkersEnv('2', () => json('train', 'markov', '--data', `csv:${csv}`, '--out', 'counted-env', '--json'));
  assert.equal(recordedWorkers('counted-env'), undefined);
});
