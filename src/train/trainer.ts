/**
 * One training loop for every model: shuffles, batches, calls `model.trainStep`, and reports through
 * hooks (logging, checkpoints, sample grids and progress live in the hooks, not here).
 *
 * Reproducibility: two random streams. `dataRng` only shuffles; its state at the start of each epoch
 * is kept, so a run resumed mid-epoch rebuilds the same permutation and skips the batches done.
 * `noiseRng` feeds everything else (dynamic binarization, model noise) and is saved as it stands.
 */
import { Rng, type RngState } from '../core/rng.js';
import { check } from '../core/errors.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import type { Batch, GenerativeModel, StepMetrics } from '../models/model.js';
import type { Optimizers } from './optimizers.js';
import { decayFactor, LearningRateScheduler, type LearningRateDecay } from './schedule.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Applied to every batch before the step (e.g. dynamic binarization), with the noise stream. */
  transformBatch?: (batch: Batch, rng: Rng) => Batch;
  /** The model's optimizers (see createOptimizers); the caller keeps them to checkpoint their state. */
  optimizers?: Optimizers;
  /** How the optimizers' step sizes fall over the run (default 'constant'; see ./schedule.ts). */
  learningRateDecay?: LearningRateDecay;
}

/** Everything needed to continue a run exactly where it stopped. */
export interface TrainState {
  /** Epochs fully completed. */
  epoch: number;
  /** Batches completed within the current (unfinished) epoch. */
  batchInEpoch: number;
  /** Optimisation steps so far. */
  step: number;
  dataRngAtEpochStart: RngState;
  noiseRng: RngState;
  /** Running sums of the current epoch's metrics (weighted by batch size), to report whole-epoch means. */
  epochSums: Record<string, number>;
  epochExamples: number;
}

export interface BatchEndInfo {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  metrics: StepMetrics;
  state: TrainState;
}

export interface EpochEndInfo {
  /** 1-based number of the epoch just completed. */
  epoch: number;
  /** Means over the epoch's examples. */
  metrics: Record<string, number>;
  state: TrainState;
}

export interface TrainHooks {
  onBatchEnd?(info: BatchEndInfo): Promise<void> | void;
  onEpochEnd?(info: EpochEndInfo): Promise<void> | void;
  /** Polled after every batch: true stops the loop cleanly (Ctrl-C), state intact for a checkpoint. */
  shouldStop?(): boolean;
}

export function initialTrainState(seed: number): TrainState {
  const root = new Rng(seed);
  return {
    epoch: 0,
    batchInEpoch: 0,
    step: 0,
    dataRngAtEpochStart: new Rng(root.seed()).getState(),
    noiseRng: new Rng(root.seed()).getState(),
    epochSums: {},
    epochExamples: 0,
  };
}

export interface TrainResult {
  state: TrainState;
  /** True when `shouldStop` ended the loop before the last epoch. */
  stopped: boolean;
}

export async function train(
  model: GenerativeModel,
  data: Dataset,
  options: TrainOptions,
  hooks: TrainHooks = {},
  resumeFrom?: TrainState,
): Promise<TrainResult> {
  check(Number.isInteger(options.epochs) && options.epochs >= 1, `epochs must be an integer >= 1, got ${options.epochs}`);
  check(
    Number.isInteger(options.batchSize) && options.batchSize >= 1,
    `batch size must be an integer >= 1, got ${options.batchSize}`,
  );
  check(data.n > 0, `the training data '${data.name}' is empty`);
  const state: TrainState = resumeFrom ? structuredClone(resumeFrom) : initialTrainState(options.seed);
  if (!resumeFrom) model.beginTraining?.(data, new Rng(options.seed));

  const D = exampleSize(data);
  const batchesPerEpoch = Math.ceil(data.n / options.batchSize);
  const noiseRng = new Rng(state.noiseRng);
  const scheduler = new LearningRateScheduler(options.optimizers ?? {});
  const totalSteps = options.epochs * batchesPerEpoch;
  const x = new Float32Array(options.batchSize * D);
  const labels = data.labels ? new Int32Array(options.batchSize) : undefined;
  let lastYield = Date.now();

  while (state.epoch < options.epochs) {
    const dataRng = new Rng(state.dataRngAtEpochStart);
    const permutation = dataRng.permutation(data.n);
    for (let b = state.batchInEpoch; b < batchesPerEpoch; b++) {
      // 1. Gather the batch in shuffled order.
      const start = b * options.batchSize;
      const n = Math.min(options.batchSize, data.n - start);
      for (let i = 0; i < n; i++) {
        const j = permutation[start + i];
        x.set(data.x.subarray(j * D, (j + 1) * D), i * D);
        if (labels) labels[i] = data.labels![j];
      }
      let batch: Batch = { x: x.subarray(0, n * D), n, labels: labels?.subarray(0, n) };
      if (options.transformBatch) batch = options.transformBatch(batch, noiseRng);

      // 2. One step, at the schedule's step size (a function of the step, so a resumed run continues it).
      const decay = decayFactor(options.learningRateDecay ?? 'constant', state.step / totalSteps);
      scheduler.scale(decay);
      const metrics = await model.trainStep(batch, {
        rng: noiseRng,
        step: state.step,
        epoch: state.epoch,
        learningRate: options.learningRate * decay,
        optimizers: options.optimizers ?? {},
      });

      // 3. Book-keeping, then hooks see a state that is safe to checkpoint.
      for (const [k, v] of Object.entries(metrics)) state.epochSums[k] = (state.epochSums[k] ?? 0) + v * n;
      state.epochExamples += n;
      state.step++;
      state.batchInEpoch = b + 1;
      state.noiseRng = noiseRng.getState();
      await hooks.onBatchEnd?.({ epoch: state.epoch, batch: b, batchesPerEpoch, step: state.step, metrics, state });
      // Steps that resolve at once never give the event loop a turn: without this, Ctrl-C (a signal
      // event) and browser UI events would wait for the whole run.
      if (Date.now() - lastYield > 50) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = Date.now();
      }
      if (hooks.shouldStop?.() && b + 1 < batchesPerEpoch) return { state, stopped: true };
    }
    const means: Record<string, number> = {};
    for (const [k, v] of Object.entries(state.epochSums)) means[k] = v / state.epochExamples;
    state.epoch++;
    state.batchInEpoch = 0;
    state.epochSums = {};
    state.epochExamples = 0;
    state.dataRngAtEpochStart = dataRng.getState();
    await hooks.onEpochEnd?.({ epoch: state.epoch, metrics: means, state });
    if (hooks.shouldStop?.() && state.epoch < options.epochs) return { state, stopped: true };
  }
  return { state, stopped: false };
}
