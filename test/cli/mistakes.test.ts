/**
 * The CLI's answers to user mistakes and its advice: one line naming the flag or value, exit 2, no
 * run folder; and every command it suggests runs. Each check sits beside a control that passes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/core/errors.js';
import type { Dataset } from '../../src/data/dataset.js';
import { prepareData } from '../../src/data/prepare.js';
import { writePng } from '../../src/node/data/images.js';
import { parse, type OptionTable } from '../../src/cli/args.js';
import { errorLine } from '../../src/cli/main.js';
import { inProcessRunner } from './genlab.js';

const { tmp, genlab, json } = inProcessRunner('genlab-mistakes-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const root = fileURLToPath(new URL('../../../', import.meta.url));
const QUICK = ['--epochs', '1', '--batch-size', '16', '--eval-examples', '0', '--sample-count', '0'];

/** A refusal: exit 2, exactly one line on stderr matching `message`, nothing on stdout, no run folder. */
async function refused(args: string[], message: RegExp): Promise<string> {
  const out = path.join(tmp, 'never');
  const r = await genlab(...args, ...(args[0] === 'train' ? ['--out', out] : []));
  assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '', args.join(' '));
  assert.match(r.stderr, /^[^\n]+\n$/, `one line: ${r.stderr}`);
  assert.match(r.stderr, message, args.join(' '));
  assert.ok(!fs.existsSync(out), `${args.join(' ')} wrote a run folder`);
  return r.stderr;
}

/** 10-pixel binary rows with a header. */
function binaryCsv(name: string, rows: number): string {
  const file = path.join(tmp, name);
  const lines = ['a,b,c,d,e,f,g,h,i,j'];
  for (let r = 0; r < rows; r++) lines.push(Array.from({ length: 10 }, (_, j) => ((r * 7 + j * 3) % 5 < 2 ? 1 : 0)).join(','));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('parse passes a string option a negative number (-1, -1e3, -.5) as its value; other dashed tokens stay flags', () => {
  const table: OptionTable = {
    lr: { type: 'string', help: 'x' },
    n: { type: 'string', short: 'n', help: 'x' },
    flag: { type: 'boolean', help: 'x' },
  };
  for (const value of ['-1', '-1e3', '-.5', '-0.25', '-2E-3']) {
    assert.equal(parse('t', ['--lr', value], table).values.lr, value);
    assert.equal(parse('t', ['-n', value], table).values.n, value);
  }
  // Not numbers: parseArgs still refuses them as ambiguous, or reads them as flags.
  assert.throws(() => parse('t', ['--lr', '-x'], table), UserError);
  assert.throws(() => parse('t', ['--lr', '-1x'], table), UserError);
  assert.throws(() => parse('t', ['--lr', '--flag'], table), UserError);
  // After '--' everything is positional, a negative number included.
  assert.deepEqual(parse('t', ['--', '--lr', '-1'], table).positionals, ['--lr', '-1']);
});

test('negative numbers after a flag get the range message the --flag=value form gets', async () => {
  const cases: [string[], string][] = [
    [['train', 'fvsbn', '--data', 'mnist', '--epochs', '-1'], "genlab train: --epochs must be an integer >= 1, got '-1'"],
    [['train', 'fvsbn', '--data', 'mnist', '--lr', '-1'], "genlab train: --lr must be a number >= 0, got '-1'"],
    [['train', 'fvsbn', '--data', 'mnist', '--lr', '-1e3'], "genlab train: --lr must be a number >= 0, got '-1e3'"],
    [['sample', 'RUN', '-n', '-5'], "genlab sample: --n must be an integer between 1 and 100000, got '-5'"],
    [['sample', 'RUN', '--seed', '-1'], "genlab sample: --seed must be an integer >= 0, got '-1'"],
  ];
  for (const [args, line] of cases) {
    const spaced = await refused(args, /must be/);
    assert.equal(spaced, line + '\n');
    assert.doesNotMatch(spaced, /ambiguous/);
    // The same mistake written --flag=value gives the same line.
    const joined = args.slice(0, -2).concat(`${args.at(-2)!.replace(/^-n$/, '--n')}=${args.at(-1)}`);
    assert.equal((await genlab(...joined)).stderr, line + '\n', joined.join(' '));
  }
});

test('every message carries the genlab prefix once and names the command', async () => {
  assert.equal(errorLine('train', "genlab train made: Unknown option '--x'"), "genlab train made: Unknown option '--x'");
  assert.equal(errorLine('train', "--epochs must be an integer >= 1, got '0'"), "genlab train: --epochs must be an integer >= 1, got '0'");
  assert.equal(errorLine(undefined, "unknown command 'fly'"), "genlab: unknown command 'fly'");
  const lines = [
    await refused(['train', 'fvsbn', '--data', 'mnist', '--frobnicate'], /^genlab train fvsbn: Unknown option '--frobnicate' \(see 'npx genlab train fvsbn --help'\)$/m),
    await refused(['params'], /^genlab params needs --variables N$/m),
    await refused(['params', '--variables', '0'], /^genlab params: --variables must be an integer >= 1, got '0'$/m),
    await refused(['eval', tmp], /^genlab eval: .*not a genlab run folder/m),
    await refused(['fly'], /^genlab: unknown command 'fly'/m),
  ];
  for (const line of lines) assert.doesNotMatch(line, /^genlab[^:]*: genlab/, 'no second prefix');
});

test('genlab models refuses arguments it does not take; --help prints its usage, not the list', async () => {
  await refused(['models', 'extra'], /^genlab models takes no positional arguments, got extra$/m);
  await refused(['models', '--frobnicate'], /Unknown option '--frobnicate'/);
  const help = await genlab('models', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: genlab models \[--json\]/);
  assert.match(help.stdout, /--json/);
  assert.doesNotMatch(help.stdout, /independent|pixelcnn/, 'no model list');
  const list = await genlab('models');
  assert.equal(list.code, 0);
  assert.match(list.stdout, /independent .*tabular/, 'control: the list itself');
});

test('a counting model records no optimizer settings and refuses gradient flags; a gradient model records them', async () => {
  const csv = binaryCsv('rows.csv', 120);
  const run = path.join(tmp, 'run-markov');
  const trained = await genlab('train', 'markov', '--data', `csv:${csv}`, ...QUICK, '--out', run);
  assert.equal(trained.code, 0, trained.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.deepEqual(Object.keys(config.train).sort(), ['batchSize', 'epochs', 'seed']);
  assert.match((await genlab('info', run)).stdout, /fit by counting/);
  assert.equal((await genlab('train', 'markov', '--resume', '--out', run, '--epochs', '2')).code, 0, 'a counting run resumes without a learning rate');

  for (const flags of [['--lr', '0.1'], ['--optimizer', 'sgd', '--momentum', '0.9'], ['--ema', '0.99'], ['--lr-decay', 'cosine', '--warmup', '5']]) {
    const names = flags.filter((f) => f.startsWith('--')).join(', ');
    await refused(['train', 'independent', '--data', `csv:${csv}`, ...QUICK, ...flags], new RegExp(`^genlab train: independent is fit by counting, not by gradient steps: drop ${names}$`, 'm'));
  }

  // Control: a gradient-trained model keeps its learning rate and optimizer in the record.
  const fvsbn = path.join(tmp, 'run-fvsbn');
  assert.equal((await genlab('train', 'fvsbn', '--data', `csv:${csv}`, ...QUICK, '--lr', '0.01', '--out', fvsbn)).code, 0);
  const gradient = JSON.parse(fs.readFileSync(path.join(fvsbn, 'config.json'), 'utf8')).train;
  assert.equal(gradient.learningRate, 0.01);
  assert.deepEqual(gradient.optimizer, { kind: 'adam' });
});

test('the closing hint names commands the user can run, and they run', async () => {
  const csv = binaryCsv('hint.csv', 60);
  const run = path.join(tmp, 'run-hint');
  const r = await genlab('train', 'independent', '--data', `csv:${csv}`, ...QUICK, '--out', run);
  assert.equal(r.code, 0, r.stderr);
  const next = /Next: (.*)$/m.exec(r.stderr)?.[1];
  assert.ok(next, r.stderr);
  const commands = next.trim().split(/\s{3,}/);
  assert.equal(commands.length, 2);
  for (const command of commands) {
    assert.match(command, /^npx genlab /, 'genlab is not on the PATH after npm install');
    const args = command.replace(/^npx genlab /, '').split(' ');
    assert.equal((await genlab(...args)).code, 0, command);
  }
});

test('--size is refused for data other than an images: folder, and applies to one', async () => {
  const csv = binaryCsv('size.csv', 20);
  for (const spec of ['mnist', 'fashion', 'toy:ring', `csv:${csv}`]) {
    await refused(['train', 'pixelcnn', '--data', spec, '--size', '10x10'], new RegExp(`^genlab train: --size resizes the images of an images:DIR folder; '${spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' has its own shape \\(drop --size\\)$`, 'm'));
  }
  // Control: an images: folder is resized.
  const dir = path.join(tmp, 'pictures');
  fs.mkdirSync(dir);
  for (let i = 0; i < 20; i++) {
    writePng(path.join(dir, `p${i}.png`), { width: 6, height: 4, channels: 1, data: Uint8Array.from({ length: 24 }, (_, j) => ((i + j) % 3) * 120) });
  }
  const run = path.join(tmp, 'run-resized');
  const r = await genlab('train', 'independent', '--data', `images:${dir}`, '--size', '2x3', ...QUICK, '--out', run);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).data.shape, [2, 3, 1]);
});

test('real-valued data for a binary model: the advice names models that take them, and the advice works', async () => {
  const line = await refused(['train', 'made', '--data', 'toy:ring'], /^genlab train: made accepts binary data, but 'toy:ring' holds real values \(outside \[0, 1\]\), which cannot be binarized; train a model for real data: (.*)$/m);
  assert.doesNotMatch(line, /--binarize/, 'no advice that leads to another refusal');
  const models = /real data: (.*)$/m.exec(line)![1].split(', ');
  assert.ok(models.includes('rnade') && models.includes('vae'), line);
  // Binarizing real data stays refused, with a way out.
  await refused(['train', 'made', '--data', 'toy:ring', '--binarize', 'stochastic'], /cannot be binarized; train a model for real data/);
  await refused(['train', 'vae', '--data', 'toy:ring', '--binarize', 'stochastic'], /has real values outside \[0, 1\]; only intensities can be binarized \(drop --binarize\)$/m);
  // Follow the advice.
  const run = path.join(tmp, 'run-rnade');
  const r = await genlab('train', 'rnade', '--data', 'toy:ring', '--train-limit', '64', ...QUICK, '--out', run);
  assert.equal(r.code, 0, r.stderr);

  // The library's message gives the same honest advice; for intensities, binarizing is the advice.
  const real: Dataset = { name: 'ring', x: Float32Array.from([-2, 3]), shape: [2], n: 1, kind: 'real' };
  assert.throws(() => prepareData({ train: real, test: real }, ['binary'], { binarize: 'none', dataSeed: 0 }), (e: Error) => {
    assert.match(e.message, /cannot be binarized\); use a model that accepts real data/);
    assert.doesNotMatch(e.message, /--binarize/);
    return true;
  });
  const bytes: Dataset = { name: 'bytes', x: Float32Array.from([0, 255]), shape: [2], n: 1, kind: 'uint8' };
  assert.throws(() => prepareData({ train: bytes, test: bytes }, ['binary'], { binarize: 'none', dataSeed: 0 }), /binarize it with --binarize/);
});

test('a clean npm install has no unreviewed install scripts: allowScripts covers every locked package that has one', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
    .filter(([where, p]) => where !== '' && p.hasInstallScript)
    .map(([where]) => where.replace(/^.*node_modules\//, ''));
  assert.ok(withScripts.includes('esbuild'), 'control: the lockfile marks packages with install scripts');
  for (const name of withScripts) assert.equal(typeof pkg.allowScripts?.[name], 'boolean', `allowScripts reviews ${name}`);
  assert.equal(pkg.allowScripts.esbuild, true, "esbuild's postinstall checks its platform binary");
});
