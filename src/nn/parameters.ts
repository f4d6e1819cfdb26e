/**
 * A model's trainable variables by name, initialised from genlab's seeded Rng (so a seed gives
 * the same initial weights on every backend) and converted to / from checkpoint arrays.
 *
 * Besides the trainable weights a model may keep state (`addState`): non-trainable variables that
 * the forward pass itself updates, such as batch normalisation's running statistics or spectral
 * normalisation's power-iteration vector. State goes into checkpoints with the weights, but
 * optimizers, parameter groups and the EMA never see it: `named()`, `list()`, `get()` and
 * `count()` cover the trainable weights only.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.js';
import type { NamedArray } from '../models/model.js';

export type Init =
  /** Glorot / Xavier uniform, U(-a, a) with a = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio 2010). */
  | { type: 'glorot'; fanIn: number; fanOut: number }
  | { type: 'normal'; std: number }
  | { type: 'zeros' }
  | { type: 'constant'; value: number };

export class Parameters {
  private readonly vars = new Map<string, tf.Variable>();
  /** Non-trainable state, checkpointed after the weights (see `addState`). */
  private readonly stateVars = new Map<string, tf.Variable>();
  /** The parameter group each variable was created in (see `inGroup`). */
  private readonly groups = new Map<string, string>();
  private currentGroup = 'main';

  constructor(private readonly rng: Rng) {}

  /**
   * Creates the variables `build` adds in the parameter group `group` (e.g. 'encoder',
   * 'discriminator'), so a model names its optimizer groups by what the variables are, not by the
   * order they were created in.
   */
  inGroup<T>(group: string, build: () => T): T {
    const outer = this.currentGroup;
    this.currentGroup = group;
    try {
      return build();
    } finally {
      this.currentGroup = outer;
    }
  }

  /** Variables by name: all of them, or those created in any of `groups`. */
  named(...groups: string[]): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, v] of this.vars) if (groups.length === 0 || groups.includes(this.groups.get(name)!)) out.set(name, v);
    return out;
  }

  /** Creates a variable; names are the checkpoint's keys (tfjs names stay unique per instance). */
  add(name: string, shape: number[], init: Init): tf.Variable {
    const v = this.create(name, shape, init, true);
    this.vars.set(name, v);
    this.groups.set(name, this.currentGroup);
    return v;
  }

  /**
   * Creates a non-trainable state variable (running statistics, power-iteration vectors), drawn
   * from the same Rng in creation order. getWeights() / setWeights() save and restore it like a
   * weight (a checkpoint must hold it), but named(), list(), get() and count() leave it out, so no
   * optimizer, parameter group or EMA touches it. Its owner updates it with `assign`.
   */
  addState(name: string, shape: number[], init: Init): tf.Variable {
    const v = this.create(name, shape, init, false);
    this.stateVars.set(name, v);
    return v;
  }

  private create(name: string, shape: number[], init: Init, trainable: boolean): tf.Variable {
    if (this.vars.has(name) || this.stateVars.has(name)) throw new Error(`parameter '${name}' defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    switch (init.type) {
      case 'glorot': {
        const a = Math.sqrt(6 / (init.fanIn + init.fanOut));
        for (let i = 0; i < size; i++) values[i] = (2 * this.rng.uniform() - 1) * a;
        break;
      }
      case 'normal':
        for (let i = 0; i < size; i++) values[i] = this.rng.normal() * init.std;
        break;
      case 'constant':
        values.fill(init.value);
        break;
      case 'zeros':
        break;
    }
    // The variable takes its own reference to the initial values; the tensor itself is freed.
    const initial = tf.tensor(values, shape);
    const v = tf.variable(initial, trainable);
    initial.dispose();
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter '${name}'`);
    return v;
  }

  /** A state variable made by `addState`. */
  getState(name: string): tf.Variable {
    const v = this.stateVars.get(name);
    if (!v) throw new Error(`no state '${name}'`);
    return v;
  }

  /** Variables in definition order (the optimizer's state follows this order). */
  list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Number of scalar trainable parameters (state is not counted). */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** The weights in definition order, then the state in definition order. */
  getWeights(): NamedArray[] {
    return [...this.vars, ...this.stateVars].map(([name, v]) => ({
      name,
      shape: [...v.shape],
      dtype: 'float32' as const,
      data: Float32Array.from(v.dataSync() as Float32Array),
    }));
  }

  /** Restores every weight and every state variable; the checkpoint must hold each of them. */
  setWeights(weights: NamedArray[]): void {
    for (const [name, v] of [...this.vars, ...this.stateVars]) {
      const w = weights.find((a) => a.name === name);
      if (!w) throw new Error(`checkpoint lacks parameter '${name}'`);
      if (w.data.length !== v.size) throw new Error(`parameter '${name}': checkpoint has ${w.data.length} values, model ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(w.data), v.shape)));
    }
  }

  dispose(): void {
    for (const v of [...this.vars.values(), ...this.stateVars.values()]) v.dispose();
    this.vars.clear();
    this.stateVars.clear();
    this.groups.clear();
  }
}
