/**
 * `npm run bench`: the training step and the sampler of each model family, timed on this machine,
 * beside the same architectures in PyTorch (bench/reference/models_torch.py) at 1 and 2 threads
 * when Debian's python3-torch is importable, in the same invocation.
 *
 * Protocol (the performance issue's): random inputs of the data's kind (binary: Bernoulli(0.3)
 * bits; continuous: uniform [0, 1]), the model's default configuration and optimizer, two warm-up
 * steps, then ROUNDS interleaved rounds, each timing `steps` genlab steps and one PyTorch process
 * per thread count; a figure is the best round's median step time, so a round that shared the
 * cores with something else does not count against either side. The ratio is genlab's step time
 * over PyTorch's best of 1 and 2 threads (< 1: genlab is faster). Sampling: one timed draw of
 * `sampleCount` examples after one warm-up draw, per side. PyTorch runs with tcmalloc preloaded when
 * Debian's libtcmalloc-minimal4 is installed (models_torch.py: glibc's malloc made its large
 * tensors page-fault on every allocation, NADE's step 30x slower on our VMs); the header says which.
 *
 * genlab runs twice per round: on one thread, and data-parallel on WORKERS worker threads
 * (`genlab train --workers`, src/train/parallel.ts), the same batch cut into shards.
 *
 * Writes bench/results.json and bench/results.md (the table docs/RESULTS.md quotes). The models and
 * genlab's side are in ./benchModels.ts; ./parallelPhases.ts splits a data-parallel step into phases.
 * Usage: npm run bench [-- --only NAME,NAME] [-- --rounds 3] [-- --no-torch] [-- --no-workers]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/engine.js';
import { BENCH_MODELS, GenlabSide, type BenchModel } from './benchModels.js';

/** What one side measured for one model in one round. */
interface Timing {
  stepMs: number;
  sampleMs?: number;
}

interface Row {
  name: string;
  batch: number;
  params: number;
  genlab: Timing;
  /** genlab with WORKERS data-parallel replicas (`--workers`), same batch. */
  genlabWorkers?: Timing;
  /** One worker's step time over WORKERS workers'. */
  speedup?: number;
  /** PyTorch by thread count; absent without torch. */
  torch?: Record<string, Timing>;
  /** genlab's step time over PyTorch's best of 1 and 2 threads; and with WORKERS workers. */
  ratio?: number;
  ratioWorkers?: number;
}

/** The data-parallel row: one replica per core of our 2-core machines. */
const WORKERS = 2;

const PYTHON = process.env.GENLAB_TORCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bench', 'reference', 'models_torch.py');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface TorchLine {
  step_ms: number;
  sample_ms?: number;
  params: number;
  torch: string;
  /** "tcmalloc" when models_torch.py found it (it re-runs itself with it preloaded), else "glibc". */
  allocator?: string;
}

/** One PyTorch process: `steps` timed steps (and a sampling draw when asked) at `threads` threads. */
function torchRun(spec: BenchModel, threads: number, withSample: boolean): TorchLine {
  const args = [TORCH_SCRIPT, spec.name, '--threads', String(threads), '--batch', String(spec.batch), '--steps', String(spec.steps)];
  if (withSample) args.push('--sample', String(spec.sampleCount));
  const out = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 600_000 });
  if (out.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed:\n${out.stderr}`);
  const line = out.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as TorchLine;
}

function torchVersion(): string | undefined {
  const out = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

function parseArgs(argv: string[]): { only?: string[]; rounds: number; torch: boolean; workers: boolean; out: string } {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    only: value('--only')?.split(','),
    rounds: Number(value('--rounds') ?? 3),
    torch: !argv.includes('--no-torch'),
    workers: !argv.includes('--no-workers'),
    out: value('--out') ?? 'bench',
  };
}

const fmt = (ms: number | undefined) => (ms === undefined ? '-' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const perSecond = (count: number, ms: number | undefined) => (ms === undefined ? '-' : (count / (ms / 1000)).toFixed(count / (ms / 1000) >= 100 ? 0 : 1));

function markdown(rows: Row[], header: string): string {
  const lines = [
    header,
    '',
    `| model | batch | params | genlab step ms | genlab ${WORKERS} workers | speed-up | PyTorch 1 thread | PyTorch 2 threads | ratio | ratio, ${WORKERS} workers | genlab train ex/s | genlab sample ex/s | PyTorch sample ex/s (best) |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const spec = BENCH_MODELS.find((m) => m.name === r.name)!;
    const torchSample = r.torch ? Math.min(...Object.values(r.torch).map((t) => t.sampleMs ?? Infinity)) : undefined;
    lines.push(
      `| ${r.name} | ${r.batch} | ${r.params.toLocaleString('en')} | ${fmt(r.genlab.stepMs)} | ${fmt(r.genlabWorkers?.stepMs)} | ${r.speedup?.toFixed(2) ?? '-'} | ` +
        `${fmt(r.torch?.['1']?.stepMs)} | ${fmt(r.torch?.['2']?.stepMs)} | ${r.ratio?.toFixed(2) ?? '-'} | ${r.ratioWorkers?.toFixed(2) ?? '-'} | ` +
        `${perSecond(r.batch, Math.min(r.genlab.stepMs, r.genlabWorkers?.stepMs ?? Infinity))} | ${perSecond(spec.sampleCount, r.genlab.sampleMs)} | ` +
        `${perSecond(spec.sampleCount, torchSample === Infinity ? undefined : torchSample)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const backend = await initBackend('wasm');
  const torch = options.torch && fs.existsSync(TORCH_SCRIPT) ? torchVersion() : undefined;
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`;
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'threaded' : 'one thread';
  console.log(`genlab bench: tfjs ${tf.version_core}, backend ${backend} (${threads}), workers 1 and ${options.workers ? WORKERS : '-'}; PyTorch ${torch ?? 'not found (only genlab is timed)'}; ${machine}`);
  const rows: Row[] = [];
  let torchAllocator: string | undefined;
  for (const spec of BENCH_MODELS.filter((m) => !options.only || options.only.includes(m.name))) {
    const side = new GenlabSide(spec);
    const parallel = options.workers ? new GenlabSide(spec) : undefined;
    await parallel?.startWorkers(WORKERS);
    await side.trainSteps(2);
    await parallel?.trainSteps(2);
    const genlabRounds: number[] = [];
    const parallelRounds: number[] = [];
    const torchRounds: Record<string, TorchLine[]> = { 1: [], 2: [] };
    for (let round = 0; round < options.rounds; round++) {
      genlabRounds.push(median(await side.trainSteps(spec.steps)));
      if (parallel) parallelRounds.push(median(await parallel.trainSteps(spec.steps)));
      if (torch) for (const t of [1, 2]) torchRounds[t].push(torchRun(spec, t, round === 0));
    }
    await parallel?.dispose();
    const tensorsBefore = tf.memory().numTensors;
    const sampleMs = await side.sampleMs();
    if (tf.memory().numTensors !== tensorsBefore) console.warn(`${spec.name}: sampling left ${tf.memory().numTensors - tensorsBefore} tensors`);
    const row: Row = { name: spec.name, batch: spec.batch, params: side.params, genlab: { stepMs: Math.min(...genlabRounds), sampleMs } };
    await side.dispose();
    if (parallel) {
      row.genlabWorkers = { stepMs: Math.min(...parallelRounds) };
      row.speedup = row.genlab.stepMs / row.genlabWorkers.stepMs;
    }
    if (torch) {
      row.torch = {};
      for (const t of ['1', '2']) {
        row.torch[t] = { stepMs: Math.min(...torchRounds[t].map((l) => l.step_ms)), sampleMs: torchRounds[t][0].sample_ms };
        if (torchRounds[t][0].params !== row.params) console.warn(`${spec.name}: PyTorch has ${torchRounds[t][0].params} parameters, genlab ${row.params}`);
      }
      const best = Math.min(row.torch['1'].stepMs, row.torch['2'].stepMs);
      row.ratio = row.genlab.stepMs / best;
      if (row.genlabWorkers) row.ratioWorkers = row.genlabWorkers.stepMs / best;
    }
    rows.push(row);
    torchAllocator ??= torchRounds['1'][0]?.allocator;
    console.log(`${spec.name.padEnd(10)} genlab ${fmt(row.genlab.stepMs).padStart(7)} ms/step` +
      (row.genlabWorkers ? ` (${WORKERS} workers ${fmt(row.genlabWorkers.stepMs)}, x${row.speedup!.toFixed(2)})` : '') +
      (row.torch ? `   PyTorch ${fmt(row.torch['1'].stepMs)} (1 thread) ${fmt(row.torch['2'].stepMs)} (2)   ratio ${row.ratio!.toFixed(2)}` : '') +
      `   sample ${spec.sampleCount}: ${fmt(sampleMs)} ms`);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const when = new Date().toISOString();
  const header =
    `Measured ${when.slice(0, 10)} by \`npm run bench\` in ${(wallSeconds / 60).toFixed(1)} min: tfjs ${tf.version_core} ${backend} (${threads}) per worker, genlab on 1 and ${WORKERS} workers (--workers); ` +
    `PyTorch ${torch ? `${torch} (allocator: ${torchAllocator ?? 'unknown'})` : 'absent'}; ${machine}. Step: best of ${options.rounds} interleaved rounds' median; ratio = genlab / PyTorch's best of 1 and 2 threads.`;
  fs.mkdirSync(options.out, { recursive: true });
  fs.writeFileSync(path.join(options.out, 'results.json'), JSON.stringify({ when, backend, tfjs: tf.version_core, workers: options.workers ? [1, WORKERS] : [1], torch, machine, rounds: options.rounds, wallSeconds, rows }, null, 1) + '\n');
  fs.writeFileSync(path.join(options.out, 'results.md'), markdown(rows, header));
  console.log(`\n${markdown(rows, header)}\nwrote ${options.out}/results.json and ${options.out}/results.md (${wallSeconds.toFixed(0)} s)`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
