/**
 * `fit`: one run policy for every model, in the browser-safe core. It shuffles and batches, lets
 * the Trainer update (./trainer.ts), applies the learning-rate schedule, logs named terms, scores a
 * budget of held-out examples and draws samples at epoch ends, and checkpoints through a
 * RunStorage (./storage.ts) at epoch ends, every N steps and every M minutes. The CLI's `train` is a
 * thin layer over it; a browser page gives it an in-memory or IndexedDB storage.
 *
 * Reproducibility: two random streams. `dataRng` only shuffles; its state at the start of each
 * epoch is kept, so a run resumed mid-epoch rebuilds the same permutation and skips the batches
 * done. `noiseRng` feeds everything else (dynamic binarization, model noise) and is saved as it
 * stands. A run stopped and resumed from any checkpoint ends with the same weights, bit for bit, as
 * one that was never stopped.
 *
 * With `replicas`, each step is taken by data-parallel replicas (./parallel.ts) on shards of the
 * batch; this thread stays replica 0, so everything above holds unchanged (worker noise is a
 * function of the seed and the step, so resumed runs stay exact).
 */
import { check, UserError } from '../core/errors.js';
import { Rng, type RngState } from '../core/rng.js';
import { exampleSize, head, type Dataset } from '../data/dataset.js';
import { evaluateSplit } from '../eval/likelihood.js';
import { hasBound, hasDensity, type DensityKind } from '../models/capabilities.js';
import type { Batch, GenerativeModel, StepMetrics } from '../models/model.js';
import { usingShadow } from './ema.js';
import type { OptimizerSettings } from './optimizers.js';
import { startDataParallel, type DataParallel, type ReplicaLauncher } from './parallel.js';
import { learningRateFactor, type LearningRateDecay } from './schedule.js';
import type { RunStorage } from './storage.js';
import { Trainer } from './trainer.js';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Seeds the data order and the training noise (the weights' seed is the model's config). */
  seed: number;
  /** The run's step size (shorthand for optimizer.learningRate; default 1e-3). */
  learningRate?: number;
  /** The run's optimizer: Adam (default), SGD with momentum or RMSProp, and their settings. */
  optimizer?: Partial<OptimizerSettings>;
  /** Per-group optimizer overrides by group name. */
  groups?: Record<string, Partial<OptimizerSettings>>;
  /** How the step size falls over the run (default constant; ./schedule.ts). */
  learningRateDecay?: LearningRateDecay;
  /** Linear warm-up of the step size over this many steps (default 0). */
  warmupSteps?: number;
  /** Clip each update's gradients to this global norm. */
  clipNorm?: number;
  /** EMA decay of the weights (e.g. 0.999); samples and evaluations use the shadow. */
  ema?: number;
  /** Applied to every batch before the step (e.g. dynamic binarization), with the noise stream. */
  transformBatch?: (batch: Batch, rng: Rng) => Batch;
  /** Held-out data scored after every epoch: at most `examples` of them (default 2000; 0: none). */
  evaluation?: { data: Dataset; examples?: number; seed?: number };
  /** Sample grids: `count` samples at every epoch end, and every `everySteps` steps if set. */
  samples?: { count: number; seed?: number; everySteps?: number };
  /** Checkpoints besides those at epoch ends (needs `storage`). */
  checkpoint?: { everySteps?: number; everyMinutes?: number };
  /** A 'batch' metrics record every this many steps (default 100). */
  logEverySteps?: number;
  /** Where checkpoints, metrics and samples go; a run with a checkpoint there resumes from it. */
  storage?: RunStorage;
  /**
   * Data-parallel replicas (./parallel.ts; in Node `workerReplicas` of genlab/node): every batch is
   * split across them. This thread is replica 0 and keeps the model, checkpoints, EMA and samples.
   * Absent, or one replica: this thread alone.
   */
  replicas?: ReplicaLauncher;
}

/** Everything about the loop's position needed to continue a run exactly where it stopped. */
export interface TrainState {
  /** Epochs fully completed. */
  epoch: number;
  /** Batches drawn within the current epoch (ctx.nextBatch() draws count too). */
  batchInEpoch: number;
  /** Training steps so far. */
  step: number;
  dataRngAtEpochStart: RngState;
  noiseRng: RngState;
  /** Running sums of the current epoch's metrics (weighted by batch size), to report whole-epoch means. */
  epochSums: Record<string, number>;
  epochExamples: number;
}

export interface StepInfo {
  epoch: number;
  /** Batches drawn so far in this epoch, of `batchesPerEpoch`. */
  batch: number;
  batchesPerEpoch: number;
  step: number;
  metrics: StepMetrics;
  /** The step size factor of the schedule at this step. */
  learningRateFactor: number;
}

export interface EpochInfo {
  /** 1-based number of the epoch just completed. */
  epoch: number;
  step: number;
  /** Means of the step metrics over the epoch's examples. */
  metrics: Record<string, number>;
  /** Held-out figures (testNll, testBitsPerDim or testElbo, testKl, and testExamples), when evaluated. */
  evaluation?: Record<string, number>;
}

export interface FitCallbacks {
  /** A run resumed from storage; `notes` say what in the checkpoint did not match the model. */
  onResume?(info: { state: TrainState; notes: string[] }): void | Promise<void>;
  onStep?(info: StepInfo): void | Promise<void>;
  onEpoch?(info: EpochInfo): void | Promise<void>;
  onCheckpoint?(info: { step: number; epoch: number }): void | Promise<void>;
  /** Polled after every step: true stops the run cleanly after a checkpoint (Ctrl-C, a pause button). */
  shouldStop?(): boolean;
}

export interface FitResult {
  state: TrainState;
  /** `shouldStop` ended the run before its last epoch. */
  stopped: boolean;
  /** The storage held a run that had already done every epoch: nothing was trained. */
  alreadyComplete: boolean;
  /** The last epoch's held-out figures, if any. */
  evaluation?: Record<string, number>;
  /**
   * What those figures are: 'exact' (testNll is the exact NLL), 'bound' (testElbo, a lower bound on
   * log p(x), for models with a bound; or testNll of a model scored on dequantized data, an upper
   * bound on the NLL of the 8-bit data), 'estimate' (testNll estimated). Absent without evaluation.
   */
  evaluationKind?: DensityKind;
}

/** A run's loss or weights stopped being finite (too large a step size, usually). */
export class TrainingDiverged extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDiverged';
  }
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

export async function fit(model: GenerativeModel, data: Dataset, options: FitOptions, callbacks: FitCallbacks = {}): Promise<FitResult> {
  const { epochs, batchSize, storage } = options;
  check(Number.isInteger(epochs) && epochs >= 1, `epochs must be an integer >= 1, got ${epochs}`);
  check(Number.isInteger(batchSize) && batchSize >= 1, `batch size must be an integer >= 1, got ${batchSize}`);
  check(data.n > 0, `the training data '${data.name}' is empty`);
  const trainer = new Trainer(model, {
    optimizer: { ...options.optimizer, ...(options.learningRate !== undefined && { learningRate: options.learningRate }) },
    groups: options.groups,
    clipNorm: options.clipNorm,
    ema: options.ema,
  });
  let parallel: DataParallel | undefined;
  try {
    // 1. A new run, or the newest checkpoint in storage.
    let state: TrainState;
    const saved = await storage?.load();
    if (saved) {
      model.setWeights(saved.weights);
      const notes = trainer.setOptimizerState(saved.optimizer);
      if (trainer.ema && saved.ema.length) trainer.ema.setWeights(saved.ema);
      else if (trainer.ema) notes.push('the checkpoint has no EMA weights: the shadow starts from the current weights');
      state = structuredClone(saved.state);
      await storage!.forgetAfter(state.step);
      await callbacks.onResume?.({ state, notes });
      if (state.epoch >= epochs) return { state, stopped: false, alreadyComplete: true };
    } else {
      state = initialTrainState(options.seed);
      model.beginTraining?.(data, new Rng(options.seed));
    }
    // 2. The worker replicas start as copies of the model as it now stands (resumed or begun).
    if (options.replicas && options.replicas.replicas > 1) parallel = await startDataParallel(options.replicas, trainer, model, { batchSize, seed: options.seed });
    const loop = new Loop(model, data, options, callbacks, trainer, parallel ?? trainer, state);
    return await loop.run();
  } finally {
    await parallel?.dispose();
    trainer.dispose();
  }
}

/** The epoch loop of one `fit` call. */
class Loop {
  private readonly D: number;
  private readonly batchesPerEpoch: number;
  private readonly totalSteps: number;
  private readonly noiseRng: Rng;
  private readonly evalSet?: Dataset;
  private lastCheckpointTime = Date.now();
  private lastCheckpointStep = -1;
  private evaluation?: Record<string, number>;
  private evaluationKind?: DensityKind;

  constructor(
    private readonly model: GenerativeModel,
    private readonly data: Dataset,
    private readonly options: FitOptions,
    private readonly callbacks: FitCallbacks,
    private readonly trainer: Trainer,
    /** What takes the steps: the trainer, or the data-parallel replicas around it. */
    private readonly stepper: Pick<Trainer, 'step' | 'scaleLearningRates'>,
    private readonly state: TrainState,
  ) {
    this.D = exampleSize(data);
    this.batchesPerEpoch = Math.ceil(data.n / options.batchSize);
    this.totalSteps = options.epochs * this.batchesPerEpoch;
    this.noiseRng = new Rng(state.noiseRng);
    const examples = options.evaluation?.examples ?? 2000;
    if (options.evaluation && examples > 0) this.evalSet = head(options.evaluation.data, examples);
  }

  async run(): Promise<FitResult> {
    const { state, options, callbacks } = this;
    let lastYield = Date.now();
    while (state.epoch < options.epochs) {
      const dataRng = new Rng(state.dataRngAtEpochStart);
      const permutation = dataRng.permutation(this.data.n);
      // Batches come from the epoch's permutation in order; a step may draw more than one
      // (ctx.nextBatch), wrapping around the permutation if the epoch runs out.
      const draw = (): Batch => this.gather(permutation, state.batchInEpoch++ % this.batchesPerEpoch);
      while (state.batchInEpoch < this.batchesPerEpoch) {
        // 1. One step at the schedule's step size (a function of the step, so a resumed run continues it).
        const batch = draw();
        const factor = learningRateFactor({ decay: options.learningRateDecay, warmupSteps: options.warmupSteps }, state.step, this.totalSteps);
        this.stepper.scaleLearningRates(factor);
        const metrics = await this.stepper.step(batch, { rng: this.noiseRng, step: state.step, epoch: state.epoch, nextBatch: draw });
        if (!Number.isFinite(metrics.loss)) this.diverged(`the loss is ${metrics.loss} at step ${state.step + 1}`);

        // 2. Book-keeping; from here the state is safe to checkpoint.
        for (const [k, v] of Object.entries(metrics)) state.epochSums[k] = (state.epochSums[k] ?? 0) + v * batch.n;
        state.epochExamples += batch.n;
        state.step++;
        state.noiseRng = this.noiseRng.getState();
        const endOfEpoch = state.batchInEpoch >= this.batchesPerEpoch;
        if (state.step % (options.logEverySteps ?? 100) === 0) await options.storage?.log({ event: 'batch', epoch: state.epoch + 1, step: state.step, ...metrics });
        await callbacks.onStep?.({ epoch: state.epoch, batch: state.batchInEpoch, batchesPerEpoch: this.batchesPerEpoch, step: state.step, metrics, learningRateFactor: factor });
        const everySteps = options.samples?.everySteps;
        if (everySteps && state.step % everySteps === 0 && !endOfEpoch) await this.drawSamples(true);
        // The epoch's end writes its own checkpoint: a timed one on its last batch would be a twin.
        if (!endOfEpoch && this.checkpointDue()) await this.checkpoint();

        // Steps that resolve at once never give the event loop a turn: without this, Ctrl-C (a
        // signal event) and browser UI events would wait for the whole run.
        if (Date.now() - lastYield > 50) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          lastYield = Date.now();
        }
        if (callbacks.shouldStop?.() && !endOfEpoch) return this.stop();
      }

      // 3. The epoch's end: means, held-out figures, samples, a checkpoint.
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(state.epochSums)) metrics[k] = v / state.epochExamples;
      Object.assign(state, { epoch: state.epoch + 1, batchInEpoch: 0, epochSums: {}, epochExamples: 0, dataRngAtEpochStart: dataRng.getState() });
      const evaluation = await this.evaluate();
      await this.drawSamples(false);
      await options.storage?.log({ event: 'epoch', epoch: state.epoch, step: state.step, ...metrics, ...evaluation });
      await this.checkpoint();
      await callbacks.onEpoch?.({ epoch: state.epoch, step: state.step, metrics, evaluation });
      if (callbacks.shouldStop?.() && state.epoch < options.epochs) return this.stop();
    }
    return { state, stopped: false, alreadyComplete: false, evaluation: this.evaluation, evaluationKind: this.evaluationKind };
  }

  /** Batch `b` of the permutation, transformed (dynamic binarization) with the noise stream. */
  private gather(permutation: Int32Array, b: number): Batch {
    const { data, D } = this;
    const start = b * this.options.batchSize;
    const n = Math.min(this.options.batchSize, data.n - start);
    const x = new Float32Array(n * D);
    const labels = data.labels ? new Int32Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      const j = permutation[start + i];
      x.set(data.x.subarray(j * D, (j + 1) * D), i * D);
      if (labels) labels[i] = data.labels![j];
    }
    const batch: Batch = { x, n, labels };
    return this.options.transformBatch ? this.options.transformBatch(batch, this.noiseRng) : batch;
  }

  private checkpointDue(): boolean {
    const { everySteps, everyMinutes } = this.options.checkpoint ?? {};
    if (!this.options.storage) return false;
    if (everySteps && this.state.step % everySteps === 0) return true;
    return Boolean(everyMinutes && Date.now() - this.lastCheckpointTime > everyMinutes * 60_000);
  }

  private async checkpoint(): Promise<void> {
    const { storage } = this.options;
    if (!storage || this.lastCheckpointStep === this.state.step) return;
    const weights = this.model.getWeights();
    const bad = weights.find((w) => w.data.some((v) => !Number.isFinite(v)));
    if (bad) this.diverged(`weight '${bad.name}' holds a non-finite value at step ${this.state.step}`);
    await storage.save({
      state: structuredClone(this.state),
      weights,
      optimizer: this.trainer.getOptimizerState(),
      ema: this.trainer.ema?.getWeights() ?? [],
    });
    this.lastCheckpointTime = Date.now();
    this.lastCheckpointStep = this.state.step;
    await this.callbacks.onCheckpoint?.({ step: this.state.step, epoch: this.state.epoch });
  }

  private async stop(): Promise<FitResult> {
    await this.checkpoint();
    await this.options.storage?.log({ event: 'interrupted', step: this.state.step });
    return { state: this.state, stopped: true, alreadyComplete: false, evaluation: this.evaluation, evaluationKind: this.evaluationKind };
  }

  private diverged(what: string): never {
    const kept = this.lastCheckpointStep >= 0 ? `; the latest checkpoint (step ${this.lastCheckpointStep}) is the last finite one` : '';
    throw new TrainingDiverged(`training diverged: ${what}${kept}. Try a smaller learning rate (or --clip-norm)`);
  }

  /**
   * Held-out figures, with the EMA weights when there are any: a model with a bound reports it
   * (cheap: the IWAE estimate's thousands of samples per example are for `genlab eval`) and its
   * named terms; a model with a density its NLL.
   */
  private async evaluate(): Promise<Record<string, number> | undefined> {
    const { evalSet, model } = this;
    if (!evalSet || (!hasBound(model) && !hasDensity(model))) return undefined;
    const seed = this.options.evaluation?.seed ?? this.options.seed;
    this.evaluation = await usingShadow(model, this.trainer.ema?.getWeights(), async (): Promise<Record<string, number>> => {
      if (hasBound(model)) {
        const { bound } = await evaluateSplit(model, evalSet, { seed, logProb: false });
        const terms = Object.entries(bound!.terms).map(([name, value]) => [`test${name[0].toUpperCase()}${name.slice(1)}`, value]);
        this.evaluationKind = 'bound';
        return { testElbo: bound!.bound, ...Object.fromEntries(terms), testExamples: evalSet.n };
      }
      const report = (await evaluateSplit(model, evalSet, { seed, bound: false })).nll!;
      this.evaluationKind = report.kind;
      return { testNll: report.nll, testBitsPerDim: report.bitsPerDim, testExamples: report.n };
    });
    return this.evaluation;
  }

  private async drawSamples(withinEpoch: boolean): Promise<void> {
    const { samples, storage, seed } = this.options;
    if (!samples || samples.count <= 0 || !storage?.saveSamples) return;
    // The same noise every time, so grids of successive epochs differ only by training.
    const values = await usingShadow(this.model, this.trainer.ema?.getWeights(), () => this.model.sample(samples.count, new Rng(samples.seed ?? seed + 7919)));
    await storage.saveSamples(values, samples.count, { epoch: this.state.epoch, step: this.state.step, withinEpoch });
  }
}
