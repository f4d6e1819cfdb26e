/**
 * An exponential moving average of the trained weights (Polyak & Juditsky 1992; the shadow weights
 * of Ho et al. 2020's DDPM and of GAN generators, Karras et al. 2018):
 *
 *   shadow <- decay * shadow + (1 - decay) * w        after every update, shadow_0 = w_0
 *
 * Samples and evaluations of a run use the shadow when it exists: it averages out the last steps'
 * noise, which matters most for models trained at a constant step size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import type { GenerativeModel, NamedArray } from '../models/model.js';

export class Ema {
  private readonly shadow = new Map<string, tf.Variable>();

  constructor(
    readonly decay: number,
    private readonly variables: ReadonlyMap<string, tf.Variable>,
  ) {
    check(Number.isFinite(decay) && decay > 0 && decay < 1, () => `EMA decay must be in (0, 1), got ${decay}`);
    for (const [name, w] of variables) this.shadow.set(name, tf.tidy(() => tf.variable(w.clone(), false)));
  }

  update(): void {
    tf.tidy(() => {
      for (const [name, s] of this.shadow) s.assign(tf.add(tf.mul(s, this.decay), tf.mul(this.variables.get(name)!, 1 - this.decay)));
    });
  }

  getWeights(): NamedArray[] {
    return [...this.shadow].map(([name, v]) => ({ name, shape: [...v.shape], dtype: 'float32' as const, data: Float32Array.from(v.dataSync()) }));
  }

  /** Restores a saved shadow; variables it lacks keep their current shadow (the weights at start). */
  setWeights(arrays: NamedArray[]): void {
    for (const a of arrays) {
      const s = this.shadow.get(a.name);
      if (!s) continue;
      check(a.data.length === s.size, () => `EMA weight '${a.name}' has ${a.data.length} values, the variable ${s.size}`);
      tf.tidy(() => s.assign(tf.tensor(Float32Array.from(a.data), s.shape)));
    }
  }

  dispose(): void {
    for (const v of this.shadow.values()) v.dispose();
    this.shadow.clear();
  }
}

/** The model's weights with the EMA shadow in place of the trained values it covers. */
export function withShadow(weights: NamedArray[], shadow: NamedArray[]): NamedArray[] {
  const byName = new Map(shadow.map((a) => [a.name, a]));
  return weights.map((w) => byName.get(w.name) ?? w);
}

/** Runs `fn` with the model holding the shadow weights, then puts the trained weights back. */
export async function usingShadow<T>(model: GenerativeModel, shadow: NamedArray[] | undefined, fn: () => Promise<T>): Promise<T> {
  if (!shadow || shadow.length === 0) return fn();
  const trained = model.getWeights();
  model.setWeights(withShadow(trained, shadow));
  try {
    return await fn();
  } finally {
    model.setWeights(trained);
  }
}
