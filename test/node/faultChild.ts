/**
 * The process faults.test.ts kills: a tiny NADE trained on 24 random 6-bit examples, checkpointed
 * every 2 steps (and at the end) through saveCheckpoint's generic parts, resumed from the newest
 * checkpoint when the run has one. Deliberately not the CLI, whose flags are changing.
 *
 *   node dist/test/node/faultChild.js RUN_DIR EPOCHS   prints "training" after its first step
 *
 * Run without arguments (the test runner treats every file under test/ as a test) it does nothing.
 */
import { pathToFileURL } from 'node:url';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { NamedArray } from '../../src/models/model.js';
import { createModel } from '../../src/models/registry.js';
import { loadLatestCheckpoint, saveCheckpoint } from '../../src/node/checkpoint.js';
import { createOptimizers, getOptimizerState, setOptimizerState } from '../../src/train/optimizers.js';
import { train, type TrainState } from '../../src/train/trainer.js';

export const BACKEND = 'cpu';

/** The same backend in the children and the test's reference runs, so their weights compare bit for bit. */
export async function useBackend(): Promise<void> {
  await initBackend(BACKEND);
}
const D = 6;
const INFO = { shape: [D], kind: 'binary' as const };
const OPTIONS = { batchSize: 8, learningRate: 0.05, seed: 3 };

function tinyData(): Dataset {
  const rng = new Rng(7);
  const n = 24;
  return { name: 'random-bits', x: Float32Array.from({ length: n * D }, () => rng.int(2)), n, shape: [D], kind: 'binary' };
}

export interface TinyRunOptions {
  /** Write checkpoints into the run folder (the child does; the test's reference runs do not). */
  save: boolean;
  /** Resume without the optimizer state (the control that shows a comparison can fail). */
  dropOptimizerState?: boolean;
  /** Called after every even step with the model's weights (reference runs). */
  onEvenStep?: (step: number, weights: NamedArray[]) => void;
  /** Called once the first step is done (tfjs has warmed up): from here on a step takes milliseconds. */
  onWarm?: () => void;
}

/** Trains the tiny run in `runDir` to `epochs`, resuming from its newest checkpoint; returns the final weights. */
export async function runTiny(runDir: string, epochs: number, opts: TinyRunOptions): Promise<NamedArray[]> {
  const ckpt = loadLatestCheckpoint(runDir);
  const model = createModel('nade', ckpt?.manifest.model.config ?? { hidden: 4 }, INFO);
  if (ckpt) model.setWeights(ckpt.weights);
  const optimizers = createOptimizers(model, OPTIONS.learningRate);
  if (ckpt && !opts.dropOptimizerState) await setOptimizerState(optimizers, ckpt.optimizer);
  const checkpoint = async (state: TrainState) =>
    saveCheckpoint(
      runDir,
      { model: { name: model.name, config: model.getConfig() }, data: INFO, train: state, backend: BACKEND },
      { 'weights.bin': model.getWeights(), 'optimizer.bin': await getOptimizerState(optimizers) },
    );
  let warm = false;
  const result = await train(
    model,
    tinyData(),
    { epochs, ...OPTIONS, optimizers },
    {
      onBatchEnd: async ({ step, state }) => {
        if (!warm) opts.onWarm?.();
        warm = true;
        if (step % 2 !== 0) return;
        opts.onEvenStep?.(step, model.getWeights());
        if (opts.save) await checkpoint(state);
      },
    },
    ckpt?.manifest.train,
  );
  if (opts.save) await checkpoint(result.state);
  const weights = model.getWeights();
  model.dispose();
  return weights;
}

if (process.argv[2] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await useBackend();
  await runTiny(process.argv[2], Number(process.argv[3]), { save: true, onWarm: () => process.stdout.write('training\n') });
}
