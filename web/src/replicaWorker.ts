/**
 * One worker replica of a data-parallel run in the studio (started by ./replicas.ts), as
 * src/node/replicaWorker.ts is in Node: its own engine, a model rebuilt from replica 0's name,
 * config and weights, a trainer with replica 0's optimizer settings and state; then it trains in
 * lockstep with replica 0 (serveReplica) until the run ends or the page terminates it.
 */
import { createModel, ReplicasStopped, serveReplica, Trainer } from '../../src/index.js';
import { startEngine } from './engine.js';
import type { ReplicaReply, ReplicaStart } from './replicas.js';

const scope = self as unknown as { postMessage(message: ReplicaReply): void; onmessage: ((e: MessageEvent<ReplicaStart>) => void) | null };

scope.onmessage = (e) => {
  scope.onmessage = null;
  void serve(e.data);
};

async function serve({ rank, init, data, backend }: ReplicaStart): Promise<void> {
  let started = false;
  try {
    await startEngine(backend);
    const model = createModel(init.model.name, init.model.config, data);
    model.setWeights(init.weights);
    const trainer = new Trainer(model, init.trainerOptions);
    trainer.setOptimizerState(init.optimizerState);
    scope.postMessage({ ready: true });
    started = true;
    await serveReplica(trainer, init.buffers, rank, init.seed);
    trainer.dispose();
    model.dispose();
  } catch (e) {
    // After the start, serveReplica has already told every replica (or was told: nothing to add).
    if (!started) scope.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) });
    else if (!(e instanceof ReplicasStopped)) throw e;
  }
}
