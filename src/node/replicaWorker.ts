/**
 * The thread of one worker replica (started by ./replicas.ts): its own engine, then the replica
 * itself (runWorkerReplica: the model rebuilt from replica 0's, trained in lockstep with it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createModel } from '../models/registry.js';
import { runWorkerReplica } from '../train/parallel.js';
import { initNodeBackend } from './engine.js';
import type { ReplicaWorkerData } from './replicas.js';

const { rank, init, data, backend } = workerData as ReplicaWorkerData;
const failed = (error: string): void => parentPort!.postMessage({ error });
let engine = true;
try {
  await initNodeBackend(backend);
} catch (e) {
  engine = false;
  failed(e instanceof Error ? e.message : String(e));
}
if (engine) await runWorkerReplica(rank, init, (model) => createModel(model.name, model.config, data), { ready: () => parentPort!.postMessage({ ready: true }), failed });
