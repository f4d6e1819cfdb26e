/**
 * Messages between the page and the training worker (./worker.ts). Training runs in a Web Worker so
 * the page stays responsive; the page holds the views, the worker the model being trained.
 */
import type { CheckpointInfo, CheckpointParts, RunConfig } from '../../src/index.js';
import type { Upload } from './data.js';

/** What to train: the CLI's `genlab train` choices that the studio offers. */
export interface TrainRequest {
  model: string;
  /** Model options (partial; the registry's defaults fill the rest). */
  modelConfig: Record<string, unknown>;
  /** 'mnist', 'fashion', 'toy:NAME', or a picked file's spec ('csv:FILE', 'images:FOLDER'). */
  data: string;
  /** The picked data set `data` names (its arrays transferred to the worker). */
  upload?: Upload;
  epochs: number;
  batchSize: number;
  learningRate?: number;
  seed: number;
  /** Steps between live sample grids (0: epoch ends only). */
  sampleEvery: number;
  sampleCount: number;
  /** Training examples used (default: the whole bundled slice). */
  trainLimit?: number;
  /** Data-parallel replicas (Web Workers; `genlab train --workers`): a count, or 'auto' (`autoReplicas`); default 1. */
  workers?: number | 'auto';
}

/** A run as the studio holds it: the contents of a run folder (what the CLI writes and reads). */
export interface StudioRun {
  name: string;
  /** config.json of the run folder. */
  config: RunConfig;
  metrics: Record<string, unknown>[];
  /** Its newest checkpoint: what it says about the run, and the named binary parts (weights.bin, optimizer.bin, ema.bin). */
  checkpoint: { info: CheckpointInfo; parts: CheckpointParts };
}

export type ToWorker =
  | { type: 'init'; backend?: string; base: string }
  | { type: 'train'; request: TrainRequest }
  /** Continue a paused run; `steps` limits how many steps before pausing again. */
  | { type: 'resume'; steps?: number }
  | { type: 'pause' }
  /** Send the run as it stands (a checkpoint of the current step). */
  | { type: 'snapshot' };

export type TrainerState = 'idle' | 'loading' | 'training' | 'paused' | 'done' | 'error';

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'state'; state: TrainerState; message?: string }
  | { type: 'progress'; step: number; epoch: number; batch: number; batchesPerEpoch: number; metrics: Record<string, number>; stepsPerSecond: number; replicas: number }
  | { type: 'epoch'; epoch: number; metrics: Record<string, number>; evaluation?: Record<string, number> }
  | { type: 'samples'; step: number; values: Float32Array; count: number; shape: number[]; kind: string }
  | { type: 'run'; run: StudioRun };
