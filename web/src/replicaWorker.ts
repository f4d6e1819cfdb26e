/**
 * One worker replica of a data-parallel run in the studio (started by ./replicas.ts), as
 * src/node/replicaWorker.ts is in Node: its own engine, then the replica itself (runWorkerReplica:
 * the model rebuilt from replica 0's, trained in lockstep with it until the run ends or the page
 * terminates the worker).
 */
import { createModel, runWorkerReplica } from '../../src/index.js';
import { startEngine } from './engine.js';
import type { ReplicaReply, ReplicaStart } from './replicas.js';

const scope = self as unknown as { postMessage(message: ReplicaReply): void; onmessage: ((e: MessageEvent<ReplicaStart>) => void) | null };

scope.onmessage = (e) => {
  scope.onmessage = null;
  void serve(e.data);
};

async function serve({ rank, init, data, backend }: ReplicaStart): Promise<void> {
  const failed = (error: string): void => scope.postMessage({ ready: false, error });
  try {
    await startEngine(backend);
  } catch (e) {
    failed(e instanceof Error ? e.message : String(e));
    return;
  }
  await runWorkerReplica(rank, init, (model) => createModel(model.name, model.config, data), { ready: () => scope.postMessage({ ready: true }), failed });
}
