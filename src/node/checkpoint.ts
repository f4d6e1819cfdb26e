/**
 * Checkpoints on disk: model config + the trainer's state (epoch, step, RNG streams) + any number of
 * named binary parts (the model's weights, optimizer state, EMA weights, ...), so `--resume`
 * continues the same run exactly. The format (layout, manifest, checks, the order of fallback) is
 * src/io/checkpoint.ts, shared with the browser; this file adds the disk and crash safety.
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
import {
  CHECKPOINTS_FOLDER,
  DamagedFile,
  MANIFEST_FILE,
  POINTER_FILE,
  checkpointManifest,
  checkpointReport,
  encodeParts,
  loadLatest,
  manifestText,
  pointerText,
  stepFolder,
  stepFolders,
  type CheckpointFolder,
  type CheckpointInfo,
  type CheckpointManifest,
  type CheckpointParts,
  type CheckpointReport,
  type SkippedCheckpoint,
} from '../io/checkpoint.js';
import type { NamedArray } from '../models/model.js';
import { fsyncFolder, TEMP_MARK, writeFileAtomic, writeFileSynced } from './fsAtomic.js';

// The format's types and constants, for the code that imported them from here.
export { CHECKPOINT_FORMAT, EMA_PART, emaWeights } from '../io/checkpoint.js';
export type { CheckpointInfo, CheckpointManifest, CheckpointParts, CheckpointReport, PartManifest, SkippedCheckpoint } from '../io/checkpoint.js';

/** Checkpoints kept: the newest and the one before it, to fall back to if the newest is damaged. */
const KEEP_LAST = 2;
/** Folders being deleted are first renamed to this prefix. */
const RETIRED_MARK = '.old-';

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
  const encoded = encodeParts(parts);
  const root = path.join(runDir, CHECKPOINTS_FOLDER);
  fs.mkdirSync(root, { recursive: true });
  const name = stepFolder(info.train.step);

  // 1. Parts, then the manifest that vouches for them, into a temporary folder.
  const tmp = path.join(root, `${TEMP_MARK}${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const hashed = encoded.map((part) => {
    writeFileSynced(path.join(tmp, part.file), part.data);
    return { ...part, sha256: sha256(part.data) };
  });
  writeFileSynced(path.join(tmp, MANIFEST_FILE), manifestText(checkpointManifest(info, hashed)));
  fsyncFolder(tmp);

  // 2. Into place. The same step saved twice (Ctrl-C just after an epoch's checkpoint) replaces the
  // first; a crash between these two renames leaves latest.json naming a missing folder, and loading
  // falls back to the checkpoint before.
  const final = path.join(root, name);
  if (fs.existsSync(final)) retire(root, name);
  fs.renameSync(tmp, final);
  fsyncFolder(root);

  // 3. The commit point.
  writeFileAtomic(path.join(root, POINTER_FILE), pointerText(name));

  // 4. Older checkpoints beyond KEEP_LAST, any newer ones (left by a run that crashed and was resumed
  // from before them), and leftovers of crashed saves.
  const older = stepFolders(fs.readdirSync(root)).filter((f) => f.step < info.train.step);
  const newer = stepFolders(fs.readdirSync(root)).filter((f) => f.step > info.train.step);
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
  const folder = diskFolder(runDir);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const loaded = loadLatest(folder, runDir, warn);
  if (!loaded) return null;
  const { name, ...checkpoint } = loaded;
  return { ...checkpoint, dir: folder.path(name) };
}

/** Reads and verifies every checkpoint of a run (for `genlab info`). */
export function verifyCheckpoints(runDir: string): CheckpointReport {
  return checkpointReport(diskFolder(runDir));
}

/** The run's checkpoints/ folder on disk. */
function diskFolder(runDir: string): CheckpointFolder {
  const root = path.join(runDir, CHECKPOINTS_FOLDER);
  return {
    names: () => (fs.existsSync(root) ? fs.readdirSync(root) : []),
    path: (...names) => path.join(root, ...names),
    read: (...names) => {
      const file = path.join(root, ...names);
      try {
        return fs.readFileSync(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new DamagedFile(file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (e as Error).message})`);
      }
    },
    sha256,
  };
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
