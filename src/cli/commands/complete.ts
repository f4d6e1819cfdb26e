/**
 * `genlab complete RUN --input FILE --mask REGION -n K --out FILE.png`: inpainting with a model that
 * can complete (a `CompletionModel`), drawing the missing pixels from the model given the rest.
 * Each input becomes one grid row: the input, the masked input (missing pixels grey), K completions.
 */
import * as path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { prepareInput } from '../../data/prepare.js';
import { completeEach, MASK_REGIONS, regionMask, type MaskRegion } from '../../eval/completion.js';
import { makeGrid } from '../../io/grid.js';
import { canComplete } from '../../models/capabilities.js';
import { readPng, writePng } from '../../node/data/images.js';
import { initNodeBackend } from '../../node/engine.js';
import { openRun } from '../../node/run.js';
import { EMA_OPTION, GENLAB, helpText, numberFlag, onePositional, parse, type OptionTable } from '../args.js';
import { imageShape, printJson, readInput, valueRange, writeSamplesCsv } from '../common.js';

export { MASK_REGIONS };

export const COMPLETE_OPTIONS: OptionTable = {
  input: { type: 'string', value: 'FILE', help: '.png image or .csv (one example per row)' },
  mask: { type: 'string', value: 'REGION', help: `the missing part: ${MASK_REGIONS.join('|')} (half of the image) or MASK.png (white = missing)`, default: 'bottom' },
  n: { type: 'string', short: 'n', value: 'K', help: 'completions per input', default: '8' },
  out: { type: 'string', value: 'FILE', help: '.png grid, or .csv of the completions', default: 'completions.png' },
  seed: { type: 'string', value: 'N', help: 'sampling seed', default: '0' },
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  ...EMA_OPTION,
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** The missing-pixel mask [H * W * C] (1 = missing) for a named half or a mask image. */
export function missingMask(spec: string, shape: number[]): Uint8Array {
  if ((MASK_REGIONS as readonly string[]).includes(spec)) return regionMask(spec as MaskRegion, shape);
  if (path.extname(spec).toLowerCase() !== '.png') {
    throw new UserError(`--mask must be ${MASK_REGIONS.join(', ')} or a .png mask image, got '${spec}'`);
  }
  const [H, W, C] = imageShape(shape);
  const img = readPng(spec);
  if (img.width !== W || img.height !== H) throw new UserError(`${spec}: mask is ${img.width}x${img.height}, the model expects ${W}x${H}`);
  const mask = new Uint8Array(H * W * C);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) mask.fill(img.data[(r * W + c) * img.channels] >= 128 ? 1 : 0, (r * W + c) * C, (r * W + c + 1) * C);
  return mask;
}

export async function completeCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('complete', args, COMPLETE_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText('Usage: genlab complete RUN --input FILE --mask REGION -n K --out FILE.png', COMPLETE_OPTIONS));
    return 0;
  }
  const runDir = onePositional('complete', positionals, 'RUN folder');
  if (!v.input) throw new UserError('genlab complete needs --input FILE (.png or .csv)');
  const k = numberFlag('n', v.n, { integer: true, min: 1, max: 256 })!;
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  const out = String(v.out);
  const ext = path.extname(out).toLowerCase();
  if (ext !== '.png' && ext !== '.csv') throw new UserError(`--out must end in .png or .csv, got '${out}'`);
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openRun(runDir, { ema: !v['no-ema'] });
  const model = run.model;
  if (!canComplete(model)) {
    throw new UserError(`${model.name} cannot complete partly observed inputs (models that can show 'completion' in '${GENLAB} models')`);
  }
  const { shape, kind } = run.checkpoint.manifest.data;
  const input = prepareInput(readInput(String(v.input), shape), run.checkpoint.manifest.data.kind);
  const missing = missingMask(String(v.mask), shape);
  const D = missing.length;

  // K copies of every input, completed in one batch.
  const completed = await completeEach(model, input.x, input.n, missing, k, new Rng(seed));

  if (ext === '.csv') {
    writeSamplesCsv(out, completed, input.n * k, run.config.data.featureNames);
  } else {
    const [lo, hi] = valueRange(kind, input.x);
    const cols = k + 2;
    const cells = new Float32Array(input.n * cols * D);
    for (let i = 0; i < input.n; i++) {
      const original = input.x.subarray(i * D, (i + 1) * D);
      cells.set(original, i * cols * D);
      const masked = Float32Array.from(original, (value, j) => (missing[j] ? (lo + hi) / 2 : value));
      cells.set(masked, (i * cols + 1) * D);
      cells.set(completed.subarray(i * k * D, (i + 1) * k * D), (i * cols + 2) * D);
    }
    writePng(out, makeGrid(cells, input.n * cols, imageShape(shape), { cols, valueRange: [lo, hi] }));
  }
  if (v.json) printJson({ out, inputs: input.n, completions: k, missing: missing.reduce((a, b) => a + b, 0), backend });
  else process.stderr.write(`wrote ${k} completion(s) of ${input.n} input(s) to ${out}\n`);
  run.model.dispose();
  return 0;
}
