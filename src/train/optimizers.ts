/**
 * The optimizers the trainer runs, one per parameter group, written here rather than taken from
 * tfjs so that (a) their state is keyed by variable name, not by position, and a checkpoint never
 * pairs moments with the wrong weights when a model gains a variable, (b) the step size is a plain
 * public field a schedule may set, and (c) the update rules are the textbook ones, testable by hand:
 *
 *   SGD with momentum mu (Polyak 1964; Nesterov 1983 as in Sutskever et al. 2013, Eq. 3-4 in
 *   PyTorch's form): b <- mu b + g; w <- w - lr (nesterov ? g + mu b : b)
 *   RMSProp (Tieleman & Hinton 2012, lecture 6.5): v <- rho v + (1 - rho) g^2; w <- w - lr g / (sqrt(v) + eps)
 *   Adam (Kingma & Ba 2015, Algorithm 1): m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
 *   w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *
 * Global-norm clipping (Pascanu et al. 2013, Algorithm 1) scales a group's gradients by
 * maxNorm / ||g|| when their joint norm exceeds maxNorm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import { fusedAdam } from '../core/kernels/adam.js';
import type { NamedArray } from '../models/model.js';

export type OptimizerKind = 'adam' | 'sgd' | 'rmsprop';
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['adam', 'sgd', 'rmsprop'];

export interface OptimizerSettings {
  kind: OptimizerKind;
  /** Step size before any schedule. */
  learningRate: number;
  /** Adam: decay of the first-moment estimate (0.9; the DCGAN family uses 0.5, WGAN-GP 0). */
  beta1: number;
  /** Adam: decay of the second-moment estimate (0.999; WGAN-GP uses 0.9). */
  beta2: number;
  /** RMSProp: decay of the squared-gradient average (0.99, PyTorch's). */
  rho: number;
  /** SGD and RMSProp: momentum (0: none; Goodfellow et al. 2014 used momentum for Algorithm 1). */
  momentum: number;
  /** SGD: Nesterov's look-ahead form of momentum. */
  nesterov: boolean;
  /** Adam and RMSProp: added to the root of the second moment (1e-8, as Kingma & Ba). */
  epsilon: number;
}

export const OPTIMIZER_DEFAULTS: Readonly<OptimizerSettings> = Object.freeze({
  kind: 'adam',
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  rho: 0.99,
  momentum: 0,
  nesterov: false,
  epsilon: 1e-8,
});

export function optimizerSettings(...layers: (Partial<OptimizerSettings> | undefined)[]): OptimizerSettings {
  const s: OptimizerSettings = Object.assign({}, OPTIMIZER_DEFAULTS, ...layers.filter(Boolean));
  check(OPTIMIZER_KINDS.includes(s.kind), () => `optimizer must be one of ${OPTIMIZER_KINDS.join(', ')}, got '${s.kind}'`);
  check(Number.isFinite(s.learningRate) && s.learningRate >= 0, () => `learning rate must be a number >= 0, got ${s.learningRate}`);
  for (const key of ['beta1', 'beta2', 'rho', 'momentum'] as const) {
    check(Number.isFinite(s[key]) && s[key] >= 0 && s[key] < 1, () => `${key} must be in [0, 1), got ${s[key]}`);
  }
  check(Number.isFinite(s.epsilon) && s.epsilon > 0, () => `epsilon must be > 0, got ${s.epsilon}`);
  check(!s.nesterov || (s.kind === 'sgd' && s.momentum > 0), 'nesterov needs the sgd optimizer with momentum > 0');
  return s;
}

/**
 * The slots each rule keeps per variable. (Adam runs as one SIMD kernel on wasm; a one-pass JS loop
 * over the heap had been measured no faster than the tf ops, ~11 ms over a VAE's 0.8 M weights.)
 */
function slotNames(s: OptimizerSettings): string[] {
  if (s.kind === 'adam') return ['m', 'v'];
  if (s.kind === 'rmsprop') return s.momentum > 0 ? ['v', 'momentum'] : ['v'];
  return s.momentum > 0 ? ['momentum'] : [];
}

/** One optimizer over named variables; `learningRate` is the current (scheduled) step size. */
export class Optimizer {
  learningRate: number;
  /** Updates applied so far (Adam's t). */
  iterations = 0;
  private readonly slots = new Map<string, tf.Variable>();

  constructor(readonly settings: OptimizerSettings) {
    this.learningRate = settings.learningRate;
  }

  /** Applies one update; `grads` and `variables` are keyed by the variables' checkpoint names. */
  apply(variables: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    const s = this.settings;
    const t = ++this.iterations;
    const lr = this.learningRate;
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const w = variables.get(name)!;
        switch (s.kind) {
          case 'adam': {
            const m = this.slot(name, 'm', w);
            const v = this.slot(name, 'v', w);
            // One kernel on wasm (src/core/kernels/adam.ts): the same float32 operations as below.
            const fused = fusedAdam(w, m, v, g, { beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, learningRate: lr, t });
            if (fused) {
              w.assign(fused[0]);
              m.assign(fused[1]);
              v.assign(fused[2]);
              break;
            }
            m.assign(tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1)));
            v.assign(tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2)));
            const mHat = tf.div(m, 1 - s.beta1 ** t);
            const vHat = tf.div(v, 1 - s.beta2 ** t);
            w.assign(tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), s.epsilon)), lr)));
            break;
          }
          case 'sgd': {
            let step: tf.Tensor = g;
            if (s.momentum > 0) {
              const b = this.slot(name, 'momentum', w);
              b.assign(tf.add(tf.mul(b, s.momentum), g));
              step = s.nesterov ? tf.add(g, tf.mul(b, s.momentum)) : b;
            }
            w.assign(tf.sub(w, tf.mul(step, lr)));
            break;
          }
          case 'rmsprop': {
            const v = this.slot(name, 'v', w);
            v.assign(tf.add(tf.mul(v, s.rho), tf.mul(tf.square(g), 1 - s.rho)));
            let step: tf.Tensor = tf.div(g, tf.add(tf.sqrt(v), s.epsilon));
            if (s.momentum > 0) {
              const b = this.slot(name, 'momentum', w);
              b.assign(tf.add(tf.mul(b, s.momentum), step));
              step = b;
            }
            w.assign(tf.sub(w, tf.mul(step, lr)));
            break;
          }
        }
      }
    });
  }

  /** State as named arrays: `<prefix>iterations` and `<prefix><variable>/<slot>`. */
  getState(prefix: string): NamedArray[] {
    const out: NamedArray[] = [{ name: `${prefix}iterations`, shape: [], dtype: 'float32', data: Float32Array.of(this.iterations) }];
    for (const [key, v] of this.slots) out.push({ name: prefix + key, shape: [...v.shape], dtype: 'float32', data: Float32Array.from(v.dataSync()) });
    return out;
  }

  /**
   * Restores what `getState(prefix)` saved, matched by variable name. Slots of variables the model
   * no longer has are ignored; variables the checkpoint lacks start from zero moments. Both are
   * returned so the caller can say so.
   */
  setState(prefix: string, arrays: NamedArray[], variables: ReadonlyMap<string, tf.Variable>): { unused: string[]; fresh: string[] } {
    const mine = arrays.filter((a) => a.name.startsWith(prefix));
    const unused: string[] = [];
    const restored = new Set<string>();
    for (const a of mine) {
      const key = a.name.slice(prefix.length);
      if (key === 'iterations') {
        this.iterations = a.data[0];
        continue;
      }
      const cut = key.lastIndexOf('/');
      const variable = key.slice(0, cut);
      const w = variables.get(variable);
      if (!w || !slotNames(this.settings).includes(key.slice(cut + 1))) {
        unused.push(a.name);
        continue;
      }
      check(a.data.length === w.size, () => `optimizer state '${a.name}' has ${a.data.length} values, the variable ${w.size}`);
      this.slots.get(key)?.dispose();
      this.slots.set(key, tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(a.data), w.shape), false)));
      restored.add(variable);
    }
    const fresh = mine.length === 0 ? [] : [...variables.keys()].filter((v) => !restored.has(v) && slotNames(this.settings).length > 0);
    return { unused, fresh };
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }

  private slot(variable: string, slot: string, like: tf.Variable): tf.Variable {
    const key = `${variable}/${slot}`;
    let v = this.slots.get(key);
    if (!v) {
      v = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      this.slots.set(key, v);
    }
    return v;
  }
}

/**
 * Scales `grads` in place (in the map) so their global norm is at most `maxNorm`; returns the norm
 * before clipping as a scalar tensor. `maxNorm` Infinity only measures.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): tf.Scalar {
  const norm = tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  if (Number.isFinite(maxNorm)) {
    // PyTorch's clip_grad_norm_: factor min(1, maxNorm / (norm + 1e-6)), so tiny norms are untouched.
    const factor = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    for (const [k, g] of grads) grads.set(k, tf.mul(g, factor));
  }
  return norm;
}
