/**
 * Data-parallel replicas as Web Workers, the studio's counterpart of src/node/replicas.ts: the
 * training worker (replica 0; Atomics.wait is not allowed on a page's main thread) starts
 * `replicas - 1` workers running ./replicaWorker.ts, each with its own TensorFlow.js and its own
 * copy of the model; genlab's exchange (src/train/parallel.ts) does the rest through
 * SharedArrayBuffers, which a page only has when it is cross-origin isolated (served with
 * COOP: same-origin and COEP: require-corp, as web/vite.config.ts does).
 */
import type { DataInfo, ReplicaInit, ReplicaLauncher } from '../../src/index.js';

/** What ./replicaWorker.ts receives in its first message. */
export interface ReplicaStart {
  rank: number;
  init: ReplicaInit;
  data: DataInfo;
  backend: string;
}

export type ReplicaReply = { ready: true } | { ready: false; error: string };

/** Whether this context can share memory with workers (data-parallel training needs it). */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * A launcher of `replicas - 1` Web Workers beside this one, for fit's `replicas` option;
 * `onStarted` hears when every replica has built its model (the run then trains on all of them).
 */
export function webWorkerReplicas(replicas: number, setup: { data: DataInfo; backend: string }, onStarted?: () => void): ReplicaLauncher {
  return {
    replicas,
    async start(init) {
      if (!canShareMemory()) throw new Error('data-parallel workers need a cross-origin-isolated page (served with COOP / COEP headers)');
      const workers: Worker[] = [];
      const end = async (): Promise<void> => workers.forEach((w) => w.terminate());
      try {
        for (let rank = 1; rank < replicas; rank++) {
          const worker = new Worker(new URL('./replicaWorker.ts', import.meta.url), { type: 'module' });
          workers.push(worker);
          const start: ReplicaStart = { rank, init, ...setup };
          worker.postMessage(start);
        }
        await Promise.all(workers.map((worker, i) => ready(worker, i + 1)));
      } catch (e) {
        await end();
        throw e;
      }
      onStarted?.();
      return end;
    },
  };
}

/** Resolves when the worker has built its replica; rejects with its reason if it fails first. */
function ready(worker: Worker, rank: number): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<ReplicaReply>) => (e.data.ready ? resolve() : reject(new Error(`replica ${rank} failed to start: ${e.data.error}`)));
    worker.onerror = (e) => reject(new Error(`replica ${rank} failed to start: ${e.message}`));
  });
}
