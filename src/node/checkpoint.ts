/**
 * Checkpoints: model config + weights (TF.js weights format) + any optimizer state + the trainer's
 * state (epoch, step, RNG streams), so `--resume` continues the same run exactly.
 *
 * Layout: <run>/checkpoints/step-<N>/{checkpoint.json, weights.bin, optimizer.bin}, and
 * <run>/checkpoints/latest.json naming the newest. Each checkpoint is written into a temporary
 * folder that is renamed into place, and latest.json is replaced by rename, so a crash at any point
 * leaves the previous checkpoint intact and pointed to.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors.js';
import { decodeWeights, encodeWeights, type WeightSpec } from '../io/weights.js';
import type { GenerativeModel, NamedArray } from '../models/model.js';
import type { DataInfo } from '../models/registry.js';
import type { TrainState } from '../train/fit.js';
import { writeFileAtomic } from './fsAtomic.js';

export const CHECKPOINT_FORMAT = 'genlab-checkpoint';
const KEEP_LAST = 2;

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  model: { name: string; config: Record<string, unknown> };
  data: DataInfo;
  /** TF.js-style weights manifest for weights.bin. */
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  optimizerManifest?: { paths: string[]; weights: WeightSpec[] }[];
  train: TrainState;
  backend: string;
  savedAt: string;
}

export interface Checkpoint {
  manifest: CheckpointManifest;
  weights: NamedArray[];
  optimizer: NamedArray[];
  dir: string;
}

export function saveCheckpoint(
  runDir: string,
  model: GenerativeModel,
  data: DataInfo,
  train: TrainState,
  backend: string,
  optimizer: NamedArray[] = [],
): string {
  const root = path.join(runDir, 'checkpoints');
  fs.mkdirSync(root, { recursive: true });
  const name = `step-${String(train.step).padStart(8, '0')}`;
  const tmp = path.join(root, `.tmp-${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);

  const weights = encodeWeights(model.getWeights());
  fs.writeFileSync(path.join(tmp, 'weights.bin'), weights.data);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    model: { name: model.name, config: model.getConfig() },
    data,
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.specs }],
    train,
    backend,
    savedAt: new Date().toISOString(),
  };
  if (optimizer.length > 0) {
    const opt = encodeWeights(optimizer);
    fs.writeFileSync(path.join(tmp, 'optimizer.bin'), opt.data);
    manifest.optimizerManifest = [{ paths: ['optimizer.bin'], weights: opt.specs }];
  }
  fs.writeFileSync(path.join(tmp, 'checkpoint.json'), JSON.stringify(manifest, null, 1));

  const final = path.join(root, name);
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  writeFileAtomic(path.join(root, 'latest.json'), JSON.stringify({ checkpoint: name }) + '\n');

  const old = fs
    .readdirSync(root)
    .filter((f) => /^step-\d+$/.test(f))
    .sort()
    .slice(0, -KEEP_LAST);
  for (const f of old) fs.rmSync(path.join(root, f), { recursive: true, force: true });
  return final;
}

/** The newest checkpoint of a run, or null when it has none. */
export function loadLatestCheckpoint(runDir: string): Checkpoint | null {
  const pointer = path.join(runDir, 'checkpoints', 'latest.json');
  if (!fs.existsSync(pointer)) return null;
  const { checkpoint } = JSON.parse(fs.readFileSync(pointer, 'utf8')) as { checkpoint: string };
  const dir = path.join(runDir, 'checkpoints', checkpoint);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as CheckpointManifest;
  if (manifest.format !== CHECKPOINT_FORMAT) throw new UserError(`${dir} is not a genlab checkpoint`);
  const read = (m?: { paths: string[]; weights: WeightSpec[] }[]) =>
    m ? decodeWeights(m[0].weights, new Uint8Array(fs.readFileSync(path.join(dir, m[0].paths[0])))) : [];
  return { manifest, weights: read(manifest.weightsManifest), optimizer: read(manifest.optimizerManifest), dir };
}
