/**
 * Data a trained run is evaluated on besides its own test split (`genlab anomaly --in / --out`,
 * classification): another data set, or another split, or uniform noise, prepared exactly as the
 * run's data are, so that a model of binarized MNIST meets binarized Fashion-MNIST (same
 * binarization, same data seed), never raw intensities it was not trained on.
 *
 * Specs:
 *   NAME[:SPLIT]   a data spec as `--data` takes (mnist, fashion, csv:PATH, images:DIR, toy:NAME),
 *                  then :train or :test (default test); the whole split, neither the run's
 *                  --train-limit nor its --exclude-class applied (those chose what it trained on)
 *   noise[:N]      N images (default 10000) of the run's shape, every value uniform (below), from a
 *                  fixed seed
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { exampleSize, head, type DataSplits, type Dataset } from '../data/dataset.js';
import { loadDataSpec } from './data/spec.js';
import { loadRunData, prepareLikeRun, type RunConfig } from './run.js';

export const NOISE_EXAMPLES = 10000;
/** Noise is data, not part of any run's randomness: one fixed seed. */
const NOISE_SEED = 20261207;
export const EVALUATION_SPEC_HELP = 'NAME[:train|test] (NAME as --data: mnist, fashion, csv:PATH, images:DIR, toy:NAME; default test) or noise[:N]';

export type EvaluationSpec = { kind: 'noise'; n: number } | { kind: 'data'; data: string; split: 'train' | 'test' };

export function parseEvaluationSpec(spec: string): EvaluationSpec {
  const noise = /^noise(?::(.*))?$/.exec(spec);
  if (noise) {
    const n = noise[1] === undefined ? NOISE_EXAMPLES : Number(noise[1]);
    if (!(Number.isInteger(n) && n >= 1)) throw new UserError(`'${spec}': noise:N needs a number of images N >= 1, got '${noise[1]}'`);
    return { kind: 'noise', n };
  }
  const m = /^(.*):(train|test)$/.exec(spec);
  const data = m ? m[1] : spec;
  if (!data) throw new UserError(`'${spec}' names no data set; expected ${EVALUATION_SPEC_HELP}`);
  return { kind: 'data', data, split: m ? (m[2] as 'train' | 'test') : 'test' };
}

/** The spec as a data set's name: `mnist/test`, `fashion/train`, `noise:10000`. */
export function evaluationSetName(spec: string): string {
  const parsed = parseEvaluationSpec(spec);
  return parsed.kind === 'noise' ? `noise:${parsed.n}` : `${parsed.data}/${parsed.split}`;
}

/**
 * The data named by `spec`, as the run's model sees its own data (binarization, data seed, value
 * kind). Data of another shape than the run's is refused, naming both shapes. Labels are kept when
 * the data have them.
 */
export function loadEvaluationSet(config: RunConfig, spec: string): Dataset {
  const parsed = parseEvaluationSpec(spec);
  const name = evaluationSetName(spec);
  const { labelColumn, size, toyExamples } = config.data;
  // The run's loading options (its CSV label column, its image size), so files laid out as its own load alike.
  const raw = parsed.kind === 'noise' ? noiseSplits(config, parsed.n) : loadDataSpec(parsed.data, { labelColumn, size, toyExamples });
  const shape = raw.test.shape;
  if (shape.length !== config.data.shape.length || shape.some((s, i) => s !== config.data.shape[i])) {
    throw new UserError(
      `'${name}' has examples of shape ${shape.join('x')}, but the run's model (${config.model.name} on ${config.data.spec}) takes ${config.data.shape.join('x')}`,
    );
  }
  const prepared = prepareLikeRun(raw, config, 'whole');
  return { ...(parsed.kind === 'noise' ? prepared.test : prepared[parsed.split]), name };
}

/**
 * `n` noise examples of the run's shape, as raw data for `prepareLikeRun` (in the test split; the
 * train split holds one, as preparation needs both). Each value is uniform on what the run's raw
 * data could hold: a binarized run gets intensities uniform in [0, 1], which its binarization turns
 * into fair coins (stochastic) or x > 0.5; otherwise, in the model's kind, a fair coin (binary),
 * an integer 0..255 (8-bit), one of the 256 levels k / 255 ([0, 1] intensities: images), or a real
 * uniform over the range of that feature in the run's training data (real values).
 */
function noiseSplits(config: RunConfig, n: number): DataSplits {
  const { shape, kind: modelKind, binarize } = config.data;
  const D = exampleSize({ shape });
  const rng = new Rng(NOISE_SEED);
  const x = new Float32Array(n * D);
  const kind = binarize === 'none' ? modelKind : 'continuous';
  if (binarize !== 'none') {
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  } else if (kind === 'binary') {
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.5 ? 1 : 0;
  } else if (kind === 'uint8') {
    for (let i = 0; i < x.length; i++) x[i] = rng.int(256);
  } else if (kind === 'continuous') {
    for (let i = 0; i < x.length; i++) x[i] = rng.int(256) / 255;
  } else {
    const [lo, hi] = featureRanges(loadRunData(config).train);
    for (let i = 0; i < x.length; i++) x[i] = lo[i % D] + (hi[i % D] - lo[i % D]) * rng.uniform();
  }
  const test: Dataset = { name: `noise:${n}`, x, n, shape: shape.slice(), kind };
  return { train: head(test, 1), test };
}

/** Per-feature minimum and maximum of a data set. */
function featureRanges(d: Dataset): [Float64Array, Float64Array] {
  const D = exampleSize(d);
  const lo = new Float64Array(D).fill(Infinity);
  const hi = new Float64Array(D).fill(-Infinity);
  for (let i = 0; i < d.n * D; i++) {
    lo[i % D] = Math.min(lo[i % D], d.x[i]);
    hi[i % D] = Math.max(hi[i % D], d.x[i]);
  }
  return [lo, hi];
}
