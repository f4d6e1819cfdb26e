/**
 * Run folders as lists of files, for code without a file system (the browser studio): opening a run
 * trained by the CLI from the files a user picked (or a .tar, ./tar.ts), and writing a run trained
 * elsewhere as the files `genlab info` and `genlab sample` read.
 *
 *   config.json      what was asked for (model, data protocol, training options, backend)
 *   metrics.jsonl    one JSON object per logged step or epoch
 *   checkpoints/     latest.json and step-<N>/ folders (./checkpoint.ts)
 *   samples/         PNG sample grids written during training (not read here)
 *
 * The CLI writes these files through src/node/run.ts and src/node/checkpoint.ts with the same
 * functions for their text (`runConfigText`, `manifestText`, ...), so the two agree byte for byte.
 */
import { UserError } from '../core/errors.js';
import { sha256Hex } from '../core/sha256.js';
import type { ValueKind } from '../data/dataset.js';
import type { PrepareOptions } from '../data/prepare.js';
import type { NamedArray } from '../models/model.js';
import type { OptimizerSettings } from '../train/optimizers.js';
import type { LearningRateDecay } from '../train/schedule.js';
import {
  CHECKPOINTS_FOLDER,
  DamagedFile,
  MANIFEST_FILE,
  OPTIMIZER_PART,
  POINTER_FILE,
  WEIGHTS_PART,
  checkpointManifest,
  decodePart,
  emaWeights,
  encodeParts,
  loadLatest,
  manifestText,
  parseManifest,
  pointerText,
  stepFolder,
  type CheckpointFolder,
  type CheckpointInfo,
  type CheckpointParts,
  type LoadedCheckpoint,
} from './checkpoint.js';

export const RUN_FORMAT = 'genlab-run';
export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';

/** How the `--data` argument's data is loaded (CSV columns, image size, toy data size). */
export interface DataSpecOptions {
  /** CSV: the column holding class labels. */
  labelColumn?: string;
  /** Image folders: resize every image to [height, width]. */
  size?: [number, number];
  /** Toy data: examples in the train split (the test split has a fifth as many). */
  toyExamples?: number;
}

/** config.json. */
export interface RunConfig {
  format: typeof RUN_FORMAT;
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
   * A model fit by counting (no parameter groups) records none of the gradient settings, the
   * learning rate included.
   */
  train: {
    epochs: number;
    batchSize: number;
    learningRate?: number;
    learningRateDecay?: LearningRateDecay;
    seed: number;
    optimizer?: Partial<Omit<OptimizerSettings, 'learningRate'>>;
    groups?: Record<string, Partial<OptimizerSettings>>;
    warmupSteps?: number;
    clipNorm?: number;
    ema?: number;
    /** Data-parallel replicas (threads) the run trains on; absent: one. */
    workers?: number;
  };
  /**
   * What the run does between updates, as its flags set it: test examples scored and samples drawn
   * per epoch, checkpoint and picture intervals. A resumed run keeps them unless its command gives
   * them again; older runs lack the field and resume with the flags' defaults.
   */
  monitor?: RunMonitor;
}

/** A run's monitoring settings (see RunConfig.monitor). */
export interface RunMonitor {
  evalExamples: number;
  sampleCount: number;
  checkpointMinutes: number;
  checkpointSteps?: number;
  sampleSteps?: number;
  snapshotEvery?: number;
}

/** A file of a run folder: its path ('/'-separated) and contents. */
export interface RunFile {
  path: string;
  bytes: Uint8Array;
}

/** config.json's text. */
export function runConfigText(config: RunConfig): string {
  return JSON.stringify(config, null, 2) + '\n';
}

/** The run config in config.json's `text`; a UserError naming `file` when it is not one. */
export function parseRunConfig(file: string, text: string): RunConfig {
  let config: RunConfig;
  try {
    config = JSON.parse(text) as RunConfig;
  } catch {
    throw new UserError(`${file} is not valid JSON (damaged?)`);
  }
  if (config?.format !== RUN_FORMAT) throw new UserError(`${file} is not a genlab run config`);
  return config;
}

/** metrics.jsonl's non-blank lines with their objects, null for a line that is not JSON (cut short by a crash). */
export function parseMetricsLines(text: string): { line: string; record: Record<string, unknown> | null }[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return { line, record: JSON.parse(line) as Record<string, unknown> };
      } catch {
        return { line, record: null };
      }
    });
}

/** metrics.jsonl's records, lines cut short by a crash left out. */
export function parseMetrics(text: string): Record<string, unknown>[] {
  return parseMetricsLines(text).flatMap(({ record }) => (record ? [record] : []));
}

/** metrics.jsonl's text: one JSON object a line. */
export function metricsText(records: Record<string, unknown>[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

/** What `runFolderFiles` writes: the run's config, its metrics log and one checkpoint. */
export interface RunFolderContents {
  config: RunConfig;
  /** metrics.jsonl's records, in order. */
  metrics: Record<string, unknown>[];
  checkpoint: {
    /** A CheckpointManifest will do: only its CheckpointInfo fields are taken. */
    info: CheckpointInfo;
    /** By file name: 'weights.bin' (required), 'optimizer.bin', 'ema.bin' (`checkpointParts` makes them from fit's state). */
    parts: CheckpointParts;
    /** When the checkpoint was taken (ISO 8601); default now. */
    savedAt?: string;
  };
}

/**
 * The files of a run folder holding `run`, paths relative to the run's root: config.json,
 * metrics.jsonl, checkpoints/latest.json, checkpoints/step-<N>/checkpoint.json (version 2, a
 * SHA-256 for each part) and the parts, laid out as `genlab train` writes them.
 */
export async function runFolderFiles(run: RunFolderContents): Promise<RunFile[]> {
  const { info, parts, savedAt } = run.checkpoint;
  const name = stepFolder(info.train.step);
  const hashed = await Promise.all(encodeParts(parts).map(async (p) => ({ ...p, sha256: await sha256Hex(p.data) })));
  const manifest = checkpointManifest(info, hashed, savedAt);
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const dir = `${CHECKPOINTS_FOLDER}/${name}`;
  return [
    { path: CONFIG_FILE, bytes: utf8(runConfigText(run.config)) },
    { path: METRICS_FILE, bytes: utf8(metricsText(run.metrics)) },
    { path: `${CHECKPOINTS_FOLDER}/${POINTER_FILE}`, bytes: utf8(pointerText(name)) },
    { path: `${dir}/${MANIFEST_FILE}`, bytes: utf8(manifestText(manifest)) },
    ...hashed.map((p) => ({ path: `${dir}/${p.file}`, bytes: p.data })),
  ];
}

/** A run read from its files: the config, the metrics log and the checkpoint a resume would continue from. */
export interface RunRead {
  config: RunConfig;
  /** metrics.jsonl's records (lines cut short by a crash left out); [] when there is no log. */
  metrics: Record<string, unknown>[];
  /** Verified against its checksums; `ema` is the EMA shadow weights, [] when the run kept none. */
  checkpoint: LoadedCheckpoint & { ema: NamedArray[] };
}

export interface ReadRunOptions {
  /** Told of each damaged checkpoint passed over and of the one used instead (default: not told; see checkpoint.skipped). */
  warn?: (message: string) => void;
}

/**
 * A run from its files, as a browser gives them:
 *   - paths relative to the run folder (config.json, checkpoints/latest.json, ...), or under one or
 *     more leading folders (a folder picker's webkitRelativePath, myrun/config.json; a .tar): the
 *     run is the folder of the outermost config.json;
 *   - or file names alone (several files picked): config.json, metrics.jsonl, one checkpoint.json
 *     and the parts it lists, matched by name.
 * Takes the checkpoint latest.json names, else the newest intact one (as the CLI does); checks each
 * part's length and SHA-256. UserErrors name the file for a folder that is not a run, a run without
 * checkpoints, a missing or damaged part.
 */
export async function readRunFiles(files: RunFile[], options: ReadRunOptions = {}): Promise<RunRead> {
  const byPath = new Map<string, Uint8Array>();
  for (const f of files) {
    const p = normalPath(f.path);
    if (byPath.has(p)) throw new UserError(`two files are named ${p}; choose one run folder (or a .tar of one)`);
    byPath.set(p, f.bytes);
  }

  // 1. The run's root: the folder of the outermost config.json.
  const configs = [...byPath.keys()].filter((p) => p.split('/').pop() === CONFIG_FILE);
  if (configs.length === 0) {
    throw new UserError(`the chosen files hold no ${CONFIG_FILE}, so they are not a genlab run: choose a run folder (the --out of 'genlab train'), a .tar of one, or its ${CONFIG_FILE}, ${METRICS_FILE}, ${MANIFEST_FILE} and .bin files`);
  }
  const depth = (p: string) => p.split('/').length;
  const top = Math.min(...configs.map(depth));
  const roots = configs.filter((p) => depth(p) === top);
  if (roots.length > 1) throw new UserError(`the chosen files hold several runs (${roots.join(', ')}); choose one`);
  const root = roots[0].slice(0, -CONFIG_FILE.length);
  const inRun = under(byPath, root);
  const run = root ? root.slice(0, -1) : 'the chosen files';

  // 2. Config and metrics log.
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const config = parseRunConfig(root + CONFIG_FILE, text(inRun.get(CONFIG_FILE)!));
  const log = inRun.get(METRICS_FILE);
  const metrics = log ? parseMetrics(text(log)) : [];

  // 3. The checkpoint. Every file is hashed first (Web Crypto is asynchronous), so that the checks and
  // the order of fallback are Node's own (./checkpoint.ts), which are synchronous.
  const flat = [...inRun.keys()].every((p) => !p.includes('/'));
  const inFolder = flat ? inRun : under(inRun, `${CHECKPOINTS_FOLDER}/`);
  const digests = new Map(await Promise.all([...inFolder.values()].map(async (bytes) => [bytes, await sha256Hex(bytes)] as const)));
  const sha256 = (bytes: Uint8Array) => {
    const digest = digests.get(bytes);
    if (digest === undefined) throw new Error('readRunFiles: asked for the hash of bytes it did not hash');
    return digest;
  };
  const loaded = flat ? readFlatCheckpoint(inFolder, sha256) : loadLatest(memoryFolder(inFolder, `${root}${CHECKPOINTS_FOLDER}/`, sha256), run, options.warn ?? (() => {}));
  if (!loaded) throw new UserError(`run '${run}' has no checkpoint (no ${root}${CHECKPOINTS_FOLDER}/${POINTER_FILE} or step folders): it was not trained, or its checkpoints/ folder was left out`);
  return { config, metrics, checkpoint: { ...loaded, ema: emaWeights(loaded) } };
}

/** '/'-separated, without '.' components or leading and doubled slashes (Windows paths and ./x from tar). */
function normalPath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** The files under the folder `prefix` (ending in '/', or '' for all), by their paths inside it. */
function under(files: Map<string, Uint8Array>, prefix: string): Map<string, Uint8Array> {
  return new Map([...files].flatMap(([p, bytes]) => (p.startsWith(prefix) ? [[p.slice(prefix.length), bytes] as const] : [])));
}

/** Files held in memory as a checkpoints/ folder: `files` by path under it, named in messages under `prefix`. */
function memoryFolder(files: Map<string, Uint8Array>, prefix: string, sha256: (bytes: Uint8Array) => string): CheckpointFolder {
  const path = (...names: string[]) => prefix + names.join('/');
  return {
    names: () => [...new Set([...files.keys()].map((p) => p.split('/')[0]))],
    path,
    read: (...names) => {
      const bytes = files.get(names.join('/'));
      if (!bytes) throw new DamagedFile(path(...names), 'is missing');
      return bytes;
    },
    sha256,
  };
}

/** The checkpoint of checkpoint.json and the parts beside it, picked as single files. */
function readFlatCheckpoint(files: Map<string, Uint8Array>, sha256: (bytes: Uint8Array) => string): LoadedCheckpoint {
  if (!files.has(MANIFEST_FILE)) {
    throw new UserError(`the chosen files hold no checkpoint (no ${CHECKPOINTS_FOLDER}/ folder, no ${MANIFEST_FILE}): choose the whole run folder, a .tar of it, or ${CONFIG_FILE} with a checkpoint's ${MANIFEST_FILE} and .bin files`);
  }
  const read = (file: string) => {
    const bytes = files.get(file);
    if (!bytes) throw new UserError(`${file} is missing: choose it beside ${MANIFEST_FILE} (or choose the whole run folder)`);
    return bytes;
  };
  try {
    const manifest = parseManifest(MANIFEST_FILE, read(MANIFEST_FILE));
    const parts = Object.fromEntries(Object.entries(manifest.parts).map(([file, part]) => [file, decodePart(file, part, read(file), sha256)]));
    return { name: stepFolder(manifest.train.step), manifest, parts, weights: parts[WEIGHTS_PART], optimizer: parts[OPTIMIZER_PART] ?? [], skipped: [] };
  } catch (e) {
    if (e instanceof DamagedFile) throw new UserError(e.message);
    throw e;
  }
}
