import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/core/rng.js';
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

test('train --help shows --workers', async () => {
  const help = await genlab('train', '--help');
  assert.match(help.stdout, /--workers N\s+train on N threads/);
});

test('--workers 2 trains a VAE, records the count, and a resumed run ends bit for bit where an uninterrupted one does', async () => {
  // 257 training examples in batches of 16: every epoch ends on a batch of one, which both replicas share.
  const limit = ['--train-limit', '257'];
  const first = await genlab('train', ...VAE, ...limit, '--workers', '2', '--epochs', '1', '--out', 'resumed', '--json');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /backend wasm on 2 threads \(data-parallel\)/);
  const config = JSON.parse(fs.readFileSync(path.join(tmp, 'resumed', 'config.json'), 'utf8'));
  assert.equal(config.train.workers, 2);
  const resumed = await json('train', 'vae', '--resume', '--out', 'resumed', '--epochs', '2', '--json');
  assert.equal(resumed.steps, 34);
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
