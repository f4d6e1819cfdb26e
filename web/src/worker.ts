/**
 * The studio's training worker: one TF.js engine and one model in training. It runs genlab's own
 * `fit` (the run policy the CLI uses) on a memory storage; pausing stops `fit` after a checkpoint,
 * and resuming calls `fit` again, which continues from that checkpoint exactly (weights, optimizer
 * state, RNG streams and loop position). The run it sends the page has the layout of a CLI run
 * folder's files (config.json, metrics.jsonl, the newest checkpoint).
 */
import {
  acceptedKinds,
  autoReplicas,
  checkpointParts,
  createModel,
  defaultBinarize,
  fit,
  getEntry,
  isConditional,
  MemoryStorage,
  prepareData,
  type DataInfo,
  type GenerativeModel,
  type MetricsRecord,
  type PreparedData,
  type StepInfo,
  type TrainingCheckpoint,
} from '../../src/index.js';
import { addUpload, loadStudioData, type StudioDataSource } from './data.js';
import { startEngine } from './engine.js';
import { canShareMemory, webWorkerReplicas } from './replicas.js';
import type { FromWorker, StudioRun, ToWorker, TrainRequest, TrainerState } from './protocol.js';

const scope = self as unknown as { postMessage(message: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (message: FromWorker, transfer?: Transferable[]): void => scope.postMessage(message, transfer);

/** `fit`'s storage in the worker: the newest checkpoint only, metrics, and sample grids posted to the page. */
class StudioStorage extends MemoryStorage {
  constructor(private readonly shape: number[], private readonly kind: string) {
    super();
  }
  override async save(checkpoint: TrainingCheckpoint): Promise<void> {
    this.checkpoints.length = 0;
    await super.save(checkpoint);
  }
  override async log(record: MetricsRecord): Promise<void> {
    await super.log({ time: new Date().toISOString(), ...record });
  }
  override async saveSamples(samples: Float32Array, count: number, at: { epoch: number; step: number }): Promise<void> {
    // The page gets its own copy; the storage keeps only the newest grid (memory).
    this.samples.length = 0;
    await super.saveSamples(samples, count, at);
    const values = samples.slice();
    post({ type: 'samples', step: at.step, values, count, shape: this.shape, kind: this.kind }, [values.buffer]);
  }
}

interface Session {
  request: TrainRequest;
  model: GenerativeModel;
  data: PreparedData;
  dataInfo: DataInfo;
  source: StudioDataSource;
  storage: StudioStorage;
  config: StudioRun['config'];
  backend: string;
}

let backend = '';
let base = '';
let session: Session | undefined;
let running = false;
let pauseRequested = false;
/** Steps left before pausing (the 'step' button); undefined: no limit. */
let stepBudget: number | undefined;

scope.onmessage = (e) => {
  handle(e.data).catch((err: unknown) => {
    running = false;
    post({ type: 'state', state: 'error', message: err instanceof Error ? err.message : String(err) });
  });
};

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init':
      base = msg.base;
      backend = await startEngine(msg.backend);
      post({ type: 'ready', backend });
      return;
    case 'train':
      if (running) throw new Error('a run is training; pause it first');
      session?.model.dispose();
      session = undefined;
      setState('loading');
      session = await begin(msg.request);
      stepBudget = undefined;
      return run();
    case 'resume':
      if (!session) throw new Error('nothing to resume: start a run first');
      if (running) return;
      stepBudget = msg.steps;
      return run();
    case 'pause':
      pauseRequested = true;
      return;
    case 'snapshot':
      if (session) post({ type: 'run', run: await snapshot(session) });
      return;
  }
}

function setState(state: TrainerState, message?: string): void {
  post({ type: 'state', state, message });
}

/** Data and model as `genlab train` would build them from the same choices. */
async function begin(request: TrainRequest): Promise<Session> {
  if (request.upload) addUpload(request.upload);
  const raw = await loadStudioData(request.data, base, request.upload?.source);
  const accepts = acceptedKinds(request.model, request.modelConfig);
  if (raw.train.kind === 'real' && !accepts.includes('real')) {
    throw new Error(`${request.model} does not model real-valued points such as ${request.data}; choose a model for real data`);
  }
  const binarize = defaultBinarize(accepts, raw.train.kind);
  const dataSeed = 0;
  const trainLimit = request.trainLimit ?? raw.source.trainLimit;
  const data = prepareData(raw, accepts, { binarize, dataSeed, ...(request.trainLimit !== undefined && { trainLimit: request.trainLimit }) });
  const numClasses = raw.train.classNames?.length;
  const dataInfo: DataInfo = { shape: data.train.shape, kind: data.modelKind, ...(numClasses && { numClasses }) };
  const model = createModel(request.model, request.modelConfig, dataInfo);
  if (isConditional(model) && !data.train.labels) {
    model.dispose();
    throw new Error(`${request.model} is conditional and needs labelled data`);
  }
  const entry = getEntry(request.model);
  const learningRate = request.learningRate ?? entry.training?.learningRate ?? 1e-3;
  // Replicas exchange gradients over shared memory: a model fit by counting, or a page that is not
  // cross-origin isolated, trains on one (startDataParallel refuses a batch smaller than the count).
  const workers =
    request.workers === 'auto'
      ? model.parameterGroups && canShareMemory()
        ? autoReplicas(navigator.hardwareConcurrency || 1, request.batchSize, backend)
        : 1
      : (request.workers ?? 1);
  const config: StudioRun['config'] = {
    format: 'genlab-run',
    version: 1,
    command: `studio: train ${request.model} on ${request.data}`,
    createdAt: new Date().toISOString(),
    backend,
    model: { name: request.model, config: model.getConfig() },
    data: {
      spec: raw.source.spec,
      ...(raw.source.labelColumn !== undefined && { labelColumn: raw.source.labelColumn }),
      ...(raw.source.size && { size: raw.source.size }),
      binarize,
      dataSeed,
      ...(trainLimit !== undefined && { trainLimit }),
      ...(raw.source.stride !== undefined && { studioStride: raw.source.stride }),
      shape: data.train.shape,
      kind: data.modelKind,
      trainExamples: data.train.n,
      testExamples: data.test.n,
      ...(data.train.featureNames && { featureNames: data.train.featureNames }),
    },
    train: {
      epochs: request.epochs,
      batchSize: request.batchSize,
      ...(model.parameterGroups && { learningRate, optimizer: entry.training?.optimizer ?? { kind: 'adam' } }),
      seed: request.seed,
      ...(workers > 1 && { workers }),
    },
  };
  const storage = new StudioStorage(data.train.shape, data.modelKind);
  await storage.log({ event: 'start', backend, step: 0 });
  return { request, model, data, dataInfo, source: raw.source, storage, config, backend };
}

/** Trains until the run ends, a pause, or the step budget; `fit` resumes from the storage's checkpoint. */
async function run(): Promise<void> {
  const s = session!;
  const { request } = s;
  running = true;
  pauseRequested = false;
  setState('training');
  let lastPost = 0;
  let windowStart = performance.now();
  let windowSteps = 0;
  let stepsPerSecond = 0;
  let last: StepInfo | undefined;
  // Replicas training: 1 until the data-parallel workers (if asked for) have all started.
  let replicas = 1;
  const postProgress = (info: StepInfo): void =>
    post({ type: 'progress', step: info.step, epoch: info.epoch, batch: info.batch, batchesPerEpoch: info.batchesPerEpoch, metrics: info.metrics, stepsPerSecond, replicas });
  const train = s.config.train as { learningRate?: number; optimizer?: Record<string, unknown> };
  // startDataParallel refuses models fit by counting and batches smaller than the replicas.
  const workers = s.config.train.workers ?? 1;
  const result = await fit(
    s.model,
    s.data.train,
    {
      epochs: request.epochs,
      batchSize: request.batchSize,
      seed: request.seed,
      ...(train.learningRate !== undefined && { learningRate: train.learningRate }),
      ...(train.optimizer && { optimizer: train.optimizer }),
      transformBatch: s.data.transformBatch,
      evaluation: { data: s.data.test, examples: Math.min(500, s.data.test.n), seed: request.seed },
      samples: { count: isPointCloud(s.dataInfo) ? Math.max(request.sampleCount, 1000) : request.sampleCount, seed: request.seed + 7919, ...(request.sampleEvery > 0 && { everySteps: request.sampleEvery }) },
      logEverySteps: 10,
      storage: s.storage,
      ...(workers > 1 && { replicas: webWorkerReplicas(workers, { data: s.dataInfo, backend: s.backend }, () => (replicas = workers)) }),
    },
    {
      onStep(info) {
        windowSteps++;
        if (stepBudget !== undefined) stepBudget--;
        const now = performance.now();
        // Steps per second over the last second or more (the first steps: since the start).
        if (now - windowStart > 1000 || stepsPerSecond === 0) stepsPerSecond = (windowSteps * 1000) / Math.max(now - windowStart, 1);
        if (now - windowStart > 1000) {
          windowStart = now;
          windowSteps = 0;
        }
        last = info;
        // Throttled; the last step is posted when training stops (below).
        if (now - lastPost > 100) {
          lastPost = now;
          postProgress(info);
        }
      },
      onEpoch(info) {
        post({ type: 'epoch', epoch: info.epoch, metrics: info.metrics, evaluation: info.evaluation });
      },
      shouldStop: () => pauseRequested || stepBudget === 0,
    },
  );
  running = false;
  if (last) postProgress(last);
  post({ type: 'run', run: await snapshot(s) });
  setState(result.stopped ? 'paused' : 'done');
}

/** The run as files of a run folder would hold it, at its newest checkpoint. */
async function snapshot(s: Session): Promise<StudioRun> {
  const checkpoint = await s.storage.load();
  if (!checkpoint) throw new Error('the run has no checkpoint yet');
  return {
    name: `${s.request.model}-${s.request.data.replace(/[^A-Za-z0-9]+/g, '_')}`,
    config: s.config,
    metrics: s.storage.records,
    checkpoint: {
      info: { model: { name: s.model.name, config: s.model.getConfig() }, data: s.dataInfo, train: checkpoint.state, backend: s.backend },
      parts: checkpointParts(checkpoint),
    },
  };
}

/** 1-D or 2-D real points, drawn as a scatter of many samples rather than a grid of a few. */
function isPointCloud(info: DataInfo): boolean {
  return info.kind === 'real' && info.shape.length === 1 && info.shape[0] <= 2;
}
