/**
 * Checkpoints: model config + the trainer's state (epoch, step, RNG streams) + any number of named
 * binary parts (the model's weights, optimizer state, EMA weights, ...), so `--resume` continues
 * the same run exactly.
 *
 * Layout: <run>/checkpoints/step-<N>/{checkpoint.json, weights.bin, optimizer.bin, ...} and
 * <run>/checkpoints/latest.json naming the newest. Each part is a buffer in the TF.js weights format
 * (src/io/weights.ts); checkpoint.json lists its arrays, byte length and SHA-256.
 *
 * Saving, so that a kill or power loss at any moment leaves an intact checkpoint that latest.json names:
 *   1. every part, then checkpoint.json, into a temporary folder, each file fsynced, then the folder;
 *   2. the folder renamed to step-<N> and checkpoints/ fsynced;
 *   3. latest.json replaced atomically: the commit point;
 *   4. only then older checkpoints retired (renamed aside, then deleted, so none is seen half-deleted).
 * Loading verifies lengths and checksums and falls back to the newest intact checkpoint, saying what
 * it skipped and why.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors.js';
import { decodeWeights, encodeWeights, type WeightSpec } from '../io/weights.js';
import type { GenerativeModel, NamedArray } from '../models/model.js';
import type { DataInfo } from '../models/registry.js';
import type { TrainState } from '../train/fit.js';
import { fsyncFolder, TEMP_MARK, writeFileAtomic, writeFileSynced } from './fsAtomic.js';

export const CHECKPOINT_FORMAT = 'genlab-checkpoint';
/** Checkpoints kept: the newest and the one before it, to fall back to if the newest is damaged. */
const KEEP_LAST = 2;
const STEP_FOLDER = /^step-(\d+)$/;
/** Folders being deleted are first renamed to this prefix. */
const RETIRED_MARK = '.old-';
const MANIFEST = 'checkpoint.json';
const POINTER = 'latest.json';

/** What a checkpoint says about the run, besides its binary parts. */
export interface CheckpointInfo {
  model: { name: string; config: Record<string, unknown> };
  data: DataInfo;
  train: TrainState;
  backend: string;
}

/** Named binary parts by file name: 'weights.bin' (the model's, required), 'optimizer.bin', 'ema.bin', ... */
export type CheckpointParts = Record<string, NamedArray[]>;

export interface PartManifest {
  /** The arrays in the file, back to back (TF.js weight specs). */
  weights: WeightSpec[];
  bytes: number;
  /** Hex SHA-256 of the file; absent in version-1 checkpoints. */
  sha256?: string;
}

export interface CheckpointManifest extends CheckpointInfo {
  format: typeof CHECKPOINT_FORMAT;
  /** 1: weights.bin and optimizer.bin without checksums (read as `parts`); 2: any parts, checksummed. */
  version: 1 | 2;
  savedAt: string;
  parts: Record<string, PartManifest>;
}

/** A checkpoint passed over on loading, and why. */
export interface SkippedCheckpoint {
  /** Folder name (step-<N>), or latest.json when the pointer itself is unusable. */
  checkpoint: string;
  /** The damaged or missing file. */
  file: string;
  reason: string;
}

export interface Checkpoint {
  manifest: CheckpointManifest;
  /** Every binary part by file name. */
  parts: CheckpointParts;
  /** parts['weights.bin']: the model's weights. */
  weights: NamedArray[];
  /** parts['optimizer.bin'], or [] when the checkpoint has none. */
  optimizer: NamedArray[];
  dir: string;
  /** Checkpoints passed over because they were damaged, in the order tried (empty when the newest was intact). */
  skipped: SkippedCheckpoint[];
}

export interface LoadCheckpointOptions {
  /** Told of each damaged checkpoint skipped and of the one used instead (default: printed to stderr). */
  warn?: (message: string) => void;
}

/** Writes a checkpoint of `info` and `parts` (see the header for the order of steps); returns its folder. */
export function saveCheckpoint(runDir: string, info: CheckpointInfo, parts: CheckpointParts): string {
  if (!parts['weights.bin']) throw new Error("saveCheckpoint: parts must include 'weights.bin', the model's weights");
  for (const file of Object.keys(parts)) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(file) || file === MANIFEST) throw new Error(`saveCheckpoint: '${file}' cannot name a part`);
  }
  const root = path.join(runDir, 'checkpoints');
  fs.mkdirSync(root, { recursive: true });
  const name = stepFolder(info.train.step);

  // 1. Parts, then the manifest that vouches for them, into a temporary folder.
  const tmp = path.join(root, `${TEMP_MARK}${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: 2,
    model: info.model,
    data: info.data,
    train: info.train,
    backend: info.backend,
    savedAt: new Date().toISOString(),
    parts: {},
  };
  for (const [file, arrays] of Object.entries(parts)) {
    const { specs, data } = encodeWeights(arrays);
    writeFileSynced(path.join(tmp, file), data);
    manifest.parts[file] = { weights: specs, bytes: data.byteLength, sha256: sha256(data) };
  }
  writeFileSynced(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 1));
  fsyncFolder(tmp);

  // 2. Into place. The same step saved twice (Ctrl-C just after an epoch's checkpoint) replaces the
  // first; a crash between these two renames leaves latest.json naming a missing folder, and loading
  // falls back to the checkpoint before.
  const final = path.join(root, name);
  if (fs.existsSync(final)) retire(root, name);
  fs.renameSync(tmp, final);
  fsyncFolder(root);

  // 3. The commit point.
  writeFileAtomic(path.join(root, POINTER), JSON.stringify({ checkpoint: name }) + '\n');

  // 4. Older checkpoints beyond KEEP_LAST, any newer ones (left by a run that crashed and was resumed
  // from before them), and leftovers of crashed saves.
  const older = stepFolders(root).filter((f) => f.step < info.train.step);
  const newer = stepFolders(root).filter((f) => f.step > info.train.step);
  for (const f of [...newer, ...older.slice(KEEP_LAST - 1)]) retire(root, f.name);
  for (const f of fs.readdirSync(root)) {
    if (f.startsWith(TEMP_MARK) || f.startsWith(RETIRED_MARK)) fs.rmSync(path.join(root, f), { recursive: true, force: true });
  }
  return final;
}

/**
 * The checkpoint latest.json names, or when it is damaged (or latest.json is), the newest intact
 * one, with `skipped` saying what was passed over. Null when the run has no checkpoint; a UserError
 * when it has some but none is intact.
 */
export function loadLatestCheckpoint(runDir: string, options: LoadCheckpointOptions = {}): Checkpoint | null {
  // Held back until a checkpoint loads: when none is intact, the error alone lists every damaged file,
  // so the CLI prints one line.
  const notes: string[] = [];
  const warn = (message: string) => notes.push(message);
  const flush = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const root = path.join(runDir, 'checkpoints');
  const pointer = readPointer(root);
  const folders = stepFolders(root).map((f) => f.name);
  if (pointer.missing && folders.length === 0) return null;

  // 1. The order to try: the committed checkpoint first, then every folder, newest first.
  const skipped: SkippedCheckpoint[] = [];
  const order = [...folders];
  if (pointer.missing) warn(`${path.join(root, POINTER)} is missing; trying the checkpoint folders, newest first`);
  if (pointer.problem) skipped.push({ checkpoint: POINTER, ...pointer.problem });
  if (pointer.name) {
    if (folders.includes(pointer.name)) order.unshift(...order.splice(order.indexOf(pointer.name), 1));
    else skipped.push({ checkpoint: pointer.name, file: path.join(root, POINTER), reason: `names ${pointer.name}, which does not exist` });
  }
  for (const s of skipped) warn(`skipping checkpoint ${s.checkpoint}: ${s.file}: ${s.reason}`);

  // 2. The first that is intact.
  for (const name of order) {
    const dir = path.join(root, name);
    try {
      const { manifest, parts } = readCheckpointFolder(dir);
      if (skipped.length > 0) warn(`loading ${dir}, the newest intact checkpoint`);
      notes.forEach((note) => flush(note));
      return { manifest, parts, weights: parts['weights.bin'], optimizer: parts['optimizer.bin'] ?? [], dir, skipped };
    } catch (e) {
      if (!(e instanceof DamagedFile)) throw e;
      const s = { checkpoint: name, file: e.file, reason: e.reason };
      skipped.push(s);
      warn(`skipping checkpoint ${name}: ${s.file}: ${s.reason}`);
    }
  }
  throw new UserError(`run '${runDir}' has no intact checkpoint: ${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}`);
}

export interface CheckpointReport {
  /** The checkpoint latest.json names, or null. */
  latest: string | null;
  /** What is wrong with latest.json, if anything. */
  latestProblem?: string;
  /** Every checkpoint folder, newest first, verified against its checksums; an intact one with its progress. */
  checkpoints: { name: string; step: number; intact: boolean; problem?: string; progress?: Pick<TrainState, 'epoch' | 'batchInEpoch' | 'step'> }[];
}

/** Reads and verifies every checkpoint of a run (for `genlab info`). */
export function verifyCheckpoints(runDir: string): CheckpointReport {
  const root = path.join(runDir, 'checkpoints');
  const pointer = readPointer(root);
  const checkpoints = stepFolders(root).map(({ name, step }) => {
    try {
      const { epoch, batchInEpoch, step: trained } = readCheckpointFolder(path.join(root, name)).manifest.train;
      return { name, step, intact: true, progress: { epoch, batchInEpoch, step: trained } };
    } catch (e) {
      if (!(e instanceof DamagedFile)) throw e;
      return { name, step, intact: false, problem: `${e.file}: ${e.reason}` };
    }
  });
  let latestProblem = pointer.problem && `${pointer.problem.file}: ${pointer.problem.reason}`;
  if (pointer.name && !checkpoints.some((c) => c.name === pointer.name)) {
    latestProblem = `${path.join(root, POINTER)}: names ${pointer.name}, which does not exist`;
  }
  return { latest: pointer.name ?? null, ...(latestProblem && { latestProblem }), checkpoints };
}

/** A file that makes its checkpoint unusable. */
class DamagedFile extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

function readCheckpointFolder(dir: string): { manifest: CheckpointManifest; parts: CheckpointParts } {
  const manifestFile = path.join(dir, MANIFEST);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFile(manifestFile).toString('utf8'));
  } catch (e) {
    if (e instanceof DamagedFile) throw e;
    throw new DamagedFile(manifestFile, 'is not valid JSON (damaged or cut short)');
  }
  if (manifest?.format !== CHECKPOINT_FORMAT) throw new DamagedFile(manifestFile, 'is not a genlab checkpoint manifest');
  if (manifest.version === 1) manifest = upgradeVersion1(manifest);
  if (!manifest.parts?.['weights.bin']) throw new DamagedFile(manifestFile, 'lists no weights.bin');

  const parts: CheckpointParts = {};
  for (const [name, part] of Object.entries(manifest.parts)) {
    const file = path.join(dir, name);
    const bytes = readFile(file);
    if (bytes.byteLength < part.bytes) throw new DamagedFile(file, `is cut short: ${bytes.byteLength} of ${part.bytes} bytes`);
    if (bytes.byteLength > part.bytes) throw new DamagedFile(file, `holds ${bytes.byteLength} bytes, ${MANIFEST} says ${part.bytes}`);
    if (part.sha256 !== undefined && sha256(bytes) !== part.sha256) {
      throw new DamagedFile(file, `does not match its checksum in ${MANIFEST} (the file is corrupt)`);
    }
    try {
      parts[name] = decodeWeights(part.weights, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw new DamagedFile(file, (e as Error).message);
    }
  }
  return { manifest, parts };
}

/** Version-1 manifests named their two files in TF.js weights manifests, without checksums. */
function upgradeVersion1(old: CheckpointManifest): CheckpointManifest {
  type TfjsManifest = { paths: string[]; weights: WeightSpec[] }[];
  const v1 = old as CheckpointManifest & { weightsManifest?: TfjsManifest; optimizerManifest?: TfjsManifest };
  const parts: Record<string, PartManifest> = {};
  for (const m of [v1.weightsManifest, v1.optimizerManifest]) {
    if (!m) continue;
    const weights = m[0].weights;
    parts[m[0].paths[0]] = { weights, bytes: weights.reduce((s, w) => s + 4 * w.shape.reduce((p, d) => p * d, 1), 0) };
  }
  const { weightsManifest: _w, optimizerManifest: _o, ...rest } = v1;
  return { ...rest, parts };
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DamagedFile(file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (e as Error).message})`);
  }
}

/** latest.json: the name it holds, `missing` when absent, or what is wrong with it. */
function readPointer(root: string): { name?: string; missing?: boolean; problem?: { file: string; reason: string } } {
  const file = path.join(root, POINTER);
  if (!fs.existsSync(file)) return { missing: true };
  try {
    const { checkpoint } = JSON.parse(fs.readFileSync(file, 'utf8')) as { checkpoint?: unknown };
    if (typeof checkpoint === 'string' && STEP_FOLDER.test(checkpoint)) return { name: checkpoint };
    return { problem: { file, reason: 'names no checkpoint folder' } };
  } catch {
    return { problem: { file, reason: 'is not valid JSON (damaged or cut short)' } };
  }
}

/** The run's step-<N> folders, newest first. */
function stepFolders(root: string): { name: string; step: number }[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((name) => ({ name, m: STEP_FOLDER.exec(name) }))
    .filter((f) => f.m)
    .map((f) => ({ name: f.name, step: Number(f.m![1]) }))
    .sort((a, b) => b.step - a.step);
}

function stepFolder(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Deletes a checkpoint folder so that no reader ever sees it half-deleted: rename aside, then remove. */
function retire(root: string, name: string): void {
  const aside = path.join(root, `${RETIRED_MARK}${name}-${process.pid}`);
  fs.rmSync(aside, { recursive: true, force: true });
  fs.renameSync(path.join(root, name), aside);
  fs.rmSync(aside, { recursive: true, force: true });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The checkpoint part holding the EMA shadow weights (runs trained with --ema). */
export const EMA_PART = 'ema.bin';

export function emaWeights(checkpoint: Checkpoint): NamedArray[] {
  return checkpoint.parts[EMA_PART] ?? [];
}
