/**
 * The file layer of fault-tolerant runs: atomic writes, checkpoints that are verified on load and
 * fall back to the newest intact one, the order in which a save commits, and metrics dedupe.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/core/errors.js';
import type { NamedArray } from '../../src/models/model.js';
import { loadLatestCheckpoint, saveCheckpoint, verifyCheckpoints, type CheckpointInfo } from '../../src/node/checkpoint.js';
import { writeFileAtomic } from '../../src/node/fsAtomic.js';
import { MetricsLog, writeRunConfig, type RunConfig } from '../../src/node/run.js';
import { infoCommand } from '../../src/cli/commands/run-commands.js';
import { initialTrainState } from '../../src/train/fit.js';

const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-ckpt-'));

/** Replaces fs functions for the code under test (its `import * as fs` sees the change), undone after each test. */
const restores: (() => void)[] = [];
function spyOn<K extends 'openSync' | 'fsyncSync' | 'renameSync' | 'rmSync'>(name: K, wrap: (original: (typeof fs)[K]) => (typeof fs)[K]): void {
  const original = fs[name];
  fs[name] = wrap(original);
  syncBuiltinESMExports();
  restores.push(() => {
    fs[name] = original;
    syncBuiltinESMExports();
  });
}
afterEach(() => {
  while (restores.length) restores.pop()!();
});

function info(step: number): CheckpointInfo {
  return { model: { name: 'nade', config: { hidden: 4 } }, data: { shape: [6], kind: 'binary' }, train: { ...initialTrainState(1), step }, backend: 'cpu' };
}

/** Parts whose values depend on the step, so each checkpoint's contents are recognisable. */
function parts(step: number): Record<string, NamedArray[]> {
  const arr = (name: string, n: number, offset: number): NamedArray => ({
    name,
    shape: [n],
    dtype: 'float32',
    data: Float32Array.from({ length: n }, (_, i) => step * 1000 + offset + i / 7),
  });
  return {
    'weights.bin': [arr('W', 24, 0), arr('b', 6, 100)],
    'optimizer.bin': [arr('main/iter', 1, 200), arr('main/0/m', 24, 300)],
    'ema.bin': [arr('W', 24, 400)],
  };
}

/** A run with checkpoints at steps 2 and 4 (latest). */
function runWithTwoCheckpoints(): { run: string; ckpt: (step: number) => string } {
  const run = scratch();
  saveCheckpoint(run, info(2), parts(2));
  saveCheckpoint(run, info(4), parts(4));
  return { run, ckpt: (step) => path.join(run, 'checkpoints', `step-${String(step).padStart(8, '0')}`) };
}

function load(run: string) {
  const warnings: string[] = [];
  const ckpt = loadLatestCheckpoint(run, { warn: (m) => warnings.push(m) });
  return { ckpt, warnings };
}

test('writeFileAtomic replaces the file, fsyncs it before the rename and the folder after, and leaves no temporary file', () => {
  const dir = scratch();
  const file = path.join(dir, 'out.json');
  fs.writeFileSync(file, 'old');
  const events: string[] = [];
  const opened = new Map<number, string>();
  spyOn('openSync', (orig) => ((p: fs.PathLike, ...rest: unknown[]) => {
    const fd = (orig as (...a: unknown[]) => number)(p, ...rest);
    opened.set(fd, String(p));
    return fd;
  }) as typeof fs.openSync);
  spyOn('fsyncSync', (orig) => (fd: number) => {
    events.push(`fsync ${opened.get(fd) === dir ? 'folder' : path.basename(opened.get(fd)!) === 'out.json' ? 'target' : 'temporary'}`);
    orig(fd);
  });
  spyOn('renameSync', (orig) => (from: fs.PathLike, to: fs.PathLike) => {
    events.push(`rename to ${path.basename(String(to))}`);
    orig(from, to);
  });

  writeFileAtomic(file, 'new contents');
  assert.deepEqual(events, ['fsync temporary', 'rename to out.json', 'fsync folder']);
  assert.equal(fs.readFileSync(file, 'utf8'), 'new contents');
  assert.deepEqual(fs.readdirSync(dir), ['out.json']);

  // A write that fails at the rename (the target is a folder) still leaves no temporary file.
  const folder = path.join(dir, 'taken');
  fs.mkdirSync(folder);
  assert.throws(() => writeFileAtomic(folder, 'x'));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['out.json', 'taken']);
});

test('a checkpoint round-trips any named parts bit for bit, with a checksum per part', () => {
  const { run, ckpt: folder } = runWithTwoCheckpoints();
  const { ckpt, warnings } = load(run);
  assert.ok(ckpt);
  assert.equal(ckpt.dir, folder(4));
  assert.deepEqual(ckpt.parts, parts(4));
  assert.deepEqual(ckpt.weights, parts(4)['weights.bin']);
  assert.deepEqual(ckpt.optimizer, parts(4)['optimizer.bin']);
  assert.equal(ckpt.manifest.train.step, 4);
  assert.deepEqual(ckpt.skipped, []);
  assert.deepEqual(warnings, []);
  for (const p of Object.values(ckpt.manifest.parts)) assert.match(p.sha256!, /^[0-9a-f]{64}$/);
  // Nothing but the two checkpoints and the pointer.
  assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), ['latest.json', 'step-00000002', 'step-00000004']);
  assert.equal(loadLatestCheckpoint(scratch()), null, 'a run without checkpoints has none');
});

/** Each way the newest checkpoint can be damaged, and the file the message must name. */
const damages: { what: string; file: string; damage: (dir: string) => void }[] = [
  {
    what: 'one flipped byte in weights.bin',
    file: 'weights.bin',
    damage: (dir) => {
      const f = path.join(dir, 'weights.bin');
      const b = fs.readFileSync(f);
      b[37] ^= 0x01;
      fs.writeFileSync(f, b);
    },
  },
  {
    what: 'weights.bin replaced by random bytes of the same size',
    file: 'weights.bin',
    damage: (dir) => {
      const f = path.join(dir, 'weights.bin');
      fs.writeFileSync(f, Uint8Array.from({ length: fs.statSync(f).size }, (_, i) => (i * 7919 + 13) & 0xff));
    },
  },
  { what: 'a truncated weights.bin', file: 'weights.bin', damage: (dir) => fs.truncateSync(path.join(dir, 'weights.bin'), 50) },
  { what: 'a deleted weights.bin', file: 'weights.bin', damage: (dir) => fs.rmSync(path.join(dir, 'weights.bin')) },
  { what: 'a truncated optimizer.bin', file: 'optimizer.bin', damage: (dir) => fs.truncateSync(path.join(dir, 'optimizer.bin'), 4) },
  { what: 'a deleted ema.bin', file: 'ema.bin', damage: (dir) => fs.rmSync(path.join(dir, 'ema.bin')) },
  { what: 'a corrupt checkpoint.json', file: 'checkpoint.json', damage: (dir) => fs.truncateSync(path.join(dir, 'checkpoint.json'), 100) },
  { what: 'latest.json naming a missing folder', file: 'latest.json', damage: (dir) => fs.rmSync(dir, { recursive: true }) },
];

for (const { what, file, damage } of damages) {
  test(`${what}: loading falls back to the previous checkpoint, naming ${file}`, () => {
    const { run, ckpt: folder } = runWithTwoCheckpoints();
    damage(folder(4));
    const { ckpt, warnings } = load(run);
    assert.ok(ckpt);
    assert.equal(ckpt.dir, folder(2));
    assert.deepEqual(ckpt.parts, parts(2));
    assert.equal(ckpt.skipped.length, 1);
    assert.equal(path.basename(ckpt.skipped[0].file), file);
    assert.equal(ckpt.skipped[0].checkpoint, 'step-00000004');
    assert.ok(
      warnings.some((w) => w.includes(path.join('step-00000004', file)) || (file === 'latest.json' && w.includes('latest.json'))),
      warnings.join('\n'),
    );
    assert.ok(warnings.some((w) => w.includes(`loading ${folder(2)}`)), warnings.join('\n'));
    // genlab info sees the same damage.
    const report = verifyCheckpoints(run);
    if (file === 'latest.json') assert.match(report.latestProblem!, /latest\.json: names step-00000004, which does not exist/);
    else assert.deepEqual(report.checkpoints.map((c) => [c.name, c.intact]), [['step-00000004', false], ['step-00000002', true]]);
  });
}

test('a corrupt latest.json: loading takes the newest intact folder, naming latest.json', () => {
  const { run, ckpt: folder } = runWithTwoCheckpoints();
  fs.writeFileSync(path.join(run, 'checkpoints', 'latest.json'), '{"checkp');
  const { ckpt, warnings } = load(run);
  assert.equal(ckpt!.dir, folder(4));
  assert.match(warnings[0], /latest\.json: is not valid JSON/);
});

test('every checkpoint damaged: a UserError naming the run and each damaged file', () => {
  const { run, ckpt: folder } = runWithTwoCheckpoints();
  fs.truncateSync(path.join(folder(4), 'weights.bin'), 10);
  fs.writeFileSync(path.join(folder(2), 'checkpoint.json'), 'not json');
  const warnings: string[] = [];
  assert.throws(
    () => loadLatestCheckpoint(run, { warn: (m) => warnings.push(m) }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.includes(`run '${run}' has no intact checkpoint`) &&
      e.message.includes(path.join('step-00000004', 'weights.bin')) &&
      e.message.includes(path.join('step-00000002', 'checkpoint.json')) &&
      !e.message.includes('\n'),
  );
  assert.deepEqual(warnings, [], 'no warnings besides the error, which names every damaged file: the CLI prints one line');
});

test('a save retires older checkpoints only after latest.json names the new one', () => {
  const run = scratch();
  const root = path.join(run, 'checkpoints');
  saveCheckpoint(run, info(2), parts(2));
  saveCheckpoint(run, info(4), parts(4));
  // A folder newer than the one being saved: left by a run that crashed and was resumed from before it.
  fs.cpSync(path.join(root, 'step-00000004'), path.join(root, 'step-00000009'), { recursive: true });
  const retired: { name: string; latest: string }[] = [];
  spyOn('renameSync', (orig) => (from: fs.PathLike, to: fs.PathLike) => {
    if (/^step-\d+$/.test(path.basename(String(from))) && path.basename(String(to)).startsWith('.old-')) {
      retired.push({ name: path.basename(String(from)), latest: JSON.parse(fs.readFileSync(path.join(root, 'latest.json'), 'utf8')).checkpoint });
    }
    orig(from, to);
  });
  saveCheckpoint(run, info(6), parts(6));
  assert.deepEqual(retired.map((r) => r.name).sort(), ['step-00000002', 'step-00000009']);
  for (const r of retired) assert.equal(r.latest, 'step-00000006', `${r.name} retired while latest.json named ${r.latest}`);
  assert.deepEqual(fs.readdirSync(root).sort(), ['latest.json', 'step-00000004', 'step-00000006']);
});

test('saving the same step twice replaces it and still loads', () => {
  const run = scratch();
  saveCheckpoint(run, info(2), parts(2));
  saveCheckpoint(run, info(4), parts(3));
  saveCheckpoint(run, info(4), parts(4));
  assert.deepEqual(load(run).ckpt!.parts, parts(4));
  assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), ['latest.json', 'step-00000002', 'step-00000004']);
});

test('a version-1 checkpoint (no checksums) still loads', () => {
  const run = scratch();
  const dir = path.join(run, 'checkpoints', 'step-00000003');
  fs.mkdirSync(dir, { recursive: true });
  const w = parts(3)['weights.bin'];
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(w.map((a) => Buffer.from(a.data.buffer))));
  const specs = w.map((a) => ({ name: a.name, shape: a.shape, dtype: a.dtype }));
  const { model, data, train, backend } = info(3);
  const manifest = { format: 'genlab-checkpoint', version: 1, model, data, weightsManifest: [{ paths: ['weights.bin'], weights: specs }], train, backend, savedAt: '' };
  fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(run, 'checkpoints', 'latest.json'), '{"checkpoint":"step-00000003"}');
  const { ckpt } = load(run);
  assert.deepEqual(ckpt!.weights, w);
  assert.deepEqual(ckpt!.optimizer, []);
  // Length is still checked without a checksum.
  fs.truncateSync(path.join(dir, 'weights.bin'), 8);
  assert.throws(() => load(run), /weights\.bin: is cut short: 8 of 120 bytes/);
});

test('MetricsLog.dropAfter removes the records past the resumed step and torn lines, atomically', () => {
  const run = scratch();
  const log = new MetricsLog(run);
  for (let step = 0; step <= 10; step += 2) log.append({ event: 'batch', step, loss: 1 / (step + 1) });
  log.append({ event: 'eval', nll: 3.5 });
  fs.appendFileSync(log.file, '{"event":"batch","st'); // a line cut short by a kill
  assert.equal(log.read().length, 7, 'read skips the torn line');

  assert.equal(log.dropAfter(6), 3); // steps 8, 10 and the torn line
  assert.deepEqual(log.read().map((r) => r.step ?? r.event), [0, 2, 4, 6, 'eval']);
  assert.deepEqual(fs.readdirSync(run), ['metrics.jsonl']);
  // Resuming at step 6 and logging again gives each step once.
  log.append({ event: 'batch', step: 8 });
  const steps = log.read().flatMap((r) => (typeof r.step === 'number' ? [r.step] : []));
  assert.deepEqual(steps, [...new Set(steps)]);
  // Nothing past the step: the file is left as it is.
  const before = fs.readFileSync(log.file, 'utf8');
  assert.equal(log.dropAfter(100), 0);
  assert.equal(fs.readFileSync(log.file, 'utf8'), before);
});

test('genlab info verifies every checkpoint and names the damaged file', async () => {
  const { run, ckpt: folder } = runWithTwoCheckpoints();
  const { model, data, backend } = info(0);
  writeRunConfig(run, {
    format: 'genlab-run',
    version: 1,
    command: 'genlab train nade',
    createdAt: '',
    backend,
    model,
    data: { spec: 'toy', shape: data.shape, kind: data.kind, trainExamples: 1, testExamples: 1 },
    train: { epochs: 1, batchSize: 1, learningRate: 0.1, seed: 1 },
  } as RunConfig);
  const lines: string[] = [];
  const write = process.stdout.write;
  const infoOf = async () => {
    lines.length = 0;
    process.stdout.write = ((s: string) => lines.push(s) > 0) as typeof process.stdout.write;
    try {
      assert.equal(await infoCommand([run]), 0);
    } finally {
      process.stdout.write = write;
    }
    return lines.join('');
  };
  assert.doesNotMatch(await infoOf(), /damaged/);
  const bytes = fs.readFileSync(path.join(folder(2), 'optimizer.bin'));
  bytes[0] ^= 0x80;
  fs.writeFileSync(path.join(folder(2), 'optimizer.bin'), bytes);
  const text = await infoOf();
  assert.match(text, /checkpoint step-00000004 \(1 of 2 kept intact\)/);
  assert.ok(text.includes(`damaged    step-00000002: ${path.join(folder(2), 'optimizer.bin')}: does not match its checksum`), text);
});
