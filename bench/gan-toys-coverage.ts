/**
 * Mode coverage of a model trained on a Gaussian-mixture toy (toy:ring, toy:grid, toy:gmm1d): opens
 * the run (EMA weights when it kept them), draws N samples with `model.sample` and scores them with
 * ../src/eval/modeCoverage.ts against the toy's exact mixture (VEEGAN's convention: high quality
 * within 3 standard deviations of the nearest mode, a mode covered by at least one such sample).
 * Prints one JSON object. With --table, reads such JSON files (one per seed) for each named
 * setting and prints the markdown table of bench/gan-toys.sh: mean +- sd over seeds.
 *
 * Usage: node dist/bench/gan-toys-coverage.js RUN [N=2000] [SEED=0]
 *        node dist/bench/gan-toys-coverage.js --table NAME=FILE[,FILE...] ...
 */
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { UserError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { TOYS, type GaussianMixtureSpec, type ToyDistribution } from '../src/data/toy.js';
import { gaussianMassWithin, modeCoverage, type ModeCoverage } from '../src/eval/modeCoverage.js';
import type { GenerativeModel } from '../src/models/model.js';
import { initNodeBackend } from '../src/node/engine.js';
import { openRun } from '../src/node/run.js';

/** The exact mixture behind a run's `--data` spec, which must be a Gaussian-mixture toy. */
export function toyMixture(dataSpec: string): GaussianMixtureSpec {
  const toy: ToyDistribution | undefined = dataSpec.startsWith('toy:') ? (TOYS as Record<string, ToyDistribution>)[dataSpec.slice(4)] : undefined;
  const spec = (toy as { spec?: GaussianMixtureSpec } | undefined)?.spec;
  if (!spec) throw new UserError(`the run was trained on '${dataSpec}'; mode coverage needs a Gaussian-mixture toy: toy:ring, toy:grid or toy:gmm1d`);
  return spec;
}

/** What one run's evaluation prints. */
export interface CoverageRecord extends ModeCoverage {
  run: string;
  model: string;
  data: string;
  /** The seed of the sampling Rng. */
  seed: number;
  /** The high-quality fraction of the data itself, P(chi^2_dim <= sigmas^2): the ceiling of `highQualityFraction`. */
  dataHighQualityFraction: number;
}

/** N samples of `model` (trained on `dataSpec`), scored against the toy's mixture. */
export async function coverageOfModel(model: Pick<GenerativeModel, 'name' | 'sample'>, dataSpec: string, n: number, seed: number, run = ''): Promise<CoverageRecord> {
  const mixture = toyMixture(dataSpec);
  const points = await model.sample(n, new Rng(seed));
  const coverage = modeCoverage(points, n, mixture);
  const dim = mixture.means[0].length;
  return { run, model: model.name, data: dataSpec, seed, ...coverage, dataHighQualityFraction: gaussianMassWithin(dim, coverage.sigmas) };
}

/** "mean ± sd" (sample standard deviation over the values; the mean alone for one value). */
export function meanSd(values: number[], digits: number): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return mean.toFixed(digits);
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  return `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}

/** The markdown table: one row per setting, its seeds' records aggregated; a last row for the data itself. */
export function coverageTable(rows: { name: string; records: CoverageRecord[] }[]): string {
  const all = rows.flatMap((r) => r.records);
  const modes = all[0]?.modes ?? 0;
  const lines = [
    `| setting | modes covered (of ${modes}) | high-quality fraction | KL(q ‖ w), nats | seeds |`,
    '|---|---|---|---|---|',
  ];
  for (const { name, records } of rows) {
    if (records.length === 0) {
      lines.push(`| ${name} | - | - | - | 0 |`);
      continue;
    }
    // A run without any high-quality sample has no KL: reported as missing, not as 0.
    const kls = records.flatMap((r) => (r.klToWeights === undefined ? [] : [r.klToWeights]));
    const kl = kls.length === 0 ? '-' : meanSd(kls, 3) + (kls.length < records.length ? ` (${kls.length} of ${records.length})` : '');
    lines.push(`| ${name} | ${meanSd(records.map((r) => r.covered), 1)} | ${meanSd(records.map((r) => r.highQualityFraction), 3)} | ${kl} | ${records.length} |`);
  }
  if (all.length > 0) lines.push(`| data (exact) | ${modes} | ${all[0].dataHighQualityFraction.toFixed(3)} | 0 | - |`);
  return lines.join('\n');
}

async function main(args: string[]): Promise<void> {
  if (args[0] === '--table') {
    const rows = args.slice(1).map((arg) => {
      const eq = arg.indexOf('=');
      if (eq < 0) throw new UserError(`--table expects NAME=FILE[,FILE...], got '${arg}'`);
      // Missing files (a run that failed or diverged) are left out; the seeds column shows it.
      const files = arg.slice(eq + 1).split(',').filter((f) => f && fs.existsSync(f));
      return { name: arg.slice(0, eq), records: files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as CoverageRecord) };
    });
    console.log(coverageTable(rows));
    return;
  }
  const [runDir, nArg, seedArg] = args;
  if (!runDir) throw new UserError('usage: node dist/bench/gan-toys-coverage.js RUN [N=2000] [SEED=0] | --table NAME=FILE[,FILE...] ...');
  await initNodeBackend();
  const run = openRun(runDir);
  const record = await coverageOfModel(run.model, run.config.data.spec, Number(nArg ?? 2000), Number(seedArg ?? 0), runDir);
  console.log(JSON.stringify(record));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof UserError ? `error: ${error.message}` : error);
    process.exit(error instanceof UserError ? 2 : 1);
  });
}
