/**
 * The README's promises checked from the outside: what `train --json` reports for exact densities
 * and for bounds, 0/1 samples from a VAE on binary data, scoring a conditional model with its labels,
 * and per-epoch pictures of a readable size.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPng } from '../../src/node/data/images.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-contracts-');
const vae = path.join(tmp, 'run-vae');
let vaeSummary: any;

function size(file: string): [number, number] {
  const img = readPng(file);
  return [img.width, img.height];
}

before(async () => {
  vaeSummary = await json(
    'train', 'vae', '--data', 'mnist', '--train-limit', '200', '--epochs', '1', '--batch-size', '50', '--eval-examples', '40', '--sample-count', '4',
    '--model-config', '{"hidden":[32],"latent":2,"evalSamples":5}', '--out', vae, '--json',
  );
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('train --json: a bound (testElbo and its terms, testKind "bound") for a VAE, testNll ("exact") for markov', async () => {
  assert.equal(vaeSummary.testKind, 'bound');
  assert.equal(vaeSummary.testNll, undefined, 'an ELBO is not an NLL');
  assert.ok(Number.isFinite(vaeSummary.testElbo) && vaeSummary.testElbo < 0, JSON.stringify(vaeSummary));
  assert.ok(Math.abs(vaeSummary.testElbo - (vaeSummary.testReconstruction - vaeSummary.testKl)) < 1e-6, 'elbo = reconstruction - kl');
  assert.equal(vaeSummary.testExamples, 40);

  const csv = path.join(tmp, 'bits.csv');
  fs.writeFileSync(csv, Array.from({ length: 40 }, (_, i) => `${i & 1},${(i >> 1) & 1},${(i >> 2) & 1}`).join('\n') + '\n');
  const markov = path.join(tmp, 'run-markov');
  const t = await json('train', 'markov', '--data', `csv:${csv}`, '--sample-count', '4', '--out', markov, '--json');
  assert.equal(t.testKind, 'exact');
  assert.ok(Number.isFinite(t.testNll) && t.testNll > 0, JSON.stringify(t));
  assert.equal(t.testElbo, undefined);
  // Tabular rows: a heat-map table, 4 samples x 3 features, cells of 16 x 12 pixels and 1-pixel lines.
  assert.deepEqual(size(path.join(markov, 'samples', 'epoch-001.png')), [3 * 17 + 1, 4 * 13 + 1]);
  // Samples of a model without a decoder are draws: --mean does not apply.
  const bad = await genlab('sample', markov, '--mean', '--out', path.join(tmp, 'm.csv'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--mean needs a latent-variable model/);
  // Without evaluation there is no figure, and no kind.
  const quiet = await json('train', 'markov', '--data', `csv:${csv}`, '--eval-examples', '0', '--sample-count', '0', '--out', path.join(tmp, 'run-quiet'), '--json');
  assert.deepEqual([quiet.testKind, quiet.testNll], [undefined, undefined]);
});

test('sample: a VAE on binarized MNIST writes 0/1 draws to CSV, decoder means with --mean; 28 x 28 grids at 2x', async () => {
  const draws = path.join(tmp, 'draws.csv');
  assert.equal((await json('sample', vae, '-n', '6', '--out', draws, '--json')).mode, 'sample');
  const values = fs.readFileSync(draws, 'utf8').trim().split('\n').flatMap((row) => row.split(',').map(Number));
  assert.equal(values.length, 6 * 784);
  assert.ok(values.every((x) => x === 0 || x === 1), 'every value is 0 or 1');
  assert.ok(values.some((x) => x === 1) && values.some((x) => x === 0));

  const means = path.join(tmp, 'means.csv');
  assert.equal((await json('sample', vae, '-n', '6', '--mean', '--out', means, '--json')).mode, 'mean');
  const probs = fs.readFileSync(means, 'utf8').trim().split('\n').flatMap((row) => row.split(',').map(Number));
  assert.equal(probs.length, 6 * 784);
  assert.ok(probs.every((p) => p > 0 && p < 1), 'Bernoulli means are probabilities strictly inside (0, 1)');

  // PNGs keep the model's sampleMode (means: smoother pictures), each 28 x 28 image drawn at 2x.
  const grid = path.join(tmp, 'grid.png');
  assert.equal((await json('sample', vae, '-n', '4', '--out', grid, '--json')).mode, 'mean');
  assert.deepEqual(size(grid), [2 * 57 + 1, 2 * 57 + 1]);
  assert.deepEqual(size(path.join(vae, 'samples', 'epoch-001.png')), [2 * 57 + 1, 2 * 57 + 1]);
});

test('score: a cvae scores log p(x | y) with --label-column; without labels, one line says to pass it', async () => {
  // 90 rows of 4 real features in three labelled clusters; the labels are names.
  const rng = (i: number) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453);
  const features = (i: number) => Array.from({ length: 4 }, (_, j) => ((i % 3) === j % 3 ? 2 : -1) + 0.3 * (rng(i * 4 + j) - 0.5));
  const row = (i: number, label: string) => [...features(i).map((f) => f.toFixed(4)), label].join(',');
  const csv = path.join(tmp, 'clusters.csv');
  fs.writeFileSync(csv, ['f0,f1,f2,f3,cls', ...Array.from({ length: 90 }, (_, i) => row(i, `c${i % 3}`))].join('\n') + '\n');
  const run = path.join(tmp, 'run-cvae');
  const config = { hidden: [16], latent: 2, evalSamples: 10 };
  await json('train', 'cvae', '--data', `csv:${csv}`, '--label-column', 'cls', '--epochs', '2', '--batch-size', '16', '--eval-examples', '0', '--sample-count', '0', '--model-config', JSON.stringify(config), '--out', run, '--json');

  // Rows of class c2 only: named 'c2' they must score as class 2 of training (not as the file's only class, 0).
  const rowsOf2 = Array.from({ length: 30 }, (_, k) => 3 * k + 2).slice(0, 5);
  const named = path.join(tmp, 'named.csv');
  fs.writeFileSync(named, ['f0,f1,f2,f3,cls', ...rowsOf2.map((i) => row(i, 'c2'))].join('\n') + '\n');
  const numbered = (label: number) => {
    const file = path.join(tmp, `numbered-${label}.csv`);
    fs.writeFileSync(file, ['cls,f0,f1,f2,f3', ...rowsOf2.map((i) => [label, ...features(i).map((f) => f.toFixed(4))].join(','))].join('\n') + '\n');
    return file;
  };
  const s = await json('score', run, '--input', named, '--label-column', 'cls', '--json');
  assert.equal(s.kind, 'estimate');
  assert.equal(s.logProb.length, 5);
  assert.ok(s.logProb.every(Number.isFinite) && s.elbo.every(Number.isFinite));
  assert.deepEqual((await json('score', run, '--input', numbered(2), '--label-column', 'cls', '--json')).logProb, s.logProb, "'c2' is class 2, wherever the column is");
  assert.notDeepEqual((await json('score', run, '--input', numbered(0), '--label-column', 'cls', '--json')).logProb, s.logProb, 'the label enters the score');

  const cases: [string[], RegExp][] = [
    [['--input', named], /cvae is conditional: it scores log p\(x \| y\) and needs each example's class; pass --label-column NAME/],
    [['--input', named, '--label-column', 'label'], /no label column 'label'; the columns are: f0, f1, f2, f3, cls/],
    [['--input', numbered(3), '--label-column', 'cls'], /label 3 is outside 0\.\.2/],
  ];
  const other = path.join(tmp, 'other.csv');
  fs.writeFileSync(other, 'f0,f1,f2,f3,cls\n1,1,1,1,dog\n');
  cases.push([['--input', other, '--label-column', 'cls'], /class 'dog' is not one the model was trained on \(c0, c1, c2\)/]);
  for (const [args, message] of cases) {
    const r = await genlab('score', run, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  // An unconditional model reads past the label column.
  const vaeRun = path.join(tmp, 'run-vae-csv');
  await json('train', 'vae', '--data', `csv:${csv}`, '--label-column', 'cls', '--epochs', '1', '--eval-examples', '0', '--sample-count', '0', '--model-config', JSON.stringify(config), '--out', vaeRun, '--json');
  assert.equal((await json('score', vaeRun, '--input', named, '--label-column', 'cls', '--json')).logProb.length, 5);
});
