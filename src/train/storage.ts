/**
 * Where `fit` keeps a run: checkpoints (the whole training state), the metrics log and sample
 * grids. Files on disk in Node (src/node/storage.ts); memory here, for tests, scripts and the
 * browser until it has IndexedDB.
 */
import type { NamedArray } from '../models/model.js';
import type { TrainState } from './fit.js';

/** Everything needed to continue a run exactly: weights, optimizer state, EMA shadow, loop position and RNG streams. */
export interface TrainingCheckpoint {
  state: TrainState;
  weights: NamedArray[];
  /** By group and variable name (see Trainer.getOptimizerState). */
  optimizer: NamedArray[];
  /** The EMA shadow weights by name; empty without EMA. */
  ema: NamedArray[];
}

/** One line of the metrics log: an event ('start', 'batch', 'epoch', 'resume', ...) at a step. */
export type MetricsRecord = { event: string; step: number } & Record<string, unknown>;

export interface RunStorage {
  /** The newest intact checkpoint, or null for a new run. */
  load(): Promise<TrainingCheckpoint | null>;
  save(checkpoint: TrainingCheckpoint): Promise<void>;
  log(record: MetricsRecord): Promise<void>;
  /** On resume: drop the records of steps after `step`, which the resumed run will log again. */
  forgetAfter(step: number): Promise<void>;
  /** A grid of `count` samples drawn at the end of `epoch` (or at `step` within one). */
  saveSamples?(samples: Float32Array, count: number, at: { epoch: number; step: number; withinEpoch: boolean }): Promise<void>;
}

/** A run kept in memory: checkpoints are deep copies, so later training cannot change them. */
export class MemoryStorage implements RunStorage {
  readonly checkpoints: TrainingCheckpoint[] = [];
  records: MetricsRecord[] = [];
  readonly samples: { samples: Float32Array; count: number; epoch: number; step: number }[] = [];

  async load(): Promise<TrainingCheckpoint | null> {
    const last = this.checkpoints.at(-1);
    return last ? structuredClone(last) : null;
  }

  async save(checkpoint: TrainingCheckpoint): Promise<void> {
    this.checkpoints.push(structuredClone(checkpoint));
  }

  async log(record: MetricsRecord): Promise<void> {
    this.records.push(structuredClone(record));
  }

  async forgetAfter(step: number): Promise<void> {
    this.records = this.records.filter((r) => r.step <= step);
  }

  async saveSamples(samples: Float32Array, count: number, at: { epoch: number; step: number }): Promise<void> {
    this.samples.push({ samples: samples.slice(), count, epoch: at.epoch, step: at.step });
  }
}
