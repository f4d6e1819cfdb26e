/**
 * A run folder as `fit`'s storage: checkpoints under checkpoints/ (./checkpoint.ts: the weights,
 * the optimizer state and the EMA shadow as three parts), the metrics log metrics.jsonl (./run.ts),
 * sample grids as PNGs under samples/.
 */
import * as path from 'node:path';
import type { ValueKind } from '../data/dataset.js';
import type { GenerativeModel } from '../models/model.js';
import type { DataInfo } from '../models/registry.js';
import type { MetricsRecord, RunStorage, TrainingCheckpoint } from '../train/storage.js';
import { checkpointParts, emaWeights } from '../io/checkpoint.js';
import { loadLatestCheckpoint, saveCheckpoint } from './checkpoint.js';
import { writeSampleGrid } from './pictures.js';
import { MetricsLog } from './run.js';

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
    const ckpt = loadLatestCheckpoint(this.runDir, { warn: this.warn });
    if (!ckpt) return null;
    return { state: ckpt.manifest.train, weights: ckpt.weights, optimizer: ckpt.optimizer, ema: emaWeights(ckpt) };
  }

  async save(checkpoint: TrainingCheckpoint): Promise<void> {
    const info = { model: { name: this.model.name, config: this.model.getConfig() }, data: this.data, train: checkpoint.state, backend: this.backend };
    saveCheckpoint(this.runDir, info, checkpointParts(checkpoint));
  }

  async log(record: MetricsRecord): Promise<void> {
    this.metrics.append(record);
  }

  async forgetAfter(step: number): Promise<void> {
    this.metrics.dropAfter(step);
  }

  async saveSamples(samples: Float32Array, count: number, at: { epoch: number; step: number; withinEpoch: boolean }): Promise<void> {
    const name = at.withinEpoch ? `step-${String(at.step).padStart(8, '0')}.png` : `epoch-${String(at.epoch).padStart(3, '0')}.png`;
    writeSampleGrid(path.join(this.runDir, 'samples', name), samples, count, this.data.shape, this.data.kind);
  }
}
