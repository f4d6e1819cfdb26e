/**
 * Synchronous data-parallel training over replicas that share memory: Node worker threads
 * (src/node/replicas.ts starts them), or Web Workers in a cross-origin-isolated page (the studio's
 * web/src/replicas.ts). Every replica
 * holds the whole model and its own optimizers; each minibatch is cut into contiguous shards, one
 * per replica, and each update takes the gradient of the whole batch as the weighted sum of the
 * shards' gradients,
 *
 *   g = sum_r (n_r / n) g_r,   g_r = the gradient of shard r's mean loss,
 *
 * the all-reduce of synchronous SGD (Goyal et al. 2017, "Accurate, Large Minibatch SGD", Sec. 4;
 * PyTorch's DistributedDataParallel). Parameters stay resident in every replica and only gradients
 * move: each replica writes its gradient into its slot of a SharedArrayBuffer; replica r sums
 * slice r of the parameter range over the slots, weighted, always in the order 0..R-1; then every
 * replica reads the whole sum and takes the same optimizer step itself. Identical inputs to
 * identical code keep the parameters identical everywhere, bit for bit, with nothing broadcast.
 * Clipping by global norm, and `gradNorm`, see the summed gradient; the other reported terms are
 * the replicas' values weighted by n_r / n.
 *
 * A model's step runs in every replica in lockstep (a GAN's k critic updates and ctx.nextBatch()
 * draws included): replica 0, the caller's thread, draws the batches as it would alone and hands
 * each worker its shard through a shared channel. What differs from one replica on the whole batch:
 *
 * - noise: replica 0 draws from the run's noise stream, replica r > 0 from a stream seeded by
 *   (run seed, step, r). Per-example noise is independent across shards, so the estimate has the
 *   same distribution, but not the same values as one thread's;
 * - batch norm normalises each shard with its own statistics (DDP without SyncBatchNorm), and the
 *   running averages a checkpoint keeps are replica 0's;
 * - a loss that is not a mean over examples (a batch-level statistic) is computed per shard;
 * - an update weighs the replicas by their share of the batch drawn last (the step's, or the latest
 *   ctx.nextBatch()'s); only an epoch's short last batch can make that differ from the batch its
 *   loss used, by at most one example per shard;
 * - a batch of fewer examples than replicas (an epoch's short last one) gives each replica one
 *   example, examples shared by several replicas weighing 1 / (n c) each: the same mean.
 *
 * Cost: the forward and backward passes split R ways, but every replica takes the whole optimizer
 * step (one SIMD kernel per variable for Adam on wasm: ~2 ms for 0.8 M weights), and each update
 * adds a gradient copy out of the engine, a sum and a copy back in (src/core/transfer.ts: one
 * copy each way on wasm), and waits for the slower replica at two barriers. Measured by
 * `npm run bench` (idle machine, two replicas against one, AMD EPYC VM): NADE 1.8x, PixelCNN 1.6x, DCGAN 1.5x, the VAE MLP, conv VAE,
 * MADE, WGAN-GP and Row LSTM 1.1-1.3x. Two busy cores slow each other's products by 30-45 % here
 * (shared cache and memory bandwidth), which bounds dense models near 1.45x (docs/RESULTS.md).
 *
 * Waiting is Atomics.wait on shared memory (a generation-counting barrier, and per worker a
 * channel with a sequence number and an acknowledgement). Node allows it on the main thread;
 * browsers only in workers, so a page runs replica 0 in a worker too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmHeapBytes } from '../core/engine.js';
import { check, UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { copyValuesInto, tensorFromCopy } from '../core/transfer.js';
import type { Batch, GenerativeModel, NamedArray, ParameterGroup, StepMetrics } from '../models/model.js';
import { Trainer, type StepPosition, type TrainerOptions } from './trainer.js';

/** Sums a group's gradients over replicas; the Trainer calls it inside its update (./trainer.ts). */
export interface GradientExchange {
  /**
   * `grads` are this replica's, by checkpoint name, `terms` its loss terms; returns the summed
   * gradients (for the variables that have one here) and the terms' weighted mean.
   */
  allReduce(group: string, grads: ReadonlyMap<string, tf.Tensor>, terms: Readonly<Record<string, tf.Scalar>>): { grads: Map<string, tf.Tensor>; terms: Record<string, number> };
}

/** The shared memory of one data-parallel run: plain data, passed to each worker as it starts. */
export interface ReplicaBuffers {
  replicas: number;
  /** The barrier and the run's state, then the first failure's message (./parallel.ts CONTROL). */
  control: SharedArrayBuffer;
  /** Per replica: its weight n_r / n, then the values of its update's loss terms, float64. */
  terms: SharedArrayBuffer;
  /** Per parameter group: one gradient slot per replica, then their sum, [(R + 1) * P] float32. */
  gradients: Record<string, SharedArrayBuffer>;
  /** Per worker replica r (at index r - 1): the channel that brings its shards. */
  channels: SharedArrayBuffer[];
  /** Values per example. */
  exampleSize: number;
  /** Examples one shard can hold: ceil(batch size / R). */
  shardCapacity: number;
}

/** What a worker replica starts from: a copy of replica 0 as it stands. */
export interface ReplicaInit {
  buffers: ReplicaBuffers;
  /** What `createModel(name, config, data)` rebuilds (the launcher knows the data). */
  model: { name: string; config: Record<string, unknown> };
  weights: NamedArray[];
  /** Replica 0's optimizer settings (without EMA: replica 0 alone keeps the shadow) and state. */
  trainerOptions: TrainerOptions;
  optimizerState: NamedArray[];
  /** The run's seed, from which each worker's noise streams are drawn (`replicaRng`). */
  seed: number;
}

/** Starts the worker replicas 1..R-1 (Node: `workerReplicas` of src/node/replicas.ts). */
export interface ReplicaLauncher {
  /** Replicas in all, the caller's thread included. */
  readonly replicas: number;
  /** Resolves once every worker has built its model and trainer; the result ends them all. */
  start(init: ReplicaInit): Promise<() => Promise<void>>;
}

/** A replica's health and agreement, for tests and debugging (`DataParallel.inspect`). */
export interface ReplicaReport {
  rank: number;
  /** tf.memory().numTensors in that replica, after its last step. */
  numTensors: number;
  /** tf.memory().numBytes there: the bytes its tensors hold. */
  numBytes: number;
  /** The size of its wasm heap in bytes (0 on other backends; `wasmHeapBytes`). */
  heapBytes: number;
  /** A hash of the bits of every trainable variable: equal in every replica after each step. */
  parameterHash: number;
}

/** The run stopped (ended, or failed in some replica) while this replica waited. */
export class ReplicasStopped extends Error {
  constructor(
    message: string,
    readonly failed: boolean,
  ) {
    super(message);
    this.name = 'ReplicasStopped';
  }
}

/** Loss terms one update may report (a GAN reports about ten). */
const MAX_TERMS = 64;
/** How long replica 0 waits for the workers before it calls them lost (they never block it for long). */
const STALL_MS = 5 * 60_000;
/** Waits wake this often to see whether the run stopped. */
const POLL_MS = 100;

/** Int32 cells of `control`; the failure message follows as UTF-8 bytes. */
const CONTROL = { arrived: 0, generation: 1, state: 2, messageBytes: 3 } as const;
const CONTROL_INTS = 4;
const MESSAGE_CAPACITY = 2048;
const RUNNING = 0;
const STOPPED = 1;
const FAILED = 2;

/** Int32 cells of a channel's header; two float64 values and the shard's arrays follow. */
const CHANNEL = { published: 0, consumed: 1, kind: 2, n: 3, hasLabels: 4, step: 5, epoch: 6, numTensors: 7, parameterHash: 8, numBytes: 9, heapBytes: 10 } as const;
/** 11 cells, rounded up to the float64 values' alignment. */
const CHANNEL_HEADER_BYTES = 48;
const CHANNEL_FLOATS = { learningRateFactor: 0, weight: 1 } as const;
const CHANNEL_ARRAYS_OFFSET = CHANNEL_HEADER_BYTES + 16;
/** What a channel carries: a step's first batch, a ctx.nextBatch() draw, a request for a ReplicaReport. */
const STEP = 1;
const NEXT = 2;
const INSPECT = 3;

/** The fewest examples `autoReplicas` gives one replica's shard of a batch. */
export const MIN_AUTO_SHARD = 16;

/**
 * How many replicas "auto" trains on (`genlab train`'s default `--workers auto`, the studio's
 * default): one per core where every engine runs on one thread (wasm, cpu), so that every core
 * works; one where the engine spreads its own work (tfjs-node's `tensorflow`, a GPU's webgl or
 * webgpu), where more engines would only compete; and never so many that a shard of the batch
 * holds fewer than MIN_AUTO_SHARD examples.
 */
export function autoReplicas(cores: number, batchSize: number, backend: string): number {
  if (backend !== 'wasm' && backend !== 'cpu') return 1;
  return Math.max(1, Math.min(Math.floor(cores), Math.floor(batchSize / MIN_AUTO_SHARD)));
}

export function createReplicaBuffers(groups: Readonly<Record<string, ParameterGroup>>, replicas: number, batchSize: number, exampleSize: number): ReplicaBuffers {
  const shardCapacity = Math.ceil(batchSize / replicas);
  const gradients: Record<string, SharedArrayBuffer> = {};
  for (const [name, group] of Object.entries(groups)) {
    const size = [...group.variables.values()].reduce((sum, v) => sum + v.size, 0);
    gradients[name] = new SharedArrayBuffer((replicas + 1) * size * 4);
  }
  return {
    replicas,
    control: new SharedArrayBuffer(CONTROL_INTS * 4 + MESSAGE_CAPACITY),
    terms: new SharedArrayBuffer(replicas * (1 + MAX_TERMS) * 8),
    gradients,
    channels: Array.from({ length: replicas - 1 }, () => new SharedArrayBuffer(CHANNEL_ARRAYS_OFFSET + shardCapacity * exampleSize * 4 + shardCapacity * 4)),
    exampleSize,
    shardCapacity,
  };
}

/** One replica's shard of a batch and its weight in every sum over replicas. */
export interface Shard {
  batch: Batch;
  weight: number;
}

/**
 * Contiguous shards of `batch`, one per replica, sizes differing by at most one, weights n_r / n.
 * With fewer examples than replicas, replica r takes example r mod n, weighted 1 / (n c) where c
 * replicas share it: every replica has work, and the weighted sum is still the batch mean.
 */
export function shardBatch(batch: Batch, replicas: number): Shard[] {
  const D = batch.x.length / batch.n;
  const take = (start: number, count: number): Batch => ({
    x: batch.x.subarray(start * D, (start + count) * D),
    n: count,
    ...(batch.labels && { labels: batch.labels.subarray(start, start + count) }),
  });
  const { n } = batch;
  if (n < replicas) {
    return Array.from({ length: replicas }, (_, r) => {
      const i = r % n;
      const sharing = Math.floor((replicas - 1 - i) / n) + 1;
      return { batch: take(i, 1), weight: 1 / (n * sharing) };
    });
  }
  const base = Math.floor(n / replicas);
  const extra = n % replicas;
  const shards: Shard[] = [];
  let start = 0;
  for (let r = 0; r < replicas; r++) {
    const count = base + (r < extra ? 1 : 0);
    shards.push({ batch: take(start, count), weight: count / n });
    start += count;
  }
  return shards;
}

/** Replica r's noise at a step: its own stream, seeded by (run seed, step, r), whatever earlier steps drew. */
export function replicaRng(seed: number, step: number, rank: number): Rng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const word of [step >>> 0, Math.floor(step / 2 ** 32), rank]) {
    h = Math.imul(h ^ word, 0x01000193) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return new Rng(h);
}

/** FNV-1a over the bits of the variables' values: equal hashes mean (almost surely) equal parameters. */
export function parameterHash(variables: Iterable<tf.Variable>): number {
  let h = 0x811c9dc5;
  for (const v of variables) {
    const words = new Uint32Array(Float32Array.from(v.dataSync() as Float32Array).buffer);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193) >>> 0;
  }
  return h;
}

/** target[i] (= or +=) w source[i] for i in [lo, hi): a small function of its own, which the JIT compiles well. */
function addScaled(target: Float32Array, source: Float32Array, w: number, lo: number, hi: number, first: boolean): void {
  if (first) for (let i = lo; i < hi; i++) target[i] = w * source[i];
  else for (let i = lo; i < hi; i++) target[i] += w * source[i];
}

/** A group's variables in a fixed order (the group's), with their place in its gradient slots. */
interface GroupLayout {
  variables: { name: string; shape: number[]; offset: number; size: number }[];
  size: number;
  /** One slot per replica (its unweighted gradient), and their weighted sum. */
  slots: Float32Array[];
  sum: Float32Array;
}

/** One replica's end of the shared memory: the barrier, the gradient all-reduce, failure and stop. */
export class ReplicaLink implements GradientExchange {
  /** This replica's share of the batch drawn last: the weight of its next update's gradient. */
  weight = 1;
  readonly replicas: number;
  private readonly control: Int32Array;
  private readonly terms: Float64Array;
  private readonly groups = new Map<string, GroupLayout>();

  constructor(
    readonly buffers: ReplicaBuffers,
    readonly rank: number,
    groups: Readonly<Record<string, ParameterGroup>>,
  ) {
    const R = (this.replicas = buffers.replicas);
    this.control = new Int32Array(buffers.control, 0, CONTROL_INTS);
    this.terms = new Float64Array(buffers.terms);
    for (const [name, group] of Object.entries(groups)) {
      let offset = 0;
      const variables = [...group.variables].map(([variable, v]) => {
        const entry = { name: variable, shape: [...v.shape], offset, size: v.size };
        offset += v.size;
        return entry;
      });
      const shared = buffers.gradients[name];
      // A worker whose model came out differently (another config) must not mix its gradients in.
      if (shared?.byteLength !== (R + 1) * offset * 4) throw new Error(`replica ${rank}: parameter group '${name}' does not match replica 0's`);
      const slots = Array.from({ length: R + 1 }, (_, q) => new Float32Array(shared, q * offset * 4, offset));
      this.groups.set(name, { variables, size: offset, slots: slots.slice(0, R), sum: slots[R] });
    }
  }

  allReduce(group: string, grads: ReadonlyMap<string, tf.Tensor>, terms: Readonly<Record<string, tf.Scalar>>): { grads: Map<string, tf.Tensor>; terms: Record<string, number> } {
    const layout = this.groups.get(group)!;
    const R = this.replicas;
    // 1. This replica's gradient into its slot (zeros for variables off the loss's path, which no
    //    replica updates), its weight and terms into its row.
    const mine = layout.slots[this.rank];
    for (const v of layout.variables) {
      const g = grads.get(v.name);
      if (g) copyValuesInto(g, mine, v.offset);
      else mine.fill(0, v.offset, v.offset + v.size);
    }
    const names = Object.keys(terms);
    check(names.length <= MAX_TERMS, () => `data-parallel training reports at most ${MAX_TERMS} loss terms per update, got ${names.length}`);
    const row = (q: number) => q * (1 + MAX_TERMS);
    this.terms[row(this.rank)] = this.weight;
    names.forEach((name, i) => (this.terms[row(this.rank) + 1 + i] = terms[name].dataSync()[0]));
    this.barrier();

    // 2. The weights, and the terms' weighted means, read now: after the next barrier a replica
    //    may write its next update's.
    const weights = Array.from({ length: R }, (_, q) => this.terms[row(q)]);
    const averaged: Record<string, number> = {};
    names.forEach((name, i) => {
      let sum = 0;
      for (let q = 0; q < R; q++) sum += weights[q] * this.terms[row(q) + 1 + i];
      averaged[name] = sum;
    });
    // 3. This replica's slice of the weighted sum, over the slots in the fixed order 0..R-1.
    const lo = Math.floor((layout.size * this.rank) / R);
    const hi = Math.floor((layout.size * (this.rank + 1)) / R);
    for (let q = 0; q < R; q++) addScaled(layout.sum, layout.slots[q], weights[q], lo, hi, q === 0);
    this.barrier();

    // 4. The whole sum, the same in every replica, copied out of shared memory before the next
    //    update's sums overwrite it.
    const out = new Map<string, tf.Tensor>();
    for (const v of layout.variables) if (grads.has(v.name)) out.set(v.name, tensorFromCopy(layout.sum.subarray(v.offset, v.offset + v.size), v.shape));
    return { grads: out, terms: averaged };
  }

  /** Returns when every replica has called it (a generation-counting barrier). */
  barrier(): void {
    const c = this.control;
    const generation = Atomics.load(c, CONTROL.generation);
    if (Atomics.add(c, CONTROL.arrived, 1) === this.replicas - 1) {
      Atomics.store(c, CONTROL.arrived, 0);
      Atomics.add(c, CONTROL.generation, 1);
      Atomics.notify(c, CONTROL.generation);
    } else {
      this.waitWhile(c, CONTROL.generation, generation);
    }
  }

  /**
   * Blocks while `cells[index]` holds `value`; throws ReplicasStopped when the run stops, and, in
   * replica 0, when the workers stall (a worker that died without a word).
   */
  waitWhile(cells: Int32Array, index: number, value: number): void {
    const started = Date.now();
    while (Atomics.load(cells, index) === value) {
      this.throwIfStopped();
      Atomics.wait(cells, index, value, POLL_MS);
      if (this.rank === 0 && Date.now() - started > STALL_MS) {
        this.stop(`replica 0 waited ${STALL_MS / 60_000} minutes for the worker replicas`, true);
        this.throwIfStopped();
      }
    }
  }

  throwIfStopped(): void {
    const state = Atomics.load(this.control, CONTROL.state);
    if (state === RUNNING) return;
    const length = Atomics.load(this.control, CONTROL.messageBytes);
    // Copied out first: TextDecoder refuses views of shared memory in browsers.
    const message = new TextDecoder().decode(new Uint8Array(this.buffers.control, CONTROL_INTS * 4, length).slice());
    throw new ReplicasStopped(message, state === FAILED);
  }

  /** Ends the run for every replica (see `stopReplicas`). */
  stop(message: string, failed: boolean): void {
    stopReplicas(this.buffers, message, failed);
  }
}

/**
 * Ends the run for every replica, keeping the first call's message; replicas waiting anywhere wake
 * and throw ReplicasStopped (`failed`: with the message of the replica that failed).
 */
export function stopReplicas(buffers: ReplicaBuffers, message: string, failed: boolean): void {
  const control = new Int32Array(buffers.control, 0, CONTROL_INTS);
  if (Atomics.compareExchange(control, CONTROL.state, RUNNING, failed ? FAILED : STOPPED) === RUNNING) {
    const bytes = new TextEncoder().encode(message).subarray(0, MESSAGE_CAPACITY);
    new Uint8Array(buffers.control, CONTROL_INTS * 4, MESSAGE_CAPACITY).set(bytes);
    Atomics.store(control, CONTROL.messageBytes, bytes.length);
  }
  Atomics.notify(control, CONTROL.generation);
  for (const channel of buffers.channels) {
    const header = new Int32Array(channel, 0, CHANNEL_HEADER_BYTES / 4);
    Atomics.notify(header, CHANNEL.published);
    Atomics.notify(header, CHANNEL.consumed);
  }
}

/** Views of one worker's channel. */
class Channel {
  readonly header: Int32Array;
  readonly floats: Float64Array;
  readonly x: Float32Array;
  readonly labels: Int32Array;

  constructor(buffers: ReplicaBuffers, rank: number) {
    const shared = buffers.channels[rank - 1];
    const values = buffers.shardCapacity * buffers.exampleSize;
    this.header = new Int32Array(shared, 0, CHANNEL_HEADER_BYTES / 4);
    this.floats = new Float64Array(shared, CHANNEL_HEADER_BYTES, 2);
    this.x = new Float32Array(shared, CHANNEL_ARRAYS_OFFSET, values);
    this.labels = new Int32Array(shared, CHANNEL_ARRAYS_OFFSET + values * 4, buffers.shardCapacity);
  }
}

/**
 * Replica 0's side of a data-parallel run: `step` and `scaleLearningRates` stand in for the
 * Trainer's (fit() calls them), cutting every batch into shards and sending the workers theirs.
 * The Trainer stays the real one: checkpoints, EMA and samples read it and its model as before.
 */
export class DataParallel {
  private learningRateFactor = 1;
  private readonly channels: Channel[];
  private stopped = false;

  constructor(
    readonly trainer: Trainer,
    private readonly link: ReplicaLink,
    private readonly endWorkers: () => Promise<void>,
  ) {
    this.channels = Array.from({ length: link.replicas - 1 }, (_, i) => new Channel(link.buffers, i + 1));
  }

  get replicas(): number {
    return this.link.replicas;
  }

  scaleLearningRates(factor: number): void {
    this.learningRateFactor = factor;
    this.trainer.scaleLearningRates(factor);
  }

  /** One step on `batch`, every replica on its shard; the metrics are those of the whole batch. */
  async step(batch: Batch, position: StepPosition): Promise<StepMetrics> {
    const first = this.send(STEP, batch, position);
    const { nextBatch } = position;
    return this.trainer.step(first, { ...position, ...(nextBatch && { nextBatch: () => this.send(NEXT, nextBatch(), position) }) });
  }

  /** Every replica's memory and parameter hash (replica 0's first), asked of the workers between steps. */
  inspect(): ReplicaReport[] {
    const { numTensors, numBytes } = tf.memory();
    const reports: ReplicaReport[] = [{ rank: 0, numTensors, numBytes, heapBytes: wasmHeapBytes() ?? 0, parameterHash: parameterHash(this.trainer.allVariables().values()) }];
    this.channels.forEach((channel, i) => {
      const sequence = this.publish(channel, INSPECT, () => {});
      this.link.waitWhile(channel.header, CHANNEL.consumed, sequence - 1);
      const h = channel.header;
      // Unsigned: a heap may pass 2 GiB.
      reports.push({ rank: i + 1, numTensors: h[CHANNEL.numTensors], numBytes: h[CHANNEL.numBytes] >>> 0, heapBytes: h[CHANNEL.heapBytes] >>> 0, parameterHash: h[CHANNEL.parameterHash] >>> 0 });
    });
    return reports;
  }

  /** Ends the workers (always: after the run, or when it failed anywhere). */
  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.link.stop('training ended', false);
    this.trainer.shareGradients(undefined);
    await this.endWorkers();
  }

  /** Sends each worker its shard of `batch`; returns replica 0's. */
  private send(kind: typeof STEP | typeof NEXT, batch: Batch, position: StepPosition): Batch {
    const shards = shardBatch(batch, this.link.replicas);
    this.channels.forEach((channel, i) => {
      const { batch: shard, weight } = shards[i + 1];
      this.publish(channel, kind, () => {
        const h = channel.header;
        h[CHANNEL.n] = shard.n;
        h[CHANNEL.hasLabels] = shard.labels ? 1 : 0;
        h[CHANNEL.step] = position.step;
        h[CHANNEL.epoch] = position.epoch ?? 0;
        channel.floats[CHANNEL_FLOATS.learningRateFactor] = this.learningRateFactor;
        channel.floats[CHANNEL_FLOATS.weight] = weight;
        channel.x.set(shard.x);
        if (shard.labels) channel.labels.set(shard.labels);
      });
    });
    this.link.weight = shards[0].weight;
    return shards[0].batch;
  }

  /** Writes a message once the worker has taken the previous one; returns its sequence number. */
  private publish(channel: Channel, kind: number, write: () => void): number {
    const h = channel.header;
    const sequence = Atomics.load(h, CHANNEL.published);
    this.link.waitWhile(h, CHANNEL.consumed, sequence - 1);
    h[CHANNEL.kind] = kind;
    write();
    Atomics.store(h, CHANNEL.published, sequence + 1);
    Atomics.notify(h, CHANNEL.published);
    return sequence + 1;
  }
}

/**
 * Starts a data-parallel run of `trainer` (replica 0, this thread) with `launcher`'s workers, each
 * a copy of the model, its weights and the optimizers' state as they stand (a resumed run's too).
 */
export async function startDataParallel(launcher: ReplicaLauncher, trainer: Trainer, model: GenerativeModel, run: { batchSize: number; seed: number }): Promise<DataParallel> {
  const R = launcher.replicas;
  check(Number.isInteger(R) && R >= 1, () => `replicas must be an integer >= 1, got ${R}`);
  if (!model.parameterGroups) {
    throw new UserError(`${model.name} is fit by counting, not by gradient steps: data-parallel replicas exchange gradients, so it trains on one thread`);
  }
  check(run.batchSize >= R, () => `${R} replicas need a batch of at least ${R} examples, got ${run.batchSize}`);
  const buffers = createReplicaBuffers(trainer.groups, R, run.batchSize, model.inputShape.reduce((a, b) => a * b, 1));
  const link = new ReplicaLink(buffers, 0, trainer.groups);
  const { ema: _replica0Only, ...trainerOptions } = trainer.options;
  const endWorkers = await launcher.start({
    buffers,
    model: { name: model.name, config: model.getConfig() },
    weights: model.getWeights(),
    trainerOptions,
    optimizerState: trainer.getOptimizerState(),
    seed: run.seed,
  });
  trainer.shareGradients(link);
  return new DataParallel(trainer, link, endWorkers);
}

/**
 * A worker replica's loop: takes each step's shard from its channel and runs the trainer's step on
 * it, in lockstep with replica 0, until the run stops. A failure here stops the run for every
 * replica with this replica's message.
 */
export async function serveReplica(trainer: Trainer, buffers: ReplicaBuffers, rank: number, seed: number): Promise<void> {
  try {
    check(rank >= 1 && rank < buffers.replicas, () => `worker replica rank must be in 1..${buffers.replicas - 1}, got ${rank}`);
    const link = new ReplicaLink(buffers, rank, trainer.groups);
    const channel = new Channel(buffers, rank);
    let seen = 0;
    /** The next message: its kind, and for a shard the batch (copied out: the channel is reused) and its header. */
    const receive = () => {
      const h = channel.header;
      link.waitWhile(h, CHANNEL.published, seen);
      seen = Atomics.load(h, CHANNEL.published);
      const kind = h[CHANNEL.kind];
      const n = h[CHANNEL.n];
      const batch: Batch = { x: channel.x.slice(0, n * buffers.exampleSize), n, ...(h[CHANNEL.hasLabels] ? { labels: channel.labels.slice(0, n) } : {}) };
      const message = { kind, batch, step: h[CHANNEL.step], epoch: h[CHANNEL.epoch], learningRateFactor: channel.floats[CHANNEL_FLOATS.learningRateFactor], weight: channel.floats[CHANNEL_FLOATS.weight] };
      if (kind === INSPECT) {
        const { numTensors, numBytes } = tf.memory();
        h[CHANNEL.numTensors] = numTensors;
        h[CHANNEL.numBytes] = numBytes | 0;
        h[CHANNEL.heapBytes] = (wasmHeapBytes() ?? 0) | 0;
        h[CHANNEL.parameterHash] = parameterHash(trainer.allVariables().values()) | 0;
      }
      Atomics.store(h, CHANNEL.consumed, seen);
      Atomics.notify(h, CHANNEL.consumed);
      return message;
    };
    const nextBatch = (): Batch => {
      const next = receive();
      if (next.kind !== NEXT) throw new Error(`replica ${rank}: expected a ctx.nextBatch() draw, got message kind ${next.kind} (the replicas left lockstep)`);
      link.weight = next.weight;
      return next.batch;
    };
    trainer.shareGradients(link);
    for (;;) {
      const message = receive();
      if (message.kind === INSPECT) continue;
      if (message.kind !== STEP) throw new Error(`replica ${rank}: expected a step's batch, got message kind ${message.kind} (the replicas left lockstep)`);
      link.weight = message.weight;
      trainer.scaleLearningRates(message.learningRateFactor);
      await trainer.step(message.batch, { rng: replicaRng(seed, message.step, rank), step: message.step, epoch: message.epoch, nextBatch });
    }
  } catch (e) {
    if (e instanceof ReplicasStopped && !e.failed) return;
    if (!(e instanceof ReplicasStopped)) stopReplicas(buffers, `replica ${rank} failed: ${e instanceof Error ? e.message : String(e)}`, true);
    throw e;
  } finally {
    trainer.shareGradients(undefined);
  }
}

/**
 * A worker replica's whole life, the same in a Node worker thread (src/node/replicaWorker.ts) and a
 * Web Worker (web/src/replicaWorker.ts): the model rebuilt by `build` from replica 0's name and
 * config, replica 0's weights, a trainer with its optimizer settings and state; `report.ready()`
 * once built (or `report.failed(why)` instead); then serveReplica until the run ends. A failure
 * after the start has already stopped every replica, and ends this one quietly.
 */
export async function runWorkerReplica(
  rank: number,
  init: ReplicaInit,
  build: (model: ReplicaInit['model']) => GenerativeModel,
  report: { ready(): void; failed(message: string): void },
): Promise<void> {
  let model: GenerativeModel | undefined;
  let trainer: Trainer;
  try {
    model = build(init.model);
    model.setWeights(init.weights);
    trainer = new Trainer(model, init.trainerOptions);
    trainer.setOptimizerState(init.optimizerState);
  } catch (e) {
    model?.dispose();
    report.failed(e instanceof Error ? e.message : String(e));
    return;
  }
  report.ready();
  try {
    await serveReplica(trainer, init.buffers, rank, init.seed);
  } catch (e) {
    if (!(e instanceof ReplicasStopped)) throw e;
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
