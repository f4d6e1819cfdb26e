/**
 * The thread of one worker replica (started by ./replicas.ts): its own engine, a model rebuilt
 * from replica 0's name, config and weights, a trainer with replica 0's optimizer settings and
 * state; then it trains in lockstep with replica 0 (serveReplica) until the run ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createModel } from '../models/registry.js';
import { ReplicasStopped, serveReplica } from '../train/parallel.js';
import { Trainer } from '../train/trainer.js';
import { initNodeBackend } from './engine.js';
import type { ReplicaWorkerData } from './replicas.js';

const { rank, init, data, backend } = workerData as ReplicaWorkerData;
let started = false;
try {
  await initNodeBackend(backend);
  const model = createModel(init.model.name, init.model.config, data);
  model.setWeights(init.weights);
  const trainer = new Trainer(model, init.trainerOptions);
  trainer.setOptimizerState(init.optimizerState);
  parentPort!.postMessage({ ready: true });
  started = true;
  await serveReplica(trainer, init.buffers, rank, init.seed);
  trainer.dispose();
  model.dispose();
} catch (e) {
  // After the start, serveReplica has already told every replica (or was told: nothing to add).
  if (!started) parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
  else if (!(e instanceof ReplicasStopped)) throw e;
}
