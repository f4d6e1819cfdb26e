/**
 * `genlab classifier train|test`: the reference classifiers whose features measure sample quality
 * (src/eval/referenceClassifier.ts, src/node/referenceClassifier.ts).
 */
import { UserError } from '../../core/errors.js';
import { CLASSIFIER_TRAINING_DEFAULTS, ReferenceClassifier, trainReferenceClassifier } from '../../eval/referenceClassifier.js';
import { initNodeBackend } from '../../node/engine.js';
import { commandLine } from '../../node/evalRecords.js';
import { Progress, formatTime } from '../../node/progress.js';
import { REFERENCE_DATA, cachedClassifierDir, loadReferenceClassifier, saveReferenceClassifier } from '../../node/referenceClassifier.js';
import { choiceFlag, helpText, numberFlag, parse, type OptionTable } from '../args.js';
import { printJson } from '../common.js';
import { formatQuality } from './run-commands.js';
import { Rng } from '../../core/rng.js';
import { binarize } from '../../data/binarize.js';
import { head, type Dataset } from '../../data/dataset.js';
import { measureSampleQuality, type SampleQualityReport } from '../../eval/sampleQuality.js';

const DATA_NAMES = Object.keys(REFERENCE_DATA);

export const CLASSIFIER_OPTIONS: OptionTable = {
  data: { type: 'string', value: 'NAME', help: DATA_NAMES.join('|'), default: 'mnist' },
  epochs: { type: 'string', value: 'N', help: 'train: passes over the training split', default: String(CLASSIFIER_TRAINING_DEFAULTS.epochs) },
  'batch-size': { type: 'string', value: 'N', help: 'train: examples per step', default: String(CLASSIFIER_TRAINING_DEFAULTS.batchSize) },
  lr: { type: 'string', value: 'X', help: 'train: Adam step size, cosine-decayed to 0', default: String(CLASSIFIER_TRAINING_DEFAULTS.learningRate) },
  seed: { type: 'string', value: 'N', help: 'train: initialisation and batch order', default: String(CLASSIFIER_TRAINING_DEFAULTS.seed) },
  limit: { type: 'string', value: 'N', help: 'train: use the first N training images (default: all)' },
  samples: { type: 'string', value: 'N', help: 'test: also measure N training images as if they were samples: the real-data best case of `genlab eval --samples N`' },
  binarize: { type: 'string', value: 'MODE', help: 'test --samples: stochastic|threshold|none, applied to both sets, as a run on binarized data sees them', default: 'none' },
  dir: { type: 'string', value: 'DIR', help: 'train: where to write it (default: the user cache); test: which to read (default: cache, else the shipped one)' },
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const USAGE = `Usage: genlab classifier train|test [--data ${DATA_NAMES.join('|')}] [options]

  train   trains the reference classifier of a data set (a small conv net) and stores it in the
          user cache, from where sample-quality figures (genlab eval --samples) use it
  test    its accuracy on the data set's test split, and where it was read from`;

export async function classifierCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('classifier', args, CLASSIFIER_OPTIONS);
  if (v.help || positionals.length === 0) {
    process.stdout.write(helpText(USAGE, CLASSIFIER_OPTIONS));
    return v.help ? 0 : 2;
  }
  const [action, ...rest] = positionals;
  if (rest.length) throw new UserError(`takes one action (train or test), got ${positionals.join(' ')}`);
  const data = choiceFlag('data', v.data, DATA_NAMES)!;
  if (action === 'train') return train(data, v);
  if (action === 'test') return test(data, v);
  throw new UserError(`unknown action '${action}'; expected train or test`);
}

async function train(data: string, v: Record<string, string | boolean | undefined>): Promise<number> {
  const options = {
    epochs: numberFlag('epochs', v.epochs, { integer: true, min: 1 })!,
    batchSize: numberFlag('batch-size', v['batch-size'], { integer: true, min: 1 })!,
    learningRate: numberFlag('lr', v.lr, { min: 0 })!,
    seed: numberFlag('seed', v.seed, { integer: true, min: 0 })!,
    binarizeFraction: CLASSIFIER_TRAINING_DEFAULTS.binarizeFraction,
  };
  const limit = numberFlag('limit', v.limit, { integer: true, min: 1 });
  const dir = (v.dir as string | undefined) ?? cachedClassifierDir(data);
  const backend = await initNodeBackend(v.backend as string | undefined);
  const splits = REFERENCE_DATA[data]();
  const trainSplit = limit ? head(splits.train, limit) : splits.train;
  const classifier = new ReferenceClassifier({ inputShape: trainSplit.shape, numClasses: trainSplit.classNames?.length ?? 10, seed: options.seed });
  const started = Date.now();
  const totalSteps = Math.floor(trainSplit.n / options.batchSize) * options.epochs;
  const progress = new Progress({ label: `classifier ${data}`, total: totalSteps, unit: 'step' });
  let last: Record<string, number> = {};
  await trainReferenceClassifier(classifier, trainSplit, options, {
    onStep: (_step, _total, metrics) => {
      last = metrics;
      progress.tick(1, `loss ${metrics.loss.toFixed(4)} acc ${metrics.accuracy.toFixed(3)}`);
    },
  });
  progress.finish();
  const seconds = (Date.now() - started) / 1000;
  const testAccuracy = await classifier.accuracy(splits.test);
  const manifest = saveReferenceClassifier(dir, data, classifier, testAccuracy, {
    ...options,
    seconds,
    backend,
    command: commandLine(),
    createdAt: new Date().toISOString(),
  });
  classifier.dispose();
  const report = { data, dir, id: manifest.sha256.slice(0, 12), testAccuracy, trainExamples: trainSplit.n, epochs: options.epochs, seconds, backend, finalBatchLoss: last.loss };
  if (v.json) printJson(report);
  else process.stderr.write(`reference classifier for ${data}: test accuracy ${(testAccuracy * 100).toFixed(2)}% after ${options.epochs} epochs (${formatTime(seconds)}); wrote ${dir}\n`);
  return 0;
}

async function test(data: string, v: Record<string, string | boolean | undefined>): Promise<number> {
  const backend = await initNodeBackend(v.backend as string | undefined);
  const loaded = loadReferenceClassifier(data, v.dir as string | undefined);
  const splits = REFERENCE_DATA[data]();
  const samples = numberFlag('samples', v.samples, { integer: true, min: 2, max: splits.train.n });
  const binarizeMode = choiceFlag('binarize', v.binarize, ['stochastic', 'threshold', 'none'] as const)!;
  const accuracy = await loaded.classifier.accuracy(splits.test);
  let realData: SampleQualityReport | undefined;
  if (samples !== undefined) {
    // Fixed seeds make the baseline reproducible; the two sets get independent draws, as a model's
    // samples and the run's binarized test split do.
    const prepare = (d: Dataset, seed: number) => (binarizeMode === 'none' ? d : binarize(d, binarizeMode, new Rng(seed)));
    realData = await measureSampleQuality(loaded.classifier, loaded.featureSpace, prepare(head(splits.train, samples), 1), prepare(splits.test, 2));
  }
  loaded.classifier.dispose();
  const report = {
    data,
    dir: loaded.dir,
    id: loaded.id,
    featureSpace: loaded.featureSpace,
    testAccuracy: accuracy,
    recordedTestAccuracy: loaded.manifest.testAccuracy,
    testExamples: splits.test.n,
    backend,
    ...(realData && { realData: { ...realData, binarize: binarizeMode } }),
  };
  if (v.json) printJson(report);
  else {
    process.stdout.write(`${loaded.featureSpace} (${loaded.dir}): test accuracy ${(accuracy * 100).toFixed(2)}% on ${splits.test.n} images\n`);
    if (realData) process.stdout.write(`real data (the first ${samples} training images, binarize ${binarizeMode}) as samples:\n${formatQuality(realData)}`);
  }
  return 0;
}
