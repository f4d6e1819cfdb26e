import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEvalRecords } from '../../src/node/evalRecords.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-probe-');
const vae = path.join(tmp, 'run-vae');
const ae = path.join(tmp, 'run-ae');
const quick = ['--data', 'mnist', '--train-limit', '400', '--epochs', '1', '--eval-examples', '0', '--sample-count', '0'];

before(async () => {
  await json('train', 'vae', ...quick, '--model-config', '{"hidden":[64],"latent":2,"evalSamples":5}', '--out', vae, '--json');
  await json('train', 'ae', ...quick, '--model-config', '{"hidden":[64],"latent":3}', '--out', ae, '--json');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('probe --json: a row per latent run with both accuracies, the pixel baseline, and a probe record in each run', async () => {
  // 100 train examples: the linear probe on 784 pixels costs 2000 steps of 100 x 7840 multiply-adds.
  const rows = await json('probe', vae, ae, '--pixels', '--train-examples', '100', '--test-examples', '200', '--k', '3', '--json');
  assert.equal(rows.length, 3);
  const keys = ['data', 'dimension', 'k', 'knn', 'linearProbe', 'linearProbeTrain', 'model', 'representation', 'run', 'seconds', 'testExamples', 'trainExamples'];
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).sort(), keys);
    assert.deepEqual([row.data, row.k, row.trainExamples, row.testExamples], ['mnist (stochastic)', 3, 100, 200]);
    for (const a of [row.linearProbe, row.linearProbeTrain, row.knn]) assert.ok(a >= 0 && a <= 1, JSON.stringify(row));
    // Test accuracies are counts out of the 200 test examples.
    for (const a of [row.linearProbe, row.knn]) assert.ok(Math.abs(a * 200 - Math.round(a * 200)) < 1e-9, `${a} is not a count out of 200`);
  }
  assert.deepEqual(rows.map((r: any) => [r.model, r.run, r.representation, r.dimension]), [
    ['vae', vae, 'codes', 2],
    ['ae', ae, 'codes', 3],
    ['pixels', null, 'pixels', 784],
  ]);
  // Binarized MNIST pixels carry the class: far above chance (0.1) for both classifiers, even from 100 examples.
  assert.ok(rows[2].linearProbe > 0.5 && rows[2].knn > 0.5, JSON.stringify(rows[2]));

  for (const [dir, row] of [[vae, rows[0]], [ae, rows[1]]]) {
    const records = readEvalRecords(dir);
    assert.equal(records.length, 1);
    assert.deepEqual([records[0].kind, records[0].key], ['probe', '']);
    assert.deepEqual(records[0].result, row);
    assert.match(records[0].command, /^genlab probe .*run-vae .*run-ae --pixels --train-examples 100 --test-examples 200 --k 3 --json$/);
  }
  // compare reads the records back, beside the training command, quoted as a shell needs it.
  const compared = await json('compare', vae, ae, '--json');
  assert.deepEqual(compared.columns.map((c: any) => c.id), ['probe.linearProbe', 'probe.knn@k3']);
  assert.deepEqual(compared.runs.map((r: any) => r.figures['probe.knn@k3'].value), [rows[0].knn, rows[1].knn]);
  assert.ok(compared.runs[0].trainCommand.endsWith(`--model-config '{"hidden":[64],"latent":2,"evalSamples":5}' --out ${vae} --json`), compared.runs[0].trainCommand);
});

test("the linear probe is eval's: the same codes give the same accuracy", async () => {
  const probed = (await json('probe', vae, '--train-examples', '150', '--test-examples', '150', '--json'))[0];
  const evaluated = (await json('eval', vae, '--limit', '150', '--probe-examples', '150', '--json')).probe;
  assert.deepEqual([evaluated.trainExamples, evaluated.testExamples], [150, 150]);
  assert.equal(probed.linearProbe, evaluated.accuracy);
});

test('the text and Markdown tables hold one row per run, k in the header', async () => {
  const text = await genlab('probe', ae, vae, '--train-examples', '100', '--test-examples', '50');
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4); // header, rule, ae, vae
  assert.match(lines[0], /^model\s+run\s+data\s+dimension\s+linear probe\s+k-NN \(k=5\)\s+examples \(train \/ test\)$/);
  assert.match(lines[2], /^ae\s+\S*run-ae\s+mnist \(stochastic\)\s+3\s+[\d.]+%\s+[\d.]+%\s+100 \/ 50$/);
  assert.match(lines[3], /^vae\s+\S*run-vae\s+mnist \(stochastic\)\s+2\s/);

  const md = await genlab('probe', ae, '--train-examples', '100', '--test-examples', '50', '--markdown');
  assert.equal(md.code, 0, md.stderr);
  const table = md.stdout.split('\n').filter((l) => l.startsWith('|'));
  assert.deepEqual(table.slice(0, 2), ['| model | run | data | dimension | linear probe | k-NN (k=5) | examples (train / test) |', '|---|---|---|---:|---:|---:|---:|']);
  assert.match(table[2], /^\| ae \| .*run-ae \| mnist \(stochastic\) \| 3 \| [\d.]+% \| [\d.]+% \| 100 \/ 50 \|$/);
  assert.match(md.stdout, /Command: `genlab probe .*run-ae --train-examples 100 --test-examples 50 --markdown`/);
});

test('a run without codes, data without labels and bad flags are refused in one line, before any run is measured', async () => {
  const csv = path.join(tmp, 'bits.csv');
  fs.writeFileSync(csv, Array.from({ length: 40 }, (_, i) => `${i & 1},${(i >> 1) & 1},${(i >> 2) & 1}`).join('\n') + '\n');
  const markov = path.join(tmp, 'run-markov');
  await json('train', 'markov', '--data', `csv:${csv}`, '--sample-count', '0', '--eval-examples', '0', '--out', markov, '--json');
  const roll = path.join(tmp, 'run-roll');
  await json('train', 'vae', '--data', 'toy:swissroll', '--train-limit', '100', '--epochs', '1', '--eval-examples', '0', '--sample-count', '0', '--model-config', '{"hidden":[8],"latent":2}', '--out', roll, '--json');

  const recordFile = path.join(vae, 'evals', 'probe.json');
  const before = fs.readFileSync(recordFile, 'utf8');
  const cases: [string[], RegExp][] = [
    [['probe', vae, markov], new RegExp(`^genlab probe: '${markov}' holds a markov model, which has no latent codes to probe; genlab probe needs a model that encodes \\(ae, vae, .*aae, .*realnvp.*\\)\\n$`)],
    [['probe', roll, vae], new RegExp(`^genlab probe: the data of '${roll}' \\(toy:swissroll\\) have no class labels, which the linear probe and k-NN are scored against\\n$`)],
    [['probe', vae, '--k', '20', '--train-examples', '10'], /--k 20 is more than the 10 train examples \(--train-examples\) that vote/],
    [['probe', vae, '--json', '--markdown'], /--json or --markdown, not both/],
    [['probe', '--pixels'], /needs one or more RUN folders/],
    [['probe', path.join(tmp, 'nowhere')], /is not a genlab run folder/],
  ];
  for (const [args, message] of cases) {
    const r = await genlab(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
  assert.equal(fs.readFileSync(recordFile, 'utf8'), before, 'the refused commands left the record alone');
});
