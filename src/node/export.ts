/**
 * A trained run's weights as a safetensors file (src/io/safetensors.ts), for training or serving
 * in another framework (docs/SCALING.md): the weights of the run's newest intact checkpoint as
 * `openRun` loads them (the EMA weights when the run kept them, unless declined), under their
 * checkpoint names, with what is needed to rebuild the model as string metadata.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSafetensors } from '../io/safetensors.js';
import { writeFileAtomic } from './fsAtomic.js';
import type { OpenRun } from './run.js';

/** How the arrays are laid out, for a reader who maps them onto a PyTorch module (see safetensors.ts). */
export const TENSORFLOW_LAYOUT =
  'tensorflow: dense W [in, out] (nn.Linear weight = W.T); conv2d filter [fh, fw, in, out] and conv2dTranspose filter [fh, fw, out, in] ' +
  '(nn.Conv2d / nn.ConvTranspose2d weight = permute(3, 2, 0, 1)); images NHWC';

/** The metadata an export carries: every value a string, as safetensors requires. */
export function exportMetadata(run: OpenRun): Record<string, string> {
  const { model, data, train } = run.checkpoint.manifest;
  return {
    genlab_version: genlabVersion(),
    model: model.name,
    config: JSON.stringify(model.config),
    data: JSON.stringify(data),
    step: String(train.step),
    epoch: String(train.epoch),
    ema: String(run.usingEma),
    layout: TENSORFLOW_LAYOUT,
  };
}

/** Writes the run's weights to `file` (atomically: the old file or the new one, never half of one); returns what it wrote. */
export function exportSafetensors(run: OpenRun, file: string): { tensors: number; bytes: number; metadata: Record<string, string> } {
  const weights = run.model.getWeights();
  const metadata = exportMetadata(run);
  const bytes = encodeSafetensors(weights, metadata);
  writeFileAtomic(file, bytes);
  return { tensors: weights.length, bytes: bytes.byteLength, metadata };
}

let version: string | undefined;

/** genlab's version, from the package.json above this file (in src/ or in dist/src/). */
export function genlabVersion(): string {
  if (version !== undefined) return version;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'genlab' && pkg.version) return (version = pkg.version);
    }
    if (path.dirname(dir) === dir) return (version = 'unknown');
    dir = path.dirname(dir);
  }
}
