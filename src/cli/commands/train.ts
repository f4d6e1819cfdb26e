/** `genlab train MODEL --data ...`: trains into a run folder, checkpointing, resumable. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { exampleSize, type Dataset } from '../../data/dataset.js';
import { parseImageSize } from '../../data/images.js';
import { BINARIZE_OPTIONS, defaultBinarize, prepareData } from '../../data/prepare.js';
import { acceptedKinds, createModel, getEntry, modelsAccepting, type DataInfo, type TrainingDefaults } from '../../models/registry.js';
import { isAdversarial, isConditional } from '../../models/capabilities.js';
import { validateOptions } from '../../models/options.js';
import { fit } from '../../train/fit.js';
import { MIN_AUTO_SHARD, autoReplicas } from '../../train/parallel.js';
import { workerReplicas } from '../../node/replicas.js';
import { LEARNING_RATE_DECAYS } from '../../train/schedule.js';
import { OPTIMIZER_DEFAULTS, OPTIMIZER_KINDS, optimizerSettings } from '../../train/optimizers.js';
import { loadLatestCheckpoint } from '../../node/checkpoint.js';
import { commandLine } from '../../node/evalRecords.js';
import { FileRunStorage } from '../../node/storage.js';
import { DATA_SPEC_HELP, loadDataSpec } from '../../node/data/spec.js';
import { initNodeBackend } from '../../node/engine.js';
import { Progress, formatTime } from '../../node/progress.js';
import { checkNewRunFolder, readRunConfig, writeRunConfig, type RunConfig } from '../../node/run.js';
import type { RunMonitor } from '../../io/runFolder.js';
import { SNAPSHOT_FOLDER, SUMMARY_GIF, forgetSnapshotsAfter, writeSnapshot, writeSnapshotSummary } from '../../node/snapshots.js';
import { GENLAB, choiceFlag, firstPositional, helpRows, helpText, numberFlag, onePositional, parse, type OptionTable } from '../args.js';
import { configFromModelFlags, modelFlagTable } from '../modelFlags.js';
import { printJson } from '../common.js';

/** The environment variable that sets `--workers` when the flag is not given (a count or auto). */
export const WORKERS_ENV = 'GENLAB_WORKERS';

export const TRAIN_OPTIONS: OptionTable = {
  data: { type: 'string', value: 'SPEC', help: `training data: ${DATA_SPEC_HELP}` },
  binarize: { type: 'string', value: 'MODE', help: `${BINARIZE_OPTIONS.join('|')} (default: stochastic for binary models)` },
  'data-seed': { type: 'string', value: 'N', help: 'seed of the one stochastic binarization draw', default: '0' },
  'train-limit': { type: 'string', value: 'N', help: 'train on the first N training examples only (quick runs)' },
  validation: {
    type: 'string',
    value: 'N',
    help: 'hold the last N training examples out of training, as a validation split (genlab classify sets its threshold on it)',
  },
  'label-column': { type: 'string', value: 'NAME', help: 'CSV column holding class labels' },
  'exclude-class': { type: 'string', value: 'K', help: 'train without the examples labelled K (the test split keeps them: genlab anomaly --holdout-class K)' },
  size: { type: 'string', value: 'HxW', help: 'resize images of an images: folder' },
  epochs: { type: 'string', value: 'N', help: 'epochs to train (in total, when resuming)', default: '1' },
  'batch-size': { type: 'string', value: 'N', help: 'examples per step', default: '128' },
  lr: { type: 'string', value: 'X', help: "learning rate (gradient-trained models; default 0.001, or the model's own: GANs 2e-4, wgan 5e-5, wgangp 1e-4)", default: '0.001' },
  'lr-decay': { type: 'string', value: 'KIND', help: `learning rate over the run: ${LEARNING_RATE_DECAYS.join('|')} (to 0 at the last step; --resume with more --epochs stretches it)`, default: 'constant' },
  warmup: { type: 'string', value: 'STEPS', help: 'linear learning-rate warm-up over the first STEPS steps', default: '0' },
  optimizer: { type: 'string', value: 'KIND', help: `${OPTIMIZER_KINDS.join('|')}`, default: 'adam' },
  beta1: { type: 'string', value: 'B', help: `adam: first-moment decay (default ${OPTIMIZER_DEFAULTS.beta1}, or the model's per group)` },
  beta2: { type: 'string', value: 'B', help: `adam: second-moment decay (default ${OPTIMIZER_DEFAULTS.beta2})` },
  momentum: { type: 'string', value: 'MU', help: 'sgd, rmsprop: momentum (default 0)' },
  nesterov: { type: 'boolean', help: 'sgd: Nesterov momentum' },
  rho: { type: 'string', value: 'RHO', help: `rmsprop: squared-gradient decay (default ${OPTIMIZER_DEFAULTS.rho})` },
  groups: { type: 'string', value: 'JSON', help: 'per parameter group optimizer settings, e.g. \'{"discriminator": {"learningRate": 0.0004}}\'' },
  'clip-norm': { type: 'string', value: 'X', help: 'clip each update\'s gradients to global norm X' },
  ema: { type: 'string', value: 'DECAY', help: 'keep an EMA of the weights (e.g. 0.999); sample / eval use it unless --no-ema' },
  seed: { type: 'string', value: 'N', help: 'seed for data order, initialisation and noise', default: '1' },
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  workers: {
    type: 'string',
    value: 'N|auto',
    help:
      `train on N threads, each a replica of the model on 1/N of every batch, gradients summed (gradient-trained models; a resumed run keeps its count unless given); ` +
      `auto: one per core on the wasm and cpu backends, one on tensorflow, no shard under ${MIN_AUTO_SHARD} examples ($${WORKERS_ENV} sets the default)`,
    default: 'auto',
  },
  out: { type: 'string', value: 'DIR', help: 'run folder (default runs/MODEL-DATA-TIME)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its last checkpoint' },
  'model-config': { type: 'string', value: 'JSON', help: 'any model option as JSON, e.g. \'{"hidden": [500, 500]}\'' },
  'eval-examples': { type: 'string', value: 'N', help: 'test examples scored after each epoch (0: none)', default: '2000' },
  'sample-count': { type: 'string', value: 'N', help: 'samples in each epoch grid', default: '64' },
  'checkpoint-minutes': { type: 'string', value: 'M', help: 'also checkpoint every M minutes within an epoch', default: '10' },
  'checkpoint-steps': { type: 'string', value: 'N', help: 'also checkpoint every N steps' },
  'sample-steps': { type: 'string', value: 'N', help: 'also write a sample grid every N steps' },
  'snapshot-every': {
    type: 'string',
    value: 'N',
    help: `GAN lab (adversarial models, 1-D or 2-D real data): every N steps a frame of D, G and the points in RUN/${SNAPSHOT_FOLDER}/, and ${SUMMARY_GIF} of them at the end`,
  },
  json: { type: 'boolean', help: 'print one JSON summary on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export const TRAIN_USAGE = 'Usage: genlab train MODEL --data SPEC [options]';

/**
 * Flags that set how gradient steps are taken. A model fit by counting (one without parameter
 * groups: the tabular models) takes no steps, so it refuses them and its run records none.
 */
const GRADIENT_FLAGS = ['lr', 'lr-decay', 'warmup', 'optimizer', 'beta1', 'beta2', 'momentum', 'nesterov', 'rho', 'groups', 'clip-norm', 'ema', 'workers'];
const GRADIENT_SETTINGS = ['learningRate', 'learningRateDecay', 'optimizer', 'groups', 'warmupSteps', 'clipNorm', 'ema', 'workers'] as const;

/** `--workers` (else $GENLAB_WORKERS, else auto): a thread count, or 'auto' (resolved once the backend is known). */
function workersSetting(v: Record<string, string | boolean | undefined>, given: ReadonlySet<string>): number | 'auto' {
  const fromFlag = given.has('workers');
  const raw = fromFlag ? v.workers : (process.env[WORKERS_ENV] ?? 'auto');
  if (raw === 'auto') return 'auto';
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new UserError(`${fromFlag ? '--workers' : WORKERS_ENV} must be auto or an integer between 1 and 256, got '${String(raw)}'`);
  }
  return n;
}

/** Classes of a labelled data set (its class names, else the largest label + 1). */
function numClasses(d: Dataset): number | undefined {
  if (d.classNames) return d.classNames.length;
  if (!d.labels || d.labels.length === 0) return undefined;
  let max = 0;
  for (const label of d.labels) max = Math.max(max, label);
  return max + 1;
}

function parseSize(raw: string | boolean | undefined, spec: string): [number, number] | undefined {
  if (raw === undefined) return undefined;
  if (!spec.startsWith('images:')) throw new UserError(`--size resizes the images of an images:DIR folder; '${spec}' has its own shape (drop --size)`);
  return parseImageSize(String(raw), '--size');
}

/** Model options given on the command line (the model's flags, then --model-config), as a partial model config. */
function modelConfigFromFlags(modelName: string, v: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const config = configFromModelFlags(modelName, v, Object.keys(TRAIN_OPTIONS));
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
  // Checked here too (createModel checks again) so a bad option fails before the data are loaded.
  validateOptions(modelName, getEntry(modelName).options, config);
  return config;
}

/**
 * The optimizer flags as settings (only those given: the rest come from defaults and the model's
 * groups), on top of the model's own training defaults (a GAN's Adam with beta1 0.5) unless
 * --optimizer names another kind.
 */
function optimizerFromFlags(v: Record<string, string | boolean | undefined>, given: Set<string>, defaults?: TrainingDefaults): NonNullable<RunConfig['train']['optimizer']> {
  const own = defaults && !given.has('optimizer') ? defaults.optimizer : {};
  const out: NonNullable<RunConfig['train']['optimizer']> = { ...own, kind: own.kind ?? choiceFlag('optimizer', v.optimizer, OPTIMIZER_KINDS)! };
  for (const key of ['beta1', 'beta2', 'momentum', 'rho'] as const) {
    const value = numberFlag(key, v[key], { min: 0, max: 0.999999 });
    if (value !== undefined) out[key] = value;
  }
  if (v.nesterov) out.nesterov = true;
  optimizerSettings(out); // refuses inconsistent combinations (nesterov without sgd momentum) before anything is written
  return out;
}

function jsonObjectFlag(name: string, raw: string | boolean | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch {
    throw new UserError(`--${name} must be a JSON object, got '${String(raw)}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`--${name} must be a JSON object`);
  return value as Record<string, unknown>;
}

export async function trainCommand(args: string[]): Promise<number> {
  // Two steps: the model (the first positional) decides which model flags join the table.
  const named = firstPositional(args, TRAIN_OPTIONS);
  const modelOptions = named === undefined ? {} : modelFlagTable(named, Object.keys(TRAIN_OPTIONS));
  const { values: v, positionals, given } = parse(named === undefined ? 'train' : `train ${named}`, args, { ...TRAIN_OPTIONS, ...modelOptions });
  if (v.help) {
    const modelHelp =
      named === undefined
        ? `\nEach model has its own options: ${GENLAB} train MODEL --help (${GENLAB} models lists the models).\n`
        : `\nOptions of ${named} (or any as --model-config JSON):\n${helpRows(modelOptions).join('\n')}\n`;
    process.stdout.write(helpText(TRAIN_USAGE, TRAIN_OPTIONS) + modelHelp);
    return 0;
  }
  const modelName = onePositional('train', positionals, `MODEL (see '${GENLAB} models')`);
  const entry = getEntry(modelName); // an unknown model is refused before anything else
  let epochs = numberFlag('epochs', v.epochs, { integer: true, min: 1 })!;
  const batchSize = numberFlag('batch-size', v['batch-size'], { integer: true, min: 1 })!;
  const learningRate = given.has('lr') || !entry.training ? numberFlag('lr', v.lr, { min: 0 })! : entry.training.learningRate;
  const learningRateDecay = choiceFlag('lr-decay', v['lr-decay'], LEARNING_RATE_DECAYS)!;
  const warmupSteps = numberFlag('warmup', v.warmup, { integer: true, min: 0 })!;
  const clipNorm = numberFlag('clip-norm', v['clip-norm'], { min: 1e-12 });
  const ema = numberFlag('ema', v.ema, { min: 1e-6, max: 0.999999 });
  const seed = numberFlag('seed', v.seed, { integer: true, min: 0 })!;
  const workers = workersSetting(v, given);
  const monitorFlags: RunMonitor = {
    evalExamples: numberFlag('eval-examples', v['eval-examples'], { integer: true, min: 0 })!,
    sampleCount: numberFlag('sample-count', v['sample-count'], { integer: true, min: 0, max: 1024 })!,
    checkpointMinutes: numberFlag('checkpoint-minutes', v['checkpoint-minutes'], { min: 0 })!,
    checkpointSteps: numberFlag('checkpoint-steps', v['checkpoint-steps'], { integer: true, min: 1 }),
    sampleSteps: numberFlag('sample-steps', v['sample-steps'], { integer: true, min: 1 }),
    snapshotEvery: numberFlag('snapshot-every', v['snapshot-every'], { integer: true, min: 1 }),
  };
  const json = Boolean(v.json);
  const say = (line: string) => process.stderr.write(line + '\n');

  // 1. What to run: a new run from flags, or the stored config of the run being resumed.
  let config: RunConfig;
  let runDir: string;
  if (v.resume) {
    if (!v.out) throw new UserError('--resume needs --out DIR, the run folder to continue');
    runDir = String(v.out);
    config = readRunConfig(runDir);
    if (config.model.name !== modelName) {
      throw new UserError(`run '${runDir}' trains ${config.model.name}, not ${modelName}`);
    }
    // A resumed run keeps its data and training options; only --epochs (the new total) may change.
    const free = new Set(['epochs', 'resume', 'out', 'backend', 'workers', 'eval-examples', 'sample-count', 'sample-steps', 'snapshot-every', 'checkpoint-minutes', 'checkpoint-steps', 'json', 'help']);
    const changed = [...given].filter((f) => !free.has(f));
    if (changed.length) {
      throw new UserError(`--resume continues '${runDir}' with its own settings; drop ${changed.map((f) => `--${f}`).join(', ')}`);
    }
    // An intact checkpoint must be there before anything is written (config.json takes the new --epochs);
    // fit reads it again and reports any damaged one it passes over.
    if (!loadLatestCheckpoint(runDir, { warn: () => {} })) throw new UserError(`run '${runDir}' has no checkpoint to resume from`);
    if (given.has('epochs')) config.train.epochs = epochs;
    epochs = config.train.epochs;
    config.monitor = resumedMonitor(config.monitor, monitorFlags, given);
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
    checkNewRunFolder(runDir);
    config = {
      format: 'genlab-run',
      version: 1,
      command: commandLine(['train', ...args]), // quoted as a shell needs it, for docs/RESULTS.md (genlab compare --markdown)
      createdAt: new Date().toISOString(),
      backend: '',
      model: { name: modelName, config: modelConfigFromFlags(modelName, v) },
      data: {
        spec: String(v.data),
        labelColumn: v['label-column'] as string | undefined,
        size: parseSize(v.size, String(v.data)),
        binarize: binarize ?? 'none',
        dataSeed,
        trainLimit: numberFlag('train-limit', v['train-limit'], { integer: true, min: 1 }),
        excludeClass: numberFlag('exclude-class', v['exclude-class'], { integer: true, min: 0 }),
        validation: numberFlag('validation', v.validation, { integer: true, min: 1 }),
        shape: [],
        kind: 'binary',
        trainExamples: 0,
        testExamples: 0,
      },
      train: {
        epochs,
        batchSize,
        learningRate,
        learningRateDecay,
        seed,
        optimizer: optimizerFromFlags(v, given, entry.training),
        ...(v.groups !== undefined && { groups: jsonObjectFlag('groups', v.groups) as RunConfig['train']['groups'] }),
        ...(warmupSteps > 0 && { warmupSteps }),
        ...(clipNorm !== undefined && { clipNorm }),
        ...(ema !== undefined && { ema }),
      },
      monitor: withoutUndefined(monitorFlags),
    };
  }
  const { evalExamples, sampleCount, checkpointMinutes, checkpointSteps, sampleSteps, snapshotEvery } = config.monitor!;

  // 2. Data, checked before anything is written.
  const raw = loadDataSpec(config.data.spec, config.data);
  // What the model takes can depend on its options (a composite model takes what its base does).
  const accepts = acceptedKinds(modelName, config.model.config);
  if (raw.train.kind === 'real' && !accepts.includes('real')) {
    // Binarization needs intensities in [0, 1]: no flag makes real values fit this model.
    throw new UserError(
      `${modelName} accepts ${accepts.join(' or ')} data, but '${config.data.spec}' holds real values (outside [0, 1]), ` +
        `which cannot be binarized; train a model for real data: ${modelsAccepting('real').join(', ')}`,
    );
  }
  if (!v.resume && v.binarize === undefined) config.data.binarize = defaultBinarize(accepts, raw.train.kind);
  const data = prepareData(raw, accepts, config.data);
  Object.assign(config.data, {
    shape: data.train.shape,
    kind: data.modelKind,
    trainExamples: data.train.n,
    testExamples: data.test.n,
    ...(data.train.featureNames && { featureNames: data.train.featureNames }),
  });
  // The classes of the whole split: one left out by --exclude-class (or by --train-limit) is still a class.
  const dataInfo: DataInfo = { shape: data.train.shape, kind: data.modelKind, numClasses: numClasses(raw.train) };

  // 3. Engine and model (its weights come from the checkpoint when resuming), then the run folder.
  const backend = await initNodeBackend(v.backend as string | undefined);
  config.backend = backend;
  const model = createModel(modelName, config.model.config, dataInfo);
  config.model.config = model.getConfig();
  if (isConditional(model) && !data.train.labels) {
    model.dispose();
    throw new UserError(`${modelName} is conditional and trains on class labels, but '${config.data.spec}' has none${config.data.spec.startsWith('csv:') ? ' (name the CSV column with --label-column NAME)' : ''}`);
  }
  // A new run records the thread count it trains on. A resumed run keeps it, since the workers'
  // noise streams depend on it, unless --workers is given again: then the machine decides. (A
  // counting model refuses --workers with the other gradient flags, below.)
  const countWorkers = !v.resume || given.has('workers');
  if (countWorkers) {
    // A model fit by counting trains on one thread whatever $GENLAB_WORKERS says.
    config.train.workers = !model.parameterGroups ? 1 : workers === 'auto' ? autoReplicas(os.availableParallelism(), config.train.batchSize, backend) : workers;
  }
  const autoWorkers = countWorkers && workers === 'auto';
  const replicas = config.train.workers ?? 1;
  if (replicas > 1 && model.parameterGroups && config.train.batchSize < replicas) {
    model.dispose();
    throw new UserError(`--workers ${replicas} splits every batch across ${replicas} threads: it needs --batch-size ${replicas} or more (got ${config.train.batchSize})`);
  }
  if (!model.parameterGroups && !v.resume) {
    // Fit by counting: no learning rate, optimizer, schedule or EMA ever applies.
    const refused = GRADIENT_FLAGS.filter((f) => given.has(f));
    if (refused.length) {
      model.dispose();
      throw new UserError(`${modelName} is fit by counting, not by gradient steps: drop ${refused.map((f) => `--${f}`).join(', ')}`);
    }
    for (const key of GRADIENT_SETTINGS) delete config.train[key];
  }
  // The GAN lab draws D and G over the plane (or the line) of the data, without class labels.
  const labDim = dataInfo.kind === 'real' && dataInfo.shape.length === 1 && dataInfo.shape[0] <= 2 ? dataInfo.shape[0] : undefined;
  if (snapshotEvery !== undefined) {
    const refusal = !isAdversarial(model)
      ? `${modelName} is not an adversarial model (no discriminator and generator to draw)`
      : isConditional(model)
        ? `${modelName} is conditional, and the lab draws D and G without class labels`
        : labDim === undefined
          ? `'${config.data.spec}' is not 1-D or 2-D real points (shape [${dataInfo.shape.join(', ')}], ${dataInfo.kind})`
          : undefined;
    if (refusal) {
      model.dispose();
      throw new UserError(`--snapshot-every draws the GAN lab of a GAN on 1-D or 2-D real data (e.g. --data toy:ring); ${refusal}`);
    }
  }
  const storage = new FileRunStorage(runDir, model, dataInfo, backend, (line) => say(`warning: ${line}`));
  fs.mkdirSync(path.join(runDir, 'samples'), { recursive: true });
  writeRunConfig(runDir, config);
  say(
    `genlab train ${modelName} on ${config.data.spec} (${data.train.n} train / ${data.test.n} test, ` +
      `binarize ${config.data.binarize}${config.data.excludeClass === undefined ? '' : `, class ${config.data.excludeClass} excluded from train`}) backend ${backend}` +
      `${replicas > 1 ? ` on ${replicas} threads (data-parallel${autoWorkers ? '; --workers auto: one per core, --workers 1 for one' : ''})` : ''} -> ${runDir}`,
  );
  if (!v.resume) await storage.log({ event: 'start', backend, step: 0 });

  // 4. Ctrl-C: finish the current step, checkpoint, exit; a second Ctrl-C exits at once.
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    say('\ninterrupt: writing a checkpoint after this step (Ctrl-C again to quit without one)');
  };
  process.on('SIGINT', onSigint);

  // A scatter plot of 2-D (or histogram of 1-D) points needs many more points than a grid images.
  const pointCloud = dataInfo.kind === 'real' && exampleSize(data.test) <= 2;
  // GAN lab frames: the first training points fix the view, and one noise stream (never advanced) the z of every frame.
  const lab =
    snapshotEvery !== undefined && isAdversarial(model) && labDim !== undefined
      ? { model, every: snapshotEvery, dim: labDim, real: data.train.x.slice(0, Math.min(data.train.n, 2000) * labDim), noise: new Rng(config.train.seed + 104729) }
      : undefined;
  let progress: Progress | undefined;
  // Batches of the epoch drawn so far: a step may draw several (a GAN's k critic updates).
  let batchesDone = 0;
  const started = Date.now();
  const { train } = config;
  let result;
  try {
    result = await fit(
      model,
      data.train,
      {
        epochs,
        batchSize: train.batchSize,
        seed: train.seed,
        learningRate: train.learningRate,
        optimizer: train.optimizer,
        groups: train.groups,
        learningRateDecay: train.learningRateDecay,
        warmupSteps: train.warmupSteps,
        clipNorm: train.clipNorm,
        ema: train.ema,
        transformBatch: data.transformBatch,
        evaluation: { data: data.test, examples: evalExamples, seed: train.seed },
        samples: { count: pointCloud && sampleCount > 0 ? Math.max(sampleCount, 2000) : sampleCount, seed: train.seed + 7919, everySteps: sampleSteps },
        checkpoint: { everySteps: checkpointSteps, everyMinutes: checkpointMinutes },
        storage,
        replicas: replicas > 1 ? workerReplicas(replicas, { data: dataInfo, backend }) : undefined,
      },
      {
        onResume: async ({ state, notes }) => {
          for (const note of notes) say(`note: ${note}`);
          forgetSnapshotsAfter(runDir, state.step); // GAN lab frames of the steps this run redoes (none without a snapshots folder)
          batchesDone = state.batchInEpoch;
          await storage.log({ event: 'resume', backend, step: state.step });
          if (state.epoch < epochs) say(`resuming at epoch ${state.epoch + 1}, step ${state.step}`);
        },
        onStep: async ({ epoch, batch, batchesPerEpoch, step, metrics }) => {
          progress ??= new Progress({ label: `epoch ${epoch + 1}/${epochs}`, total: batchesPerEpoch - batchesDone, unit: 'batch' });
          const drawn = Math.min(batch, batchesPerEpoch); // the last step may wrap around into the next permutation
          progress.tick(drawn - batchesDone, `loss ${metrics.loss.toFixed(3)}`);
          batchesDone = drawn;
          // fit awaits onStep after the step's updates: the players drawn are those of this step.
          if (lab && step % lab.every === 0) await writeSnapshot(runDir, lab.model, lab.real, lab.dim, step, lab.noise);
        },
        onEpoch: ({ epoch, metrics, evaluation }) => {
          progress?.finish();
          progress = undefined;
          batchesDone = 0;
          const n = evaluation?.testExamples;
          say(
            `epoch ${epoch}/${epochs}: train loss ${metrics.loss?.toFixed(4)}` +
              (evaluation?.testNll !== undefined ? `, test NLL ${evaluation.testNll.toFixed(3)} nats (${n} examples)` : '') +
              (evaluation?.testElbo !== undefined ? `, test ELBO ${evaluation.testElbo.toFixed(3)} nats (${n} examples)` : '') +
              `, ${formatTime((Date.now() - started) / 1000)} elapsed`,
          );
        },
        shouldStop: () => stopRequested,
      },
    );
  } finally {
    process.off('SIGINT', onSigint);
    progress?.finish();
    model.dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  if (lab && !result.alreadyComplete) {
    // Every frame in the folder, a resumed run's earlier ones included (an interrupted run gets its animation so far).
    const frames = writeSnapshotSummary(runDir);
    if (frames > 0) say(`GAN lab: ${frames} frames -> ${path.join(runDir, SNAPSHOT_FOLDER, SUMMARY_GIF)}`);
  }
  if (result.alreadyComplete) {
    say(`run '${runDir}' is complete (${result.state.epoch} of ${epochs} epochs trained); nothing to do: continue it with a larger --epochs`);
    if (json) printJson({ run: runDir, model: modelName, backend, epochs, steps: result.state.step, seconds: 0, testNll: undefined });
    return 0;
  }
  if (result.stopped) {
    say(`stopped at epoch ${result.state.epoch + 1}, step ${result.state.step}; continue with:\n  ${GENLAB} train ${modelName} --resume --out ${runDir} --epochs ${epochs}`);
    return 130;
  }
  await storage.log({ event: 'end', step: result.state.step, seconds });
  // The held-out figures as fit() left them, and what they are (README, JSON contracts): testNll of an
  // exact density, or testElbo and its terms of a model with a bound.
  const held = result.evaluation && { testKind: result.evaluationKind, ...result.evaluation };
  const summary = { run: runDir, model: modelName, backend, epochs, steps: result.state.step, seconds, ...held };
  if (json) printJson(summary);
  else say(`done in ${formatTime(seconds)}. Next: ${GENLAB} eval ${runDir}   ${GENLAB} sample ${runDir} -n 64 --out samples.png`);
  return 0;
}

/** Flag names of the monitoring settings. */
const MONITOR_FLAGS: Record<keyof RunMonitor, string> = {
  evalExamples: 'eval-examples',
  sampleCount: 'sample-count',
  checkpointMinutes: 'checkpoint-minutes',
  checkpointSteps: 'checkpoint-steps',
  sampleSteps: 'sample-steps',
  snapshotEvery: 'snapshot-every',
};

/** A resumed run's monitoring: the flags given now, else what the run recorded, else the flags' defaults (older runs). */
export function resumedMonitor(recorded: RunMonitor | undefined, flags: RunMonitor, given: ReadonlySet<string>): RunMonitor {
  if (!recorded) return withoutUndefined(flags);
  const merged = { ...recorded };
  for (const [key, flag] of Object.entries(MONITOR_FLAGS) as [keyof RunMonitor, string][]) {
    if (given.has(flag)) (merged as Record<string, number | undefined>)[key] = flags[key];
  }
  return withoutUndefined(merged);
}

/** The settings that are set (JSON drops undefined anyway; this keeps comparisons exact). */
function withoutUndefined(m: RunMonitor): RunMonitor {
  return Object.fromEntries(Object.entries(m).filter(([, value]) => value !== undefined)) as unknown as RunMonitor;
}
