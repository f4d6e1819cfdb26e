/**
 * A run folder as `fit`'s storage: checkpoints under checkpoints/ (./checkpoint.ts), the metrics
 * log metrics.jsonl (./run.ts), sample grids as PNGs under samples/.
 */
import * as path from 'node:path';
import type { ValueKind } from '../data/dataset.js';
import type { GenerativeModel, NamedArray } from '../models/model.js';
import type { DataInfo } from '../models/registry.js';
import type { MetricsRecord, RunStorage, TrainingCheckpoint } from '../train/storage.js';
import { writeSampleGrid } from '../cli/common.js';
import { loadLatestCheckpoint, saveCheckpoint } from './checkpoint.js';
import { MetricsLog } from './run.js';

/** Optimizer state and the EMA shadow share the checkpoint's training-state file, told apart by prefix. */
const OPTIMIZER_PREFIX = 'optimizer/';
const EMA_PREFIX = 'ema/';

export class FileRunStorage implements RunStorage {
  private readonly metrics: MetricsLog;

  constructor(
    readonly runDir: string,
    private readonly model: GenerativeModel,
    private readonly data: DataInfo & { kind: ValueKind },
    private readonly backend: string,
    /** Told about checkpoints that were skipped as damaged while loading. */
    private readonly warn: (line: string) => void = () => {},
  ) {
    this.metrics = new MetricsLog(runDir);
  }

  async load(): Promise<TrainingCheckpoint | null> {
    const ckpt = loadLatestCheckpoint(this.runDir);
    if (!ckpt) return null;
    return { state: ckpt.manifest.train, weights: ckpt.weights, ...splitTrainingState(ckpt.optimizer) };
  }

  async save(checkpoint: TrainingCheckpoint): Promise<void> {
    const training = [...prefixed(OPTIMIZER_PREFIX, checkpoint.optimizer), ...prefixed(EMA_PREFIX, checkpoint.ema)];
    saveCheckpoint(this.runDir, this.model, this.data, checkpoint.state, this.backend, training);
  }

  async log(record: MetricsRecord): Promise<void> {
    this.metrics.append(record);
  }

  async forgetAfter(step: number): Promise<void> {
    this.metrics.forgetAfter(step);
  }

  async saveSamples(samples: Float32Array, count: number, at: { epoch: number; step: number; withinEpoch: boolean }): Promise<void> {
    const name = at.withinEpoch ? `step-${String(at.step).padStart(8, '0')}.png` : `epoch-${String(at.epoch).padStart(3, '0')}.png`;
    writeSampleGrid(path.join(this.runDir, 'samples', name), samples, count, this.data.shape, this.data.kind);
  }
}

function prefixed(prefix: string, arrays: NamedArray[]): NamedArray[] {
  return arrays.map((a) => ({ ...a, name: prefix + a.name }));
}

/** The optimizer state and EMA shadow stored with a checkpoint's weights. */
export function splitTrainingState(arrays: NamedArray[]): { optimizer: NamedArray[]; ema: NamedArray[] } {
  const strip = (prefix: string) => arrays.filter((a) => a.name.startsWith(prefix)).map((a) => ({ ...a, name: a.name.slice(prefix.length) }));
  return { optimizer: strip(OPTIMIZER_PREFIX), ema: strip(EMA_PREFIX) };
}
