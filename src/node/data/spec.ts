/**
 * The `--data` argument: mnist | fashion | csv:PATH | images:DIR | toy:NAME, loaded into a
 * train / test pair. Data without an official split (CSV, image folders) is split deterministically
 * (`splitDeterministically`, src/data/split.ts: 10% test by a fixed-seed permutation), as the studio
 * splits the same file.
 */
import { UserError } from '../../core/errors.js';
import type { DataSplits } from '../../data/dataset.js';
import { splitDeterministically } from '../../data/split.js';
import { toySplits } from '../../data/toy.js';
import { loadCsv } from './csv.js';
import { loadFashionMnist } from './fashion.js';
import { loadImageFolder } from './images.js';
import { loadMnist } from './mnist.js';
import type { DataSpecOptions } from '../../io/runFolder.js';

export type { DataSpecOptions } from '../../io/runFolder.js';

export const DATA_SPEC_HELP = 'mnist | fashion | csv:PATH | images:DIR | toy:NAME';

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
