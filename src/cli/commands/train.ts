/** `genlab train MODEL --data ...`: trains into a run folder, checkpointing, resumable. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { exampleSize, head, type Dataset } from '../../data/dataset.js';
import { BINARIZE_OPTIONS, defaultBinarize, prepareData } from '../../data/prepare.js';
import { evaluateSplit } from '../../eval/likelihood.js';
import { ORDERING_TYPES, type OrderingType } from '../../models/ordering.js';
import { createModel, getEntry, type DataInfo } from '../../models/registry.js';
import { train, type TrainState } from '../../train/trainer.js';
import { LEARNING_RATE_DECAYS } from '../../train/schedule.js';
import { createOptimizers, getOptimizerState, setOptimizerState } from '../../train/optimizers.js';
import type { NamedArray } from '../../models/model.js';
import { loadLatestCheckpoint, saveCheckpoint } from '../../node/checkpoint.js';
import { DATA_SPEC_HELP, loadDataSpec } from '../../node/data/spec.js';
import { initNodeBackend } from '../../node/engine.js';
import { Progress, formatTime } from '../../node/progress.js';
import { MetricsLog, readRunConfig, writeRunConfig, type RunConfig } from '../../node/run.js';
import { choiceFlag, helpText, numberFlag, onePositional, parse, type OptionTable } from '../args.js';
import { printJson, writeSampleGrid } from '../common.js';

export const TRAIN_OPTIONS: OptionTable = {
  data: { type: 'string', value: 'SPEC', help: `training data: ${DATA_SPEC_HELP}` },
  binarize: { type: 'string', value: 'MODE', help: `${BINARIZE_OPTIONS.join('|')} (default: stochastic for binary models)` },
  'data-seed': { type: 'string', value: 'N', help: 'seed of the one stochastic binarization draw', default: '0' },
  'train-limit': { type: 'string', value: 'N', help: 'train on the first N training examples only (quick runs)' },
  'label-column': { type: 'string', value: 'NAME', help: 'CSV column holding class labels' },
  size: { type: 'string', value: 'HxW', help: 'resize images of an images: folder' },
  epochs: { type: 'string', value: 'N', help: 'epochs to train (in total, when resuming)', default: '1' },
  'batch-size': { type: 'string', value: 'N', help: 'examples per step', default: '128' },
  lr: { type: 'string', value: 'X', help: 'learning rate (gradient-trained models)', default: '0.001' },
  'lr-decay': { type: 'string', value: 'KIND', help: `learning rate over the run: ${LEARNING_RATE_DECAYS.join('|')} (to 0 at the last step; --resume with more --epochs stretches it)`, default: 'constant' },
  seed: { type: 'string', value: 'N', help: 'seed for data order, initialisation and noise', default: '1' },
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  out: { type: 'string', value: 'DIR', help: 'run folder (default runs/MODEL-DATA-TIME)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its last checkpoint' },
  order: { type: 'string', value: 'K', help: 'context length of the ar model' },
  ordering: { type: 'string', value: 'TYPE', help: `variable ordering: ${ORDERING_TYPES.filter((t) => t !== 'custom').join('|')}` },
  'ordering-seed': { type: 'string', value: 'N', help: 'seed of a random ordering' },
  smoothing: { type: 'string', value: 'ALPHA', help: 'Laplace pseudo-count of tabular models (default 1)' },
  states: { type: 'string', value: 'K', help: 'states per variable of tabular models (default 2, or 256 for 8-bit data)' },
  hidden: { type: 'string', value: 'H[,H..]', help: 'hidden units (nade: H; made: one size per layer)' },
  masks: { type: 'string', value: 'K', help: 'made: mask sets trained in turn and averaged' },
  'order-agnostic': { type: 'boolean', help: 'made: a random ordering for every mask set' },
  channels: { type: 'string', value: 'C', help: 'pixelcnn: feature maps per layer' },
  layers: { type: 'string', value: 'L', help: 'pixelcnn: residual blocks; rowlstm, diagbilstm: LSTM layers' },
  'hidden-channels': { type: 'string', value: 'H', help: 'rowlstm, diagbilstm: LSTM feature maps' },
  'model-config': { type: 'string', value: 'JSON', help: 'any model option as JSON, e.g. \'{"hidden": [500, 500]}\'' },
  'eval-examples': { type: 'string', value: 'N', help: 'test examples scored after each epoch (0: none)', default: '2000' },
  'sample-count': { type: 'string', value: 'N', help: 'samples in each epoch grid', default: '64' },
  'checkpoint-minutes': { type: 'string', value: 'M', help: 'also checkpoint every M minutes within an epoch', default: '10' },
  json: { type: 'boolean', help: 'print one JSON summary on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const TRAIN_USAGE = 'Usage: genlab train MODEL --data SPEC [options]';

/** Classes of a labelled data set (its class names, else the largest label + 1). */
function numClasses(d: Dataset): number | undefined {
  if (d.classNames) return d.classNames.length;
  if (!d.labels || d.labels.length === 0) return undefined;
  let max = 0;
  for (const label of d.labels) max = Math.max(max, label);
  return max + 1;
}

function parseSize(raw: string | boolean | undefined): [number, number] | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(String(raw));
  if (!m || +m[1] < 1 || +m[2] < 1) throw new UserError(`--size must be HxW, e.g. 28x28, got '${String(raw)}'`);
  return [+m[1], +m[2]];
}

/** Model options given on the command line, as a partial model config. */
function modelConfigFromFlags(v: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const order = numberFlag('order', v.order, { integer: true, min: 0 });
  if (order !== undefined) config.order = order;
  const smoothing = numberFlag('smoothing', v.smoothing, { min: 0 });
  if (smoothing !== undefined) config.smoothing = smoothing;
  const states = numberFlag('states', v.states, { integer: true, min: 2 });
  if (states !== undefined) config.states = states;
  const ordering = choiceFlag<OrderingType>('ordering', v.ordering, ['raster', 'snake', 'column', 'random']);
  const orderingSeed = numberFlag('ordering-seed', v['ordering-seed'], { integer: true, min: 0 });
  if (ordering) config.ordering = ordering === 'random' ? { type: ordering, seed: orderingSeed ?? 0 } : { type: ordering };
  if (v.hidden !== undefined) {
    const sizes = String(v.hidden).split(',').map((h, i) => numberFlag('hidden', h.trim(), { integer: true, min: 1 }) ?? i);
    config.hidden = sizes.length === 1 ? sizes[0] : sizes;
  }
  for (const [flag, key] of [['masks', 'masks'], ['channels', 'channels'], ['layers', 'layers'], ['hidden-channels', 'hiddenChannels']]) {
    const value = numberFlag(flag, v[flag], { integer: true, min: 1 });
    if (value !== undefined) config[key] = value;
  }
  if (v['order-agnostic']) config.orderAgnostic = true;
  if (v['model-config'] !== undefined) {
    let extra: unknown;
    try {
      extra = JSON.parse(String(v['model-config']));
    } catch {
      throw new UserError(`--model-config must be a JSON object, got '${String(v['model-config'])}'`);
    }
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new UserError('--model-config must be a JSON object');
    Object.assign(config, extra);
  }
  return config;
}

export async function trainCommand(args: string[]): Promise<number> {
  const { values: v, positionals, given } = parse('train', args, TRAIN_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText(TRAIN_USAGE, TRAIN_OPTIONS));
    return 0;
  }
  const modelName = onePositional('train', positionals, 'MODEL (see genlab models)');
  const entry = getEntry(modelName);
  let epochs = numberFlag('epochs', v.epochs, { integer: true, min: 1 })!;
  const batchSize = numberFlag('batch-size', v['batch-size'], { integer: true, min: 1 })!;
  const learningRate = numberFlag('lr', v.lr, { min: 0 })!;
  const learningRateDecay = choiceFlag('lr-decay', v['lr-decay'], LEARNING_RATE_DECAYS)!;
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  const evalExamples = numberFlag('eval-examples', v['eval-examples'], { integer: true, min: 0 })!;
  const sampleCount = numberFlag('sample-count', v['sample-count'], { integer: true, min: 0, max: 1024 })!;
  const checkpointMinutes = numberFlag('checkpoint-minutes', v['checkpoint-minutes'], { min: 0 })!;
  const json = Boolean(v.json);

  // 1. What to run: a new run from flags, or the stored config of the run being resumed.
  let config: RunConfig;
  let runDir: string;
  let resumeState: TrainState | undefined;
  let resumeWeights;
  let resumeOptimizer: NamedArray[] = [];
  if (v.resume) {
    if (!v.out) throw new UserError('--resume needs --out DIR, the run folder to continue');
    runDir = String(v.out);
    config = readRunConfig(runDir);
    if (config.model.name !== modelName) {
      throw new UserError(`run '${runDir}' trains ${config.model.name}, not ${modelName}`);
    }
    // A resumed run keeps its data and training options; only --epochs (the new total) may change.
    const fixed = ['data', 'binarize', 'data-seed', 'train-limit', 'label-column', 'size', 'batch-size', 'lr', 'lr-decay', 'seed', 'order', 'ordering', 'ordering-seed', 'smoothing', 'states', 'hidden', 'masks', 'order-agnostic', 'channels', 'layers', 'hidden-channels', 'model-config'];
    const changed = fixed.filter((f) => given.has(f));
    if (changed.length) {
      throw new UserError(`--resume continues '${runDir}' with its own settings; drop ${changed.map((f) => `--${f}`).join(', ')}`);
    }
    const ckpt = loadLatestCheckpoint(runDir);
    if (!ckpt) throw new UserError(`run '${runDir}' has no checkpoint to resume from`);
    resumeState = ckpt.manifest.train;
    resumeWeights = ckpt.weights;
    resumeOptimizer = ckpt.optimizer;
    config.model.config = ckpt.manifest.model.config;
    if (given.has('epochs')) config.train.epochs = epochs;
    epochs = config.train.epochs;
  } else {
    if (!v.data) throw new UserError(`genlab train needs --data ${DATA_SPEC_HELP}`);
    const dataSeed = numberFlag('data-seed', v['data-seed'], { integer: true, min: 0 })!;
    const binarize = choiceFlag('binarize', v.binarize, BINARIZE_OPTIONS);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const dataTag = String(v.data).replace(/[^A-Za-z0-9]+/g, '_').slice(0, 40);
    runDir = v.out ? String(v.out) : path.join('runs', `${modelName}-${dataTag}-${stamp}`);
    if (fs.existsSync(path.join(runDir, 'config.json'))) {
      throw new UserError(`'${runDir}' already holds a run; continue it with --resume or choose another --out`);
    }
    config = {
      format: 'genlab-run',
      version: 1,
      command: ['genlab', 'train', ...args].join(' '),
      createdAt: new Date().toISOString(),
      backend: '',
      model: { name: modelName, config: modelConfigFromFlags(v) },
      data: {
        spec: String(v.data),
        labelColumn: v['label-column'] as string | undefined,
        size: parseSize(v.size),
        binarize: binarize ?? 'none',
        dataSeed,
        trainLimit: numberFlag('train-limit', v['train-limit'], { integer: true, min: 1 }),
        shape: [],
        kind: 'binary',
        trainExamples: 0,
        testExamples: 0,
      },
      train: { epochs, batchSize, learningRate, learningRateDecay, seed },
    };
  }

  // 2. Data, checked before anything is written.
  const raw = loadDataSpec(config.data.spec, config.data);
  if (!v.resume && v.binarize === undefined) config.data.binarize = defaultBinarize(entry.accepts, raw.train.kind);
  const data = prepareData(raw, entry.accepts, config.data);
  Object.assign(config.data, {
    shape: data.train.shape,
    kind: data.modelKind,
    trainExamples: data.train.n,
    testExamples: data.test.n,
    ...(data.train.featureNames && { featureNames: data.train.featureNames }),
  });
  const dataInfo: DataInfo = { shape: data.train.shape, kind: data.modelKind, numClasses: numClasses(data.train) };

  // 3. Engine, model and optimizers, then the run folder.
  const backend = await initNodeBackend(v.backend as string | undefined);
  config.backend = backend;
  const model = createModel(modelName, config.model.config, dataInfo);
  if (resumeWeights) model.setWeights(resumeWeights);
  config.model.config = model.getConfig();
  const optimizers = createOptimizers(model, config.train.learningRate);
  await setOptimizerState(optimizers, resumeOptimizer);
  fs.mkdirSync(path.join(runDir, 'samples'), { recursive: true });
  writeRunConfig(runDir, config);
  const log = new MetricsLog(runDir);
  if (resumeState) log.dropAfter(resumeState.step); // records past the checkpoint are about to be logged again
  const say = (line: string) => process.stderr.write(line + '\n');
  say(
    `genlab train ${modelName} on ${config.data.spec} (${data.train.n} train / ${data.test.n} test, ` +
      `binarize ${config.data.binarize}) backend ${backend} -> ${runDir}` +
      (resumeState ? ` (resuming at epoch ${resumeState.epoch + 1}, step ${resumeState.step})` : ''),
  );
  log.append({ event: resumeState ? 'resume' : 'start', backend, step: resumeState?.step ?? 0 });

  // 4. Ctrl-C: finish the current batch, checkpoint, exit; a second Ctrl-C exits at once.
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    say('\ninterrupt: writing a checkpoint after this batch (Ctrl-C again to quit without one)');
  };
  process.on('SIGINT', onSigint);

  const checkpoint = async (state: TrainState) =>
    saveCheckpoint(runDir, model, dataInfo, state, backend, await getOptimizerState(optimizers));
  const D = exampleSize(data.test);
  const evalSet = head(data.test, evalExamples);
  let lastCheckpoint = Date.now();
  let progress: Progress | undefined;
  let lastTestNll: number | undefined;
  const started = Date.now();
  const result = await train(
    model,
    data.train,
    { ...config.train, transformBatch: data.transformBatch, optimizers },
    {
      onBatchEnd: async ({ epoch, batch, batchesPerEpoch, step, metrics, state }) => {
        progress ??= new Progress({ label: `epoch ${epoch + 1}/${epochs}`, total: batchesPerEpoch - batch, unit: 'batch' });
        progress.tick(1, `loss ${metrics.loss.toFixed(3)}`);
        if (step % 100 === 0) log.append({ event: 'batch', epoch: epoch + 1, step, ...metrics });
        if (checkpointMinutes > 0 && Date.now() - lastCheckpoint > checkpointMinutes * 60_000) {
          await checkpoint(state);
          lastCheckpoint = Date.now();
        }
      },
      onEpochEnd: async ({ epoch, metrics, state }) => {
        progress?.finish();
        progress = undefined;
        const record: Record<string, unknown> = { event: 'epoch', epoch, step: state.step, ...metrics };
        if (evalSet.n > 0 && model.elbo) {
          // Latent models: the ELBO is cheap; the IWAE estimate (thousands of samples) is for `genlab eval`.
          const { elbo } = await evaluateSplit(model, evalSet, { seed: config.train.seed, logProb: false });
          Object.assign(record, { testElbo: elbo!.elbo, testKl: elbo!.kl, testExamples: evalSet.n });
        } else if (evalSet.n > 0 && model.logProb) {
          const report = (await evaluateSplit(model, evalSet, { seed: config.train.seed, elbo: false })).nll!;
          lastTestNll = report.nll;
          Object.assign(record, { testNll: report.nll, testBitsPerDim: report.bitsPerDim, testExamples: report.n });
        }
        if (sampleCount > 0) {
          // A scatter plot of 2-D (or histogram of 1-D) points needs many more points than a grid images.
          const count = dataInfo.kind === 'real' && D <= 2 ? Math.max(sampleCount, 2000) : sampleCount;
          const samples = await model.sample(count, new Rng(config.train.seed + 7919));
          writeSampleGrid(path.join(runDir, 'samples', `epoch-${String(epoch).padStart(3, '0')}.png`), samples, count, dataInfo.shape, dataInfo.kind);
        }
        log.append(record);
        await checkpoint(state);
        lastCheckpoint = Date.now();
        say(
          `epoch ${epoch}/${epochs}: train loss ${metrics.loss?.toFixed(4)}` +
            (record.testNll !== undefined ? `, test NLL ${(record.testNll as number).toFixed(3)} nats (${evalSet.n} examples)` : '') +
            (record.testElbo !== undefined ? `, test ELBO ${(record.testElbo as number).toFixed(3)} nats (${evalSet.n} examples)` : '') +
            `, ${formatTime((Date.now() - started) / 1000)} elapsed`,
        );
      },
      shouldStop: () => stopRequested,
    },
    resumeState,
  );
  process.off('SIGINT', onSigint);
  progress?.finish();
  const seconds = (Date.now() - started) / 1000;
  if (result.stopped) {
    await checkpoint(result.state);
    log.append({ event: 'interrupted', step: result.state.step });
    say(`stopped at epoch ${result.state.epoch + 1}, step ${result.state.step}; continue with:\n  genlab train ${modelName} --resume --out ${runDir} --epochs ${epochs}`);
    model.dispose();
    return 130;
  }
  log.append({ event: 'end', step: result.state.step, seconds });
  const summary = { run: runDir, model: modelName, backend, epochs, steps: result.state.step, seconds, testNll: lastTestNll };
  if (json) printJson(summary);
  else say(`done in ${formatTime(seconds)}. Next: genlab eval ${runDir}   genlab sample ${runDir} -n 64 --out samples.png`);
  model.dispose();
  return 0;
}
