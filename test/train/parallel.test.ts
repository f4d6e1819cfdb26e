import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/core/engine.js';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { Batch, NamedArray, StepMetrics } from '../../src/models/model.js';
import { createModel, type DataInfo } from '../../src/models/registry.js';
import { workerReplicas } from '../../src/node/replicas.js';
import { fit } from '../../src/train/fit.js';
import { ReplicasStopped, replicaRng, shardBatch, startDataParallel, type ReplicaLauncher, type ReplicaReport } from '../../src/train/parallel.js';
import { Trainer, type TrainerOptions } from '../../src/train/trainer.js';

before(async () => {
  await initBackend('wasm');
});

/**
 * Agreement of two runs' parameters: per array, max |a - b| <= TOLERANCE * max |a|. Two replicas
 * sum the same per-example gradients in another order (two shard means, weighted), so float32
 * rounding differs; measured ~2e-7 for MADE after five Adam steps.
 */
const TOLERANCE = 1e-5;

function relativeDifference(a: NamedArray, b: NamedArray): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.data.length; i++) {
    diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
    scale = Math.max(scale, Math.abs(a.data[i]));
  }
  return diff / scale;
}

function binaryBatch(rng: Rng, n: number, D: number): Batch {
  const x = new Float32Array(n * D);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.3 + (0.4 * (i % D)) / D ? 1 : 0;
  return { x, n };
}

/** A launcher that counts the ends of its workers (the run must always end them). */
function counted(launcher: ReplicaLauncher): ReplicaLauncher & { ended: number } {
  const out = {
    replicas: launcher.replicas,
    ended: 0,
    async start(init: Parameters<ReplicaLauncher['start']>[0]) {
      const end = await launcher.start(init);
      return async () => {
        await end();
        out.ended++;
      };
    },
  };
  return out;
}

/**
 * The same model trained on the same batches by one trainer and by two replicas from the same
 * initial weights; returns both runs' weights and metrics and the replicas' reports.
 */
async function aloneAndReplicated(name: string, config: Record<string, unknown>, data: DataInfo, batches: Batch[], options: TrainerOptions) {
  const alone = createModel(name, config, data);
  const single = new Trainer(alone, options);
  const initial = alone.getWeights();
  const aloneMetrics: StepMetrics[] = [];
  for (const [step, batch] of batches.entries()) aloneMetrics.push(await single.step(batch, { rng: new Rng(step), step }));

  const replicated = createModel(name, config, data);
  const trainer = new Trainer(replicated, options);
  const launcher = counted(workerReplicas(2, { data, backend: 'wasm' }));
  const parallel = await startDataParallel(launcher, trainer, replicated, { batchSize: Math.max(...batches.map((b) => b.n)), seed: 1 });
  const parallelMetrics: StepMetrics[] = [];
  let reports;
  try {
    for (const [step, batch] of batches.entries()) parallelMetrics.push(await parallel.step(batch, { rng: new Rng(step), step }));
    reports = parallel.inspect();
  } finally {
    await parallel.dispose();
  }
  assert.equal(launcher.ended, 1, 'the workers were ended');
  const result = { initial, alone: alone.getWeights(), replicated: replicated.getWeights(), aloneMetrics, parallelMetrics, reports };
  single.dispose();
  trainer.dispose();
  alone.dispose();
  replicated.dispose();
  return result;
}

function assertAgree(run: Awaited<ReturnType<typeof aloneAndReplicated>>) {
  run.alone.forEach((a, i) => {
    const moved = relativeDifference(a, run.initial[i]);
    // The tolerance must be far below what training changes, or agreement would prove nothing.
    assert.ok(moved > 1000 * TOLERANCE, `${a.name} moved by ${moved} only`);
    const diff = relativeDifference(a, run.replicated[i]);
    assert.ok(diff <= TOLERANCE, `${a.name}: two replicas differ from one by ${diff} (relative)`);
  });
  run.aloneMetrics.forEach((m, step) => {
    for (const key of ['loss', 'gradNorm']) {
      const diff = Math.abs(m[key] - run.parallelMetrics[step][key]) / Math.abs(m[key]);
      assert.ok(diff <= TOLERANCE, `step ${step} ${key}: ${m[key]} alone, ${run.parallelMetrics[step][key]} replicated`);
    }
  });
  // Every replica applies the same update to the same parameters: identical bits, nothing broadcast.
  const [main, worker] = run.reports!;
  assert.equal(worker.parameterHash, main.parameterHash);
}

test('shards are contiguous, differ by at most one example, and weigh n_r / n; fewer examples than replicas still average to the batch mean', () => {
  const D = 2;
  const batch: Batch = { x: Float32Array.from({ length: 7 * D }, (_, i) => i), n: 7, labels: Int32Array.from([0, 1, 2, 3, 4, 5, 6]) };
  const shards = shardBatch(batch, 3);
  assert.deepEqual(shards.map((s) => s.batch.n), [3, 2, 2]);
  assert.deepEqual(shards.map((s) => [...s.batch.labels!]), [[0, 1, 2], [3, 4], [5, 6]]);
  assert.deepEqual([...shards[1].batch.x], [6, 7, 8, 9]);
  assert.deepEqual(shards.map((s) => s.weight), [3 / 7, 2 / 7, 2 / 7]);
  // Two examples, three replicas: replicas 0 and 2 share example 0 (1/4 each), replica 1 has example 1 (1/2).
  const tiny = shardBatch({ x: Float32Array.of(10, 11, 20, 21), n: 2 }, 3);
  assert.deepEqual(tiny.map((s) => [...s.batch.x]), [[10, 11], [20, 21], [10, 11]]);
  assert.deepEqual(tiny.map((s) => s.weight), [0.25, 0.5, 0.25]);
  // Worker noise: one stream per (seed, step, replica).
  assert.equal(replicaRng(1, 5, 1).nextUint32(), replicaRng(1, 5, 1).nextUint32());
  assert.notEqual(replicaRng(1, 5, 1).nextUint32(), replicaRng(1, 6, 1).nextUint32());
  assert.notEqual(replicaRng(1, 5, 1).nextUint32(), replicaRng(1, 5, 2).nextUint32());
});

test('MADE (Adam) on two replicas follows one trainer to float tolerance, uneven and tiny batches included; the replicas hold identical bits', async () => {
  const D = 8;
  const rng = new Rng(3);
  // 15: shards of 8 and 7; 1: both replicas take the one example at weight 1/2.
  const batches = [16, 15, 1, 16, 9].map((n) => binaryBatch(rng, n, D));
  const run = await aloneAndReplicated('made', { hidden: [16, 16] }, { shape: [D], kind: 'binary' }, batches, { optimizer: { kind: 'adam', learningRate: 0.01 } });
  assertAgree(run);
});

test('a small PixelCNN (SGD with momentum, clipped to a norm it exceeds) on two replicas follows one trainer to float tolerance', async () => {
  const rng = new Rng(4);
  const batches = Array.from({ length: 5 }, () => binaryBatch(rng, 8, 25));
  const config = { channels: 4, layers: 1, firstKernel: 3, kernel: 3 };
  const options: TrainerOptions = { optimizer: { kind: 'sgd', learningRate: 0.5, momentum: 0.9 }, clipNorm: 0.5 };
  const run = await aloneAndReplicated('pixelcnn', config, { shape: [5, 5, 1], kind: 'binary' }, batches, options);
  assert.ok(run.aloneMetrics.every((m) => m.gradNorm > 0.5), 'every update was clipped, on the summed gradient');
  assertAgree(run);
});

test("a GAN (k = 2) trains through fit on two replicas, each worker on its half of every batch fit draws (ctx.nextBatch included)", async () => {
  // With G's output layer zero and G frozen (step size 0), G(z) is a constant whatever the noise,
  // so D's updates depend on the real minibatches alone: two replicas match one trainer only if
  // the worker's shards are exactly the other halves of the batches fit drew, the k - 1
  // ctx.nextBatch() draws of every step included.
  const rng = new Rng(8);
  const n = 64;
  const data: Dataset = { name: 'blobs', x: Float32Array.from({ length: n * 2 }, () => rng.normal() + 2), n, shape: [2], kind: 'real' };
  const info: DataInfo = { shape: [2], kind: 'real' };
  const config = { generatorHidden: [8], discriminatorHidden: [8], latent: 2, k: 2 };
  const train = async (launcher?: ReplicaLauncher) => {
    const gan = createModel('gan', config, info);
    gan.setWeights(gan.getWeights().map((w) => (w.name === 'generator/output/W' ? { ...w, data: new Float32Array(w.data.length) } : w)));
    const initial = gan.getWeights();
    let steps = 0;
    let last: StepMetrics | undefined;
    await fit(
      gan,
      data,
      { epochs: 2, batchSize: 8, seed: 5, learningRate: 0.01, groups: { generator: { learningRate: 0 } }, replicas: launcher },
      { onStep: ({ metrics }) => void ((last = metrics), steps++) },
    );
    const weights = gan.getWeights();
    gan.dispose();
    return { initial, weights, steps, last: last! };
  };
  const alone = await train();
  const launcher = counted(workerReplicas(2, { data: info, backend: 'wasm' }));
  const replicated = await train(launcher);
  assert.equal(launcher.ended, 1);
  assert.equal(alone.steps, 8, 'k = 2: two batches per step, 8 batches per epoch');
  assert.equal(replicated.steps, 8);
  alone.weights.forEach((w, i) => {
    if (w.name.startsWith('generator/')) {
      assert.deepEqual(replicated.weights[i], alone.initial[i], 'G stays frozen');
      return;
    }
    assert.ok(relativeDifference(w, alone.initial[i]) > 1000 * TOLERANCE, `${w.name} was trained`);
    const diff = relativeDifference(w, replicated.weights[i]);
    assert.ok(diff <= TOLERANCE, `${w.name}: two replicas differ from one by ${diff}`);
  });
  assert.ok(Math.abs(alone.last.discriminatorLoss - replicated.last.discriminatorLoss) <= TOLERANCE * Math.abs(alone.last.discriminatorLoss));
});

test('tensors, their bytes and the wasm heap stay level on replica 0 and in a worker over 500 steps', async () => {
  const D = 4;
  const info: DataInfo = { shape: [D], kind: 'binary' };
  const model = createModel('made', { hidden: [4] }, info);
  const trainer = new Trainer(model, { optimizer: { kind: 'adam', learningRate: 0.01 } });
  const parallel = await startDataParallel(workerReplicas(2, { data: info, backend: 'wasm' }), trainer, model, { batchSize: 4, seed: 1 });
  const rng = new Rng(1);
  const batch = binaryBatch(rng, 4, D);
  try {
    const reports: ReplicaReport[][] = [];
    for (let step = 0; step < 500; step++) {
      await parallel.step(batch, { rng, step });
      if (step === 9 || step === 499) reports.push(parallel.inspect());
    }
    const [early, late] = reports;
    assert.equal(early.length, 2);
    for (const key of ['numTensors', 'numBytes', 'heapBytes'] as const) {
      assert.deepEqual(late.map((r) => r[key]), early.map((r) => r[key]), `${key} per replica at step 10 and 500`);
    }
    // The reports measure something: both replicas hold the model's tensors in a wasm heap.
    for (const r of late) assert.ok(r.numTensors > 0 && r.numBytes > 0 && r.heapBytes >= 16 * 2 ** 20, JSON.stringify(r));
  } finally {
    await parallel.dispose();
    trainer.dispose();
    model.dispose();
  }
});

test("a worker's failure stops the run with its message (no hang), and the workers are ended", async () => {
  const D = 4;
  const info: DataInfo = { shape: [D], kind: 'binary' };
  const model = createModel('made', { hidden: [4] }, info);
  const trainer = new Trainer(model);
  const launcher = counted(workerReplicas(2, { data: info, backend: 'wasm' }));
  const parallel = await startDataParallel(launcher, trainer, model, { batchSize: 4, seed: 1 });
  // Only the second half, the worker's shard, holds a value MADE refuses.
  const batch: Batch = { x: Float32Array.from([0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0.5, 1, 1, 1, 0, 0]), n: 4 };
  try {
    await assert.rejects(parallel.step(batch, { rng: new Rng(0), step: 0 }), (e: unknown) => e instanceof ReplicasStopped && e.failed && /replica 1 failed: .*binary/.test(e.message));
  } finally {
    await parallel.dispose();
    trainer.dispose();
    model.dispose();
  }
  assert.equal(launcher.ended, 1);
});

test('a worker that cannot build its replica says why, and the start fails instead of hanging', async () => {
  const info: DataInfo = { shape: [4], kind: 'binary' };
  const model = createModel('made', { hidden: [4] }, info);
  const trainer = new Trainer(model);
  // The init replica 0 sends, captured by a launcher that starts nothing; then given to real
  // workers with a config the model refuses (the worker rebuilds the model from it).
  const launcher = workerReplicas(2, { data: info, backend: 'wasm' });
  const init = {
    ...(await new Promise<Parameters<ReplicaLauncher['start']>[0]>((resolve) => {
      void startDataParallel({ replicas: 2, start: async (i) => (resolve(i), async () => {}) }, trainer, model, { batchSize: 4, seed: 1 }).then((p) => p.dispose());
    })),
  };
  try {
    await assert.rejects(launcher.start({ ...init, model: { name: 'made', config: { ...init.model.config, hidden: [-1] } } }), /replica 1 failed to start: .*hidden/);
  } finally {
    trainer.dispose();
    model.dispose();
  }
});

test('fit ends its workers when the run fails on replica 0; counting models and batches smaller than the replicas are refused', async () => {
  const D = 4;
  const info: DataInfo = { shape: [D], kind: 'binary' };
  const rng = new Rng(2);
  const data: Dataset = { name: 'bits', ...binaryBatch(rng, 32, D), shape: [D], kind: 'binary' };
  const model = createModel('made', { hidden: [4] }, info);
  const launcher = counted(workerReplicas(2, { data: info, backend: 'wasm' }));
  let steps = 0;
  const boom = () => {
    if (++steps === 3) throw new Error('boom');
  };
  await assert.rejects(fit(model, data, { epochs: 1, batchSize: 4, seed: 1, replicas: launcher }, { onStep: boom }), /boom/);
  assert.equal(launcher.ended, 1);
  await assert.rejects(fit(model, data, { epochs: 1, batchSize: 1, seed: 1, replicas: launcher }), (e: unknown) => e instanceof UserError && /at least 2 examples/.test(e.message));
  model.dispose();
  const counting = createModel('markov', {}, info);
  await assert.rejects(fit(counting, data, { epochs: 1, batchSize: 4, seed: 1, replicas: launcher }), (e: unknown) => e instanceof UserError && /fit by counting/.test(e.message));
  counting.dispose();
});
