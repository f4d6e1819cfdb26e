/**
 * The models `npm run bench` times (./models.ts) and ./parallelPhases.ts profiles, and genlab's side
 * of a timing: a model with its registry training defaults, stepped on fresh random batches of its
 * data's kind (binary: Bernoulli(0.3) bits; continuous: uniform [0, 1]), on one thread or on
 * data-parallel worker threads.
 */
import type { Batch, GenerativeModel } from '../src/models/model.js';
import { createModel, getEntry, type DataInfo } from '../src/models/registry.js';
import { Rng } from '../src/core/rng.js';
import { workerReplicas } from '../src/node/replicas.js';
import { startDataParallel, type DataParallel } from '../src/train/parallel.js';
import { Trainer } from '../src/train/trainer.js';

export interface BenchModel {
  /** Row name, also the model name models_torch.py knows. */
  name: string;
  model: string;
  config: Record<string, unknown>;
  data: DataInfo;
  batch: number;
  /** Steps timed per round. */
  steps: number;
  sampleCount: number;
}

const BINARY_IMAGES: DataInfo = { shape: [28, 28, 1], kind: 'binary' };
const BINARY_VECTORS: DataInfo = { shape: [784], kind: 'binary' };
const GREY_IMAGES: DataInfo = { shape: [28, 28, 1], kind: 'continuous' };

export const BENCH_MODELS: readonly BenchModel[] = [
  { name: 'vae-mlp', model: 'vae', config: {}, data: BINARY_VECTORS, batch: 128, steps: 20, sampleCount: 1000 },
  { name: 'made', model: 'made', config: {}, data: BINARY_VECTORS, batch: 100, steps: 20, sampleCount: 16 },
  { name: 'nade', model: 'nade', config: {}, data: BINARY_VECTORS, batch: 100, steps: 10, sampleCount: 16 },
  { name: 'conv-vae', model: 'vae', config: { architecture: 'conv' }, data: BINARY_IMAGES, batch: 64, steps: 5, sampleCount: 256 },
  { name: 'pixelcnn', model: 'pixelcnn', config: {}, data: BINARY_IMAGES, batch: 64, steps: 3, sampleCount: 4 },
  { name: 'rowlstm', model: 'rowlstm', config: {}, data: BINARY_IMAGES, batch: 16, steps: 3, sampleCount: 2 },
  { name: 'dcgan', model: 'dcgan', config: {}, data: GREY_IMAGES, batch: 64, steps: 3, sampleCount: 256 },
  { name: 'wgangp', model: 'wgangp', config: {}, data: GREY_IMAGES, batch: 64, steps: 5, sampleCount: 1000 },
  { name: 'glow', model: 'glow', config: {}, data: GREY_IMAGES, batch: 64, steps: 5, sampleCount: 64 },
  // Sampling: ancestral over all T = 1000 steps, so a few samples.
  { name: 'ddpm', model: 'ddpm', config: {}, data: GREY_IMAGES, batch: 64, steps: 3, sampleCount: 4 },
];

/** A batch of random inputs of the data's kind (labels 0..9 in turn, for models that take them). */
function randomBatch(spec: BenchModel, rng: Rng): Batch {
  const size = spec.data.shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(spec.batch * size);
  for (let i = 0; i < x.length; i++) x[i] = spec.data.kind === 'binary' ? Number(rng.uniform() < 0.3) : rng.uniform();
  return { x, n: spec.batch, labels: Int32Array.from({ length: spec.batch }, (_, i) => i % 10) };
}

/** genlab's side: the model, its registry training defaults, and a step function on fresh random batches. */
export class GenlabSide {
  readonly model: GenerativeModel;
  private readonly trainer: Trainer;
  private readonly rng = new Rng(0);
  private step = 0;
  private parallel?: DataParallel;

  constructor(readonly spec: BenchModel) {
    this.model = createModel(spec.model, spec.config, spec.data);
    const training = getEntry(spec.model).training;
    this.trainer = new Trainer(this.model, training ? { optimizer: { ...training.optimizer, learningRate: training.learningRate } } : {});
  }

  /** From now on each step runs on `workers` data-parallel replicas (worker threads). */
  async startWorkers(workers: number): Promise<void> {
    this.parallel = await startDataParallel(workerReplicas(workers, { data: this.spec.data, backend: 'wasm' }), this.trainer, this.model, { batchSize: this.spec.batch, seed: 0 });
  }

  get params(): number {
    let count = 0;
    for (const group of Object.values(this.trainer.groups)) for (const v of group.variables.values()) count += v.size;
    return count;
  }

  async trainSteps(count: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const batch = randomBatch(this.spec, this.rng);
      const t0 = performance.now();
      await (this.parallel ?? this.trainer).step(batch, { rng: this.rng, step: this.step++, nextBatch: () => randomBatch(this.spec, this.rng) });
      times.push(performance.now() - t0);
    }
    return times;
  }

  async sampleMs(): Promise<number> {
    await this.model.sample(Math.min(2, this.spec.sampleCount), this.rng);
    const t0 = performance.now();
    await this.model.sample(this.spec.sampleCount, this.rng);
    return performance.now() - t0;
  }

  async dispose(): Promise<void> {
    await this.parallel?.dispose();
    this.model.dispose();
  }
}

