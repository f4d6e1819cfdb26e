/**
 * `genlab classify RUN`: a class-conditional density model (classcond, cvae) as a classifier by
 * Bayes' rule, with the reject option only a generative classifier has (src/eval/bayes.ts): test
 * accuracy with every input answered, the share refused below the likelihood threshold and the
 * accuracy on the rest, and the share refused of data sets the model never saw (`--out-of`).
 */
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { head, subset, type Dataset } from '../../data/dataset.js';
import { bayesClassify, classLogLikelihoods, classScorer, rejectionThreshold } from '../../eval/bayes.js';
import { logClassPrior } from '../../models/composite/classcond.js';
import type { GenerativeModel } from '../../models/model.js';
import { initNodeBackend } from '../../node/engine.js';
import { EVALUATION_SPEC_HELP, loadEvaluationSet } from '../../node/evalData.js';
import { REFERENCE_DATA, loadReferenceClassifier } from '../../node/referenceClassifier.js';
import { classSpread, unitIntervalValues } from '../../eval/sampleQuality.js';
import { commandLine, writeEvalRecord } from '../../node/evalRecords.js';
import { Progress } from '../../node/progress.js';
import { loadRunData, openRun } from '../../node/run.js';
import { EMA_OPTION, choiceFlag, helpText, numberFlag, onePositional, parse, type OptionTable } from '../args.js';
import { printJson } from '../common.js';

export const CLASSIFY_OPTIONS: OptionTable = {
  split: { type: 'string', value: 'NAME', help: 'test|train: the labelled split classified', default: 'test' },
  limit: { type: 'string', value: 'N', help: 'classify only the first N examples of the split (and of each --out-of set)' },
  'reject-quantile': {
    type: 'string',
    value: 'Q',
    help: 'refuse inputs whose best class log-likelihood max_y log p(x|y) is below its Q-quantile on held-out data (the run\'s --validation split, else the last 5000 train examples)',
    default: '0.01',
  },
  threshold: { type: 'string', value: 'X', help: 'refuse inputs with max_y log p(x|y) below X nats (instead of --reject-quantile)' },
  'out-of': { type: 'string', value: 'SPEC', help: `data the model never saw, to report the share refused: ${EVALUATION_SPEC_HELP}; repeat the flag or separate by commas` },
  seed: { type: 'string', value: 'N', help: 'seed for stochastic scores (bounds, estimates)', default: '0' },
  ...EMA_OPTION,
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  'no-reference': { type: 'boolean', help: "MNIST / Fashion-MNIST runs: leave out the reference classifier's figures (shown beside by default)" },
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const USAGE = 'Usage: genlab classify RUN [--split test] [--limit N] [--reject-quantile Q | --threshold X] [--out-of SPEC ...] [--json]';

/** Held-out examples taken from the end of the training split when the run kept no validation split. */
const FALLBACK_HELD_OUT = 5000;

/** Every value of a repeatable string flag (`--out-of a --out-of b,c` and `--out-of=a`), split on commas. */
function repeatedFlag(args: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (args[i] === `--${name}` && i + 1 < args.length) values.push(args[++i]);
    else if (args[i].startsWith(`--${name}=`)) values.push(args[i].slice(name.length + 3));
  }
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** log p(y): the model's own (classcond keeps it), else the run's training label frequencies. */
function classPrior(model: GenerativeModel, train: Dataset, K: number): ArrayLike<number> {
  const own = (model as Partial<{ logPrior: Float64Array }>).logPrior;
  if (own instanceof Float64Array && own.length === K) return own;
  if (!train.labels) throw new UserError(`the run's training data have no labels to estimate the class prior p(y) from`);
  return logClassPrior(train.labels, K);
}

/**
 * The discriminative reference classifier on the same inputs: its accuracy, and how confidently it
 * answers the inputs the generative classifier may refuse (it has no way to refuse them).
 */
async function referenceBeside(data: string, evaluated: Dataset, extra: Dataset[], specs: string[]) {
  const { classifier, featureSpace } = loadReferenceClassifier(data);
  try {
    const K = classifier.config.numClasses;
    const accuracy = await classifier.accuracy(evaluated);
    const outOf = [];
    for (const [i, d] of extra.entries()) {
      const { probabilities } = await classifier.classify(unitIntervalValues(d), d.n);
      const spread = classSpread(probabilities, d.n, K);
      let confident = 0;
      for (let j = 0; j < d.n; j++) if (Math.max(...probabilities.subarray(j * K, (j + 1) * K)) > 0.9) confident++;
      outOf.push({ spec: specs[i], meanConfidence: spread.meanConfidence, confidentRate: confident / d.n, rejectionRate: 0 });
    }
    return { featureSpace, accuracy, rejectionRate: 0, outOf };
  } finally {
    classifier.dispose();
  }
}

export async function classifyCommand(args: string[]): Promise<number> {
  const { values: v, positionals, given } = parse('classify', args, CLASSIFY_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText(USAGE, CLASSIFY_OPTIONS));
    return 0;
  }
  const runDir = onePositional('classify', positionals, 'RUN folder');
  const split = choiceFlag('split', v.split, ['test', 'train'] as const)!;
  const limit = numberFlag('limit', v.limit, { integer: true, min: 1 });
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  if (given.has('threshold') && given.has('reject-quantile')) throw new UserError('give --threshold X or --reject-quantile Q, not both');
  const givenThreshold = numberFlag('threshold', v.threshold);
  const quantile = givenThreshold === undefined ? numberFlag('reject-quantile', v['reject-quantile'], { min: 0, max: 0.999 })! : undefined;
  const outOf = repeatedFlag(args, 'out-of');
  const say = (line: string) => process.stderr.write(line + '\n');

  await initNodeBackend(v.backend as string | undefined);
  const run = openRun(runDir, { ema: !v['no-ema'] });
  const { model, config } = run;
  try {
    // Refused before any data are read: only a class-conditional density classifies.
    const scorer = classScorer(model);
    const K = scorer.numClasses;
    const data = loadRunData(config);
    const evaluated = head(data[split], limit ?? data[split].n);
    if (!evaluated.labels) throw new UserError(`the ${split} split of '${config.data.spec}' has no labels to measure accuracy with`);
    const extra = outOf.map((spec) => head(loadEvaluationSet(config, spec), limit ?? Infinity));
    const started = Date.now();

    // 1. The threshold: given, or the quantile of max_y log p(x|y) on held-out in-distribution data.
    let heldOut: Dataset | undefined;
    let thresholdFrom: 'given' | 'validation' | 'train';
    if (givenThreshold !== undefined) {
      thresholdFrom = 'given';
    } else if (data.validation) {
      heldOut = data.validation;
      thresholdFrom = 'validation';
    } else {
      const n = Math.min(FALLBACK_HELD_OUT, data.train.n);
      heldOut = subset(data.train, Int32Array.from({ length: n }, (_, i) => data.train.n - n + i));
      thresholdFrom = 'train';
      say(`note: the run has no validation split (train with --validation N): the threshold comes from its last ${n} training examples, which it was trained on, so it is optimistic`);
    }
    const total = (heldOut?.n ?? 0) + evaluated.n + extra.reduce((s, d) => s + d.n, 0);
    const progress = new Progress({ label: 'classify', total, unit: 'ex' });
    const rng = new Rng(seed);
    const score = (d: Dataset) => classLogLikelihoods(scorer, d, rng, { onBatch: (k) => progress.tick(k) });
    const logPrior = classPrior(model, data.train, K);
    const threshold = givenThreshold ?? rejectionThreshold(bayesClassify(await score(heldOut!), logPrior).maxLogLikelihood, quantile!);

    // 2. The split: accuracy answering everything, then with the reject option.
    const decision = bayesClassify(await score(evaluated), logPrior, threshold);
    let correct = 0;
    let rejected = 0;
    let acceptedCorrect = 0;
    for (let i = 0; i < evaluated.n; i++) {
      if (decision.best[i] === evaluated.labels[i]) correct++;
      if (decision.predicted[i] < 0) rejected++;
      else if (decision.predicted[i] === evaluated.labels[i]) acceptedCorrect++;
    }
    const accepted = evaluated.n - rejected;

    // 3. Data the model never saw: how much of it is refused.
    const outOfRates: { spec: string; n: number; rejectionRate: number }[] = [];
    for (const [i, d] of extra.entries()) {
      const refused = bayesClassify(await score(d), logPrior, threshold).predicted.filter((p) => p < 0).length;
      outOfRates.push({ spec: outOf[i], n: d.n, rejectionRate: refused / d.n });
    }
    progress.finish();
    const reference = config.data.spec in REFERENCE_DATA && !v['no-reference'] ? await referenceBeside(config.data.spec, evaluated, extra, outOf) : undefined;
    const seconds = (Date.now() - started) / 1000;

    const result = {
      kind: scorer.kind,
      split,
      threshold,
      quantile: quantile ?? null,
      thresholdFrom,
      heldOutExamples: heldOut?.n ?? 0,
      accuracy: correct / evaluated.n,
      rejectionRate: rejected / evaluated.n,
      acceptedAccuracy: accepted > 0 ? acceptedCorrect / accepted : null,
      n: evaluated.n,
      outOf: outOfRates,
      ...(reference && { reference }),
    };
    writeEvalRecord(runDir, { kind: 'classify', key: split, command: commandLine(['classify', ...args]), seconds, result });
    if (v.json) {
      printJson(result);
    } else {
      const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
      const what = scorer.kind === 'exact' ? 'exact log p(x|y)' : scorer.kind === 'bound' ? 'a lower bound on log p(x|y)' : 'an estimate of log p(x|y)';
      const source =
        thresholdFrom === 'given'
          ? 'given'
          : `the ${quantile} quantile on ${heldOut!.n} ${thresholdFrom === 'validation' ? 'validation' : 'training (seen in training: optimistic)'} examples`;
      const lines = [
        `${model.name} on ${config.data.spec}, ${split} split (${evaluated.n} examples), classes scored by ${what}:`,
        `  accuracy, every input answered (argmax p(y|x)): ${percent(result.accuracy)}`,
        `  reject when max_y log p(x|y) < ${threshold.toFixed(2)} nats (${source})`,
        `  refused ${percent(result.rejectionRate)} of the ${split} split; accuracy on the accepted ${accepted}: ${result.acceptedAccuracy === null ? 'none accepted' : percent(result.acceptedAccuracy)}`,
        ...outOfRates.map((o) => `  refused ${percent(o.rejectionRate)} of ${o.spec} (${o.n} examples)`),
        ...(reference
          ? [
              `beside it, the discriminative reference classifier (${reference.featureSpace}), which must answer every input:`,
              `  accuracy ${percent(reference.accuracy)} on the same ${evaluated.n} examples`,
              ...reference.outOf.map((o) => `  ${o.spec}: answered all; mean top-class probability ${percent(o.meanConfidence)}, above 90% on ${percent(o.confidentRate)}`),
            ]
          : []),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  } finally {
    model.dispose();
  }
}
