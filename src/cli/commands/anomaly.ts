/**
 * `genlab anomaly RUN (--in SPEC --out SPEC | --holdout-class K)`: density estimation as anomaly
 * detection. Every input is scored by -log p(x) (higher = more anomalous), with the out-of-
 * distribution inputs the positive class, and by the complexity-corrected score of Serra et al.
 * 2020, -log2 p(x) - L(x), L(x) the bits of the input's PNG file; for each: AUROC, AUPRC, FPR at 95%
 * TPR and the two sets' mean scores (src/eval/anomaly.ts). Raw likelihood is known to rank some
 * pairs the wrong way round (Nalisnick et al. 2019: a model of Fashion-MNIST finds MNIST more
 * likely); the correction is the published remedy, reported beside it.
 */
import * as path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { subset, type Dataset } from '../../data/dataset.js';
import { anomalyReport, complexityCorrected, negativeLogLikelihoods, type AnomalyReport, type NegLogLikelihoods } from '../../eval/anomaly.js';
import { hasBound, hasDensity, isConditional } from '../../models/capabilities.js';
import type { GenerativeModel } from '../../models/model.js';
import { histogramPanels } from '../../io/histograms.js';
import { complexityUnavailable, pngLengthBits } from '../../node/complexity.js';
import { writePng } from '../../node/data/images.js';
import { EVALUATION_SPEC_HELP, loadEvaluationSet } from '../../node/evalData.js';
import { commandLine, writeEvalRecord } from '../../node/evalRecords.js';
import { initNodeBackend } from '../../node/engine.js';
import { Progress } from '../../node/progress.js';
import { loadRunData, openRun, readRunConfig, type RunConfig } from '../../node/run.js';
import { EMA_OPTION, GENLAB, helpText, numberFlag, onePositional, parse, type OptionTable } from '../args.js';
import { printJson } from '../common.js';

export const ANOMALY_OPTIONS: OptionTable = {
  in: { type: 'string', value: 'SPEC', help: `in-distribution inputs: ${EVALUATION_SPEC_HELP}` },
  out: { type: 'string', value: 'SPEC', help: 'out-of-distribution inputs (the positive class), as --in' },
  'holdout-class': {
    type: 'string',
    value: 'K',
    help: "the run's test split: in = labels other than K, out = label K (the run trained with --exclude-class K)",
  },
  force: { type: 'boolean', help: '--holdout-class on a run that was not trained with --exclude-class K' },
  limit: { type: 'string', value: 'N', help: 'score a fixed random subset of N inputs of each set (Fashion-MNIST splits are ordered by class)' },
  bound: { type: 'boolean', help: 'latent models: score by -ELBO (an upper bound on -log p(x), one pass) instead of the importance-sampled estimate' },
  histogram: { type: 'string', value: 'FILE.png', help: 'draw the two score distributions (raw and complexity-corrected)' },
  seed: { type: 'string', value: 'N', help: 'seed for stochastic estimates', default: '0' },
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  ...EMA_OPTION,
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const USAGE =
  'Usage: genlab anomaly RUN (--in SPEC --out SPEC | --holdout-class K [--force]) [--limit N] [--bound] [--histogram FILE.png] [--seed N] [--json]';
/** The subset taken by --limit is data, not the run's randomness: one fixed seed. */
const LIMIT_SEED = 20261208;

export async function anomalyCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('anomaly', args, ANOMALY_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText(USAGE, ANOMALY_OPTIONS));
    return 0;
  }
  const runDir = onePositional('anomaly', positionals, 'RUN folder');
  const holdout = numberFlag('holdout-class', v['holdout-class'], { integer: true, min: 0 });
  if (holdout !== undefined && (v.in !== undefined || v.out !== undefined)) {
    throw new UserError('--holdout-class takes both sets from the run\'s test split: drop --in and --out');
  }
  if (holdout === undefined && (v.in === undefined || v.out === undefined)) {
    throw new UserError(`genlab anomaly needs --in SPEC and --out SPEC (e.g. --in mnist:test --out fashion:test), or --holdout-class K`);
  }
  if (v.force && holdout === undefined) throw new UserError('--force applies to --holdout-class only');
  const limit = numberFlag('limit', v.limit, { integer: true, min: 1 });
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  const histogram = v.histogram === undefined ? undefined : String(v.histogram);
  if (histogram !== undefined && path.extname(histogram).toLowerCase() !== '.png') throw new UserError(`--histogram must end in .png, got '${histogram}'`);
  const config = readRunConfig(runDir);
  if (holdout !== undefined) checkHeldOut(config, runDir, holdout, Boolean(v.force));

  // 1. The model, refused unless it has something to score by.
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openRun(runDir, { ema: !v['no-ema'] });
  const { model } = run;
  try {
    if (!hasDensity(model) && !hasBound(model)) {
      throw new UserError(`${model.name} is an implicit model: it has neither a density nor a bound on log p(x) to score inputs by, so it cannot detect anomalies by likelihood`);
    }
    if (v.bound && !hasBound(model)) {
      const has = hasDensity(model) && model.densityKind === 'exact' ? 'an exact log p(x)' : 'its own log p(x)';
      throw new UserError(`--bound scores by a variational bound, which ${model.name} does not have (it has ${has}); drop --bound`);
    }

    // 2. The two sets, prepared as the run's data, cut by --limit.
    const started = Date.now();
    const sets = holdout !== undefined ? heldOutSets(config, holdout) : { inSet: loadEvaluationSet(config, String(v.in)), outSet: loadEvaluationSet(config, String(v.out)) };
    const inSet = limited(sets.inSet, limit);
    const outSet = limited(sets.outSet, limit);

    // 3. -log p(x) of every input (a conditional model: its marginal under the training class frequencies).
    const classPrior = isConditional(model) ? trainingClassFrequencies(config, model.numClasses) : undefined;
    const passes = classPrior ? classPrior.filter((p) => p > 0).length : 1;
    const progress = new Progress({ label: 'anomaly scores', total: (inSet.n + outSet.n) * passes, unit: 'ex' });
    const estimate = hasDensity(model) && model.densityKind === 'estimate' && !v.bound;
    const options = { seed, bound: Boolean(v.bound), classPrior, batchSize: estimate ? 20 : 500, onBatch: (k: number) => progress.tick(k) };
    const inScores = await negativeLogLikelihoods(model, inSet, options);
    const outScores = await negativeLogLikelihoods(model, outSet, options);
    progress.finish();

    // 4. The complexity correction S(x) = -log2 p(x) - L(x), for images.
    const noComplexity = complexityUnavailable(inSet);
    const lengths = noComplexity ? undefined : { in: pngLengthBits(inSet), out: pngLengthBits(outSet) };
    const corrected = lengths && { in: complexityCorrected(inScores.values, lengths.in), out: complexityCorrected(outScores.values, lengths.out) };
    const raw = anomalyReport(inScores.values, outScores.values);
    const complexity = corrected && anomalyReport(corrected.in, corrected.out);
    const seconds = (Date.now() - started) / 1000;

    if (histogram) {
      const names = [`in: ${inSet.name}`, `out: ${outSet.name}`];
      const caption = 'higher = more anomalous';
      const panels = [
        { title: `-log p(x) nats (${inScores.kind})`, caption, series: [{ name: names[0], values: inScores.values }, { name: names[1], values: outScores.values }] },
        ...(corrected ? [{ title: '-log2 p(x) - L(x) bits (png)', caption, series: [{ name: names[0], values: corrected.in }, { name: names[1], values: corrected.out }] }] : []),
      ];
      writePng(histogram, histogramPanels(panels));
    }

    const result = {
      kind: inScores.kind,
      ...(inScores.dequantized && { dequantized: true }),
      ...(inScores.marginalClasses !== undefined && { marginalClasses: inScores.marginalClasses }),
      model: model.name,
      in: inSet.name,
      out: outSet.name,
      ...(holdout !== undefined && { holdoutClass: holdout }),
      nIn: inSet.n,
      nOut: outSet.n,
      raw: { ...figures(raw), unit: 'nats' },
      complexity: complexity
        ? { ...figures(complexity), unit: 'bits', compressor: 'png', meanLengthIn: mean(lengths!.in), meanLengthOut: mean(lengths!.out) }
        : null,
      ...(histogram && { histogram }),
    };
    const key = (holdout !== undefined ? `holdout-${holdout}` : `${slug(inSet.name)}-vs-${slug(outSet.name)}`) + (v.bound ? '-bound' : '');
    writeEvalRecord(runDir, { kind: 'anomaly', key, command: commandLine(), seconds, result });
    if (noComplexity) process.stderr.write(`no complexity correction: ${noComplexity}\n`);

    if (v.json) printJson(result);
    else process.stdout.write(humanReport(model, config, inScores, { usedBound: Boolean(v.bound) || !hasDensity(model), inName: inSet.name, outName: outSet.name, raw, complexity, lengths, backend, histogram }));
    return 0;
  } finally {
    model.dispose();
  }
}

/** --holdout-class K needs a run trained without class K (--exclude-class K), unless --force. */
function checkHeldOut(config: RunConfig, runDir: string, k: number, force: boolean): void {
  const excluded = config.data.excludeClass;
  if (excluded === k || force) return;
  throw new UserError(
    excluded === undefined
      ? `run '${runDir}' was trained on every class, so class ${k} is not held out: train with ${GENLAB} train ... --exclude-class ${k} (or pass --force to score it anyway)`
      : `run '${runDir}' was trained without class ${excluded}, not ${k}: use --holdout-class ${excluded} (or pass --force)`,
  );
}

/** The run's test split, by label: in = every class but K, out = class K. */
function heldOutSets(config: RunConfig, k: number): { inSet: Dataset; outSet: Dataset } {
  const { test } = loadRunData(config);
  if (!test.labels) throw new UserError(`--holdout-class needs labelled data, but '${config.data.spec}' has no labels`);
  const inIdx: number[] = [];
  const outIdx: number[] = [];
  test.labels.forEach((label, i) => (label === k ? outIdx : inIdx).push(i));
  if (outIdx.length === 0) throw new UserError(`--holdout-class ${k}: no test example of '${config.data.spec}' has label ${k}`);
  const base = `${config.data.spec}/test`;
  return { inSet: subset(test, inIdx, `${base} (labels != ${k})`), outSet: subset(test, outIdx, `${base} (label ${k})`) };
}

/** A fixed random subset of `limit` examples, kept in their order; the whole set when it is smaller. */
function limited(d: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || d.n <= limit) return d;
  const chosen = new Rng(LIMIT_SEED).permutation(d.n).subarray(0, limit).sort();
  return subset(d, chosen);
}

/** p(k) of a conditional model's marginal: the class frequencies of the run's training split. */
function trainingClassFrequencies(config: RunConfig, classes: number): Float64Array {
  const { train } = loadRunData(config);
  if (!train.labels) throw new UserError(`the run's training data '${config.data.spec}' has no labels to weigh the classes of its conditional model`);
  const prior = new Float64Array(classes);
  for (const label of train.labels) if (label >= 0 && label < classes) prior[label] += 1 / train.n;
  return prior;
}

function figures(r: AnomalyReport) {
  return { auroc: r.auroc, auprc: r.auprc, fprAt95Tpr: r.fprAt95Tpr, meanIn: r.meanIn, meanOut: r.meanOut };
}

function mean(values: Float64Array): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** `mnist/test (label 9)` -> `mnist-test-label-9`, for the eval record's file name. */
function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '');
}

/** What the raw score is, in words. */
function scoreWords(model: GenerativeModel, scores: NegLogLikelihoods, usedBound: boolean): string {
  const marginal = scores.marginalClasses !== undefined ? `, of the marginal p(x) = sum over ${scores.marginalClasses} classes of p(k) p(x|k), p(k) the training class frequencies` : '';
  if (scores.dequantized) return `-log p(x) of the 8-bit data, an upper bound by uniform dequantization (Theis et al. 2016)${marginal}`;
  if (scores.kind === 'exact') return `exact -log p(x)${marginal}`;
  if (scores.kind === 'estimate') {
    const k = (model.getConfig() as { evalSamples?: number }).evalSamples;
    return `-log p(x) estimated by importance sampling${k ? ` (k = ${k})` : ''}${marginal}`;
  }
  return `${usedBound ? 'the negative variational bound (-ELBO)' : "the model's own bound"}, an upper bound on -log p(x)${marginal}`;
}

function humanReport(
  model: GenerativeModel,
  config: RunConfig,
  scores: NegLogLikelihoods,
  r: { usedBound: boolean; inName: string; outName: string; raw: AnomalyReport; complexity?: AnomalyReport; lengths?: { in: Float64Array; out: Float64Array }; backend: string; histogram?: string },
): string {
  const { raw, complexity } = r;
  const fmt = (x: number, digits = 3) => x.toFixed(digits).padStart(9);
  const row = (label: string, a: AnomalyReport, unit: string) =>
    `  ${label.padEnd(26)}${fmt(a.auroc)}${fmt(a.auprc)}${fmt(a.fprAt95Tpr)}${fmt(a.meanIn, 1)}${fmt(a.meanOut, 1)}  ${unit}\n`;
  let text =
    `${model.name} on ${config.data.spec} (binarize ${config.data.binarize}), backend ${r.backend}\n` +
    `  in  (negatives): ${r.inName}, ${raw.nIn} examples\n` +
    `  out (positives): ${r.outName}, ${raw.nOut} examples\n` +
    `  score: ${scoreWords(model, scores, r.usedBound)}; higher = more anomalous\n\n` +
    `  ${'score'.padEnd(26)}${'AUROC'.padStart(9)}${'AUPRC'.padStart(9)}${'FPR@95'.padStart(9)}${'mean in'.padStart(9)}${'mean out'.padStart(9)}\n` +
    row('-log p(x)', raw, 'nats');
  if (complexity) {
    text += row('-log2 p(x) - L(x)', complexity, 'bits');
    text += `\n  L(x): PNG length of each input (Serra et al. 2020), mean ${mean(r.lengths!.in).toFixed(0)} bits in, ${mean(r.lengths!.out).toFixed(0)} bits out\n`;
  }
  if (raw.auroc < 0.5) {
    text += `  raw AUROC below 0.5: the model gives the out-of-distribution inputs HIGHER likelihood than the in-distribution ones (cf. Nalisnick et al. 2019)\n`;
  }
  if (r.histogram) text += `  histogram: ${r.histogram}\n`;
  return text;
}
