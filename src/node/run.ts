/**
 * Run folders: everything one training run leaves behind.
 *   config.json      what was asked for (model, data protocol, training options, backend)
 *   metrics.jsonl    one JSON object per logged step or epoch
 *   checkpoints/     see checkpoint.ts
 *   samples/         PNG sample grids written during training
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors.js';
import { prepareData, type PrepareOptions } from '../data/prepare.js';
import { Rng } from '../core/rng.js';
import type { DataSplits, ValueKind } from '../data/dataset.js';
import type { GenerativeModel } from '../models/model.js';
import { createModel, getEntry } from '../models/registry.js';
import { loadLatestCheckpoint, type Checkpoint } from './checkpoint.js';
import { loadDataSpec, type DataSpecOptions } from './data/spec.js';
import { writeFileAtomic } from './fsAtomic.js';
import type { LearningRateDecay } from '../train/schedule.js';
import type { OptimizerSettings } from '../train/optimizers.js';
import { withShadow } from '../train/ema.js';
import { splitTrainingState } from './storage.js';

export interface RunConfig {
  format: 'genlab-run';
  version: 1;
  command: string;
  createdAt: string;
  backend: string;
  model: { name: string; config: Record<string, unknown> };
  data: DataSpecOptions &
    PrepareOptions & {
      spec: string;
      /** Shape and value kind the model sees. */
      shape: number[];
      kind: ValueKind;
      trainExamples: number;
      testExamples: number;
      /** Column names of the features (CSV data with a header), for the header of sampled CSVs. */
      featureNames?: string[];
    };
  /**
   * Training options. Fields added later are absent from older runs, which ran without them:
   * learningRateDecay (constant), optimizer (Adam's defaults), warmupSteps, clipNorm, ema (none).
   */
  train: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    learningRateDecay?: LearningRateDecay;
    seed: number;
    optimizer?: Partial<Omit<OptimizerSettings, 'learningRate'>>;
    groups?: Record<string, Partial<OptimizerSettings>>;
    warmupSteps?: number;
    clipNorm?: number;
    ema?: number;
  };
}

export function writeRunConfig(runDir: string, config: RunConfig): void {
  writeFileAtomic(path.join(runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
}

export function readRunConfig(runDir: string): RunConfig {
  const file = path.join(runDir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new UserError(`'${runDir}' is not a genlab run folder (no config.json); pass the --out folder of 'genlab train'`);
  }
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as RunConfig;
  if (config.format !== 'genlab-run') throw new UserError(`${file} is not a genlab run config`);
  return config;
}

/** Appends one JSON object per line. */
export class MetricsLog {
  readonly file: string;
  constructor(runDir: string) {
    this.file = path.join(runDir, 'metrics.jsonl');
  }
  append(record: Record<string, unknown>): void {
    fs.appendFileSync(this.file, JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  }
  /** Drops the records of steps after `step` (a resumed run logs them again), rewriting the file atomically. */
  forgetAfter(step: number): void {
    const kept = this.read().filter((r) => typeof r.step !== 'number' || r.step <= step);
    writeFileAtomic(this.file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  read(): Record<string, unknown>[] {
    if (!fs.existsSync(this.file)) return [];
    return fs
      .readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  }
}

/**
 * The run's data for evaluation and analysis, preprocessed as at training time and as the model
 * sees it: under dynamic binarization the train split becomes one fixed binary draw (seeded from the
 * data seed), so scoring, encoding and probing it never meet raw intensities.
 */
export function loadRunData(config: RunConfig): DataSplits {
  const { spec, labelColumn, size, toyExamples, binarize, dataSeed, trainLimit } = config.data;
  const raw = loadDataSpec(spec, { labelColumn, size, toyExamples });
  const { train, test, transformBatch, modelKind } = prepareData(raw, getEntry(config.model.name).accepts, { binarize, dataSeed, trainLimit });
  if (!transformBatch) return { train, test };
  const drawn = transformBatch({ x: train.x, n: train.n, labels: train.labels }, new Rng(dataSeed + 2));
  return { train: { ...train, x: drawn.x, kind: modelKind }, test };
}

export interface OpenRun {
  dir: string;
  config: RunConfig;
  model: GenerativeModel;
  checkpoint: Checkpoint;
  /** The model holds the EMA shadow weights (the run kept them and they were not declined). */
  usingEma: boolean;
}

/**
 * A trained model from its run folder's newest checkpoint, with the EMA shadow weights when the
 * run kept them (trained with --ema) unless `ema` is false.
 */
export function openRun(runDir: string, options: { ema?: boolean } = {}): OpenRun {
  const config = readRunConfig(runDir);
  const checkpoint = loadLatestCheckpoint(runDir);
  if (!checkpoint) throw new UserError(`run '${runDir}' has no checkpoint yet; train it first (or --resume it)`);
  const { name, config: modelConfig } = checkpoint.manifest.model;
  const model = createModel(name, modelConfig, checkpoint.manifest.data);
  const { ema } = splitTrainingState(checkpoint.optimizer);
  const usingEma = (options.ema ?? true) && ema.length > 0;
  model.setWeights(usingEma ? withShadow(checkpoint.weights, ema) : checkpoint.weights);
  return { dir: runDir, config, model, checkpoint, usingEma };
}
