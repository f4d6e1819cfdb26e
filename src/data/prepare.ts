/**
 * Fits raw data to what a model accepts: binarization for binary models, [0, 1] scaling for
 * continuous ones. The same `PrepareOptions` (stored in a run's config) replay the same
 * preprocessing at evaluation time, so train and test always see the same protocol.
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Batch } from '../models/model.js';
import { binarize, DynamicBinarizer, toContinuous } from './binarize.js';
import { exampleSize, head, subset, type DataSplits, type Dataset, type ValueKind } from './dataset.js';

export type BinarizeOption = 'stochastic' | 'dynamic' | 'threshold' | 'none';
export const BINARIZE_OPTIONS: readonly BinarizeOption[] = ['stochastic', 'dynamic', 'threshold', 'none'];

export interface PrepareOptions {
  /** How [0, 1] or 8-bit data becomes binary; 'none' keeps values as they are. */
  binarize: BinarizeOption;
  /** Seed of the one stochastic binarization draw (fixed across runs so their NLLs compare). */
  dataSeed: number;
  /** Train on the first N training examples only (quick runs); the test split stays whole. */
  trainLimit?: number;
  /**
   * Train without class K: training examples labelled K are dropped (before `trainLimit` counts);
   * the test split keeps them, as the out-of-distribution inputs of a held-out-class anomaly test.
   */
  excludeClass?: number;
  /**
   * Hold the last N examples of the training split out of training as a validation split (for
   * choices made on held-out data, e.g. `genlab classify`'s rejection threshold). They are taken
   * after `excludeClass` and before `trainLimit` applies, so they never overlap the examples trained on.
   */
  validation?: number;
}

export interface PreparedData extends DataSplits {
  /** The kind of values the model sees (binary under dynamic binarization, though train holds intensities). */
  modelKind: ValueKind;
  /** The last `validation` examples of the training split, prepared as train is (absent unless asked for). */
  validation?: Dataset;
  /** Per-batch transform for dynamic binarization (train only); undefined otherwise. */
  transformBatch?: (batch: Batch, rng: Rng) => Batch;
}

/**
 * The default binarization for a model: the common binarized-MNIST protocol ('stochastic') when the
 * model takes binary values and the data are intensities (8-bit or [0, 1]); otherwise none.
 * (Tabular models also count 256 states of 8-bit data, but only when asked: --binarize none.)
 */
export function defaultBinarize(accepts: readonly ValueKind[], kind: ValueKind): BinarizeOption {
  return accepts.includes('binary') && (kind === 'uint8' || kind === 'continuous') ? 'stochastic' : 'none';
}

export function prepareData(raw: DataSplits, accepts: readonly ValueKind[], options: PrepareOptions): PreparedData {
  const { excludeClass, trainLimit } = options;
  if (excludeClass !== undefined) checkClassToExclude(raw.train, excludeClass);
  // Binarized whole first, so the test split gets the same draw as in a run without the exclusion.
  const prepared = prepareWhole(raw, accepts, options);
  const { validation } = options;
  const kept = excludeClass === undefined ? prepared.train : withoutClass(prepared.train, excludeClass);
  const result: PreparedData = { ...prepared, train: kept };
  // Binarized whole and split after, so every training example gets the same draw with or without a validation split.
  if (validation) {
    if (!(Number.isInteger(validation) && validation >= 1 && validation < kept.n)) {
      throw new UserError(`--validation must be an integer between 1 and ${kept.n - 1} (the training split of '${kept.name}' has ${kept.n} examples), got ${validation}`);
    }
    const trained = kept.n - validation;
    const D = exampleSize(kept);
    result.validation = { ...kept, name: `${kept.name} (validation)`, n: validation, x: kept.x.subarray(trained * D), labels: kept.labels?.subarray(trained) };
    result.train = head(kept, trained);
  }
  return trainLimit ? { ...result, train: head(result.train, trainLimit) } : result;
}

function checkClassToExclude(d: Dataset, k: number): void {
  if (!d.labels) throw new UserError(`--exclude-class needs labelled data, but '${d.name}' has no labels`);
  if (!d.labels.includes(k)) {
    const names = d.classNames ? ` (classes 0..${d.classNames.length - 1})` : '';
    throw new UserError(`--exclude-class ${k}: no training example of '${d.name}' has label ${k}${names}`);
  }
}

/** The examples whose label is not `k`, in their order. */
function withoutClass(d: Dataset, k: number): Dataset {
  const kept: number[] = [];
  d.labels!.forEach((label, i) => label !== k && kept.push(i));
  return subset(d, kept);
}

function prepareWhole(raw: DataSplits, accepts: readonly ValueKind[], options: PrepareOptions): PreparedData {
  const { binarize: mode, dataSeed } = options;
  if (mode === 'none') {
    const kind = raw.train.kind;
    if (accepts.includes(kind)) return { ...raw, modelKind: kind };
    if (kind === 'uint8' && accepts.includes('continuous')) {
      return { train: toContinuous(raw.train), test: toContinuous(raw.test), modelKind: 'continuous' };
    }
    // Only intensities (8-bit or [0, 1]) can be binarized: advise it for those alone.
    const advice =
      accepts.includes('binary') && kind !== 'real'
        ? '; binarize it with --binarize stochastic|dynamic|threshold'
        : kind === 'real'
          ? ' (values outside [0, 1], which cannot be binarized); use a model that accepts real data'
          : '';
    throw new UserError(`this model accepts ${accepts.join(' or ')} data, but '${raw.train.name}' is ${kind}${advice}`);
  }
  if (!accepts.includes('binary')) {
    throw new UserError(`--binarize ${mode} makes binary data, but this model accepts ${accepts.join(' or ')} data`);
  }
  if (raw.train.kind === 'real') {
    throw new UserError(`'${raw.train.name}' has real values outside [0, 1]; only intensities can be binarized (drop --binarize)`);
  }
  const train = toContinuous(raw.train);
  const test = toContinuous(raw.test);
  const rng = new Rng(dataSeed);
  switch (mode) {
    case 'threshold':
      return { train: binarize(train, 'threshold'), test: binarize(test, 'threshold'), modelKind: 'binary' };
    case 'stochastic':
      return { train: binarize(train, 'stochastic', rng), test: binarize(test, 'stochastic', rng), modelKind: 'binary' };
    case 'dynamic':
      // Train keeps its intensities and is redrawn batch by batch; test is binarized once, fixed,
      // so evaluations of a dynamically trained model are comparable across runs.
      return {
        train,
        modelKind: 'binary',
        test: binarize(test, 'stochastic', new Rng(dataSeed + 1)),
        transformBatch: (batch, noise) => ({ ...batch, x: new DynamicBinarizer(noise).sample(batch.x) }),
      };
    default:
      throw new UserError(`unknown --binarize '${mode as string}'; expected one of ${BINARIZE_OPTIONS.join(', ')}`);
  }
}

/**
 * Brings user input (a PNG is 8-bit, a CSV as written) to the value kind the model was trained on,
 * deterministically: 8-bit or [0, 1] input to a binary model is thresholded at 0.5 (scoring must not
 * be random); 8-bit input to a continuous model is scaled to [0, 1].
 */
export function prepareInput(d: Dataset, modelKind: ValueKind): Dataset {
  if (modelKind === 'binary' && d.kind !== 'binary') return binarize(toContinuous(d), 'threshold');
  if (modelKind === 'continuous' && d.kind === 'uint8') return toContinuous(d);
  return d;
}
