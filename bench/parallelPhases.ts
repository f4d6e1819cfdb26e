/**
 * Where replica 0's time goes in a data-parallel training step (src/train/parallel.ts): the
 * forward and backward passes, the gradient all-reduce and, within it, the waits at its two
 * barriers for the other replicas, the optimizer update, and the rest (shards, metrics). The
 * methods are wrapped in this thread only, so the waits say how much later than replica 0 the
 * slowest other replica arrived. The one-thread step of the same model comes first, for the
 * speed-up.
 *
 * Usage: npm run build && node dist/bench/parallelPhases.js [--only NAME,NAME] [--workers 2] [--steps 40]
 * (names as in `npm run bench`: vae-mlp, made, nade, conv-vae, pixelcnn, rowlstm, dcgan, wgangp)
 */
import { initBackend } from '../src/core/engine.js';
import { ReplicaLink } from '../src/train/parallel.js';
import { Optimizer } from '../src/train/optimizers.js';
import { Trainer } from '../src/train/trainer.js';
import { BENCH_MODELS, GenlabSide } from './benchModels.js';

/** Milliseconds spent per phase since the last reset, summed over steps. */
const spent: Record<string, number> = {};
const add = (phase: string, ms: number) => (spent[phase] = (spent[phase] ?? 0) + ms);

/** Replaces `proto[method]` by a version that adds its (synchronous) duration to `phase`. */
function timed<T extends object>(proto: T, method: keyof T & string, phase: string): void {
  const original = proto[method] as (...args: unknown[]) => unknown;
  (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      add(phase, performance.now() - t0);
    }
  };
}

// The forward and backward passes: from the start of an update to its all-reduce.
let updateStarted = 0;
const update = Trainer.prototype.update;
Trainer.prototype.update = function (...args) {
  updateStarted = performance.now();
  return update.apply(this, args);
};
const allReduce = ReplicaLink.prototype.allReduce;
ReplicaLink.prototype.allReduce = function (...args) {
  add('forward + backward', performance.now() - updateStarted);
  return allReduce.apply(this, args);
};
timed(ReplicaLink.prototype, 'allReduce', 'all-reduce');
timed(ReplicaLink.prototype, 'barrier', 'of which waiting');
timed(Optimizer.prototype, 'apply', 'optimizer');

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const only = flag('only', 'vae-mlp,made,pixelcnn').split(',');
  const workers = Number(flag('workers', '2'));
  const steps = Number(flag('steps', '40'));
  await initBackend('wasm');
  console.log(`replica 0 of ${workers}, ms per step, mean over ${steps} steps after 5 warm-up steps (step: median)`);
  for (const name of only) {
    const spec = BENCH_MODELS.find((m) => m.name === name);
    if (!spec) throw new Error(`unknown model '${name}' (${BENCH_MODELS.map((m) => m.name).join(', ')})`);
    const alone = new GenlabSide(spec);
    await alone.trainSteps(5);
    for (const k in spent) delete spent[k];
    const oneStep = median(await alone.trainSteps(steps));
    const oneOptimizer = (spent.optimizer ?? 0) / steps;
    await alone.dispose();

    const parallel = new GenlabSide(spec);
    await parallel.startWorkers(workers);
    await parallel.trainSteps(5);
    for (const k in spent) delete spent[k];
    const times = await parallel.trainSteps(steps);
    await parallel.dispose();
    const mean = times.reduce((a, b) => a + b, 0) / steps;
    const per = Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, v / steps]));
    const other = mean - per['forward + backward'] - per['all-reduce'] - per.optimizer;
    const phases = ['forward + backward', 'all-reduce', 'of which waiting', 'optimizer'].map((k) => `${k} ${per[k].toFixed(1)}`).join(', ');
    console.log(
      `${name} (batch ${spec.batch}): 1 thread ${oneStep.toFixed(1)} (optimizer ${oneOptimizer.toFixed(1)}); ` +
        `${workers} workers ${median(times).toFixed(1)} (x${(oneStep / median(times)).toFixed(2)}): ${phases}, other ${other.toFixed(1)}`,
    );
  }
  process.exit(0); // worker threads end with the process
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
