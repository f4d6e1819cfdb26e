import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trainingSeconds } from '../../src/cli/commands/compare.js';
import { EVALS_FOLDER, writeEvalRecord, type EvalKind } from '../../src/node/evalRecords.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-compare-');
const measured = path.join(tmp, 'run-measured');
const bare = path.join(tmp, 'run-bare');
const other = path.join(tmp, 'run-other');

/** What each evaluation command prints with --json, as its record keeps it (shapes of README's JSON contracts). */
const RESULTS = {
  likelihood: { kind: 'bound', split: 'test', n: 10000, nll: 91.3012, nllStdErr: 0.21, bitsPerDim: 0.16801 },
  quality: { featureSpace: 'mnist-cnn', frechetDistance: 12.345, inceptionScore: 8.91, precision: 0.71, recall: 0.55, klToUniform: 0.0123, meanConfidence: 0.93, n: 10000 },
  probe: { run: measured, model: 'vae', data: 'mnist (stochastic)', representation: 'codes', dimension: 2, linearProbe: 0.853, linearProbeTrain: 0.86, knn: 0.912, k: 5, trainExamples: 10000, testExamples: 10000, seconds: 12 },
  anomaly: {
    kind: 'nll',
    in: 'mnist',
    out: 'fashion',
    raw: { auroc: 0.123, auprc: 0.3, fprAt95Tpr: 0.99 },
    complexity: { auroc: 0.951, auprc: 0.9, fprAt95Tpr: 0.2 },
    nIn: 10000,
    nOut: 10000,
  },
  classify: { accuracy: 0.981, rejectionRate: 0.05, acceptedAccuracy: 0.995, outOf: [{ spec: 'fashion', rejectionRate: 0.97 }, { spec: 'toy:ring', rejectionRate: 1 }] },
};

function record(runDir: string, kind: string, key: string, result: Record<string, unknown>, command = `genlab ${kind} ${runDir}`): void {
  writeEvalRecord(runDir, { kind: kind as EvalKind, key, command, seconds: 3, result });
}

before(async () => {
  const csv = path.join(tmp, 'bits.csv');
  fs.writeFileSync(csv, Array.from({ length: 40 }, (_, i) => `${i & 1},${(i >> 1) & 1},${(i >> 2) & 1}`).join('\n') + '\n');
  const train = (model: string, out: string) => json('train', model, '--data', `csv:${csv}`, '--sample-count', '0', '--eval-examples', '0', '--out', out, '--json');
  await train('markov', measured);
  await train('independent', bare);
  await train('markov', other);
  record(measured, 'likelihood', '', RESULTS.likelihood);
  record(measured, 'quality', '', RESULTS.quality);
  record(measured, 'probe', '', RESULTS.probe);
  record(measured, 'anomaly', 'mnist-vs-fashion', RESULTS.anomaly);
  record(measured, 'classify', '', RESULTS.classify);
  // Another run: an exact NLL, a record of a kind this genlab does not know, fields it does not know,
  // a damaged file and a record without a result.
  record(other, 'likelihood', '', { kind: 'exact', split: 'test', n: 10000, nll: 80.1234, nllStdErr: 0.3, bitsPerDim: 0.14744, histogram: [1, 2], extra: { a: 1 } });
  record(other, 'calibration', '', { ece: 0.031, bins: 15, perClass: { zero: 0.02 }, note: 'text', list: [1, 2] });
  fs.writeFileSync(path.join(other, EVALS_FOLDER, 'quality-torn.json'), '{"kind": "quality", "res');
  fs.writeFileSync(path.join(other, EVALS_FOLDER, 'probe-empty.json'), JSON.stringify({ kind: 'probe', key: 'empty', command: 'x', result: null }));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('compare --json: a column for every figure any run has, with the training facts of each run', async () => {
  const c = await json('compare', measured, bare, other, '--json');
  assert.deepEqual(
    c.columns.map((col: any) => [col.id, col.header]),
    [
      ['likelihood.nll', 'NLL (nats)'],
      ['likelihood.bitsPerDim', 'bits/dim'],
      ['quality.frechetDistance@mnist-cnn', 'FD (mnist-cnn)'],
      ['quality.inceptionScore@mnist-cnn', 'IS analogue'],
      ['quality.precision@mnist-cnn', 'precision'],
      ['quality.recall@mnist-cnn', 'recall'],
      ['quality.klToUniform@mnist-cnn', 'KL to uniform (nats)'],
      ['quality.meanConfidence@mnist-cnn', 'confidence'],
      ['probe.linearProbe', 'linear probe'],
      ['probe.knn@k5', 'k-NN (k=5)'],
      ['anomaly[mnist-vs-fashion].raw.auroc', 'AUROC [mnist-vs-fashion]'],
      ['anomaly[mnist-vs-fashion].complexity.auroc', 'AUROC complexity [mnist-vs-fashion]'],
      ['classify.accuracy', 'accuracy'],
      ['classify.rejectionRate', 'rejected'],
      ['classify.acceptedAccuracy', 'accuracy of accepted'],
      ['classify.outOf.fashion.rejectionRate', 'rejected of fashion'],
      ['classify.outOf.toy:ring.rejectionRate', 'rejected of toy:ring'],
      ['calibration.ece', 'calibration ece'],
      ['calibration.bins', 'calibration bins'],
      ['calibration.perClass.zero', 'calibration perClass.zero'],
    ],
  );
  const [m, b, o] = c.runs;
  assert.deepEqual([m.run, m.model, m.data, m.epochs, m.epochsPlanned, m.trainSessions], [measured, 'markov', `csv:${path.join(tmp, 'bits.csv')}`, 1, 1, 1]);
  // The count tables: 3 variables x 2 contexts x 2 states (markov), 3 x 1 x 2 (independent).
  assert.deepEqual([m.parameters, b.parameters], [12, 6]);
  assert.ok(m.trainSeconds >= 0 && m.trainSeconds < 60, `train seconds ${m.trainSeconds}`);
  assert.match(m.trainCommand, /^genlab train markov --data csv:/);

  const value = (run: any, id: string) => run.figures[id]?.value;
  assert.deepEqual(m.figures['likelihood.nll'], { value: 91.3012, text: '≤ 91.30 (bound)', qualifier: 'bound' });
  assert.deepEqual(m.figures['likelihood.bitsPerDim'], { value: 0.16801, text: '≤ 0.1680 (bound)', qualifier: 'bound' });
  assert.deepEqual(o.figures['likelihood.nll'], { value: 80.1234, text: '80.12 (exact)', qualifier: 'exact' });
  assert.equal(m.figures['quality.frechetDistance@mnist-cnn'].text, '12.35');
  assert.equal(value(m, 'quality.klToUniform@mnist-cnn'), 0.0123);
  assert.equal(m.figures['probe.knn@k5'].text, '91.2%');
  assert.deepEqual([value(m, 'anomaly[mnist-vs-fashion].raw.auroc'), value(m, 'anomaly[mnist-vs-fashion].complexity.auroc')], [0.123, 0.951]);
  assert.equal(m.figures['classify.outOf.toy:ring.rejectionRate'].text, '100.0%');
  assert.deepEqual([value(o, 'calibration.ece'), value(o, 'calibration.perClass.zero')], [0.031, 0.02]);
  assert.equal(Object.keys(m.figures).length, 17);
  assert.deepEqual(Object.keys(o.figures).sort(), ['calibration.bins', 'calibration.ece', 'calibration.perClass.zero', 'likelihood.bitsPerDim', 'likelihood.nll']);
  // A run without records: its training facts only.
  assert.deepEqual([b.figures, b.records, b.model, b.epochs], [{}, [], 'independent', 1]);
  assert.deepEqual(m.records.map((r: any) => [r.kind, r.key, r.stale]), [
    ['anomaly', 'mnist-vs-fashion', false],
    ['classify', '', false],
    ['likelihood', '', false],
    ['probe', '', false],
    ['quality', '', false],
  ]);
});

test('compare --markdown: a pasteable table with — for missing figures, then the command behind every figure', async () => {
  const r = await genlab('compare', measured, bare, '--markdown');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const header = lines[0].split(' | ');
  assert.equal(header.length, 6 + 17);
  assert.ok(lines[0].startsWith('| model | run | data | epochs | train time | parameters | NLL (nats) | bits/dim | FD (mnist-cnn) |'), lines[0]);
  assert.match(lines[1], /^\|---\|---\|---\|---:\|---:\|---:\|(---:\|){17}$/);
  const cells = (line: string) => line.slice(2, -2).split(' | ');
  const m = cells(lines[2]);
  const b = cells(lines[3]);
  assert.deepEqual(m.slice(0, 6), ['markov', measured, `csv:${path.join(tmp, 'bits.csv')}`, '1', m[4], '12']);
  assert.match(m[4], /^[\d.]+ s$/);
  assert.deepEqual(m.slice(6, 8), ['≤ 91.30 (bound)', '≤ 0.1680 (bound)']);
  assert.deepEqual(m.slice(14, 18), ['85.3%', '91.2%', '0.123', '0.951']);
  assert.deepEqual(b.slice(6), Array(17).fill('—'));
  assert.equal(lines[4], '');
  const commands = r.stdout.slice(r.stdout.indexOf('Commands:'));
  assert.ok(commands.includes(`- \`${measured}\`: trained by \`genlab train markov --data csv:`));
  for (const kind of ['likelihood', 'quality', 'probe', 'classify']) assert.ok(commands.includes(`${kind}: \`genlab ${kind} ${measured}\``), kind);
  assert.ok(commands.includes(`anomaly [mnist-vs-fashion]: \`genlab anomaly ${measured}\``));
  assert.match(commands, new RegExp(`- \`${bare}\`: trained by \`genlab train independent [^\`]*\`\\n`));
});

test('the text table, warnings for damaged and stale records, and a folder that is not a run refused in one line', async () => {
  const file = path.join(other, EVALS_FOLDER, 'calibration.json');
  const stale = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...stale, createdAt: '2000-01-01T00:00:00.000Z' }));
  const r = await genlab('compare', other, bare);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^model\s+run\s+data\s+epochs\s+train time\s+parameters\s+NLL \(nats\)\s+bits\/dim\s+calibration ece\s+calibration bins\s+calibration perClass\.zero$/);
  assert.match(lines[2], /^markov .* 80\.12 \(exact\)\s+0\.1474 \(exact\)\s+0\.031\s+15\s+0\.02$/);
  assert.match(lines[3], /^independent .*\s+6\s+—\s+—\s+—\s+—\s+—$/);
  assert.match(r.stderr, /skipping .*quality-torn\.json/);
  assert.match(r.stderr, /skipping an eval record without a kind or a result/);
  assert.match(r.stderr, /the calibration figures were measured before the newest checkpoint \(step \d+\); rerun: genlab calibration/);
  assert.equal((await json('compare', other, '--json')).runs[0].records.find((x: any) => x.kind === 'calibration').stale, true);

  const notRun = path.join(tmp, 'not-a-run');
  fs.mkdirSync(notRun);
  for (const args of [['compare', bare, notRun], ['compare', bare, path.join(tmp, 'missing'), '--json']]) {
    const bad = await genlab(...args);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^genlab compare: '.*' is not a genlab run folder \(no config\.json\); pass the --out folder of 'genlab train'\n$/);
  }
  assert.match((await genlab('compare', '--json', '--markdown', bare)).stderr, /--json or --markdown, not both/);
  assert.match((await genlab('compare', '--only', 'anomaly,speed', bare)).stderr, /--only: unknown kind 'speed'; kinds: likelihood, quality, probe, anomaly, classify/);
});

test('compare --only KINDS keeps the columns and the records of those kinds', async () => {
  const c = await json('compare', measured, bare, '--only', 'anomaly,classify', '--json');
  assert.deepEqual([...new Set(c.columns.map((col: any) => col.kind))], ['anomaly', 'classify']);
  assert.deepEqual(c.runs[0].records.map((r: any) => r.kind).sort(), ['anomaly', 'classify']);
});

test('training wall time: ended sessions count their end line, interrupted and killed ones their last line; evaluations do not', () => {
  const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
  const log = [
    { time: at(0), event: 'start', step: 0 },
    { time: at(5), event: 'batch', step: 100 },
    { time: at(12), event: 'end', step: 200, seconds: 11.5 }, // the fit's own clock: 11.5 s
    { time: at(20), event: 'eval', seconds: 30 },
    { time: at(100), event: 'resume', step: 200 },
    { time: at(104), event: 'epoch', step: 300 },
    { time: at(107), event: 'interrupted', step: 300 }, // 7 s
    { time: at(200), event: 'resume', step: 300 },
    { time: at(203), event: 'batch', step: 400 }, // killed after 3 s
    { time: at(300), event: 'eval', seconds: 9 },
  ];
  assert.deepEqual(trainingSeconds(log), { seconds: 11.5 + 7 + 3, sessions: 3 });
  assert.deepEqual(trainingSeconds([]), { seconds: null, sessions: 0 });
  // A line without a time (or torn) is passed over.
  assert.deepEqual(trainingSeconds([{ event: 'start' }, { time: at(1), event: 'start' }, { time: at(4), event: 'end' }]), { seconds: 3, sessions: 1 });
});
