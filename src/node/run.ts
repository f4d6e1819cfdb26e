/**
 * Run folders: everything one training run leaves behind.
 *   config.json      what was asked for (model, data protocol, training options, backend)
 *   metrics.jsonl    one JSON object per logged step or epoch
 *   checkpoints/     see checkpoint.ts
 *   samples/         PNG sample grids written during training
 * The format (RunConfig, the files' text) is src/io/runFolder.ts, shared with the browser.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors.js';
import { prepareData } from '../data/prepare.js';
import { Rng } from '../core/rng.js';
import type { DataSplits, Dataset } from '../data/dataset.js';
import type { GenerativeModel } from '../models/model.js';
import { acceptedKinds, createModel } from '../models/registry.js';
import { emaWeights, loadLatestCheckpoint, type Checkpoint, type LoadCheckpointOptions } from './checkpoint.js';
import { loadDataSpec } from './data/spec.js';
import { writeFileAtomic } from './fsAtomic.js';
import { CONFIG_FILE, METRICS_FILE, parseMetrics, parseMetricsLines, parseRunConfig, runConfigText, type RunConfig } from '../io/runFolder.js';
import { withShadow } from '../train/ema.js';

export type { RunConfig } from '../io/runFolder.js';

export function writeRunConfig(runDir: string, config: RunConfig): void {
  writeFileAtomic(path.join(runDir, CONFIG_FILE), runConfigText(config));
}

export function readRunConfig(runDir: string): RunConfig {
  const file = path.join(runDir, CONFIG_FILE);
  if (!fs.existsSync(file)) {
    throw new UserError(`'${runDir}' is not a genlab run folder (no config.json); pass the --out folder of 'genlab train'`);
  }
  return parseRunConfig(file, fs.readFileSync(file, 'utf8'));
}

/**
 * Refuses a --out that `genlab train` must not write into: an existing file (or a path through
 * one), or a folder that holds files but no run (training would overwrite the user's samples/ and
 * append to their metrics.jsonl). A missing or empty folder is fine; a folder holding a run
 * (config.json) is for the caller to refuse or resume.
 */
export function checkNewRunFolder(runDir: string): void {
  // The nearest part of the path that exists must be a folder: mkdir through a file fails with ENOTDIR.
  let existing = path.resolve(runDir);
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  if (!fs.statSync(existing).isDirectory()) {
    throw new UserError(
      existing === path.resolve(runDir)
        ? `--out '${runDir}' is a file, not a run folder; choose a new folder`
        : `--out '${runDir}' cannot be created: '${existing}' is a file`,
    );
  }
  if (existing !== path.resolve(runDir) || fs.existsSync(path.join(runDir, 'config.json'))) return;
  const entries = fs.readdirSync(runDir);
  if (entries.length > 0) {
    throw new UserError(`--out '${runDir}' holds files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}) and is not a genlab run; choose a new or empty folder`);
  }
}

/**
 * metrics.jsonl: one JSON object per line, appended (an append log, not rewritten on each write).
 * A line cut short by a crash is skipped when reading and dropped by `dropAfter`.
 */
export class MetricsLog {
  readonly file: string;
  constructor(runDir: string) {
    this.file = path.join(runDir, METRICS_FILE);
  }
  append(record: Record<string, unknown>): void {
    // After a line torn by a crash, a new line first: else the record would be glued to the torn one and lost with it.
    const start = endsTorn(this.file) ? '\n' : '';
    fs.appendFileSync(this.file, start + JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  }
  read(): Record<string, unknown>[] {
    if (!fs.existsSync(this.file)) return [];
    return parseMetrics(fs.readFileSync(this.file, 'utf8'));
  }
  /**
   * For a resumed run: drops the records logged after `step` (the resumed checkpoint's step), which
   * the run is about to log again, and any torn lines; rewrites the file atomically. Returns how many
   * lines were dropped. Records without a step (evaluations) are kept.
   */
  dropAfter(step: number): number {
    if (!fs.existsSync(this.file)) return 0;
    const lines = parseMetricsLines(fs.readFileSync(this.file, 'utf8'));
    const kept = lines.filter(({ record: r }) => r !== null && !(typeof r.step === 'number' && r.step > step));
    if (kept.length === lines.length) return 0;
    writeFileAtomic(this.file, kept.map(({ line }) => line + '\n').join(''));
    return lines.length - kept.length;
  }
}

/** The file exists and its last byte is not a newline. */
function endsTorn(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The run's data for evaluation and analysis, preprocessed as at training time and as the model
 * sees it: under dynamic binarization the train split becomes one fixed binary draw (seeded from the
 * data seed), so scoring, encoding and probing it never meet raw intensities. The train split is
 * what the run trained on (its --train-limit and --exclude-class applied); the test split is whole.
 */
export function loadRunData(config: RunConfig): RunData {
  const { spec, labelColumn, size, toyExamples } = config.data;
  return prepareLikeRun(loadDataSpec(spec, { labelColumn, size, toyExamples }), config);
}

/** A run's data as the model sees it, with the validation split when the run held one out (`--validation N`). */
export interface RunData extends DataSplits {
  validation?: Dataset;
}

/**
 * Raw splits (the run's own or other data of its shape) prepared as the run's data are: the same
 * binarization with the same data seed, the same fixed draw of a dynamically binarized train (and
 * validation) split. `selection` 'trained' also applies the run's choice of training examples
 * (--exclude-class, --validation, --train-limit); 'whole' keeps both splits whole, for data the run
 * is evaluated on.
 */
export function prepareLikeRun(raw: DataSplits, config: RunConfig, selection: 'trained' | 'whole' = 'trained'): RunData {
  const { binarize, dataSeed, trainLimit, excludeClass, validation } = config.data;
  const chosen = selection === 'trained' ? { trainLimit, excludeClass, validation } : {};
  const accepts = acceptedKinds(config.model.name, config.model.config);
  const prepared = prepareData(raw, accepts, { binarize, dataSeed, ...chosen });
  const { train, test, transformBatch, modelKind } = prepared;
  if (!transformBatch) return { train, test, ...(prepared.validation && { validation: prepared.validation }) };
  const draw = (d: Dataset, seed: number): Dataset => ({ ...d, x: transformBatch({ x: d.x, n: d.n, labels: d.labels }, new Rng(seed)).x, kind: modelKind });
  return { train: draw(train, dataSeed + 2), test, ...(prepared.validation && { validation: draw(prepared.validation, dataSeed + 3) }) };
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
 * A trained model from its run folder's newest intact checkpoint (damaged ones are reported
 * through options.warn), with the EMA shadow weights when the run kept them (trained with --ema)
 * unless `ema` is false.
 */
export function openRun(runDir: string, options: LoadCheckpointOptions & { ema?: boolean } = {}): OpenRun {
  const config = readRunConfig(runDir);
  const checkpoint = loadLatestCheckpoint(runDir, options);
  if (!checkpoint) throw new UserError(`run '${runDir}' has no checkpoint yet; train it first (or --resume it)`);
  const { name, config: modelConfig } = checkpoint.manifest.model;
  const model = createModel(name, modelConfig, checkpoint.manifest.data);
  const ema = emaWeights(checkpoint);
  const usingEma = (options.ema ?? true) && ema.length > 0;
  model.setWeights(usingEma ? withShadow(checkpoint.weights, ema) : checkpoint.weights);
  return { dir: runDir, config, model, checkpoint, usingEma };
}
