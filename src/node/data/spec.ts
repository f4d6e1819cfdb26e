/**
 * The `--data` argument: mnist | fashion | csv:PATH | images:DIR | toy:NAME, loaded into a
 * train / test pair. Data without an official split (CSV, image folders) is split deterministically:
 * a permutation with a fixed seed (independent of --seed) puts 10% of the examples in the test split.
 */
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { subset, type DataSplits, type Dataset } from '../../data/dataset.js';
import { toySplits } from '../../data/toy.js';
import { loadCsv } from './csv.js';
import { loadFashionMnist } from './fashion.js';
import { loadImageFolder } from './images.js';
import { loadMnist } from './mnist.js';
import type { DataSpecOptions } from '../../io/runFolder.js';

export type { DataSpecOptions } from '../../io/runFolder.js';

export const DATA_SPEC_HELP = 'mnist | fashion | csv:PATH | images:DIR | toy:NAME';
const TEST_FRACTION = 0.1;
const SPLIT_SEED = 20261121;

export function loadDataSpec(spec: string, options: DataSpecOptions = {}): DataSplits {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'mnist':
      return loadMnist();
    case 'fashion':
      return loadFashionMnist();
    case 'csv':
      requireArg(kind, arg, 'PATH');
      return splitDeterministically(loadCsv(arg, { labelColumn: options.labelColumn }));
    case 'images':
      requireArg(kind, arg, 'DIR');
      return splitDeterministically(loadImageFolder(arg, { size: options.size }));
    case 'toy': {
      requireArg(kind, arg, 'NAME');
      return toySplits(arg, options.toyExamples ?? 10000);
    }
    default:
      throw new UserError(`unknown --data '${spec}'; expected ${DATA_SPEC_HELP}`);
  }
}

function requireArg(kind: string, arg: string, what: string): void {
  if (!arg) throw new UserError(`--data ${kind}:${what} needs a ${what.toLowerCase()} after the colon`);
}

/** 90% train / 10% test by a fixed-seed permutation; order within each split follows the file. */
export function splitDeterministically(d: Dataset): DataSplits {
  if (d.n < 2) throw new UserError(`'${d.name}' has ${d.n} example(s); at least 2 are needed for a train / test split`);
  const nTest = Math.max(1, Math.round(d.n * TEST_FRACTION));
  const perm = new Rng(SPLIT_SEED).permutation(d.n);
  const isTest = new Uint8Array(d.n);
  for (let i = 0; i < nTest; i++) isTest[perm[i]] = 1;
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  for (let i = 0; i < d.n; i++) (isTest[i] ? testIdx : trainIdx).push(i);
  return { train: subset(d, trainIdx, `${d.name}/train`), test: subset(d, testIdx, `${d.name}/test`) };
}
