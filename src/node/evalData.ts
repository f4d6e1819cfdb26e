/**
 * Data sets to evaluate a run on besides its own: another data set's split, prepared as the run's
 * data were (same binarization and data seed), or uniform noise of the run's shape. Used for what a
 * model should find unlike its training data (`genlab classify --out-of fashion:test,noise`).
 *
 *   NAME:SPLIT   a data spec (mnist, fashion, ...) and train | test, e.g. fashion:test
 *   noise[:N]    N images (default 1000) of independent uniform values, prepared as the run's data
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { loadRunData, type RunConfig } from './run.js';

export const EVAL_SET_HELP = 'NAME:SPLIT (e.g. fashion:test, mnist:test) or noise[:N]';
const NOISE_EXAMPLES = 1000;
/** Noise is data, not part of any run's randomness: one fixed seed. */
const NOISE_SEED = 20240917;

export function loadEvaluationSet(config: RunConfig, spec: string): Dataset {
  const [name, arg, ...rest] = spec.split(':');
  if (rest.length) throw new UserError(`evaluation set '${spec}': expected ${EVAL_SET_HELP}`);
  if (name === 'noise') return noise(config, spec, arg);
  if (arg !== 'train' && arg !== 'test') throw new UserError(`evaluation set '${spec}': expected ${EVAL_SET_HELP}`);
  // The run's own preparation with another data spec: same binarization, same data seed, whole splits.
  const data = loadRunData({ ...config, data: { ...config.data, spec: name, trainLimit: undefined, validation: undefined } });
  const set = data[arg];
  if (exampleSize(set) !== exampleSize(config.data) || set.kind !== config.data.kind) {
    throw new UserError(`evaluation set '${spec}' holds ${set.shape.join('x')} ${set.kind} examples; the run's model takes ${config.data.shape.join('x')} ${config.data.kind}`);
  }
  return { ...set, name: spec, shape: config.data.shape };
}

/**
 * Uniform noise prepared like the run's data: intensities in [0, 1] binarized as the run's were for
 * a binary model (each pixel then on with probability 1/2 under stochastic binarization), 8-bit
 * levels for a uint8 model, intensities for a continuous one.
 */
function noise(config: RunConfig, spec: string, count: string | undefined): Dataset {
  const n = count === undefined ? NOISE_EXAMPLES : Number(count);
  if (!(Number.isInteger(n) && n >= 1)) throw new UserError(`evaluation set '${spec}': noise:N needs an integer N >= 1`);
  const { shape, kind, binarize } = config.data;
  if (kind === 'real') throw new UserError(`evaluation set '${spec}': noise is defined for intensity data, and the run's data are real values`);
  const D = exampleSize(config.data);
  const rng = new Rng(NOISE_SEED);
  const x = new Float32Array(n * D);
  for (let i = 0; i < x.length; i++) {
    const u = rng.uniform();
    x[i] = kind === 'uint8' ? Math.floor(u * 256) : kind === 'binary' ? (binarize === 'threshold' ? +(u > 0.5) : +(rng.uniform() < u)) : u;
  }
  return { name: spec, x, n, shape, kind };
}
