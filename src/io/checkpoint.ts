/**
 * The checkpoint format, without a file system: what `genlab train` keeps under <run>/checkpoints/
 * and how it is read back, shared by Node (src/node/checkpoint.ts: files on disk, saved so that a
 * crash leaves an intact one) and the browser (src/io/runFolder.ts: files a user picked, or a .tar).
 *
 * Layout: checkpoints/latest.json names the newest step-<N> folder; step-<N>/checkpoint.json, the
 * manifest, holds the model config and training state and lists each binary part (weights.bin,
 * optimizer.bin, ema.bin, ...) with its arrays (TF.js weights format, ./weights.ts), byte length and
 * SHA-256. Readers are handed a `CheckpointFolder` that lists, reads and hashes files, so the order
 * of fallback and every check are the same wherever the files come from.
 */
import { UserError } from '../core/errors.js';
import type { NamedArray } from '../models/model.js';
import type { DataInfo } from '../models/registry.js';
import type { TrainState } from '../train/fit.js';
import type { TrainingCheckpoint } from '../train/storage.js';
import { decodeWeights, encodeWeights, type WeightSpec } from './weights.js';

export const CHECKPOINT_FORMAT = 'genlab-checkpoint';
/** The run folder's subfolder holding the checkpoints. */
export const CHECKPOINTS_FOLDER = 'checkpoints';
/** In each step folder: the manifest that vouches for the parts. */
export const MANIFEST_FILE = 'checkpoint.json';
/** In checkpoints/: names the newest step folder (the commit point of a save). */
export const POINTER_FILE = 'latest.json';
/** The model's weights: the one part every checkpoint has. */
export const WEIGHTS_PART = 'weights.bin';
/** The optimizer state (absent for a model fit by counting). */
export const OPTIMIZER_PART = 'optimizer.bin';
/** The EMA shadow weights (runs trained with --ema). */
export const EMA_PART = 'ema.bin';
/** Checkpoint folders are named step-<N>, N the training step, zero-padded (see `stepFolder`). */
export const STEP_FOLDER = /^step-(\d+)$/;

/** The folder of the checkpoint taken after `step` training steps: step-00000042. */
export function stepFolder(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

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

/** A checkpoint read and verified. */
export interface LoadedCheckpoint {
  /** Its folder's name, step-<N>. */
  name: string;
  manifest: CheckpointManifest;
  /** Every binary part by file name. */
  parts: CheckpointParts;
  /** parts['weights.bin']: the model's weights. */
  weights: NamedArray[];
  /** parts['optimizer.bin'], or [] when the checkpoint has none. */
  optimizer: NamedArray[];
  /** Checkpoints passed over because they were damaged, in the order tried (empty when the newest was intact). */
  skipped: SkippedCheckpoint[];
}

export interface CheckpointReport {
  /** The checkpoint latest.json names, or null. */
  latest: string | null;
  /** What is wrong with latest.json, if anything. */
  latestProblem?: string;
  /** Every checkpoint folder, newest first, verified against its checksums; an intact one with its progress. */
  checkpoints: { name: string; step: number; intact: boolean; problem?: string; progress?: Pick<TrainState, 'epoch' | 'batchInEpoch' | 'step'> }[];
}

/** The parts `fit`'s state is saved as: weights, and the optimizer state and EMA shadow when there are any. */
export function checkpointParts(checkpoint: Pick<TrainingCheckpoint, 'weights' | 'optimizer' | 'ema'>): CheckpointParts {
  return {
    [WEIGHTS_PART]: checkpoint.weights,
    ...(checkpoint.optimizer.length > 0 && { [OPTIMIZER_PART]: checkpoint.optimizer }),
    ...(checkpoint.ema.length > 0 && { [EMA_PART]: checkpoint.ema }),
  };
}

/** The EMA shadow weights a checkpoint holds; [] when the run kept none. */
export function emaWeights(checkpoint: { parts: CheckpointParts }): NamedArray[] {
  return checkpoint.parts[EMA_PART] ?? [];
}

/** One part in the TF.js weights format: the file's bytes and its arrays. */
export interface EncodedPart {
  file: string;
  weights: WeightSpec[];
  data: Uint8Array;
}

/** Each part's file, in the order given; refuses a set without weights.bin or a name that is not a plain file name. */
export function encodeParts(parts: CheckpointParts): EncodedPart[] {
  if (!parts[WEIGHTS_PART]) throw new Error(`checkpoint parts must include '${WEIGHTS_PART}', the model's weights`);
  return Object.entries(parts).map(([file, arrays]) => {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(file) || file === MANIFEST_FILE) throw new Error(`'${file}' cannot name a checkpoint part`);
    const { specs, data } = encodeWeights(arrays);
    return { file, weights: specs, data };
  });
}

/**
 * The manifest (checkpoint.json) of a checkpoint of `info` whose parts were encoded by
 * `encodeParts`, each with the hex SHA-256 of its bytes (computed by the caller: synchronously in
 * Node, through Web Crypto in the browser).
 */
export function checkpointManifest(info: CheckpointInfo, parts: (EncodedPart & { sha256: string })[], savedAt = new Date().toISOString()): CheckpointManifest {
  return {
    format: CHECKPOINT_FORMAT,
    version: 2,
    model: info.model,
    data: info.data,
    train: info.train,
    backend: info.backend,
    savedAt,
    parts: Object.fromEntries(parts.map((p) => [p.file, { weights: p.weights, bytes: p.data.byteLength, sha256: p.sha256 }])),
  };
}

/** checkpoint.json's text. */
export function manifestText(manifest: CheckpointManifest): string {
  return JSON.stringify(manifest, null, 1);
}

/** latest.json's text, naming the step folder `name`. */
export function pointerText(name: string): string {
  return JSON.stringify({ checkpoint: name }) + '\n';
}

/** A file that makes its checkpoint unusable. */
export class DamagedFile extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** A run's checkpoints/ folder as the readers below see it: on disk, or files held in memory. */
export interface CheckpointFolder {
  /** The names directly in checkpoints/ (step folders, latest.json); [] when there is no such folder. */
  names(): string[];
  /** How messages name checkpoints/<names...> (a path the user recognises). */
  path(...names: string[]): string;
  /** The bytes of checkpoints/<names...>; throws DamagedFile ('is missing', ...) when they cannot be read. */
  read(...names: string[]): Uint8Array;
  /** Hex SHA-256 of bytes `read` returned. */
  sha256(bytes: Uint8Array): string;
}

/** A part's arrays, once its bytes have the length and checksum its manifest entry says; else a DamagedFile naming `file`. */
export function decodePart(file: string, part: PartManifest, bytes: Uint8Array, sha256: (bytes: Uint8Array) => string): NamedArray[] {
  if (bytes.byteLength < part.bytes) throw new DamagedFile(file, `is cut short: ${bytes.byteLength} of ${part.bytes} bytes`);
  if (bytes.byteLength > part.bytes) throw new DamagedFile(file, `holds ${bytes.byteLength} bytes, ${MANIFEST_FILE} says ${part.bytes}`);
  if (part.sha256 !== undefined && sha256(bytes) !== part.sha256) {
    throw new DamagedFile(file, `does not match its checksum in ${MANIFEST_FILE} (the file is corrupt)`);
  }
  try {
    // A plain view: a Node Buffer's slice would share, not copy, its pool.
    return decodeWeights(part.weights, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DamagedFile(file, (e as Error).message);
  }
}

/** checkpoint.json's manifest (a version-1 one upgraded), or a DamagedFile naming `file`. */
export function parseManifest(file: string, bytes: Uint8Array): CheckpointManifest {
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new DamagedFile(file, 'is not valid JSON (damaged or cut short)');
  }
  if (manifest?.format !== CHECKPOINT_FORMAT) throw new DamagedFile(file, 'is not a genlab checkpoint manifest');
  if (manifest.version === 1) manifest = upgradeVersion1(manifest);
  if (!manifest.parts?.[WEIGHTS_PART]) throw new DamagedFile(file, `lists no ${WEIGHTS_PART}`);
  return manifest;
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

/** The manifest and verified parts of the checkpoint in folder `name`; a DamagedFile for the first file that fails. */
export function readCheckpoint(folder: CheckpointFolder, name: string): { manifest: CheckpointManifest; parts: CheckpointParts } {
  const manifest = parseManifest(folder.path(name, MANIFEST_FILE), folder.read(name, MANIFEST_FILE));
  const parts: CheckpointParts = {};
  for (const [file, part] of Object.entries(manifest.parts)) {
    parts[file] = decodePart(folder.path(name, file), part, folder.read(name, file), (bytes) => folder.sha256(bytes));
  }
  return { manifest, parts };
}

/**
 * The checkpoint latest.json names, or when it is damaged (or latest.json is), the newest intact
 * one, with `skipped` saying what was passed over; each is told to `warn` once one loads. Null when
 * there is no checkpoint; a UserError naming every damaged file (and `run`) when none is intact.
 */
export function loadLatest(folder: CheckpointFolder, run: string, warn: (message: string) => void): LoadedCheckpoint | null {
  // Held back until a checkpoint loads: when none is intact, the error alone lists every damaged file,
  // so the CLI prints one line.
  const notes: string[] = [];
  const note = (message: string) => notes.push(message);
  const pointer = readPointer(folder);
  const folders = stepFolders(folder.names()).map((f) => f.name);
  if (pointer.missing && folders.length === 0) return null;

  // 1. The order to try: the committed checkpoint first, then every folder, newest first.
  const skipped: SkippedCheckpoint[] = [];
  const order = [...folders];
  if (pointer.missing) note(`${folder.path(POINTER_FILE)} is missing; trying the checkpoint folders, newest first`);
  if (pointer.problem) skipped.push({ checkpoint: POINTER_FILE, ...pointer.problem });
  if (pointer.name) {
    if (folders.includes(pointer.name)) order.unshift(...order.splice(order.indexOf(pointer.name), 1));
    else skipped.push({ checkpoint: pointer.name, file: folder.path(POINTER_FILE), reason: `names ${pointer.name}, which does not exist` });
  }
  for (const s of skipped) note(`skipping checkpoint ${s.checkpoint}: ${s.file}: ${s.reason}`);

  // 2. The first that is intact.
  for (const name of order) {
    try {
      const { manifest, parts } = readCheckpoint(folder, name);
      if (skipped.length > 0) note(`loading ${folder.path(name)}, the newest intact checkpoint`);
      notes.forEach((message) => warn(message));
      return { name, manifest, parts, weights: parts[WEIGHTS_PART], optimizer: parts[OPTIMIZER_PART] ?? [], skipped };
    } catch (e) {
      if (!(e instanceof DamagedFile)) throw e;
      const s = { checkpoint: name, file: e.file, reason: e.reason };
      skipped.push(s);
      note(`skipping checkpoint ${name}: ${s.file}: ${s.reason}`);
    }
  }
  throw new UserError(`run '${run}' has no intact checkpoint: ${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}`);
}

/** Every checkpoint read and verified, newest first, and the state of latest.json (for `genlab info`). */
export function checkpointReport(folder: CheckpointFolder): CheckpointReport {
  const pointer = readPointer(folder);
  const checkpoints = stepFolders(folder.names()).map(({ name, step }) => {
    try {
      const { epoch, batchInEpoch, step: trained } = readCheckpoint(folder, name).manifest.train;
      return { name, step, intact: true, progress: { epoch, batchInEpoch, step: trained } };
    } catch (e) {
      if (!(e instanceof DamagedFile)) throw e;
      return { name, step, intact: false, problem: `${e.file}: ${e.reason}` };
    }
  });
  let latestProblem = pointer.problem && `${pointer.problem.file}: ${pointer.problem.reason}`;
  if (pointer.name && !checkpoints.some((c) => c.name === pointer.name)) {
    latestProblem = `${folder.path(POINTER_FILE)}: names ${pointer.name}, which does not exist`;
  }
  return { latest: pointer.name ?? null, ...(latestProblem && { latestProblem }), checkpoints };
}

/** latest.json: the name it holds, `missing` when absent, or what is wrong with it. */
function readPointer(folder: CheckpointFolder): { name?: string; missing?: boolean; problem?: { file: string; reason: string } } {
  if (!folder.names().includes(POINTER_FILE)) return { missing: true };
  const file = folder.path(POINTER_FILE);
  try {
    const { checkpoint } = JSON.parse(new TextDecoder().decode(folder.read(POINTER_FILE))) as { checkpoint?: unknown };
    if (typeof checkpoint === 'string' && STEP_FOLDER.test(checkpoint)) return { name: checkpoint };
    return { problem: { file, reason: 'names no checkpoint folder' } };
  } catch (e) {
    return { problem: { file, reason: e instanceof DamagedFile ? e.reason : 'is not valid JSON (damaged or cut short)' } };
  }
}

/** The step-<N> folders among `names` (a checkpoints/ folder's entries), newest first. */
export function stepFolders(names: string[]): { name: string; step: number }[] {
  return names
    .map((name) => ({ name, m: STEP_FOLDER.exec(name) }))
    .filter((f) => f.m)
    .map((f) => ({ name: f.name, step: Number(f.m![1]) }))
    .sort((a, b) => b.step - a.step);
}
