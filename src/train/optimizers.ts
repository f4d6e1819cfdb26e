/**
 * The optimizers the trainer creates for a model (Adam, Kingma & Ba 2015), one per name the model
 * declares, and their state as checkpoint arrays so a resumed run continues the same moments.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GenerativeModel, NamedArray } from '../models/model.js';

export type Optimizers = Record<string, tf.Optimizer>;

export function createOptimizers(model: GenerativeModel, learningRate: number): Optimizers {
  const out: Optimizers = {};
  for (const name of model.optimizerNames ?? []) {
    const { learningRateScale = 1, beta1 = 0.9, beta2 = 0.999 } = model.optimizerSettings?.[name] ?? {};
    out[name] = tf.train.adam(learningRate * learningRateScale, beta1, beta2);
  }
  return out;
}

/** Every optimizer's state, names prefixed with the optimizer's name ('main/iter', 'main/0/m', ...). */
export async function getOptimizerState(optimizers: Optimizers): Promise<NamedArray[]> {
  const out: NamedArray[] = [];
  for (const [name, opt] of Object.entries(optimizers)) {
    for (const w of await opt.getWeights()) {
      out.push({
        name: `${name}/${w.name}`,
        shape: [...w.tensor.shape],
        dtype: 'float32',
        data: Float32Array.from(await w.tensor.data()),
      });
    }
  }
  return out;
}

export async function setOptimizerState(optimizers: Optimizers, state: NamedArray[]): Promise<void> {
  for (const [name, opt] of Object.entries(optimizers)) {
    const prefix = `${name}/`;
    const mine = state.filter((a) => a.name.startsWith(prefix));
    if (mine.length === 0) continue;
    // Adam matches its moments to variables by position, so the stored order is what matters.
    await opt.setWeights(mine.map((a) => ({ name: a.name.slice(prefix.length), tensor: tf.tensor(Float32Array.from(a.data), a.shape) })));
  }
}
