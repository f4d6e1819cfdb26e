import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { capabilitiesOf, type Capabilities } from '../../src/models/capabilities.js';
import { resumedMonitor } from '../../src/cli/commands/train.js';
import { createModel, type DataInfo } from '../../src/models/registry.js';
import { bin, inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-cli-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** 10-pixel binary rows from a noisy chain, with a header. */
function writeBinaryCsv(file: string, rows: number): void {
  const rng = new Rng(3);
  const lines = [Array.from({ length: 10 }, (_, i) => `p${i}`).join(',')];
  for (let r = 0; r < rows; r++) {
    let v = rng.int(2);
    lines.push(Array.from({ length: 10 }, () => (v = rng.uniform() < 0.8 ? v : 1 - v)).join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

test('genlab params prints exact counts', async () => {
  const full = await json('params', '--variables', '784', '--states', '2', '--structure', 'full', '--json');
  assert.equal(full.parameters, (2n ** 784n - 1n).toString());
  assert.equal(full.parameters.length, 237);
  assert.equal((await json('params', '--variables', '3', '--states', '256', '--json')).parameters, '16777215');
  assert.equal((await json('params', '--variables', '784', '--structure', 'independent', '--json')).parameters, '784');
  assert.equal((await json('params', '--variables', '3', '--structure', 'markov', '--json')).parameters, '5');
  assert.equal((await json('params', '--variables', '3', '--structure', 'ar', '--order', '2', '--json')).parameters, '7');
  assert.equal((await json('params', '--variables', '4', '--states', '3', '--structure', 'chain', '--json')).parameters, '80');
  const bad = await genlab('params', '--variables', '0');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--variables must be an integer >= 1, got '0'/);
});

test('genlab models prints, for every model, what capabilitiesOf finds on a model built for other data', async () => {
  const models = await json('models', '--json') as { name: string; family: string; capabilities: Capabilities }[];
  for (const name of ['independent', 'markov', 'ar']) {
    assert.equal(models.find((m) => m.name === name)?.capabilities.density, 'exact');
  }
  // The CLI builds its own tiny instances; these are other shapes, and labels with 5 classes.
  await initBackend('wasm');
  assert.equal(models.length, 33);
  for (const { name, family, capabilities } of models) {
    // The DCGAN players halve H and W twice: [4, 8, 1] for the adversarial family; glow's two squeezes need
    // height and width multiples of 4, and ddpm's U-Net multiples of 2, so they get vectors.
    const data: DataInfo =
      name === 'rnade' || name === 'glow' || name === 'ddpm' ? { shape: [2], kind: 'real' } : family === 'adversarial' ? { shape: [4, 8, 1], kind: 'continuous', numClasses: 5 } : { shape: [3, 5, 1], kind: 'binary', numClasses: 5 };
    const model = createModel(name, {}, data);
    assert.deepEqual(capabilitiesOf(model), capabilities, name);
    model.dispose();
  }
  assert.deepEqual(models.find((m) => m.name === 'cvae')?.capabilities, { density: 'estimate', latent: true, conditional: true, completion: false });
  assert.deepEqual(models.find((m) => m.name === 'ae')?.capabilities, { density: 'implicit', latent: true, conditional: false, completion: false });
});

test('genlab models --json lists every option of every model with its type, default and help', async () => {
  const models = await json('models', '--json') as { name: string; options: Record<string, { type: string; default: unknown; help: string }> }[];
  assert.equal(models.length, 33);
  for (const m of models) {
    const options = Object.entries(m.options);
    assert.ok(options.length >= 2, `${m.name} lists its options`);
    for (const [name, o] of options) {
      assert.ok(['int', 'number', 'boolean', 'choice', 'int-list', 'ordering', 'object'].includes(o.type), `${m.name}.${name} type ${o.type}`);
      assert.ok('default' in o, `${m.name}.${name} has a default`);
      assert.ok(o.help.length > 10 && !o.help.includes('\n'), `${m.name}.${name} has one line of help`);
    }
  }
  assert.deepEqual(models.find((m) => m.name === 'made')?.options.hidden.default, [500, 500]);
});

test('genlab train MODEL --help shows that model\'s options with defaults; without a model, how to see them', async () => {
  const made = await genlab('train', 'made', '--help');
  assert.equal(made.code, 0);
  assert.match(made.stdout, /--batch-size N/, 'the common options');
  assert.match(made.stdout, /Options of made/);
  assert.match(made.stdout, /--hidden N\[,N\.\.\] .*\(default 500,500\)/);
  assert.match(made.stdout, /--order-agnostic/);
  assert.doesNotMatch(made.stdout, /--hidden-channels|--smoothing/, 'no other model\'s flags');
  const vae = (await genlab('train', 'vae', '--help')).stdout;
  assert.match(vae, /--decoder bernoulli\|gaussian\|logistic .*default from the data/);
  const none = await genlab('train', '--help');
  assert.equal(none.code, 0);
  assert.match(none.stdout, /genlab train MODEL --help/);
  assert.doesNotMatch(none.stdout, /--hidden/);
});

test('train, eval, score and sample a CSV run end to end', async () => {
  const csv = path.join(tmp, 'chain.csv');
  writeBinaryCsv(csv, 300);
  const run = path.join(tmp, 'run-markov');
  const summary = await json('train', 'markov', '--data', `csv:${csv}`, '--epochs', '2', '--batch-size', '16', '--out', run, '--json');
  assert.equal(summary.steps, 2 * Math.ceil(270 / 16));
  for (const f of ['config.json', 'metrics.jsonl', 'checkpoints/latest.json', 'samples/epoch-002.png']) {
    assert.ok(fs.existsSync(path.join(run, f)), f);
  }
  const epochs = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"epoch"'));
  assert.equal(epochs.filter((l) => l.includes('"event":"epoch"')).length, 2);

  const report = await json('eval', run, '--json');
  assert.deepEqual(Object.keys(report).sort(), ['bitsPerDim', 'kind', 'n', 'nll', 'nllStdErr', 'split']);
  assert.equal(report.kind, 'exact');
  assert.equal(report.n, 30);
  assert.ok(Math.abs(report.bitsPerDim - report.nll / (10 * Math.LN2)) < 1e-12);

  // Scoring all 1,024 inputs: the exact probabilities must sum to 1.
  const all = path.join(tmp, 'all.csv');
  fs.writeFileSync(all, Array.from({ length: 1024 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i >> j) & 1).join(',')).join('\n'));
  const scored = await json('score', run, '--input', all, '--json');
  assert.equal(scored.kind, 'exact');
  assert.equal(scored.logProb.length, 1024);
  const total = (scored.logProb as number[]).reduce((s, l) => s + Math.exp(l), 0);
  assert.ok(Math.abs(total - 1) < 1e-9, `sum ${total}`);

  const out = path.join(tmp, 'samples.csv');
  assert.equal((await genlab('sample', run, '-n', '5', '--out', out)).code, 0);
  const [header, ...rows] = fs.readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(header, 'p0,p1,p2,p3,p4,p5,p6,p7,p8,p9', 'the training CSV header');
  assert.equal(rows.length, 5);
  for (const r of rows) assert.match(r, /^[01](,[01]){9}$/);
  assert.equal((await genlab('sample', run, '-n', '9', '--out', path.join(tmp, 'grid.png'))).code, 0);

  // Completion: the right half of each row is missing; the left half must come back unchanged.
  const inputs = path.join(tmp, 'two.csv');
  fs.writeFileSync(inputs, '1,1,1,1,1,0,0,0,0,0\n0,0,0,0,0,1,1,1,1,1\n');
  const completed = path.join(tmp, 'completed.csv');
  assert.equal((await genlab('complete', run, '--input', inputs, '--mask', 'right', '-n', '3', '--out', completed)).code, 0);
  const [, ...filled] = fs.readFileSync(completed, 'utf8').trim().split('\n');
  assert.equal(filled.length, 6);
  filled.forEach((row, i) => assert.ok(row.startsWith(i < 3 ? '1,1,1,1,1,' : '0,0,0,0,0,'), row));
  assert.equal((await genlab('complete', run, '--input', inputs, '--out', path.join(tmp, 'completed.png'))).code, 0);

  const info = await genlab('info', run);
  assert.match(info.stdout, /markov/);
  assert.match(info.stdout, /backend wasm/);
});

test('a gradient-trained model through the CLI: train on a subset, resume with Adam state, eval, sample', async () => {
  const run = path.join(tmp, 'run-fvsbn');
  const common = ['--eval-examples', '0', '--sample-count', '4'];
  // Dynamic binarization: training sees intensities redrawn per batch; evaluation must never see them.
  await json('train', 'fvsbn', '--data', 'mnist', '--binarize', 'dynamic', '--train-limit', '300', '--batch-size', '50', '--lr', '0.01', '--lr-decay', 'cosine', '--out', run, ...common, '--json');
  assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).train.learningRateDecay, 'cosine');
  const ckpt = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', 'latest.json'), 'utf8')).checkpoint;
  const manifest = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', ckpt, 'checkpoint.json'), 'utf8'));
  const names = manifest.parts['optimizer.bin'].weights.map((w: { name: string }) => w.name);
  assert.ok(names.includes('main/iterations') && names.includes('main/W/m') && names.includes('main/W/v'), `Adam state saved by variable name: ${names}`);
  const afterOne = (await json('eval', run, '--limit', '200', '--json')).nll;
  const resumed = await json('train', 'fvsbn', '--resume', '--out', run, '--epochs', '2', ...common, '--json');
  assert.equal(resumed.steps, 12);
  const report = await json('eval', run, '--limit', '200', '--json');
  assert.equal(report.kind, 'exact');
  assert.equal(report.n, 200);
  // Measured: 349 nats after the first 6 steps, 329 after 12; uniform pixels score 784 ln 2 = 543.
  assert.ok(report.nll < afterOne - 10, `the resumed epoch lowered the NLL: ${afterOne} -> ${report.nll}`);
  assert.ok(report.nll < 0.7 * 543, `NLL ${report.nll} well below uniform pixels (543)`);
  assert.equal((await json('eval', run, '--split', 'train', '--limit', '100', '--json')).n, 100);
  assert.equal((await genlab('sample', run, '-n', '4', '--out', path.join(tmp, 'fvsbn.png'))).code, 0);
  // Resumed without them, the run keeps its own monitoring flags: no test scoring, 4-sample grids.
  const third = await json('train', 'fvsbn', '--resume', '--out', run, '--epochs', '3', '--json');
  assert.equal(third.steps, 18);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).monitor, { evalExamples: 0, sampleCount: 4, checkpointMinutes: 10 });
  const epochRecords = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.event === 'epoch');
  assert.equal(epochRecords.length, 3);
  assert.ok(epochRecords.every((r) => r.testNll === undefined), 'no epoch scored the test split');
  assert.ok(fs.existsSync(path.join(run, 'samples', 'epoch-003.png')), 'the third epoch drew its grid');
  const resumeChanged = await genlab('train', 'fvsbn', '--resume', '--out', run, '--lr', '0.1');
  assert.equal(resumeChanged.code, 2);
  assert.match(resumeChanged.stderr, /drop --lr/);
  assert.match((await genlab('train', 'fvsbn', '--resume', '--out', run, '--ordering', 'snake')).stderr, /drop --ordering/, 'model flags are fixed on resume');
  assert.match((await genlab('train', 'fvsbn', '--data', 'mnist', '--lr-decay', 'step', '--out', path.join(tmp, 'never-decay'))).stderr, /--lr-decay must be one of constant, linear, cosine/);
});

test('resumedMonitor: flags given on resume win, else what the run recorded, else (older runs) the flags as parsed', () => {
  const recorded = { evalExamples: 0, sampleCount: 20, checkpointMinutes: 5, checkpointSteps: 100 };
  const defaults = { evalExamples: 2000, sampleCount: 64, checkpointMinutes: 10, checkpointSteps: undefined, sampleSteps: undefined, snapshotEvery: undefined };
  assert.deepEqual(resumedMonitor(recorded, defaults, new Set(['epochs'])), recorded);
  assert.deepEqual(resumedMonitor(recorded, { ...defaults, sampleCount: 0 }, new Set(['sample-count'])), { ...recorded, sampleCount: 0 });
  assert.deepEqual(resumedMonitor(undefined, defaults, new Set()), { evalExamples: 2000, sampleCount: 64, checkpointMinutes: 10 });
});

test('training options through the CLI: SGD with Nesterov momentum, EMA weights for eval unless --no-ema, checkpoints every N steps, a complete run, a diverging run', async () => {
  const run = path.join(tmp, 'run-sgd-ema');
  const common = ['--data', 'mnist', '--train-limit', '200', '--batch-size', '50', '--eval-examples', '0', '--sample-count', '0'];
  await json('train', 'fvsbn', ...common, '--optimizer', 'sgd', '--momentum', '0.9', '--nesterov', '--lr', '0.05', '--ema', '0.5', '--checkpoint-steps', '2', '--out', run, '--json');
  const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.deepEqual(config.train.optimizer, { kind: 'sgd', momentum: 0.9, nesterov: true });
  assert.equal(config.train.ema, 0.5);
  const ckpt = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', 'latest.json'), 'utf8')).checkpoint;
  const manifest = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', ckpt, 'checkpoint.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.parts).sort(), ['ema.bin', 'optimizer.bin', 'weights.bin']);
  assert.ok(manifest.parts['optimizer.bin'].weights.some((w: { name: string }) => w.name === 'main/W/momentum'), 'momentum buffers saved by variable name');
  // 4 steps, checkpoints at steps 2 and 4 (the epoch's): two kept.
  assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).filter((f) => f.startsWith('step-')), ['step-00000002', 'step-00000004']);
  const smoothed = (await json('eval', run, '--limit', '100', '--json')).nll;
  const raw = (await json('eval', run, '--limit', '100', '--no-ema', '--json')).nll;
  assert.ok(Number.isFinite(smoothed) && Number.isFinite(raw) && smoothed !== raw, `EMA ${smoothed} vs raw ${raw}`);

  const again = await genlab('train', 'fvsbn', '--resume', '--out', run);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /is complete \(1 of 1 epochs trained\); nothing to do/);
  // A VAE's exp(log-variance) overflows once Adam takes steps of 1e30 (an fvsbn's loss would only grow huge).
  const diverging = await genlab('train', 'vae', ...common, '--hidden', '8', '--latent', '2', '--lr', '1e30', '--checkpoint-steps', '1', '--out', path.join(tmp, 'run-diverge'));
  assert.equal(diverging.code, 2, diverging.stderr);
  assert.match(diverging.stderr, /training diverged: the loss is (NaN|Infinity) at step \d+/);
  assert.match((await genlab('train', 'fvsbn', ...common, '--nesterov', '--out', path.join(tmp, 'never-nesterov'))).stderr, /nesterov needs the sgd optimizer with momentum > 0/);
  assert.match((await genlab('train', 'fvsbn', ...common, '--groups', '{"critic": {}}', '--out', path.join(tmp, 'never-groups'))).stderr, /fvsbn has no parameter group 'critic'; its groups: main/);
});

test('user mistakes give one clear line, exit 2, and write no run folder', async () => {
  const ragged = path.join(tmp, 'ragged.csv');
  fs.writeFileSync(ragged, 'a,b,c\n0,1,0\n1,0\n');
  const out = path.join(tmp, 'never');
  const images = path.join(tmp, 'images');
  fs.mkdirSync(images);
  fs.writeFileSync(path.join(images, 'broken.png'), 'not an image');
  const cases: [string[], RegExp][] = [
    [['train', 'markov', '--data', `csv:${ragged}`, '--out', out], /ragged\.csv:3: expected 3 columns/],
    [['train', 'markov', '--data', 'csv:/no/such/file.csv', '--out', out], /no\/such\/file\.csv/],
    [['train', 'markov', '--data', `images:${images}`, '--out', out], /broken\.png: not a PNG/],
    [['train', 'markov', '--data', 'mnist', '--epochs', 'two', '--out', out], /--epochs must be an integer >= 1, got 'two'/],
    [['train', 'markov', '--data', 'mnist', '--binarize', 'sometimes', '--out', out], /--binarize must be one of/],
    [['train', 'markov', '--data', 'nowhere', '--out', out], /unknown --data 'nowhere'/],
    [['train', 'markov', '--data', 'toy:ring', '--out', out], /real values|accepts/],
    [['train', 'nosuchmodel', '--data', 'mnist', '--out', out], /unknown model 'nosuchmodel'/],
    [['train', 'markov', '--data', 'mnist', '--frobnicate', '--out', out], /frobnicate/],
    [['train', 'pixelcnn', '--data', 'mnist', '--hidden', '500', '--out', out], /genlab train pixelcnn: Unknown option '--hidden'/],
    [['train', 'made', '--data', 'mnist', '--hidden', '500,x', '--out', out], /made: --hidden must be a list of integers >= 1 \(e\.g\. 500,500\), got '500,x'/],
    [['train', 'ar', '--data', 'mnist', '--model-config', '{"order": -1}', '--out', out], /ar: option order must be an integer >= 0, got -1/],
    [['eval', tmp], /not a genlab run folder/],
    [['sample', path.join(tmp, 'run-markov'), '--out', 'x.gif'], /\.png or \.csv/],
    [['fly'], /unknown command 'fly'/],
  ];
  for (const [args, message] of cases) {
    const r = await genlab(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!fs.existsSync(out), `${args.join(' ')} wrote a run folder`);
  }
});

test('Ctrl-C checkpoints and exits; --resume ends where an uninterrupted run ends', async () => {
  // 6 epochs of 750 steps. The signal goes out when epoch 1 ends, so the run stops inside a later
  // epoch (a resumed run must restore that epoch's shuffle and position), and it stops whatever the
  // machine's speed: the 3,750 steps left take seconds, the step loop yields to signals every 50 ms.
  const args = ['train', 'markov', '--data', 'mnist', '--train-limit', '6000', '--epochs', '6', '--batch-size', '8', '--eval-examples', '0', '--sample-count', '0'];
  const stepsPerEpoch = 6000 / 8;
  const interrupted = path.join(tmp, 'run-interrupted');
  // A child process: the signal, the exit status and the bin script are what is tested here.
  const child = spawn(process.execPath, [bin, ...args, '--out', interrupted], { cwd: tmp });
  let stderr = '';
  let signalled = false;
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/^epoch 1\/6: /m.test(stderr) && !signalled) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /--resume/);
  const pointer = JSON.parse(fs.readFileSync(path.join(interrupted, 'checkpoints', 'latest.json'), 'utf8'));
  const stoppedAt = Number(/step-(\d+)/.exec(pointer.checkpoint)![1]);
  assert.ok(stoppedAt > stepsPerEpoch && stoppedAt < 6 * stepsPerEpoch, `stopped at step ${stoppedAt}`);

  assert.equal((await genlab('train', 'markov', '--resume', '--out', interrupted, '--epochs', '6')).code, 0);
  const straight = path.join(tmp, 'run-straight');
  assert.equal((await genlab(...args, '--out', straight)).code, 0);
  const a = await json('eval', interrupted, '--json');
  const b = await json('eval', straight, '--json');
  assert.equal(a.nll, b.nll);
  const weights = (run: string) => {
    const p = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', 'latest.json'), 'utf8')).checkpoint;
    return fs.readFileSync(path.join(run, 'checkpoints', p, 'weights.bin'));
  };
  assert.ok(weights(interrupted).equals(weights(straight)));
});
