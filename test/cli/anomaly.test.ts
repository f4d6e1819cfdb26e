/**
 * genlab anomaly on a tiny Markov chain of binarized MNIST (300 training digits, no 9s), run in this
 * process (main(), as bin/genlab.js calls it) so the file takes seconds: uniform noise is far less
 * likely than digits under any model of digits, so it must be detected (AUROC > 0.9); the JSON
 * document and the eval record have their fields; the held-out class works on a run trained
 * without it and is refused on one that was not; a model without a density is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { genlabInProcess as genlab } from './genlab.js';
import { readEvalRecords } from '../../src/node/evalRecords.js';
import { readPng } from '../../src/node/data/images.js';
import { readRunConfig } from '../../src/node/run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-anomaly-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const markov = path.join(tmp, 'markov-no9');
const ae = path.join(tmp, 'ae-ring');
const vae = path.join(tmp, 'vae-ring');
const cvae = path.join(tmp, 'cvae-ring');

async function json(...args: string[]): Promise<any> {
  const r = await genlab(...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const quiet = ['--epochs', '1', '--eval-examples', '0', '--sample-count', '0', '--backend', 'cpu'];

before(async () => {
  await json('train', 'markov', '--data', 'mnist', '--train-limit', '300', '--exclude-class', '9', ...quiet, '--out', markov, '--json');
  const tiny = ['--data', 'toy:ring', '--train-limit', '64', '--batch-size', '32', '--hidden', '8', '--latent', '1', ...quiet];
  await json('train', 'ae', ...tiny, '--out', ae, '--json');
  await json('train', 'vae', ...tiny, '--eval-samples', '5', '--out', vae, '--json');
  await json('train', 'cvae', ...tiny, '--eval-samples', '5', '--out', cvae, '--json');
});

test('--exclude-class 9 is recorded in the run config, the 300 training digits counted without the 9s', () => {
  const config = readRunConfig(markov);
  assert.deepEqual([config.data.excludeClass, config.data.trainExamples], [9, 300]);
});

test('noise is detected against MNIST digits by -log p(x) (AUROC > 0.9), raw and complexity-corrected, with a histogram and an eval record', async () => {
  const png = path.join(tmp, 'hist.png');
  const r = await json('anomaly', markov, '--in', 'mnist:test', '--out', 'noise:300', '--limit', '300', '--histogram', png, '--json');
  assert.equal(r.kind, 'exact');
  assert.deepEqual([r.in, r.out, r.nIn, r.nOut], ['mnist/test', 'noise:300', 300, 300]);
  for (const block of [r.raw, r.complexity]) {
    for (const field of ['auroc', 'auprc', 'fprAt95Tpr', 'meanIn', 'meanOut']) assert.equal(typeof block[field], 'number', field);
  }
  assert.ok(r.raw.auroc > 0.9, `raw AUROC ${r.raw.auroc}`);
  assert.ok(r.raw.meanOut > r.raw.meanIn, 'noise has the higher -log p(x)');
  assert.equal(r.raw.unit, 'nats');
  assert.deepEqual([r.complexity.unit, r.complexity.compressor], ['bits', 'png']);
  // Corrected means: -log p / ln 2 - L, from the raw means and the mean lengths.
  assert.ok(Math.abs(r.complexity.meanIn - (r.raw.meanIn / Math.LN2 - r.complexity.meanLengthIn)) < 1e-6);
  assert.ok(r.complexity.meanLengthOut > r.complexity.meanLengthIn, 'noise compresses worse than digits');
  const img = readPng(png);
  assert.deepEqual([img.width, img.height, img.channels], [2 * (2 * 240 + 8), 2 * 140, 3], 'two panels, magnified');

  const records = readEvalRecords(markov).filter((rec) => rec.kind === 'anomaly');
  assert.deepEqual(records.map((rec) => rec.key), ['mnist-test-vs-noise-300']);
  assert.deepEqual(records[0].result, r);

});

test('--holdout-class 9 scores the test split, 9s against the rest; another class needs --force', async () => {
  const r = await json('anomaly', markov, '--holdout-class', '9', '--limit', '200', '--json');
  assert.equal(r.holdoutClass, 9);
  assert.deepEqual([r.in, r.out], [`mnist/test (labels != 9)`, `mnist/test (label 9)`]);
  assert.deepEqual([r.nIn, r.nOut], [200, 200]);
  assert.ok(r.raw.auroc >= 0 && r.raw.auroc <= 1);
  assert.ok(readEvalRecords(markov).some((rec) => rec.key === 'holdout-9'));

  const other = await genlab('anomaly', markov, '--holdout-class', '3');
  assert.equal(other.code, 2);
  assert.match(other.stderr, /trained without class 9, not 3: use --holdout-class 9 \(or pass --force\)/);
  const forced = await genlab('anomaly', markov, '--holdout-class', '3', '--force', '--limit', '50');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /in  \(negatives\): mnist\/test \(labels != 3\), 50 examples/);
  assert.match(forced.stdout, /out \(positives\): mnist\/test \(label 3\), 50 examples/);
  assert.match(forced.stdout, /score: exact -log p\(x\); higher = more anomalous/);
  assert.match(forced.stdout, /-log2 p\(x\) - L\(x\) .* bits/);
});

test('refused: a held-out class the run trained on, a model without density, --exclude-class on unlabelled data, a missing set', async () => {
  const notHeldOut = await genlab('anomaly', ae, '--holdout-class', '1');
  assert.equal(notHeldOut.code, 2);
  assert.match(notHeldOut.stderr, /^genlab anomaly: run '.*' was trained on every class, so class 1 is not held out: train with npx genlab train \.\.\. --exclude-class 1/);

  const implicit = await genlab('anomaly', ae, '--in', 'toy:ring', '--out', 'noise:10');
  assert.equal(implicit.code, 2);
  assert.match(implicit.stderr, /ae is an implicit model: it has neither a density nor a bound/);
  assert.equal(implicit.stderr.trim().split('\n').length, 1, 'one line');

  const unlabelled = await genlab('train', 'rnade', '--data', 'toy:swissroll', '--exclude-class', '0', ...quiet, '--out', path.join(tmp, 'never'));
  assert.equal(unlabelled.code, 2);
  assert.match(unlabelled.stderr, /--exclude-class needs labelled data, but 'toy:swissroll' has no labels/);
  assert.ok(!fs.existsSync(path.join(tmp, 'never')), 'nothing written');

  const half = await genlab('anomaly', markov, '--in', 'mnist:test');
  assert.equal(half.code, 2);
  assert.match(half.stderr, /needs --in SPEC and --out SPEC/);
});

test('latent models: the IWAE estimate, or -ELBO with --bound; cvae by its marginal over the classes; no tensor left behind', async () => {
  // Ring points (2-D, real values): no PNG complexity, noise uniform over the training data's box.
  const estimate = await json('anomaly', vae, '--in', 'toy:ring', '--out', 'noise:40', '--limit', '40', '--json');
  assert.deepEqual([estimate.kind, estimate.complexity, estimate.nIn, estimate.nOut], ['estimate', null, 40, 40]);
  const before = tf.memory().numTensors;
  const bound = await json('anomaly', vae, '--in', 'toy:ring', '--out', 'noise:40', '--limit', '40', '--bound', '--json');
  assert.equal(bound.kind, 'bound');
  // -ELBO >= -log p(x) per input, so on average too, up to the estimate's own noise (k = 5 of a tiny model).
  assert.ok(bound.raw.meanIn > estimate.raw.meanIn - 0.5, `${bound.raw.meanIn} vs ${estimate.raw.meanIn}`);
  assert.ok(readEvalRecords(vae).some((rec) => rec.key === 'toy-ring-test-vs-noise-40-bound'));
  const conditional = await json('anomaly', cvae, '--in', 'toy:ring', '--out', 'noise:40', '--limit', '40', '--bound', '--json');
  // The marginal sums over the classes (ring components, 8 in all) present among the 64 training points, weighed by their frequency.
  assert.ok(conditional.marginalClasses >= 2 && conditional.marginalClasses <= 8, String(conditional.marginalClasses));
  assert.equal(conditional.kind, 'bound');
  assert.equal(tf.memory().numTensors, before, 'every model and batch tensor disposed');
  const refused = await genlab('anomaly', markov, '--in', 'mnist:test', '--out', 'noise:10', '--bound');
  assert.match(refused.stderr, /--bound scores by a variational bound, which markov does not have \(it has an exact log p\(x\)\); drop --bound/);
});
