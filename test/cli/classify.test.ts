/**
 * `genlab classify` on tiny runs: naive Bayes (classcond with the counting base `independent`) on
 * 300 MNIST examples, 100 held out with --validation, classifies well above chance and refuses
 * noise; on a small CSV, the threshold's other sources (given, the training fallback); refusals.
 * The commands run in this process (main(), as bin/genlab.js calls it), to keep the file fast.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRunConfig } from '../../src/node/run.js';
import { genlabInProcess as genlab } from './genlab.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-classify-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function json(...args: string[]): Promise<any> {
  const r = await genlab(...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const QUIET = ['--epochs', '1', '--eval-examples', '0', '--sample-count', '0'];
const naiveBayes = path.join(tmp, 'naive-bayes');

/**
 * 200 rows of 6 binary pixels and a label: class 0 pixels on with probability 0.1, class 1 with 0.9
 * (the CSV runs are quick; MNIST loads and binarizes 70,000 images for every command).
 */
const csv = path.join(tmp, 'two-classes.csv');
function writeCsv(): void {
  let seed = 7;
  const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows = ['p0,p1,p2,p3,p4,p5,label'];
  for (let i = 0; i < 200; i++) {
    const y = i % 2;
    rows.push([...Array.from({ length: 6 }, () => +(uniform() < (y ? 0.9 : 0.1))), y].join(','));
  }
  fs.writeFileSync(csv, rows.join('\n') + '\n');
}

before(async () => {
  writeCsv();
  await json('train', 'classcond', '--base', 'independent', '--data', 'mnist', ...QUIET, '--train-limit', '300', '--validation', '100', '--out', naiveBayes, '--json');
});

test('naive Bayes on MNIST (300 examples, 100 held out): accuracy well above chance, about q of the test split refused, noise refused; JSON and eval record', async () => {
  const config = readRunConfig(naiveBayes);
  assert.deepEqual([config.data.validation, config.data.trainExamples], [100, 300]);
  const r = await json('classify', naiveBayes, '--limit', '500', '--out-of', 'noise:200', '--json');
  for (const field of ['kind', 'threshold', 'quantile', 'accuracy', 'rejectionRate', 'acceptedAccuracy', 'n', 'outOf']) assert.ok(field in r, field);
  assert.equal(r.kind, 'exact');
  assert.equal(r.n, 500);
  assert.equal(r.quantile, 0.01);
  assert.deepEqual([r.thresholdFrom, r.heldOutExamples], ['validation', 100]);
  assert.ok(r.accuracy > 0.5, `accuracy ${r.accuracy} (chance: 0.1)`);
  assert.ok(r.rejectionRate < 0.1, `${r.rejectionRate} of in-distribution test inputs refused`);
  assert.ok(r.acceptedAccuracy >= r.accuracy - 0.02);
  assert.deepEqual(r.outOf.map((o: any) => [o.spec, o.n]), [['noise:200', 200]]);
  assert.ok(r.outOf[0].rejectionRate > 0.9, `noise refused: ${r.outOf[0].rejectionRate}`);
  // Beside it, the discriminative reference classifier: accurate on digits, and it cannot refuse noise.
  assert.match(r.reference.featureSpace, /^genlab-mnist@/);
  assert.ok(r.reference.accuracy > 0.95, `reference accuracy ${r.reference.accuracy}`);
  assert.equal(r.reference.rejectionRate, 0);
  assert.equal(r.reference.outOf[0].spec, 'noise:200');
  assert.ok(r.reference.outOf[0].meanConfidence > 0.1 && r.reference.outOf[0].meanConfidence <= 1);
  const record = JSON.parse(fs.readFileSync(path.join(naiveBayes, 'evals', 'classify-test.json'), 'utf8'));
  assert.equal(record.kind, 'classify');
  assert.deepEqual(record.result, r);
  assert.equal(record.command, `genlab classify ${naiveBayes} --limit 500 --out-of noise:200 --json`);
});

test('without a validation split the threshold comes from the last training examples, with a note; --threshold X refuses exactly the inputs below X', async () => {
  const run = path.join(tmp, 'csv-run');
  await json('train', 'classcond', '--base', 'independent', '--data', `csv:${csv}`, '--label-column', 'label', ...QUIET, '--out', run, '--json');
  const r = await genlab('classify', run, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no validation split.*last 180 training examples.*optimistic/);
  const fallback = JSON.parse(r.stdout);
  assert.deepEqual([fallback.thresholdFrom, fallback.heldOutExamples, fallback.n], ['train', 180, 20]);
  assert.ok(fallback.accuracy >= 0.9, `two well separated classes: ${fallback.accuracy}`);

  // Binary data have log p(x|y) < 0: a threshold of 0 nats refuses everything, one of -1e9 nothing,
  // and the accuracy answering every input does not depend on it.
  const none = await json('classify', run, '--threshold', '0', '--json');
  assert.deepEqual([none.thresholdFrom, none.quantile, none.threshold, none.rejectionRate, none.acceptedAccuracy], ['given', null, 0, 1, null]);
  const all = await json('classify', run, '--threshold', '-1e9', '--json');
  assert.deepEqual([all.rejectionRate, all.accuracy, all.acceptedAccuracy], [0, none.accuracy, none.accuracy]);
});

test('refused in one line: a model that is not class-conditional, and both threshold flags', async () => {
  const plain = path.join(tmp, 'independent');
  await json('train', 'independent', '--data', `csv:${csv}`, ...QUIET, '--out', plain, '--json');
  const r = await genlab('classify', plain, '--threshold', '-100');
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^genlab classify: independent cannot classify by Bayes' rule: .*not conditioned on a class/);
  const both = await genlab('classify', naiveBayes, '--threshold', '-100', '--reject-quantile', '0.05');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--threshold X or --reject-quantile Q, not both/);
});
