/**
 * Run folders through the CLI when they are not what training left: a --out that holds the user's
 * files, and a trained run with each file of its newest checkpoint (and its config, pointer and
 * metrics log) damaged in turn. Every command either falls back to the previous checkpoint, naming
 * the damaged file on stderr, and succeeds, or exits 2 with one line naming the file and leaves the
 * run as it was.
 *
 * The commands run in this process (main(), the function bin/genlab.js calls) so that the table of
 * ~40 commands takes seconds, not minutes; a failure that is not a UserError counts as exit 1, as
 * in bin/genlab.js.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyCheckpoints } from '../../src/node/checkpoint.js';
import { MetricsLog } from '../../src/node/run.js';
import { cliRunner, genlabInProcess as genlab } from './genlab.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-runs-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Exit status, stdout and stderr of `genlab ...args`, run in this process. The CLI writes strings;
 * buffers pass through, as the test runner (node --test) reports on this process's stdout in
 * serialized buffers, possibly while a command runs.
 */

/** Every file under `dir` with its bytes, to show a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    files[path.relative(dir, file)] = entry.isFile() ? fs.readFileSync(file).toString('base64') : '(folder)';
  }
  return files;
}

/** Exit 2 with one line, "genlab COMMAND: ...", that names `names`. */
function assertRefused(r: { code: number; stderr: string }, names: string[], what: string): void {
  assert.equal(r.code, 2, `${what}: exit 2\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line\n${r.stderr}`);
  assert.match(lines[0], /^genlab [a-z-]+: /, what);
  for (const name of names) assert.ok(lines[0].includes(name), `${what}: the line names ${name}\n${lines[0]}`);
}

/** 200 rows of 10 binary pixels from a noisy chain: 180 train (two batches of 90) and 20 test. */
const csv = path.join(tmp, 'chain.csv');
const NEW_RUN = ['train', 'fvsbn', '--data', `csv:${csv}`, '--batch-size', '90', '--checkpoint-steps', '1', '--eval-examples', '0', '--sample-count', '0'];
const QUIET = ['--eval-examples', '0', '--sample-count', '0'];
/** Trained once: two steps of one epoch, a checkpoint after each (step-1 mid-epoch, step-2 at the epoch's end). */
const base = path.join(tmp, 'base');

before(async () => {
  let state = 7;
  const bit = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) >> 16) & 1;
  const rows = Array.from({ length: 200 }, () => {
    let v = bit();
    return Array.from({ length: 10 }, () => (v = bit() && bit() ? 1 - v : v)).join(',');
  });
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  fs.mkdirSync(base); // an empty folder is a fine --out
  const r = await genlab(...NEW_RUN, '--out', base);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    verifyCheckpoints(base).checkpoints.map((c) => [c.name, c.intact]),
    [['step-00000002', true], ['step-00000001', true]],
  );
});

let copies = 0;
function copyOfBase(): string {
  const run = path.join(tmp, `run-${++copies}`);
  fs.cpSync(base, run, { recursive: true });
  return run;
}

test('train --out refuses a folder holding the user\'s files, a file, and a path through a file, before writing anything', async () => {
  // A folder of the user's own: training would overwrite samples/epoch-001.png and append to metrics.jsonl.
  const mine = path.join(tmp, 'mine');
  fs.mkdirSync(path.join(mine, 'samples'), { recursive: true });
  fs.writeFileSync(path.join(mine, 'samples', 'epoch-001.png'), 'my picture');
  fs.writeFileSync(path.join(mine, 'metrics.jsonl'), '{"mine": true}\n');
  const before = snapshot(mine);
  assertRefused(await genlab(...NEW_RUN, '--out', mine), [`'${mine}'`, 'not a genlab run'], 'a folder with files');
  assert.deepEqual(snapshot(mine), before, 'the user\'s files are untouched and nothing is added');

  const file = path.join(tmp, 'notes.txt');
  fs.writeFileSync(file, 'my notes');
  assertRefused(await genlab(...NEW_RUN, '--out', file), [`'${file}'`, 'is a file'], '--out FILE');
  assertRefused(await genlab(...NEW_RUN, '--out', path.join(file, 'run')), [file], '--out FILE/run');
  assert.equal(fs.readFileSync(file, 'utf8'), 'my notes');
  // Once as a user runs it, in its own process: this case was a stack trace (ENOTDIR, exit 1).
  const spawned = cliRunner('genlab-runs-spawn-');
  try {
    assertRefused(spawned.genlab(...NEW_RUN, '--out', file) as { code: number; stderr: string }, [`'${file}'`], 'bin/genlab.js --out FILE');
  } finally {
    fs.rmSync(spawned.tmp, { recursive: true, force: true });
  }

  // A run is not refused as "holding files": it has its own message, which points at --resume.
  assertRefused(await genlab(...NEW_RUN, '--out', base), [`'${base}' already holds a run`, '--resume'], 'a run');
});

interface Damage {
  what: string;
  /** The damaged file, relative to the run folder. */
  file: string;
  damage: (run: string) => void;
  /** The checkpoint the commands fall back to, or null when they must refuse (exit 2). */
  uses: 'step-00000001' | 'step-00000002' | null;
}

const newest = (run: string, file: string) => path.join(run, 'checkpoints', 'step-00000002', file);
const flipByte = (file: string) => {
  const bytes = fs.readFileSync(file);
  bytes[bytes.length >> 1] ^= 0x01;
  fs.writeFileSync(file, bytes);
};
const randomBytes = (file: string) => {
  const bytes = fs.readFileSync(file);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761 + 17) >>> 24; // a fixed scramble of the same size
  fs.writeFileSync(file, bytes);
};

const damages: Damage[] = [];
for (const part of ['weights.bin', 'optimizer.bin']) {
  const file = path.join('checkpoints', 'step-00000002', part);
  damages.push(
    { what: `${part} truncated`, file, damage: (run) => fs.truncateSync(newest(run, part), 100), uses: 'step-00000001' },
    { what: `${part} removed`, file, damage: (run) => fs.rmSync(newest(run, part)), uses: 'step-00000001' },
    { what: `${part} with one byte flipped`, file, damage: (run) => flipByte(newest(run, part)), uses: 'step-00000001' },
    { what: `${part} replaced by other bytes of the same size`, file, damage: (run) => randomBytes(newest(run, part)), uses: 'step-00000001' },
  );
}
damages.push(
  {
    what: 'checkpoint.json cut short',
    file: path.join('checkpoints', 'step-00000002', 'checkpoint.json'),
    damage: (run) => fs.truncateSync(newest(run, 'checkpoint.json'), 50),
    uses: 'step-00000001',
  },
  {
    what: 'latest.json corrupt',
    file: path.join('checkpoints', 'latest.json'),
    damage: (run) => fs.writeFileSync(path.join(run, 'checkpoints', 'latest.json'), '{"checkp'),
    uses: 'step-00000002', // the newest intact folder
  },
  {
    what: 'latest.json naming a missing folder',
    file: path.join('checkpoints', 'latest.json'),
    damage: (run) => fs.rmSync(path.join(run, 'checkpoints', 'step-00000002'), { recursive: true }),
    uses: 'step-00000001',
  },
  {
    what: 'every checkpoint damaged',
    file: path.join('checkpoints', 'step-00000002', 'weights.bin'),
    damage: (run) => {
      fs.truncateSync(newest(run, 'weights.bin'), 100);
      fs.writeFileSync(path.join(run, 'checkpoints', 'step-00000001', 'checkpoint.json'), 'not json');
    },
    uses: null,
  },
  { what: 'config.json corrupt', file: 'config.json', damage: (run) => fs.truncateSync(path.join(run, 'config.json'), 40), uses: null },
  { what: 'config.json removed', file: 'config.json', damage: (run) => fs.rmSync(path.join(run, 'config.json')), uses: null },
);

for (const { what, file, damage, uses } of damages) {
  test(`${what}: eval, sample and train --resume ${uses ? `fall back to ${uses}, naming the file` : 'exit 2 with one line naming the file'}`, async () => {
    const run = copyOfBase();
    damage(run);
    const commands = {
      eval: ['eval', run, '--limit', '20'],
      sample: ['sample', run, '-n', '2', '--out', path.join(run + '-x.png')],
      resume: ['train', 'fvsbn', '--resume', '--out', run, '--epochs', '2', ...QUIET],
    };
    const before = snapshot(run);
    for (const [name, args] of Object.entries(commands)) {
      const r = await genlab(...args);
      if (uses === null) {
        assertRefused(r, [file], `${name}`);
        assert.deepEqual(snapshot(run), before, `${name} leaves the run as it was`);
        continue;
      }
      assert.equal(r.code, 0, `${name}: exit 0\n${r.stderr}`);
      assert.ok(r.stderr.includes(path.join(run, file)), `${name} names ${file} on stderr\n${r.stderr}`);
      if (uses === 'step-00000001') {
        assert.ok(r.stderr.includes(`loading ${path.join(run, 'checkpoints', uses)}`), `${name} says which checkpoint it loads\n${r.stderr}`);
      }
      if (name === 'resume') {
        assert.match(r.stderr, uses === 'step-00000001' ? /resuming at epoch 1, step 1\n/ : /resuming at epoch 2, step 2\n/);
        const report = verifyCheckpoints(run);
        assert.equal(report.latest, 'step-00000004', 'trained on to the end');
        // The damaged checkpoint is replaced by the one the resumed run saves at the same step (or retired).
        assert.ok(report.checkpoints.every((c) => c.intact), JSON.stringify(report.checkpoints));
      }
    }
  });
}

test('a metrics.jsonl with a torn last line: eval\'s record is not lost after it, and a resume drops the torn line', async () => {
  const run = copyOfBase();
  const log = path.join(run, 'metrics.jsonl');
  const intact = fs.readFileSync(log, 'utf8');
  fs.appendFileSync(log, '{"event":"epoch","step":2,"lo');
  const evaluated = await genlab('eval', run, '--limit', '20');
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.ok(fs.readFileSync(log, 'utf8').startsWith(intact), 'the intact records stay as they were');
  const records = new MetricsLog(run).read();
  assert.equal(records.at(-1)?.event, 'eval', 'the eval record is readable, not glued to the torn line');
  assert.equal(records.at(-1)?.n, 20);

  const sampled = await genlab('sample', run, '-n', '2', '--out', path.join(tmp, 'torn.png'));
  assert.equal(sampled.code, 0, `sample: ${sampled.stderr}`);
  const resumed = await genlab('train', 'fvsbn', '--resume', '--out', run, '--epochs', '2', ...QUIET);
  assert.equal(resumed.code, 0, `resume: ${resumed.stderr}`);
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  assert.ok(lines.every((line) => JSON.parse(line)), 'every line is a record: the torn one is dropped');
  assert.deepEqual(new MetricsLog(run).read().filter((r) => r.event === 'epoch').map((r) => r.epoch), [1, 2]);
});

test('genlab info reports the planned epochs and those the newest intact checkpoint completed', async () => {
  const run = copyOfBase();
  // What a resume with --epochs 3 leaves when it is interrupted before its first checkpoint:
  // config.json already plans 3 epochs; the checkpoints hold 1.
  const configFile = path.join(run, 'config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.train.epochs = 3;
  fs.writeFileSync(configFile, JSON.stringify(config));

  let info = await genlab('info', run, '--json');
  assert.equal(info.code, 0, info.stderr);
  let json = JSON.parse(info.stdout);
  for (const key of ['run', 'config', 'epochsLogged', 'lastEpoch', 'checkpoint', 'checkpoints', 'damaged', 'samples']) assert.ok(key in json, key);
  assert.equal(json.epochsPlanned, 3);
  assert.equal(json.epochsCompleted, 1);
  assert.deepEqual(json.trained, { checkpoint: 'step-00000002', epoch: 1, batchInEpoch: 0, step: 2, batchesPerEpoch: 2 });
  const text = await genlab('info', run);
  assert.match(text.stdout, /^training {3}3 epochs planned,/m);
  assert.match(text.stdout, /^trained {4}1 of 3 epochs, step 2 \(checkpoint step-00000002\)$/m);

  // The newest checkpoint damaged: what is trained is what the mid-epoch checkpoint before it holds.
  fs.truncateSync(newest(run, 'weights.bin'), 10);
  json = JSON.parse((await genlab('info', run, '--json')).stdout);
  assert.equal(json.epochsCompleted, 0);
  assert.deepEqual(json.trained, { checkpoint: 'step-00000001', epoch: 0, batchInEpoch: 1, step: 1, batchesPerEpoch: 2 });
  info = await genlab('info', run);
  assert.match(info.stdout, /^trained {4}0 of 3 epochs and 1 of 2 batches of epoch 1, step 1 \(checkpoint step-00000001\)$/m);

  // No intact checkpoint: nothing is trained.
  fs.writeFileSync(path.join(run, 'checkpoints', 'step-00000001', 'checkpoint.json'), 'not json');
  json = JSON.parse((await genlab('info', run, '--json')).stdout);
  assert.equal(json.epochsCompleted, 0);
  assert.equal(json.trained, null);
});
