/**
 * Data-parallel replicas as Node worker threads (`genlab train --workers N`): each worker runs
 * ./replicaWorker.ts, with its own TensorFlow.js (wasm runs one thread per process: a second core
 * needs a second thread with its own engine), its own copy of the model and its own optimizers.
 * The exchange itself is browser-safe and lives in ../train/parallel.ts.
 */
import { Worker } from 'node:worker_threads';
import type { DataInfo } from '../models/registry.js';
import type { ReplicaInit, ReplicaLauncher } from '../train/parallel.js';

/** What ./replicaWorker.ts receives as its workerData. */
export interface ReplicaWorkerData {
  rank: number;
  init: ReplicaInit;
  /** The data the model was built for (`createModel` needs it beside the config). */
  data: DataInfo;
  /** The backend replica 0 runs on. */
  backend: string;
}

/** A launcher of `replicas - 1` worker threads beside this one, for fit's `replicas` option. */
export function workerReplicas(replicas: number, setup: { data: DataInfo; backend: string }): ReplicaLauncher {
  return {
    replicas,
    async start(init) {
      const workers: Worker[] = [];
      const end = async () => {
        await Promise.all(workers.map((w) => w.terminate()));
      };
      try {
        for (let rank = 1; rank < replicas; rank++) {
          const workerData: ReplicaWorkerData = { rank, init, ...setup };
          const worker = new Worker(new URL('./replicaWorker.js', import.meta.url), { workerData });
          // Always listened to: an 'error' event nobody hears would end the process. A worker that
          // fails while training says why through the shared memory (ReplicasStopped in replica 0).
          worker.on('error', () => {});
          workers.push(worker);
        }
        await Promise.all(workers.map((worker, i) => ready(worker, i + 1)));
      } catch (e) {
        await end();
        throw e;
      }
      // Replica 0 blocks on them whenever it needs them; they must never keep a finished process alive.
      for (const worker of workers) worker.unref();
      return end;
    },
  };
}

/** Resolves when the worker has built its replica; rejects with its reason if it fails first. */
function ready(worker: Worker, rank: number): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once('message', (message: { ready?: boolean; error?: string }) => {
      if (message.ready) resolve();
      else reject(new Error(`replica ${rank} failed to start: ${message.error}`));
    });
    worker.once('error', (e) => reject(new Error(`replica ${rank} failed to start: ${e.message}`)));
    worker.once('exit', (code) => reject(new Error(`replica ${rank} exited (code ${code}) before it was ready`)));
  });
}
