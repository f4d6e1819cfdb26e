/**
 * The train / test split of data that has none of its own (a CSV file, a folder of images): a
 * permutation with a fixed seed (independent of the run's seed) puts 10% of the examples in the test
 * split. The CLI and the studio split with it, so a run trained in either finds the same examples.
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { subset, type DataSplits, type Dataset } from './dataset.js';

const TEST_FRACTION = 0.1;
const SPLIT_SEED = 20261121;

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
