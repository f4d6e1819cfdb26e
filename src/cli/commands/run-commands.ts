/** Commands that use a trained run: sample, score, eval (likelihood and linear probe), info. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { exampleSize, head } from '../../data/dataset.js';
import { prepareInput } from '../../data/prepare.js';
import { bitsPerDim, boundAll, evaluateSplit, logProbAll, type NllReport } from '../../eval/likelihood.js';
import { probeModel } from '../../eval/probe.js';
import { measureSampleQuality, type SampleQualityReport } from '../../eval/sampleQuality.js';
import { commandLine, writeEvalRecord } from '../../node/evalRecords.js';
import { REFERENCE_DATA, loadReferenceClassifier } from '../../node/referenceClassifier.js';
import { hasBound, hasDensity, isAdversarial, isConditional, isLatent, samplesInSteps, type BoundModel, type DensityKind, type DensityModel } from '../../models/capabilities.js';
import { classesInTurn } from '../../nn/oneHot.js';
import type { GenerativeModel, SampleOptions } from '../../models/model.js';
import { initNodeBackend } from '../../node/engine.js';
import { Progress } from '../../node/progress.js';
import { verifyCheckpoints } from '../../node/checkpoint.js';
import { MetricsLog, loadRunData, openRun, readRunConfig } from '../../node/run.js';
import { loadDataSpec } from '../../node/data/spec.js';
import { EMA_OPTION, choiceFlag, helpText, numberFlag, onePositional, parse, type OptionTable } from '../args.js';
import { printJson, readInput, writeSampleGrid, writeSamplesCsv } from '../common.js';

const COMMON: OptionTable = {
  ...EMA_OPTION,
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const SAMPLE_OPTIONS: OptionTable = {
  n: { type: 'string', short: 'n', value: 'N', help: 'number of samples', default: '64' },
  out: { type: 'string', value: 'FILE', help: '.png (a grid) or .csv (one sample per row)', default: 'samples.png' },
  seed: { type: 'string', value: 'N', help: 'sampling seed', default: '0' },
  label: { type: 'string', value: 'K', help: 'conditional models: draw every sample from class K (default: a PNG grid has one row per class, a CSV classes in turn)' },
  truncation: { type: 'string', value: 'T', help: 'adversarial models: the truncation trick, z entries beyond +-T drawn again (fidelity for variety)' },
  temperature: { type: 'string', value: 'T', help: "flows: the base density's scale times T (Glow Sec. 5); latent models: z ~ N(0, T^2 I); autoregressive: softmax temperature (default 1)" },
  steps: { type: 'string', value: 'S', help: 'diffusion models: DDIM (Song et al. 2021) over S evenly spaced timesteps (default: the model\'s samplerSteps; 0 there: DDPM ancestral over all T)' },
  eta: { type: 'string', value: 'E', help: 'diffusion models, DDIM: stochasticity eta, 0 deterministic given x_T, 1 DDPM-like (default 0)' },
  guidance: { type: 'string', value: 'W', help: 'class-conditional diffusion models: classifier-free guidance weight w, eps = (1 + w) eps(x, y) - w eps(x, null)' },
  mean: {
    type: 'boolean',
    help: "latent models: write the decoder's means E[x|z] (Bernoulli: probabilities) instead of draws x ~ p(x|z); default: draws in a CSV of binary data, the model's sampleMode in a PNG",
  },
  ...COMMON,
};

export async function sampleCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('sample', args, SAMPLE_OPTIONS);
  if (v.help) return help('Usage: genlab sample RUN -n N [--label K] [--mean] [--truncation T] [--temperature T] [--steps S --eta E --guidance W] --out FILE.png|FILE.csv', SAMPLE_OPTIONS);
  const runDir = onePositional('sample', positionals, 'RUN folder');
  const n = numberFlag('n', v.n, { integer: true, min: 1, max: 100000 })!;
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  const out = String(v.out);
  const ext = path.extname(out).toLowerCase();
  if (ext !== '.png' && ext !== '.csv') throw new UserError(`--out must end in .png or .csv, got '${out}'`);
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openRun(runDir, { ema: !v['no-ema'] });
  const { shape, kind } = run.checkpoint.manifest.data;
  const labels = v.label !== undefined ? new Int32Array(n).fill(sampleLabel(run.model, String(v.label))) : ext === '.png' && shape.length === 3 ? classRows(run.model, n) : undefined;
  const mode = sampleMode(run.model, Boolean(v.mean), ext === '.csv' && kind === 'binary');
  const truncation = numberFlag('truncation', v.truncation, { min: 1e-3 });
  if (truncation !== undefined && !isAdversarial(run.model)) {
    run.model.dispose();
    throw new UserError(`--truncation needs an adversarial model (a generator of z ~ N(0, I)); ${run.model.name} is not one`);
  }
  const temperature = numberFlag('temperature', v.temperature, { min: 0 });
  const stepOptions = diffusionOptions(run.model, v);
  const started = performance.now();
  const samples = await run.model.sample(n, new Rng(seed), {
    ...(labels && { labels }),
    ...(mode && { mode }),
    ...(truncation !== undefined && { truncation }),
    ...(temperature !== undefined && { temperature }),
    ...stepOptions,
  });
  const secondsPerSample = (performance.now() - started) / 1000 / n;
  if (ext === '.png') writeSampleGrid(out, samples, n, shape, kind);
  else writeSamplesCsv(out, samples, n, run.config.data.featureNames);
  if (v.json) {
    printJson({ out, n, shape, kind, backend, secondsPerSample, ...stepOptions, ...(v.label !== undefined && labels ? { label: labels[0] } : {}), ...(isLatent(run.model) && { mode: mode ?? run.config.model.config.sampleMode }) });
  } else {
    const sampler = samplesInSteps(run.model) ? ` (${stepOptions.steps !== undefined ? `DDIM, ${stepOptions.steps} steps, eta ${stepOptions.eta ?? 0}` : `DDPM, ${run.model.timesteps} steps`}${stepOptions.guidance !== undefined ? `, guidance ${stepOptions.guidance}` : ''})` : '';
    process.stderr.write(
      `wrote ${n} samples${v.label !== undefined && labels ? ` of class ${labels[0]}` : labels ? ', one row per class' : ''} to ${out}${sampler}, ${formatDuration(secondsPerSample)} per sample\n`,
    );
  }
  run.model.dispose();
  return 0;
}

/**
 * --steps, --eta and --guidance for a diffusion model (`samplesInSteps`): DDIM on S steps, its eta,
 * the guidance weight of a class-conditional one; refused for other models.
 */
function diffusionOptions(model: GenerativeModel, v: Record<string, unknown>): Pick<SampleOptions, 'steps' | 'eta' | 'guidance'> {
  const given = (['steps', 'eta', 'guidance'] as const).filter((f) => v[f] !== undefined);
  if (!samplesInSteps(model)) {
    if (given.length) {
      model.dispose();
      throw new UserError(`--${given[0]} needs a diffusion model (a sampler over denoising steps); ${model.name} is not one`);
    }
    return {};
  }
  let steps = numberFlag('steps', v.steps as string | undefined, { integer: true, min: 1, max: model.timesteps });
  const eta = numberFlag('eta', v.eta as string | undefined, { min: 0 });
  const guidance = numberFlag('guidance', v.guidance as string | undefined, { min: 0 });
  if (guidance !== undefined && !isConditional(model)) {
    model.dispose();
    throw new UserError(`--guidance needs a class-conditional model (trained with --class-conditional); ${model.name} in this run is unconditional`);
  }
  // Without --steps: the run's samplerSteps (DDIM) if set; --eta alone means DDIM over all T.
  const configured = (model.getConfig() as { samplerSteps?: number }).samplerSteps;
  if (steps === undefined && configured) steps = configured;
  if (steps === undefined && eta !== undefined) steps = model.timesteps;
  return { ...(steps !== undefined && { steps }), ...(eta !== undefined && { eta }), ...(guidance !== undefined && { guidance }) };
}

/** 12.3 ms, 1.24 s. */
function formatDuration(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
}

/**
 * What a latent model's samples are: the decoder's means with --mean; draws x ~ p(x|z) where the
 * output promises data values (a CSV of binary data: 0/1, README); else undefined, the model's own
 * `sampleMode` (means by default: smoother pictures). Other models always draw.
 */
function sampleMode(model: GenerativeModel, mean: boolean, valuesPromised: boolean): SampleOptions['mode'] {
  if (mean && !isLatent(model)) {
    throw new UserError(`--mean needs a latent-variable model (the decoder's means E[x|z]); ${model.name} has no decoder: its samples are draws`);
  }
  if (!isLatent(model)) return undefined;
  return mean ? 'mean' : valuesPromised ? 'sample' : undefined;
}

/** A conditional model's picture: one row per class (the grid's rows of ceil(sqrt(n)) images), classes in turn; others undefined. */
function classRows(model: GenerativeModel, n: number): Int32Array | undefined {
  if (!isConditional(model)) return undefined;
  const cols = Math.ceil(Math.sqrt(n));
  return Int32Array.from({ length: n }, (_, i) => Math.floor(i / cols) % model.numClasses);
}

/** The class asked for by `--label K`, checked against what the model was trained on. */
function sampleLabel(model: GenerativeModel, value: string): number {
  if (!isConditional(model)) {
    throw new UserError(`--label needs a conditional model (cvae, cgan, acgan); ${model.name} is not conditioned on a class`);
  }
  return numberFlag('label', value, { integer: true, min: 0, max: model.numClasses - 1 })!;
}

export const SCORE_OPTIONS: OptionTable = {
  input: { type: 'string', value: 'FILE', help: '.csv (one example per row) or .png' },
  'label-column': {
    type: 'string',
    value: 'NAME',
    help: "the CSV column of class labels: conditional models (cvae) score log p(x | y) with them, others leave the column out",
  },
  seed: { type: 'string', value: 'N', help: 'seed for stochastic estimates', default: '0' },
  ...COMMON,
};

export async function scoreCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('score', args, SCORE_OPTIONS);
  if (v.help) return help('Usage: genlab score RUN --input FILE [--label-column NAME] [--json]', SCORE_OPTIONS);
  const runDir = onePositional('score', positionals, 'RUN folder');
  if (!v.input) throw new UserError('genlab score needs --input FILE (.csv or .png)');
  await initNodeBackend(v.backend as string | undefined);
  const run = openRun(runDir, { ema: !v['no-ema'] });
  const model = requireDensity(run.model);
  const { shape } = run.checkpoint.manifest.data;
  const labelColumn = v['label-column'] as string | undefined;
  if (isConditional(model) && labelColumn === undefined) {
    model.dispose();
    throw new UserError(`${model.name} is conditional: it scores log p(x | y) and needs each example's class; pass --label-column NAME with a CSV holding that column`);
  }
  // Labels named in the file are numbered as in training (the training data is read only then).
  const read = isConditional(model)
    ? readInput(String(v.input), shape, { labelColumn, classNames: () => loadDataSpec(run.config.data.spec, run.config.data).train.classNames })
    : { ...readInput(String(v.input), shape, { labelColumn }), labels: undefined };
  const input = prepareInput(read, run.checkpoint.manifest.data.kind);
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  const logp = await logProbAll(model, input, new Rng(seed));
  const D = exampleSize(input);
  const kind = model.densityKind;
  // Latent models: the ELBO and its terms beside the importance-sampled estimate.
  const bound = hasBound(model) ? await boundAll(model, input, new Rng(seed)) : undefined;
  const columns = bound && elboColumns(bound.bound, bound.terms);
  if (v.json) {
    printJson({
      kind,
      logProb: Array.from(logp),
      bitsPerDim: Array.from(logp, (l) => bitsPerDim(-l, D)),
      ...(columns && Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, Array.from(values)]))),
    });
  } else {
    const names = columns ? Object.keys(columns) : [];
    process.stdout.write(`# ${kind} log p(x) in nats, -log2 p(x) / D in bits/dim${names.map((name) => `, ${name} (nats)`).join('')}\n`);
    logp.forEach((l, i) => {
      const extra = names.map((name) => `\t${columns![name][i].toFixed(4)}`).join('');
      process.stdout.write(`${i}\t${l.toFixed(4)}\t${bitsPerDim(-l, D).toFixed(5)}${extra}\n`);
    });
  }
  model.dispose();
  return 0;
}

export const EVAL_OPTIONS: OptionTable = {
  split: { type: 'string', value: 'NAME', help: 'test|train', default: 'test' },
  limit: { type: 'string', value: 'N', help: 'score only the first N examples (and probe at most N test examples)' },
  seed: { type: 'string', value: 'N', help: 'seed for stochastic estimates', default: '0' },
  'probe-examples': {
    type: 'string',
    value: 'N',
    help: 'latent models on labelled data: fit a linear probe on the codes of the first N train examples, score it on up to N test examples (0: no probe)',
    default: '10000',
  },
  samples: {
    type: 'string',
    value: 'N',
    help: 'sample quality: draw N samples and measure them in the reference classifier\'s feature space against the test split (MNIST, Fashion-MNIST); 0: none',
    default: '0',
  },
  mean: { type: 'boolean', help: "with --samples, latent models: measure the decoder's means E[x|z] instead of draws x ~ p(x|z) (binary data) or the model's sampleMode" },
  classifier: { type: 'string', value: 'DIR', help: 'with --samples: the reference classifier folder (default: the user cache, else the shipped one)' },
  steps: { type: 'string', value: 'S', help: "with --samples, diffusion models: DDIM over S steps (default: the model's samplerSteps; 0 there: DDPM over all T)" },
  eta: { type: 'string', value: 'E', help: 'with --samples and --steps: DDIM stochasticity eta (default 0)' },
  guidance: { type: 'string', value: 'W', help: 'with --samples, class-conditional diffusion models: classifier-free guidance weight w (default: none, the conditional network alone)' },
  'no-likelihood': { type: 'boolean', help: 'skip the likelihood (and the probe): only what --samples measures' },
  ...COMMON,
};

export async function evalCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('eval', args, EVAL_OPTIONS);
  if (v.help) return help('Usage: genlab eval RUN [--split test] [--limit N] [--probe-examples N] [--samples N [--mean] [--no-likelihood]] [--json]', EVAL_OPTIONS);
  const runDir = onePositional('eval', positionals, 'RUN folder');
  const split = choiceFlag('split', v.split, ['test', 'train'] as const)!;
  const limit = numberFlag('limit', v.limit, { integer: true, min: 1 });
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  const skipLikelihood = Boolean(v['no-likelihood']);
  const probeExamples = skipLikelihood ? 0 : numberFlag('probe-examples', v['probe-examples'], { integer: true, min: 0 })!;
  const sampleCount = numberFlag('samples', v.samples, { integer: true, min: 0, max: 100000 })!;
  if (sampleCount === 1) throw new UserError('--samples needs at least 2 samples (a covariance), e.g. --samples 2000');
  if (skipLikelihood && sampleCount === 0) throw new UserError('--no-likelihood leaves nothing to measure without --samples N');
  if ((v.mean || v.classifier || v.steps !== undefined || v.eta !== undefined || v.guidance !== undefined) && sampleCount === 0) {
    throw new UserError('--mean, --classifier, --steps, --eta and --guidance go with --samples N');
  }
  const backend = await initNodeBackend(v.backend as string | undefined);
  const run = openRun(runDir, { ema: !v['no-ema'] });
  const { model } = run;
  const referenceData = sampleCount > 0 ? referenceDataName(run.config.data.spec) : undefined;
  const classifier = referenceData !== undefined ? loadReferenceClassifier(referenceData, v.classifier as string | undefined) : undefined;
  // An implicit model has no likelihood; one with latent codes (ae) still has a probe to report.
  const scores = hasDensity(model) && !skipLikelihood;
  const hasCodes = isLatent(model);
  if (!hasCodes && !skipLikelihood && sampleCount === 0) requireDensity(model);
  const data = loadRunData(run.config);
  const labelled = Boolean(data.train.labels && data.test.labels);
  const probing = hasCodes && labelled && probeExamples > 0;
  if (!scores && !probing && sampleCount === 0) {
    throw new UserError(
      `${model.name} is an implicit model: it has no likelihood to evaluate, and its linear probe needs ` +
        (labelled ? '--probe-examples N > 0' : 'class labels, which this data set lacks'),
    );
  }
  let dequantized = false;
  const started = Date.now();

  // 1. Likelihood (explicit models): mean NLL of the split, and the ELBO of latent-variable models.
  let report: NllReport | undefined;
  let elboReport: Record<string, number> | undefined;
  if (scores) {
    const evaluated = head(data[split], limit ?? data[split].n);
    const progress = new Progress({ label: `eval ${split}`, total: evaluated.n, unit: 'ex' });
    // Importance-sampled estimates cost thousands of passes per example: small batches keep the progress bar moving.
    const batchSize = model.densityKind === 'estimate' ? 20 : 500;
    const r = await evaluateSplit(model, evaluated, { seed, batchSize, onBatch: (k) => progress.tick(k) });
    progress.finish();
    report = r.nll;
    elboReport = r.bound && elboColumns(r.bound.bound, r.bound.terms);
    dequantized = r.dequantized;
  } else if (split === 'train') {
    process.stderr.write(`${model.name} has no likelihood: --split ${split} does not apply (the probe fits on train and scores on test)\n`);
  }

  // 2. Linear probe (latent models, labelled data): fit on train codes, accuracy on test codes.
  let probe: { accuracy: number; trainExamples: number; testExamples: number } | undefined;
  if (probing) {
    const probeTest = head(data.test, Math.min(probeExamples, limit ?? data.test.n));
    const total = Math.min(probeExamples, data.train.n) + probeTest.n;
    const progress = new Progress({ label: 'probe codes', total, unit: 'ex' });
    const r = await probeModel(model, data.train, probeTest, probeExamples, {}, (k) => progress.tick(k));
    progress.finish();
    probe = { accuracy: r.accuracy, trainExamples: r.trainExamples, testExamples: r.testExamples };
  } else if (hasCodes && probeExamples > 0) {
    process.stderr.write('no class labels in the data: no linear probe of the codes\n');
  }

  const likelihoodSeconds = (Date.now() - started) / 1000;

  // 3. Sample quality (any model that samples): N samples against the test split in the reference classifier's features.
  let quality: SampleQualityReport | undefined;
  let qualitySeconds = 0;
  if (classifier) {
    const qualityStarted = Date.now();
    const mode = sampleMode(model, Boolean(v.mean), run.config.data.kind === 'binary');
    const stepOptions = diffusionOptions(model, { steps: v.steps, eta: v.eta, guidance: v.guidance });
    // A conditional model draws the classes in turn; the classifier's reading of them is scored against these.
    const labels = isConditional(model) ? classesInTurn(0, sampleCount, model.numClasses) : undefined;
    const sampleStarted = performance.now();
    const samples = await drawSamples(model, sampleCount, new Rng(seed), { ...(mode && { mode }), ...stepOptions }, labels);
    const secondsPerSample = (performance.now() - sampleStarted) / 1000 / sampleCount;
    // The whole test split: --limit bounds the likelihood's cost, not the reference set.
    const reference = data.test;
    quality = await measureSampleQuality(classifier.classifier, classifier.featureSpace, { ...data.test, name: `${model.name} samples`, x: samples, n: sampleCount, labels }, reference);
    quality = { ...quality, ...(mode && { sampleMode: mode }), ...(samplesInSteps(model) && { ...stepOptions, secondsPerSample }) };
    classifier.classifier.dispose();
    qualitySeconds = (Date.now() - qualityStarted) / 1000;
  }

  const seconds = (Date.now() - started) / 1000;
  const likelihoodResult = report
    ? { kind: report.kind, split, n: report.n, nll: report.nll, nllStdErr: report.nllStdErr, bitsPerDim: report.bitsPerDim, ...(dequantized && { dequantized }), ...elboReport, ...(probe && { probe }) }
    : probe
      ? { kind: 'implicit', probe }
      : undefined;
  new MetricsLog(runDir).append({ event: 'eval', split, ...(report ?? { kind: 'implicit' }), ...elboReport, ...(probe && { probe }), ...(quality && { quality }), backend, seconds });
  const command = commandLine();
  if (likelihoodResult) writeEvalRecord(runDir, { kind: 'likelihood', key: split, command, seconds: likelihoodSeconds, result: { ...likelihoodResult, backend } });
  if (quality) writeEvalRecord(runDir, { kind: 'quality', key: '', command, seconds: qualitySeconds, result: { ...quality, backend } });
  if (v.json) {
    printJson(likelihoodResult ? { ...likelihoodResult, ...(quality && { quality }) } : { kind: 'implicit', quality });
  } else {
    const where = `${model.name} on ${run.config.data.spec}`;
    let text = report
      ? `${where} ${split} split (${report.n} examples, binarize ${run.config.data.binarize}):\n` +
        `  ${dequantized ? 'NLL of the 8-bit data, upper bound by uniform dequantization (Theis et al. 2016)' : nllLabel(report.kind)}: ${report.nll.toFixed(3)} ± ${report.nllStdErr.toFixed(3)} nats per example, ${report.bitsPerDim.toFixed(4)} bits/dim\n`
      : `${where} (binarize ${run.config.data.binarize}): ${skipLikelihood ? 'likelihood not measured (--no-likelihood)' : 'an implicit model, no likelihood to evaluate'}\n`;
    if (elboReport && hasBound(model)) {
      text += `  ELBO (a lower bound on log p(x)): ${elboReport.elbo.toFixed(3)} nats = ${formatTerms(model, elboReport)}\n`;
    }
    if (probe) {
      text += `  linear probe on the codes: ${(100 * probe.accuracy).toFixed(1)}% test accuracy (fit on ${probe.trainExamples} train codes, scored on ${probe.testExamples} test codes)\n`;
    }
    if (quality) text += formatQuality(quality);
    process.stdout.write(text);
  }
  model.dispose();
  return 0;
}

/** The reference-classifier data set of a run's data spec ('mnist', 'fashion'); others have none. */
function referenceDataName(spec: string): string {
  if (spec in REFERENCE_DATA) return spec;
  throw new UserError(`--samples measures samples with the reference classifier of MNIST or Fashion-MNIST; this run's data '${spec}' has none`);
}

/** n samples in batches (bounded memory), with progress; a conditional model's of the classes `labels`. */
async function drawSamples(model: GenerativeModel, n: number, rng: Rng, options: SampleOptions, labels?: Int32Array): Promise<Float32Array> {
  const D = exampleSize({ shape: model.inputShape });
  const out = new Float32Array(n * D);
  const progress = new Progress({ label: 'samples', total: n, unit: 'ex' });
  for (let start = 0; start < n; start += SAMPLE_BATCH) {
    const m = Math.min(SAMPLE_BATCH, n - start);
    out.set(await model.sample(m, rng, { ...options, ...(labels && { labels: labels.subarray(start, start + m) }) }), start * D);
    progress.tick(m);
  }
  progress.finish();
  return out;
}

const SAMPLE_BATCH = 500;

export function formatQuality(q: SampleQualityReport & { sampleMode?: string; steps?: number; eta?: number; guidance?: number; secondsPerSample?: number }): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const guided = q.guidance !== undefined ? `, guidance ${q.guidance}` : '';
  const sampler = q.secondsPerSample !== undefined ? ` (${q.steps !== undefined ? `DDIM ${q.steps} steps, eta ${q.eta ?? 0}` : 'DDPM'}${guided}, ${formatDuration(q.secondsPerSample)} per sample)` : '';
  return (
    `  sample quality, ${q.n} samples${q.sampleMode ? ` (${q.sampleMode === 'mean' ? 'decoder means' : 'draws'})` : ''}${sampler} against ${q.referenceExamples} test examples, in ${q.featureSpace} features:\n` +
    `    Frechet distance ${q.frechetDistance.toFixed(3)} (FD in these features, not comparable with Inception FID)\n` +
    `    Inception-Score analogue ${q.inceptionScore.toFixed(3)} (at most ${q.histogram.length})\n` +
    `    precision ${pct(q.precision)}, recall ${pct(q.recall)} (k = ${q.k} nearest-neighbour manifolds, ${q.precisionRecallExamples} of each)\n` +
    `    classes ${q.histogram.map(pct).join(' ')}; KL to uniform ${q.klToUniform.toFixed(4)} nats; mean confidence ${pct(q.meanConfidence)}\n` +
    (q.labelAgreement !== undefined ? `    label agreement ${pct(q.labelAgreement)} (samples drawn for class k, classes in turn, that the classifier reads as k)\n` : '')
  );
}

function nllLabel(kind: DensityKind): string {
  return kind === 'exact' ? 'NLL' : kind === 'bound' ? 'negative ELBO (upper bound on NLL)' : 'NLL estimate';
}

export const INFO_OPTIONS: OptionTable = {
  json: COMMON.json,
  help: COMMON.help,
};

export async function infoCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('info', args, INFO_OPTIONS);
  if (v.help) return help('Usage: genlab info RUN [--json]', INFO_OPTIONS);
  const runDir = onePositional('info', positionals, 'RUN folder');
  const config = readRunConfig(runDir);
  const records = new MetricsLog(runDir).read();
  const epochs = records.filter((r) => r.event === 'epoch');
  const last = epochs[epochs.length - 1];
  // Every checkpoint is read and checked against its checksums, so damage shows here, not at --resume.
  const checkpoints = verifyCheckpoints(runDir);
  const checkpoint = checkpoints.latest;
  const damaged = [
    ...(checkpoints.latestProblem ? [checkpoints.latestProblem] : []),
    ...checkpoints.checkpoints.flatMap((c) => (c.problem ? [`${c.name}: ${c.problem}`] : [])),
  ];
  const samples = fs.existsSync(path.join(runDir, 'samples')) ? fs.readdirSync(path.join(runDir, 'samples')).sort() : [];
  // What was trained, from the checkpoint a resume would continue from (the one latest.json names, else
  // the newest intact one): config.json holds the planned epochs, which a resume with a larger --epochs
  // raises before it trains them.
  const resumable =
    checkpoints.checkpoints.find((c) => c.intact && c.name === checkpoint) ?? checkpoints.checkpoints.find((c) => c.intact);
  const batchesPerEpoch = Math.ceil(config.data.trainExamples / config.train.batchSize);
  const trained = resumable?.progress ? { checkpoint: resumable.name, ...resumable.progress, batchesPerEpoch } : null;
  const info = {
    run: runDir,
    config,
    epochsLogged: epochs.length,
    lastEpoch: last ?? null,
    checkpoint,
    checkpoints: checkpoints.checkpoints,
    damaged,
    samples,
    epochsPlanned: config.train.epochs,
    epochsCompleted: trained?.epoch ?? 0,
    trained,
  };
  if (v.json) {
    printJson(info);
    return 0;
  }
  const lines = [
    `run        ${runDir}`,
    `model      ${config.model.name} ${JSON.stringify(config.model.config)}`,
    `data       ${config.data.spec} (${config.data.trainExamples} train / ${config.data.testExamples} test, shape ${config.data.shape.join('x')}, ${config.data.kind}, binarize ${config.data.binarize}, data seed ${config.data.dataSeed}` +
      `${config.data.excludeClass === undefined ? '' : `, class ${config.data.excludeClass} excluded from train`})`,
    `training   ${config.train.epochs} epochs planned, batch ${config.train.batchSize}, ${config.train.learningRate === undefined ? 'fit by counting' : `lr ${config.train.learningRate}`}, seed ${config.train.seed}, backend ${config.backend}`,
    `trained    ` +
      (trained
        ? `${trained.epoch} of ${config.train.epochs} epochs` +
          (trained.batchInEpoch > 0 ? ` and ${trained.batchInEpoch} of ${batchesPerEpoch} batches of epoch ${trained.epoch + 1}` : '') +
          `, step ${trained.step} (checkpoint ${trained.checkpoint})`
        : 'nothing yet (no intact checkpoint)'),
    `command    ${config.command}`,
    `progress   ${epochs.length} epoch(s) logged` + (last ? `; last: ${JSON.stringify(last)}` : ''),
    `checkpoint ${checkpoint ?? 'none'}` +
      (checkpoints.checkpoints.length ? ` (${checkpoints.checkpoints.filter((c) => c.intact).length} of ${checkpoints.checkpoints.length} kept intact)` : ''),
    ...damaged.map((d) => `damaged    ${d}`),
    `samples    ${samples.length ? samples.join(', ') : 'none'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/**
 * A bound and its named terms under the names of the JSON contracts (README): every bound here is an
 * evidence lower bound, reported as "elbo", followed by its terms ("reconstruction", "kl" for the VAEs).
 */
function elboColumns<T>(bound: T, terms: Record<string, T>): Record<string, T> {
  return { elbo: bound, ...terms };
}

/** "reconstruction -90.123 - kl 25.321": the terms with the signs they enter the bound with. */
function formatTerms(model: BoundModel, values: Record<string, number>): string {
  return Object.entries(model.termKinds)
    .map(([name, kind], i) => `${kind === 'divergence' ? '- ' : i > 0 ? '+ ' : ''}${name} ${values[name].toFixed(3)}`)
    .join(' ');
}

function requireDensity<M extends GenerativeModel>(model: M): M & DensityModel {
  if (!hasDensity(model)) {
    model.dispose();
    throw new UserError(`${model.name} is an implicit model (a sampler without a density): it cannot score or evaluate likelihoods`);
  }
  return model;
}

function help(usage: string, table: OptionTable): number {
  process.stdout.write(helpText(usage, table));
  return 0;
}
