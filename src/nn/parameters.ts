/**
 * A model's trainable variables by name, initialised from genlab's seeded Rng (so a seed gives
 * the same initial weights on every backend) and converted to / from checkpoint arrays.
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

  constructor(private readonly rng: Rng) {}

  /** Creates a variable; names are the checkpoint's keys (tfjs names stay unique per instance). */
  add(name: string, shape: number[], init: Init): tf.Variable {
    if (this.vars.has(name)) throw new Error(`parameter '${name}' defined twice`);
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
    // The variable shares the initial tensor's data; dispose the tensor handle or it outlives the model.
    const initial = tf.tensor(values, shape);
    const v = tf.variable(initial, true);
    initial.dispose();
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter '${name}'`);
    return v;
  }

  /** Variables in definition order (the optimizer's state follows this order). */
  list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  getWeights(): NamedArray[] {
    return [...this.vars].map(([name, v]) => ({
      name,
      shape: [...v.shape],
      dtype: 'float32' as const,
      data: Float32Array.from(v.dataSync() as Float32Array),
    }));
  }

  setWeights(weights: NamedArray[]): void {
    for (const [name, v] of this.vars) {
      const w = weights.find((a) => a.name === name);
      if (!w) throw new Error(`checkpoint lacks parameter '${name}'`);
      if (w.data.length !== v.size) throw new Error(`parameter '${name}': checkpoint has ${w.data.length} values, model ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(w.data), v.shape)));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
