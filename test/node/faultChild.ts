/**
 * The process faults.test.ts kills: a tiny NADE trained by `fit` on 24 random 6-bit examples into a
 * run folder (FileRunStorage: the CLI's storage), checkpointed every 2 steps and at epoch ends,
 * resumed from the newest checkpoint when the run has one. Not the whole CLI, so that a child
 * starts in a fraction of a second.
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
import { FileRunStorage } from '../../src/node/storage.js';
import { fit } from '../../src/train/fit.js';
import type { RunStorage } from '../../src/train/storage.js';

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
  /** Checkpoint every 2 steps (the child does; the reference runs checkpoint only at epoch ends). */
  save: boolean;
  /** Resume without the optimizer state (the control that shows a comparison can fail). */
  dropOptimizerState?: boolean;
  /** Called after every step with the model's weights (reference runs). */
  onStep?: (step: number, weights: NamedArray[]) => void;
  /** Called once the first step is done (tfjs has warmed up): from here on a step takes milliseconds. */
  onWarm?: () => void;
}

/** Trains the tiny run in `runDir` to `epochs`, resuming from its newest checkpoint; returns the final weights. */
export async function runTiny(runDir: string, epochs: number, opts: TinyRunOptions): Promise<NamedArray[]> {
  const model = createModel('nade', { hidden: 4 }, INFO);
  const files = new FileRunStorage(runDir, model, INFO, BACKEND);
  const storage: RunStorage = opts.dropOptimizerState
    ? Object.assign(Object.create(files) as FileRunStorage, { load: async () => files.load().then((c) => c && { ...c, optimizer: [] }) })
    : files;
  let warm = false;
  await fit(model, tinyData(), { epochs, ...OPTIONS, storage, checkpoint: opts.save ? { everySteps: 2 } : {} }, {
    onStep: ({ step }) => {
      if (!warm) opts.onWarm?.();
      warm = true;
      opts.onStep?.(step, model.getWeights());
    },
  });
  const weights = model.getWeights();
  model.dispose();
  return weights;
}

if (process.argv[2] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await useBackend();
  await runTiny(process.argv[2], Number(process.argv[3]), { save: true, onWarm: () => process.stdout.write('training\n') });
}
