/**
 * The trainer owns every update: it builds one optimizer per parameter group the model declares,
 * takes gradients, clips them, steps the optimizers, keeps the EMA shadow, and turns the loss
 * terms into numbers. Models only say what to minimise:
 *
 * - single-objective models return `loss(batch, ctx)`; the trainer minimises it over their one group;
 * - multi-phase models run `trainStep(batch, ctx)` and call `ctx.update(group, lossFn)` per phase;
 * - counting models (tabular) run `trainStep` without updates.
 *
 * A group can be frozen (`frozen`, `freeze`): its updates are skipped, so one player of a game
 * moves while the other holds still (the GAN lab's "D only" / "G only" steps). The model's step
 * runs unchanged, its noise and batches drawn as usual, so freezing changes nothing but the
 * frozen group's updates.
 *
 * The epoch loop, schedules, evaluation and checkpoints are in ./fit.ts; tests and small scripts
 * can drive a Trainer step by step. Data-parallel replicas (./parallel.ts) each run a Trainer and
 * give it a GradientExchange that sums every update's gradients over them before the step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check, UserError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Batch, GenerativeModel, LossTerms, NamedArray, ParameterGroup, StepContext, StepMetrics } from '../models/model.js';
import { Ema } from './ema.js';
import type { GradientExchange } from './parallel.js';
import { clipByGlobalNorm, Optimizer, optimizerSettings, type OptimizerSettings } from './optimizers.js';

/** What the trainer needs of a model: its groups and its loss or step (a reference classifier qualifies too). */
export type Trainable = Pick<GenerativeModel, 'name' | 'parameterGroups' | 'loss' | 'trainStep'>;

export interface TrainerOptions {
  /** The run's optimizer (default Adam at 1e-3); groups scale or override it. */
  optimizer?: Partial<OptimizerSettings>;
  /** Per-group overrides by group name, on top of what the model declares (e.g. `{ discriminator: { learningRate: 4e-4 } }`). */
  groups?: Record<string, Partial<OptimizerSettings>>;
  /** Clip each update's gradients to this global norm (default: no clipping). */
  clipNorm?: number;
  /** Keep an exponential moving average of the weights with this decay (e.g. 0.999); 0 or absent: none. */
  ema?: number;
  /** Parameter groups whose updates are skipped (see `freeze`); default none. */
  frozen?: readonly string[];
}

/** Where in the run a step happens; `nextBatch` serves `ctx.nextBatch()` (absent: the same batch again is refused). */
export interface StepPosition {
  rng: Rng;
  step: number;
  epoch?: number;
  nextBatch?: () => Batch;
}

export class Trainer {
  readonly groups: Readonly<Record<string, ParameterGroup>>;
  readonly optimizers: Readonly<Record<string, Optimizer>>;
  readonly ema?: Ema;
  private readonly baseRates: Record<string, number> = {};
  /** Per group: its variables as a list (for the gradient tape) and their checkpoint names by tfjs name. */
  private readonly tape: Record<string, { variables: tf.Variable[]; names: Map<string, string> }> = {};
  private readonly clipNorm: number;
  private exchange?: GradientExchange;
  private frozen: ReadonlySet<string> = new Set();

  constructor(
    readonly model: Trainable,
    /** As given: data-parallel replicas build their trainers from them. */
    readonly options: TrainerOptions = {},
  ) {
    check(Boolean(model.loss) !== Boolean(model.trainStep), () => `${model.name}: a model defines exactly one of loss() and trainStep()`);
    this.groups = model.parameterGroups?.() ?? {};
    check(!model.loss || Object.keys(this.groups).length === 1, () => `${model.name}: a single-objective model has one parameter group`);
    const unknown = Object.keys(options.groups ?? {}).filter((g) => !(g in this.groups));
    if (unknown.length) {
      throw new UserError(`${model.name} has no parameter group ${unknown.map((g) => `'${g}'`).join(', ')}; its groups: ${Object.keys(this.groups).join(', ') || 'none'}`);
    }
    this.clipNorm = options.clipNorm ?? Infinity;
    check(this.clipNorm > 0, () => `gradient clipping norm must be > 0, got ${this.clipNorm}`);
    const run = optimizerSettings(options.optimizer);
    const optimizers: Record<string, Optimizer> = {};
    for (const [name, group] of Object.entries(this.groups)) {
      const learningRate = run.learningRate * (group.learningRateScale ?? 1);
      const settings = optimizerSettings(run, group.optimizer, { learningRate }, options.groups?.[name]);
      optimizers[name] = new Optimizer(settings);
      this.baseRates[name] = settings.learningRate;
      this.tape[name] = { variables: [...group.variables.values()], names: new Map([...group.variables].map(([checkpointName, v]) => [v.name, checkpointName])) };
    }
    this.optimizers = optimizers;
    if (options.ema) this.ema = new Ema(options.ema, this.allVariables());
    this.freeze(options.frozen ?? []);
  }

  /**
   * From the next update on, skip every update of `groups` (empty: all train again). A skipped
   * update does not call its loss function: no forward pass, no gradient, no optimizer step, so
   * nothing of the group moves, its state (batch-norm statistics, spectral-norm vectors advanced in
   * its own update) included, and its loss is reported as NaN. A variable that another, unfrozen
   * group shares still moves with that group.
   */
  freeze(groups: Iterable<string>): void {
    const names = new Set(groups);
    const unknown = [...names].filter((g) => !(g in this.groups));
    if (unknown.length) {
      throw new UserError(`${this.model.name} has no parameter group ${unknown.map((g) => `'${g}'`).join(', ')} to freeze; its groups: ${Object.keys(this.groups).join(', ') || 'none'}`);
    }
    this.frozen = names;
  }

  /** The groups whose updates are skipped now. */
  get frozenGroups(): string[] {
    return [...this.frozen];
  }

  /** Every trainable variable by name (the union of the groups). */
  allVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const group of Object.values(this.groups)) for (const [name, v] of group.variables) out.set(name, v);
    return out;
  }

  /** From now on every update sums its gradients over data-parallel replicas through `exchange` (undefined: alone again). */
  shareGradients(exchange: GradientExchange | undefined): void {
    this.exchange = exchange;
  }

  /** Sets every optimizer's step size to its base rate times `factor` (schedules, warm-up). */
  scaleLearningRates(factor: number): void {
    for (const [name, opt] of Object.entries(this.optimizers)) opt.learningRate = this.baseRates[name] * factor;
  }

  /** One training step on `batch`; returns the step's metrics as numbers. */
  async step(batch: Batch, position: StepPosition): Promise<StepMetrics> {
    const ctx: StepContext = {
      rng: position.rng,
      step: position.step,
      epoch: position.epoch ?? 0,
      update: (group, lossFn) => this.update(group, lossFn),
      nextBatch: position.nextBatch ?? (() => {
        throw new Error(`${this.model.name}: nextBatch() needs a data stream (train with fit())`);
      }),
    };
    let metrics: StepMetrics;
    if (this.model.loss) {
      const [group] = Object.keys(this.groups);
      metrics = await this.update(group, () => this.model.loss!(batch, ctx));
    } else {
      metrics = await this.model.trainStep!(batch, ctx);
    }
    this.ema?.update();
    return metrics;
  }

  /** The update behind `ctx.update`: gradient of `lossFn().loss` over the group, clip, optimizer step (none for a frozen group). */
  async update(groupName: string, lossFn: () => LossTerms): Promise<StepMetrics> {
    const group = this.groups[groupName];
    check(group !== undefined, () => `${this.model.name}: no parameter group '${groupName}' (has ${Object.keys(this.groups).join(', ')})`);
    if (this.frozen.has(groupName)) return { loss: NaN };
    const { variables, names } = this.tape[groupName];
    const kept: Record<string, tf.Scalar> = {};
    let shared: Record<string, number> | undefined;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const terms = lossFn();
        for (const [k, t] of Object.entries(terms)) if (k !== 'loss') kept[k] = tf.keep(t);
        return terms.loss;
      }, variables);
      kept.loss = tf.keep(value);
      let named = new Map<string, tf.Tensor>();
      for (const [tfName, g] of Object.entries(grads)) named.set(names.get(tfName)!, g);
      // Replicas: the whole batch's gradient and the terms' batch means, the same in every replica.
      if (this.exchange) ({ grads: named, terms: shared } = this.exchange.allReduce(groupName, named, kept));
      kept.gradNorm = tf.keep(clipByGlobalNorm(named, this.clipNorm));
      this.optimizers[groupName].apply(group.variables, named);
      if (group.clipValue !== undefined) for (const v of variables) v.assign(tf.clipByValue(v, -group.clipValue, group.clipValue));
    });
    const metrics: Record<string, number> = {};
    for (const [k, t] of Object.entries(kept)) {
      metrics[k] = shared?.[k] ?? (await t.data())[0];
      t.dispose();
    }
    return metrics as StepMetrics;
  }

  /** Every optimizer's state, names prefixed by group ('main/iterations', 'main/dense0/W/m', ...). */
  getOptimizerState(): NamedArray[] {
    return Object.entries(this.optimizers).flatMap(([name, opt]) => opt.getState(`${name}/`));
  }

  /** Restores optimizer state by group and variable name; returns notes on anything that did not match. */
  setOptimizerState(arrays: NamedArray[]): string[] {
    const notes: string[] = [];
    for (const [name, opt] of Object.entries(this.optimizers)) {
      const { unused, fresh } = opt.setState(`${name}/`, arrays, this.groups[name].variables);
      if (unused.length) notes.push(`optimizer state for variables the model no longer has was ignored: ${unused.join(', ')}`);
      if (fresh.length) notes.push(`group '${name}': ${fresh.join(', ')} start with fresh optimizer state`);
    }
    return notes;
  }

  dispose(): void {
    for (const opt of Object.values(this.optimizers)) opt.dispose();
    this.ema?.dispose();
  }
}
