/**
 * Commands that look into the latent space of a `LatentModel` (ae, vae, cvae, ...):
 *   encode       codes (posterior means) of a split or of input files, as CSV
 *   latent-map   a 2-D picture of the codes coloured by class (PCA when the code has more dimensions)
 *   interpolate  decoded points on the line between two codes (Kingma & Welling 2014, Fig. 4 style)
 *   traverse     decoded codes with one dimension swept (Higgins et al. 2017, beta-VAE Fig. 1 style)
 *   reconstruct  inputs beside decode(encode(x))
 * Any other model is refused with a UserError naming it.
 */
import * as path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { exampleSize, type Dataset } from '../../data/dataset.js';
import { prepareInput } from '../../data/prepare.js';
import { codePlane, interpolateCodes, traversalCodes } from '../../eval/latentSpace.js';
import { encodeAll } from '../../eval/probe.js';
import { makeGrid } from '../../io/grid.js';
import { colorScatterPlot } from '../../io/scatter.js';
import { hasCodes, isLatent, type LatentModel } from '../../models/capabilities.js';
import type { GenerativeModel } from '../../models/model.js';
import { writePng } from '../../node/data/images.js';
import { initNodeBackend } from '../../node/engine.js';
import { writeFileAtomic } from '../../node/fsAtomic.js';
import { loadRunData, openRun, type OpenRun } from '../../node/run.js';
import { EMA_OPTION, GENLAB, choiceFlag, helpText, numberFlag, onePositional, parse, type OptionTable } from '../args.js';
import { imageShape, printJson, readInput, valueRange } from '../common.js';

const COMMON: OptionTable = {
  ...EMA_OPTION,
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

interface LatentRun extends OpenRun {
  model: GenerativeModel & LatentModel;
}

/** Encoding is deterministic for posterior means; models whose encode draws get a fixed stream. */
const ENCODE_SEED = 0;

// ---------------------------------------------------------------------------------------------
// encode

export const ENCODE_OPTIONS: OptionTable = {
  input: { type: 'string', value: 'FILE', help: '.csv (one example per row) or .png to encode, instead of a split' },
  split: { type: 'string', value: 'NAME', help: 'test|train: encode the run\'s data split (default test)' },
  limit: { type: 'string', value: 'N', help: 'encode only the first N examples of the split' },
  out: { type: 'string', value: 'FILE', help: '.csv: a header z0..z(L-1)[,label], one row per example', default: 'latents.csv' },
  ...COMMON,
};

export async function encodeCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('encode', args, ENCODE_OPTIONS);
  if (v.help) return help('Usage: genlab encode RUN [--input FILE.csv|FILE.png | --split test] [--limit N] --out latents.csv', ENCODE_OPTIONS);
  const runDir = onePositional('encode', positionals, 'RUN folder');
  if (v.input !== undefined && v.split !== undefined) throw new UserError('genlab encode takes --input FILE or --split NAME, not both');
  const out = String(v.out);
  requireExtension('out', out, ['.csv']);
  const limit = numberFlag('limit', v.limit, { integer: true, min: 1 });
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openLatentRun('encode', runDir, !v['no-ema']);
  const data = v.input !== undefined ? inputExamples(run, String(v.input)) : splitExamples(run, splitFlag(v.split), limit);
  const codes = await encodeAll(run.model, data, new Rng(ENCODE_SEED));
  const L = run.model.latentSize;
  const header = [...Array.from({ length: L }, (_, j) => `z${j}`), ...(data.labels ? ['label'] : [])];
  const rows = [header.join(',')];
  for (let i = 0; i < data.n; i++) {
    const cells = Array.from(codes.subarray(i * L, (i + 1) * L), (c) => String(c));
    if (data.labels) cells.push(String(data.labels[i]));
    rows.push(cells.join(','));
  }
  writeFileAtomic(out, rows.join('\n') + '\n');
  if (v.json) printJson({ out, n: data.n, latentSize: L, labels: Boolean(data.labels), source: data.name, backend });
  else process.stderr.write(`wrote ${data.n} codes of ${L} dimensions to ${out}\n`);
  run.model.dispose();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// latent-map

export const LATENT_MAP_OPTIONS: OptionTable = {
  split: { type: 'string', value: 'NAME', help: 'test|train', default: 'test' },
  limit: { type: 'string', value: 'N', help: 'draw the first N examples of the split', default: '5000' },
  size: { type: 'string', value: 'PX', help: 'plot width and height in pixels', default: '384' },
  out: { type: 'string', value: 'FILE', help: '.png', default: 'latent-map.png' },
  ...COMMON,
};

export async function latentMapCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('latent-map', args, LATENT_MAP_OPTIONS);
  if (v.help) return help('Usage: genlab latent-map RUN [--split test] [--limit N] --out map.png', LATENT_MAP_OPTIONS);
  const runDir = onePositional('latent-map', positionals, 'RUN folder');
  const out = String(v.out);
  requireExtension('out', out, ['.png']);
  const limit = numberFlag('limit', v.limit, { integer: true, min: 1 })!;
  const size = numberFlag('size', v.size, { integer: true, min: 32, max: 4096 })!;
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openLatentRun('latent-map', runDir, !v['no-ema']);
  const data = splitExamples(run, splitFlag(v.split), limit);
  const L = run.model.latentSize;
  const codes = await encodeAll(run.model, data, new Rng(ENCODE_SEED));

  // Codes as points in the plane: as they are (L = 2), on the x axis (L = 1), or the top two principal components.
  const { points, projection, explained } = codePlane(codes, data.n, L);
  if (projection === 'pad') process.stderr.write('latent size 1: the codes lie on the x axis\n');
  if (explained) {
    const pct = explained.map((e) => `${(100 * e).toFixed(1)}%`).join(' and ');
    process.stderr.write(`latent size ${L} > 2: drawing the first two principal components of the codes (${pct} of their variance)\n`);
  }
  writePng(out, colorScatterPlot(points, data.n, data.labels, { size, classNames: data.classNames }));
  if (v.json) {
    printJson({ out, n: data.n, latentSize: L, projection, ...(explained && { explainedVariance: explained }), labels: Boolean(data.labels), backend });
  } else {
    process.stderr.write(`wrote a map of ${data.n} codes to ${out}\n`);
  }
  run.model.dispose();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// interpolate

export const INTERPOLATE_OPTIONS: OptionTable = {
  from: { type: 'string', value: 'A', help: 'start: an index into the test split, or a .png / one-row .csv file' },
  to: { type: 'string', value: 'B', help: 'end: as --from' },
  steps: { type: 'string', value: 'N', help: 'decoded points from A\'s code to B\'s, both included', default: '10' },
  out: { type: 'string', value: 'FILE', help: '.png: one row, A, the N decoded points, B', default: 'interpolation.png' },
  ...COMMON,
};

export async function interpolateCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('interpolate', args, INTERPOLATE_OPTIONS);
  if (v.help) return help('Usage: genlab interpolate RUN --from A --to B [--steps N] --out FILE.png', INTERPOLATE_OPTIONS);
  const runDir = onePositional('interpolate', positionals, 'RUN folder');
  if (v.from === undefined || v.to === undefined) throw new UserError('genlab interpolate needs --from A and --to B (test-split indices or image files)');
  const steps = numberFlag('steps', v.steps, { integer: true, min: 2, max: 256 })!;
  const out = String(v.out);
  requireExtension('out', out, ['.png']);
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openLatentRun('interpolate', runDir, !v['no-ema']);
  const ends = new Examples(run);
  const a = ends.get(String(v.from), 'from');
  const b = ends.get(String(v.to), 'to');
  const L = run.model.latentSize;
  const [za, zb] = [await encodeOne(run.model, a), await encodeOne(run.model, b)];

  // z(t) = (1 - t) z_A + t z_B at t = 0, 1/(N-1), ..., 1; a conditional model decodes with A's class.
  const z = interpolateCodes(za, zb, steps);
  const decoded = await run.model.decode(z, steps, a.labels?.length ? repeatLabel(a.labels[0], steps) : undefined);
  writeRow(run, out, [a.x, decoded, b.x], steps + 2, steps + 2);
  if (v.json) printJson({ out, steps, from: String(v.from), to: String(v.to), latentSize: L, backend });
  else process.stderr.write(`wrote ${steps} decoded points from ${v.from} to ${v.to} to ${out}\n`);
  run.model.dispose();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// traverse

export const TRAVERSE_OPTIONS: OptionTable = {
  dim: { type: 'string', value: 'i|all', help: 'the latent dimension to sweep (from 0), or all: one row per dimension' },
  code: { type: 'string', value: 'NAME|all', help: "InfoGAN: the code to vary (category, continuous1, ...), or all: one picture each (FILE-NAME.png)" },
  rows: { type: 'string', value: 'N', help: 'InfoGAN: rows, each with its own z and other codes', default: '8' },
  range: { type: 'string', value: 'R', help: 'the swept dimension takes values from -R to R (default 3; InfoGAN codes 2, as Chen et al. Fig. 2)' },
  steps: { type: 'string', value: 'N', help: 'values per sweep', default: '9' },
  at: { type: 'string', value: 'I|FILE|zero', help: 'the other dimensions: the code of test example I, of a .png / one-row .csv file, or zero (the origin)', default: '0' },
  out: { type: 'string', value: 'FILE', help: '.png', default: 'traverse.png' },
  ...COMMON,
};

export async function traverseCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('traverse', args, TRAVERSE_OPTIONS);
  if (v.help) {
    return help('Usage: genlab traverse RUN --dim i|all [--range 3] [--steps 9] [--at I|FILE|zero] [--out FILE.png]\n       genlab traverse RUN --code NAME|all [--rows 8] [--steps 9] [--range 2] [--out FILE.png]   (InfoGAN)', TRAVERSE_OPTIONS);
  }
  const runDir = onePositional('traverse', positionals, 'RUN folder');
  if (v.code !== undefined) return traverseCodes(runDir, v);
  if (v.dim === undefined) throw new UserError('genlab traverse needs --dim i (a latent dimension, from 0) or --dim all; an InfoGAN run takes --code NAME|all');
  const range = numberFlag('range', v.range ?? '3', { min: 0 })!;
  const steps = numberFlag('steps', v.steps, { integer: true, min: 2, max: 256 })!;
  const out = String(v.out);
  requireExtension('out', out, ['.png']);
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openLatentRun('traverse', runDir, !v['no-ema']);
  const L = run.model.latentSize;
  const dims = v.dim === 'all' ? Array.from({ length: L }, (_, j) => j) : [numberFlag('dim', v.dim, { integer: true, min: 0, max: L - 1 })!];

  // The base code: an example's posterior mean, or the prior's mean 0 (no class for a conditional model).
  const at = String(v.at);
  let base: Float32Array = new Float32Array(L);
  let label: number | undefined;
  if (at !== 'zero') {
    const example = new Examples(run).get(at, 'at');
    base = await encodeOne(run.model, example);
    label = example.labels?.[0];
  }
  // Row r sets dimension dims[r] to -R + 2R s / (N - 1), s = 0..N-1, the others at the base code.
  const n = dims.length * steps;
  const z = traversalCodes(base, dims, range, steps);
  const decoded = await run.model.decode(z, n, label !== undefined ? repeatLabel(label, n) : undefined);
  writeRow(run, out, [decoded], n, steps);
  if (v.json) printJson({ out, dims, steps, range, at, latentSize: L, backend });
  else process.stderr.write(`wrote ${dims.length} traversal(s) of ${steps} steps to ${out}\n`);
  run.model.dispose();
  return 0;
}

/**
 * InfoGAN's traversals (Chen et al. 2016, Fig. 2): one picture per code, `rows` rows, each row one z
 * and one draw of the other codes, its columns the code's values (every category, or `steps` values
 * from -R to R).
 */
async function traverseCodes(runDir: string, v: Record<string, string | boolean | undefined>): Promise<number> {
  const rows = numberFlag('rows', v.rows, { integer: true, min: 1, max: 64 })!;
  const steps = numberFlag('steps', v.steps, { integer: true, min: 2, max: 256 })!;
  const range = numberFlag('range', v.range ?? '2', { min: 0 })!;
  const seed = 0;
  const out = String(v.out);
  requireExtension('out', out, ['.png']);
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openRun(runDir, { ema: !v['no-ema'] });
  const model = run.model;
  if (!hasCodes(model)) {
    model.dispose();
    throw new UserError(`--code needs a model with structured codes (infogan); ${model.name} has none${isLatent(model) ? ': use --dim' : ''}`);
  }
  const names = model.codes.map((c) => c.name);
  const chosen = v.code === 'all' ? model.codes : model.codes.filter((c) => c.name === v.code);
  if (chosen.length === 0) {
    model.dispose();
    throw new UserError(`${model.name} has no code '${String(v.code)}'; its codes: ${names.join(', ')}, or all`);
  }
  const written: string[] = [];
  for (const code of chosen) {
    const file = chosen.length === 1 && v.code !== 'all' ? out : out.replace(/\.png$/i, `-${code.name}.png`);
    const columns = code.kind === 'categorical' ? code.size : steps;
    const cells = await model.traverseCode(code.name, rows, columns, new Rng(seed), range);
    writeRow(run, file, [cells], rows * columns, columns);
    written.push(file);
  }
  if (v.json) printJson({ out: written, codes: chosen.map((c) => c.name), rows, steps, range, backend });
  else process.stderr.write(`wrote ${written.length} code traversal(s): ${written.join(', ')}\n`);
  model.dispose();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// reconstruct

export const RECONSTRUCT_OPTIONS: OptionTable = {
  input: { type: 'string', value: 'FILE', help: '.csv (one example per row) or .png to reconstruct, instead of a split' },
  split: { type: 'string', value: 'NAME', help: 'test|train (default test)' },
  n: { type: 'string', short: 'n', value: 'N', help: 'examples: the first N of the split', default: '16' },
  out: { type: 'string', value: 'FILE', help: '.png: pairs of input and reconstruction, 8 pairs per row', default: 'reconstructions.png' },
  ...COMMON,
};

export async function reconstructCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('reconstruct', args, RECONSTRUCT_OPTIONS);
  if (v.help) return help('Usage: genlab reconstruct RUN [--split test | --input FILE] [-n N] --out FILE.png', RECONSTRUCT_OPTIONS);
  const runDir = onePositional('reconstruct', positionals, 'RUN folder');
  if (v.input !== undefined && v.split !== undefined) throw new UserError('genlab reconstruct takes --input FILE or --split NAME, not both');
  const limit = numberFlag('n', v.n, { integer: true, min: 1, max: 10000 })!;
  const out = String(v.out);
  requireExtension('out', out, ['.png']);
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openLatentRun('reconstruct', runDir, !v['no-ema']);
  const data = v.input !== undefined ? headOf(inputExamples(run, String(v.input)), limit) : splitExamples(run, splitFlag(v.split), limit);
  // x^ = decode(encode(x)): the decoder's mean at the posterior mean (a conditional model keeps x's class).
  const codes = await encodeAll(run.model, data, new Rng(ENCODE_SEED));
  const recon = await run.model.decode(codes, data.n, data.labels);
  const D = exampleSize(data);
  const cells = new Float32Array(2 * data.n * D);
  for (let i = 0; i < data.n; i++) {
    cells.set(data.x.subarray(i * D, (i + 1) * D), 2 * i * D);
    cells.set(recon.subarray(i * D, (i + 1) * D), (2 * i + 1) * D);
  }
  writeRow(run, out, [cells], 2 * data.n, 2 * Math.min(8, data.n));
  if (v.json) printJson({ out, n: data.n, source: data.name, backend });
  else process.stderr.write(`wrote ${data.n} reconstructions to ${out}\n`);
  run.model.dispose();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** The run's model, if it has a latent space. */
function openLatentRun(command: string, runDir: string, ema: boolean): LatentRun {
  const run = openRun(runDir, { ema });
  const m = run.model;
  if (!isLatent(m)) {
    m.dispose();
    throw new UserError(`${m.name} has no latent space: genlab ${command} needs a latent-variable model (one with encode/decode: '${GENLAB} models' lists them)`);
  }
  return run as LatentRun;
}

function splitFlag(raw: string | boolean | undefined): 'test' | 'train' {
  return choiceFlag('split', raw ?? 'test', ['test', 'train'] as const)!;
}

/** The first `limit` examples of a split of the run's data, prepared as at training time. */
function splitExamples(run: OpenRun, split: 'test' | 'train', limit?: number): Dataset {
  const data = loadRunData(run.config)[split];
  return { ...headOf(data, limit ?? data.n), name: split };
}

function headOf(d: Dataset, limit: number): Dataset {
  const n = Math.min(d.n, limit);
  return { ...d, n, x: d.x.subarray(0, n * exampleSize(d)), labels: d.labels?.subarray(0, n) };
}

/** A .csv or .png file brought to the run's value kind. */
function inputExamples(run: OpenRun, file: string): Dataset {
  const { shape, kind } = run.checkpoint.manifest.data;
  return { ...prepareInput(readInput(file, shape), kind), name: file };
}

/** Single examples named on the command line: a test-split index (the split loaded once) or a file. */
class Examples {
  private test?: Dataset;
  constructor(private readonly run: OpenRun) {}

  get(spec: string, flag: string): Dataset {
    if (/^\d+$/.test(spec)) {
      this.test ??= loadRunData(this.run.config).test;
      const i = Number(spec);
      if (i >= this.test.n) throw new UserError(`--${flag} ${spec}: the test split has ${this.test.n} examples (indices 0..${this.test.n - 1})`);
      const D = exampleSize(this.test);
      return { ...this.test, name: `test[${i}]`, n: 1, x: this.test.x.subarray(i * D, (i + 1) * D), labels: this.test.labels?.subarray(i, i + 1) };
    }
    const ext = path.extname(spec).toLowerCase();
    if (ext !== '.png' && ext !== '.csv') throw new UserError(`--${flag} must be a test-split index or a .png / .csv file, got '${spec}'`);
    const d = inputExamples(this.run, spec);
    if (d.n !== 1) throw new UserError(`--${flag} ${spec}: holds ${d.n} examples; give one (a .png, or a .csv of one row)`);
    return d;
  }
}

async function encodeOne(model: GenerativeModel & LatentModel, example: Dataset): Promise<Float32Array> {
  return model.encode({ x: example.x, n: 1, labels: example.labels }, new Rng(ENCODE_SEED));
}

function repeatLabel(label: number, n: number): Int32Array {
  return new Int32Array(n).fill(label);
}

/** Images [n * D] (pieces concatenated) as a grid of `cols` columns in the run's value range. */
function writeRow(run: OpenRun, out: string, pieces: Float32Array[], n: number, cols: number): void {
  const { shape, kind } = run.checkpoint.manifest.data;
  const D = exampleSize({ shape });
  const cells = new Float32Array(n * D);
  let offset = 0;
  for (const p of pieces) {
    cells.set(p, offset);
    offset += p.length;
  }
  writePng(out, makeGrid(cells, n, imageShape(shape), { cols, valueRange: valueRange(kind, cells) }));
}

function requireExtension(flag: string, file: string, extensions: string[]): void {
  if (!extensions.includes(path.extname(file).toLowerCase())) throw new UserError(`--${flag} must end in ${extensions.join(' or ')}, got '${file}'`);
}

function help(usage: string, table: OptionTable): number {
  process.stdout.write(helpText(usage, table));
  return 0;
}
