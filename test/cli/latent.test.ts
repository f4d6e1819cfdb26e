import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPng, writePng } from '../../src/node/data/images.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-latent-');
const vae = path.join(tmp, 'run-vae');
const quick = ['--data', 'mnist', '--train-limit', '500', '--epochs', '1', '--eval-examples', '0', '--sample-count', '4'];

/** Width and height of a PNG; a 28 x 28 grid cell is 29 pixels with its border, plus 1. */
function size(file: string): [number, number] {
  const img = readPng(file);
  return [img.width, img.height];
}
const grid = (cols: number, rows: number): [number, number] => [cols * 29 + 1, rows * 29 + 1];

before(async () => {
  await json('train', 'vae', ...quick, '--model-config', '{"hidden":[64],"latent":2,"evalSamples":20}', '--out', vae, '--json');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('encode: posterior means of a split (with labels) and of a PNG file, as CSV', async () => {
  const out = path.join(tmp, 'latents.csv');
  const r = await json('encode', vae, '--split', 'test', '--limit', '50', '--out', out, '--json');
  assert.deepEqual(r, { out, n: 50, latentSize: 2, labels: true, source: 'test', backend: 'wasm' });
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(rows[0], 'z0,z1,label');
  assert.equal(rows.length, 51);
  for (const row of rows.slice(1)) assert.match(row, /^-?[\d.e-]+,-?[\d.e-]+,\d$/);

  // A vertical bar as a 28 x 28 PNG: one row, no label column.
  const png = path.join(tmp, 'bar.png');
  const data = new Uint8Array(28 * 28);
  for (let y = 4; y < 24; y++) data.fill(255, y * 28 + 13, y * 28 + 15);
  writePng(png, { width: 28, height: 28, channels: 1, data });
  const single = path.join(tmp, 'bar.csv');
  assert.equal((await json('encode', vae, '--input', png, '--out', single, '--json')).n, 1);
  const lines = fs.readFileSync(single, 'utf8').trim().split('\n');
  assert.deepEqual([lines.length, lines[0]], [2, 'z0,z1']);
});

test('latent-map, interpolate, traverse and reconstruct write images of the expected size', async () => {
  const map = path.join(tmp, 'map.png');
  const m = await json('latent-map', vae, '--limit', '300', '--size', '128', '--out', map, '--json');
  assert.deepEqual([m.n, m.latentSize, m.projection, m.labels], [300, 2, 'none', true]);
  const [w, h] = size(map);
  assert.equal(h, 128);
  assert.ok(w > 128, 'a legend strip on the right');

  const interp = path.join(tmp, 'interp.png');
  const i = await json('interpolate', vae, '--from', '0', '--to', path.join(tmp, 'bar.png'), '--steps', '5', '--out', interp, '--json');
  assert.equal(i.steps, 5);
  assert.deepEqual(size(interp), grid(5 + 2, 1)); // A, 5 decoded points, B

  const trav = path.join(tmp, 'traverse.png');
  const t = await json('traverse', vae, '--dim', 'all', '--steps', '4', '--out', trav, '--json');
  assert.deepEqual(t.dims, [0, 1]);
  assert.deepEqual(size(trav), grid(4, 2));
  assert.equal((await genlab('traverse', vae, '--dim', '1', '--at', 'zero', '--out', trav)).code, 0);
  assert.deepEqual(size(trav), grid(9, 1));

  const rec = path.join(tmp, 'rec.png');
  assert.equal((await json('reconstruct', vae, '-n', '10', '--out', rec, '--json')).n, 10);
  assert.deepEqual(size(rec), grid(16, 2)); // 8 pairs per row
});

test('eval reports the linear probe of the codes beside the likelihood', async () => {
  const r = await json('eval', vae, '--limit', '300', '--json');
  assert.equal(r.kind, 'estimate');
  assert.deepEqual(Object.keys(r.probe).sort(), ['accuracy', 'testExamples', 'trainExamples']);
  assert.deepEqual([r.probe.trainExamples, r.probe.testExamples], [500, 300]);
  // Four training steps leave codes near random projections, which still beat chance (0.1); deterministic seeds.
  assert.ok(r.probe.accuracy > 0.12 && r.probe.accuracy <= 1, `probe accuracy ${r.probe.accuracy}`);
  assert.equal((await json('eval', vae, '--limit', '50', '--probe-examples', '0', '--json')).probe, undefined);
  assert.match((await genlab('eval', vae, '--limit', '50')).stdout, /linear probe on the codes: [\d.]+% test accuracy/);
});

test('an implicit latent model (ae) gets the probe only; models without codes are refused', async () => {
  const ae = path.join(tmp, 'run-ae');
  await json('train', 'ae', ...quick, '--model-config', '{"hidden":[64],"latent":3}', '--out', ae, '--json');
  const r = await json('eval', ae, '--probe-examples', '200', '--json');
  assert.deepEqual(Object.keys(r).sort(), ['kind', 'probe']);
  assert.equal(r.kind, 'implicit');
  assert.deepEqual([r.probe.trainExamples, r.probe.testExamples], [200, 200]);
  const noProbe = await genlab('eval', ae, '--probe-examples', '0');
  assert.equal(noProbe.code, 2);
  assert.match(noProbe.stderr, /ae is an implicit model: it has no likelihood to evaluate/);
  const m = await json('latent-map', ae, '--limit', '100', '--size', '64', '--out', path.join(tmp, 'ae-map.png'), '--json');
  assert.equal(m.projection, 'pca');
  assert.equal(m.explainedVariance.length, 2);

  // A tabular model has no latent space.
  const csv = path.join(tmp, 'bits.csv');
  fs.writeFileSync(csv, Array.from({ length: 40 }, (_, i) => `${i & 1},${(i >> 1) & 1},${(i >> 2) & 1}`).join('\n') + '\n');
  const markov = path.join(tmp, 'run-markov');
  await json('train', 'markov', '--data', `csv:${csv}`, '--sample-count', '0', '--eval-examples', '0', '--out', markov, '--json');
  const cases: string[][] = [
    ['encode', markov],
    ['latent-map', markov],
    ['interpolate', markov, '--from', '0', '--to', '1'],
    ['traverse', markov, '--dim', '0'],
    ['reconstruct', markov],
  ];
  for (const args of cases) {
    const bad = await genlab(...args);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, new RegExp(`markov has no latent space: genlab ${args[0]} needs a latent-variable model`));
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('latent command mistakes are one-line user errors', async () => {
  const cases: [string[], RegExp][] = [
    [['traverse', vae, '--dim', '2'], /--dim must be an integer between 0 and 1, got '2'/],
    [['traverse', vae], /needs --dim i/],
    [['interpolate', vae, '--from', '0'], /needs --from A and --to B/],
    [['interpolate', vae, '--from', '0', '--to', '99999'], /--to 99999: the test split has 10000 examples/],
    [['encode', vae, '--out', 'codes.txt'], /--out must end in \.csv/],
    [['encode', vae, '--input', 'x.png', '--split', 'test'], /--input FILE or --split NAME, not both/],
    [['latent-map', vae, '--out', 'map.jpg'], /--out must end in \.png/],
  ];
  for (const [args, message] of cases) {
    const r = await genlab(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('every latent model trains on a CSV from the CLI, then samples, encodes and evaluates', async () => {
  // 120 rows of 6 real features in three labelled clusters (the label column is named).
  const rng = (i: number) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453);
  const rows = Array.from({ length: 120 }, (_, i) => {
    const k = i % 3;
    const features = Array.from({ length: 6 }, (_, j) => (k === j % 3 ? 2 : -1) + 0.3 * (rng(i * 6 + j) - 0.5));
    return [...features.map((f) => f.toFixed(4)), `c${k}`].join(',');
  });
  const csv = path.join(tmp, 'clusters.csv');
  fs.writeFileSync(csv, ['f0,f1,f2,f3,f4,f5,cls', ...rows].join('\n') + '\n');
  const data = ['--data', `csv:${csv}`, '--label-column', 'cls', '--epochs', '2', '--batch-size', '16', '--eval-examples', '0', '--sample-count', '4'];
  const models: [string, object][] = [
    ['ae', { hidden: [16], latent: 2 }],
    ['vae', { hidden: [16], latent: 2, evalSamples: 10 }],
    ['betavae', { hidden: [16], latent: 2, evalSamples: 10, beta: 2 }],
    ['cvae', { hidden: [16], latent: 2, evalSamples: 10 }],
    ['iwae', { hidden: [16], latent: 2, evalSamples: 10, trainSamples: 3 }],
    ['aae', { hidden: [16], latent: 2, discriminatorHidden: [16], prior: 'mixture', components: 3, conditionalPrior: true }],
  ];
  for (const [model, config] of models) {
    const run = path.join(tmp, `csv-${model}`);
    const t = await json('train', model, ...data, '--model-config', JSON.stringify(config), '--out', run, '--json');
    assert.equal(t.steps, 14, `${model}: 2 epochs of ceil(108 / 16) = 7 steps on the 90% train split`);

    const samples = path.join(tmp, `csv-${model}-samples.csv`);
    const s = await json('sample', run, '-n', '5', '--out', samples, '--json');
    assert.deepEqual(s.shape, [6], model);
    const sampleRows = fs.readFileSync(samples, 'utf8').trim().split('\n');
    assert.equal(sampleRows.length, 6, `${model}: the training CSV's feature names, then one row per sample`);
    assert.equal(sampleRows[0], 'f0,f1,f2,f3,f4,f5', model);
    assert.ok(sampleRows.slice(1).every((r) => r.split(',').length === 6 && r.split(',').every((c) => Number.isFinite(Number(c)))), model);

    const codes = path.join(tmp, `csv-${model}-codes.csv`);
    const e = await json('encode', run, '--split', 'test', '--out', codes, '--json');
    assert.deepEqual([e.n, e.latentSize, e.labels], [12, 2, true], model);

    const ev = await json('eval', run, '--probe-examples', '100', '--json');
    assert.equal(ev.kind, model === 'ae' || model === 'aae' ? 'implicit' : 'estimate', model);
    if (ev.kind === 'estimate') {
      assert.ok(Number.isFinite(ev.nll) && Number.isFinite(ev.elbo), `${model}: ${JSON.stringify(ev)}`);
      // log of a mean of importance weights is >= the mean of their logs: the estimate beats the bound.
      assert.ok(ev.nll <= -ev.elbo + 0.5, `${model}: IWAE -log p ${ev.nll} vs -ELBO ${-ev.elbo}`);
    }
    // Three well-separated clusters (chance 1/3): codes that keep where an example came from are
    // linearly separable (measured: 1.0 for every model); codes that lost it (constant, or mixed up
    // with other rows) score near chance.
    assert.ok(ev.probe.accuracy >= 0.9, `${model}: probe accuracy ${ev.probe.accuracy}`);
  }
  // Only the conditional model draws a chosen class.
  const one = await json('sample', path.join(tmp, 'csv-cvae'), '-n', '3', '--label', '2', '--out', path.join(tmp, 'c2.csv'), '--json');
  assert.equal(one.label, 2);
  const bad = await genlab('sample', path.join(tmp, 'csv-vae'), '--label', '1', '--out', path.join(tmp, 'x.csv'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--label needs a conditional model \(cvae, cgan, acgan\); vae is not conditioned on a class/);
  assert.match((await genlab('sample', path.join(tmp, 'csv-cvae'), '--label', '3', '--out', path.join(tmp, 'x.csv'))).stderr, /--label must be an integer between 0 and 2, got '3'/);
});
