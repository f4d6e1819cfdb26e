/** `genlab eval --samples`: sample quality from the command line, its records, and its refusals. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shippedClassifierDir } from '../../src/node/referenceClassifier.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-quality-');
const run = path.join(tmp, 'run-markov');
const classifier = shippedClassifierDir('mnist');

before(async () => {
  await json('train', 'markov', '--data', 'mnist', '--train-limit', '500', '--eval-examples', '0', '--sample-count', '0', '--out', run, '--json');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('eval --samples N reports every sample-quality figure in a named feature space, and keeps them for compare', async () => {
  const r = await json('eval', run, '--samples', '60', '--limit', '100', '--classifier', classifier, '--json');
  assert.equal(r.kind, 'exact');
  const q = r.quality;
  assert.match(q.featureSpace, /^genlab-mnist@[0-9a-f]{12}$/);
  assert.equal(q.n, 60);
  assert.equal(q.referenceExamples, 10000, 'the whole test split is the reference, whatever --limit says');
  assert.equal(q.precisionRecallExamples, 60);
  assert.ok(q.frechetDistance > 0 && Number.isFinite(q.frechetDistance));
  assert.ok(q.inceptionScore >= 1 && q.inceptionScore <= 10);
  for (const f of [q.precision, q.recall, q.meanConfidence]) assert.ok(f >= 0 && f <= 1);
  assert.equal(q.histogram.length, 10);
  assert.ok(Math.abs(q.histogram.reduce((s: number, h: number) => s + h, 0) - 1) < 1e-9);
  assert.equal(q.labelAgreement, undefined, 'an unconditional model has no classes asked for');
  const records = fs.readdirSync(path.join(run, 'evals')).sort();
  assert.deepEqual(records, ['likelihood-test.json', 'quality.json']);
  const record = JSON.parse(fs.readFileSync(path.join(run, 'evals', 'quality.json'), 'utf8'));
  assert.equal(record.result.frechetDistance, q.frechetDistance);
  assert.match(record.command, /^genlab eval .* --samples 60/);
  // The same seed draws the same samples: the figure is reproducible.
  const again = await json('eval', run, '--samples', '60', '--no-likelihood', '--classifier', classifier, '--json');
  assert.equal(again.kind, 'implicit');
  assert.equal(again.quality.frechetDistance, q.frechetDistance);
});

test('eval --samples refuses data without a reference classifier, and flags that need it', async () => {
  const toy = path.join(tmp, 'run-toy');
  await json('train', 'rnade', '--data', 'toy:ring', '--train-limit', '200', '--epochs', '1', '--eval-examples', '0', '--sample-count', '0', '--model-config', '{"hidden":8,"components":2}', '--out', toy, '--json');
  const r = await genlab('eval', toy, '--samples', '50');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /reference classifier of MNIST or Fashion-MNIST; this run's data 'toy:ring' has none/);
  const lone = await genlab('eval', run, '--no-likelihood');
  assert.equal(lone.code, 2);
  assert.match(lone.stderr, /--no-likelihood leaves nothing to measure without --samples N/);
  const mean = await genlab('eval', run, '--mean');
  assert.equal(mean.code, 2);
  assert.match(mean.stderr, /go with --samples N/);
  const guidance = await genlab('eval', run, '--guidance', '1');
  assert.equal(guidance.code, 2);
  assert.match(guidance.stderr, /go with --samples N/);
});

test('eval --samples of a class-conditional model: the label agreement of the classes asked for; --guidance for a diffusion model', async () => {
  const ddpm = path.join(tmp, 'run-ddpm');
  const tiny = ['--timesteps', '4', '--channels', '4', '--norm-groups', '2', '--embedding', '8', '--class-conditional'];
  await json('train', 'ddpm', '--data', 'mnist', '--train-limit', '32', '--batch-size', '32', ...tiny, '--eval-examples', '0', '--sample-count', '0', '--out', ddpm, '--json');
  const r = await json('eval', ddpm, '--samples', '20', '--steps', '2', '--guidance', '1.5', '--no-likelihood', '--classifier', classifier, '--json');
  const q = r.quality;
  assert.deepEqual([q.n, q.steps, q.guidance], [20, 2, 1.5]);
  assert.ok(q.labelAgreement >= 0 && q.labelAgreement <= 1, `label agreement ${q.labelAgreement}`);
  // The agreement counts samples whose class is the one asked for (classes in turn): at most the histogram allows.
  const bound = q.histogram.reduce((s: number, h: number) => s + Math.min(h, 0.1), 0);
  assert.ok(q.labelAgreement <= bound + 1e-9, `agreement ${q.labelAgreement} <= sum_k min(share_k, 1/10) = ${bound}`);
  const text = await genlab('eval', ddpm, '--samples', '20', '--steps', '2', '--guidance', '1.5', '--no-likelihood', '--classifier', classifier);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /DDIM 2 steps, eta 0, guidance 1.5/);
  assert.match(text.stdout, /label agreement [\d.]+%/);
});
