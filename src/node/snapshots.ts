/**
 * The GAN lab's files in a run folder: RUN/snapshots/step-000123.png, one frame (../io/ganLab.ts)
 * per snapshot, and RUN/snapshots/summary.gif, the animation of every frame in the folder. A
 * resumed run keeps the frames up to its checkpoint and drops those of the steps it will redo.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Rng } from '../core/rng.js';
import { ganLabFrame, ganLabSnapshot, type GanLabSnapshotOptions } from '../io/ganLab.js';
import type { AdversarialModel } from '../models/capabilities.js';
import { framesToKeep, writeGif } from './animation.js';
import { readPng, writePng } from './data/images.js';

export const SNAPSHOT_FOLDER = 'snapshots';
export const SUMMARY_GIF = 'summary.gif';
/** Milliseconds per frame of the summary. */
const FRAME_DELAY_MS = 150;
const FRAME_NAME = /^step-(\d+)\.png$/;

export function snapshotFile(runDir: string, step: number): string {
  return path.join(runDir, SNAPSHOT_FOLDER, `step-${String(step).padStart(6, '0')}.png`);
}

/** Writes the frame of `step`: the model's players as they are now (see `ganLabSnapshot` for `rng`). */
export async function writeSnapshot(
  runDir: string,
  model: AdversarialModel,
  real: Float32Array,
  dim: number,
  step: number,
  rng: Rng,
  opts: GanLabSnapshotOptions = {},
): Promise<void> {
  const frame = ganLabFrame(await ganLabSnapshot(model, real, dim, step, rng, opts));
  writePng(snapshotFile(runDir, step), frame);
}

/** The frames in the folder, by step. */
export function snapshotFrames(runDir: string): { step: number; file: string }[] {
  const dir = path.join(runDir, SNAPSHOT_FOLDER);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => ({ match: FRAME_NAME.exec(name), name }))
    .filter(({ match }) => match)
    .map(({ match, name }) => ({ step: Number(match![1]), file: path.join(dir, name) }))
    .sort((a, b) => a.step - b.step);
}

/** Removes the frames of steps after `step`: a resumed run redoes them from its checkpoint. */
export function forgetSnapshotsAfter(runDir: string, step: number): void {
  for (const frame of snapshotFrames(runDir)) if (frame.step > step) fs.rmSync(frame.file, { force: true });
}

/**
 * RUN/snapshots/summary.gif from every frame in the folder (evenly thinned to the GIF's limit
 * before they are read); returns the number of frames in it, 0 (and no file) when there are none.
 */
export function writeSnapshotSummary(runDir: string): number {
  const frames = snapshotFrames(runDir);
  if (frames.length === 0) return 0;
  const kept = framesToKeep(frames.length).map((i) => readPng(frames[i].file));
  writeGif(path.join(runDir, SNAPSHOT_FOLDER, SUMMARY_GIF), kept, FRAME_DELAY_MS);
  return kept.length;
}
