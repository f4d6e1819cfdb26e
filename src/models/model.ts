/**
 * The one interface every genlab model implements, whatever its family.
 *
 * Every model samples; what else it can answer (a density, a bound with named terms, a latent
 * space, class conditioning, completion) is a small interface of ./capabilities.ts that its class
 * implements, and the CLI and evaluation ask that file's type guards.
 */
import type { Optimizer } from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';

export type ModelFamily = 'tabular' | 'autoregressive' | 'latent' | 'adversarial' | 'flow' | 'diffusion';

/** A minibatch as plain arrays, so models that count (tabular) need no tensors. */
export interface Batch {
  /** [n * D] values, example-major, channels last. */
  x: Float32Array;
  n: number;
  labels?: Int32Array;
}

/** Scalars a training step reports; `loss` is what was minimised, the rest are named terms. */
export type StepMetrics = { loss: number } & Record<string, number>;

/** A named array in a checkpoint (written in the TF.js weights format). */
export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** One optimizer's Adam settings (Kingma & Ba 2015, Algorithm 1), relative to the run's. */
export interface OptimizerSettings {
  /** Its step size as a multiple of the run's learning rate (default 1). */
  learningRateScale?: number;
  /** Decay of the first-moment estimate (Adam's default 0.9; GAN practice often uses 0.5). */
  beta1?: number;
  /** Decay of the second-moment estimate (default 0.999). */
  beta2?: number;
}

export interface TrainContext {
  /** Randomness for this step (noise, dropout, dynamic binarization already applied). */
  rng: Rng;
  /** Global step count, from 0. */
  step: number;
  epoch: number;
  learningRate: number;
  /** One optimizer per name in `model.optimizerNames`, created and checkpointed by the trainer. */
  optimizers: Record<string, Optimizer>;
}

export interface SampleOptions {
  /** Class labels for conditional models, one per sample. */
  labels?: Int32Array;
  /** Softmax / Bernoulli temperature where the model supports it. */
  temperature?: number;
}

export interface GenerativeModel {
  /** Registry name, e.g. 'markov'. */
  readonly name: string;
  /** Shape of one example this model was built for ([H, W, C] or [D]). */
  readonly inputShape: number[];

  /** Optimizers `trainStep` needs (e.g. ['main'], or ['generator', 'discriminator']); none for counting models. */
  readonly optimizerNames?: readonly string[];
  /** Adam settings that differ from the run's (by optimizer name); the others get --lr and Adam's defaults. */
  readonly optimizerSettings?: Readonly<Record<string, OptimizerSettings>>;
  /** Called once before the first step of the first epoch (not on resume). */
  beginTraining?(data: Dataset, rng: Rng): void;
  /** One optimisation (or counting) step on a batch. */
  trainStep(batch: Batch, ctx: TrainContext): Promise<StepMetrics>;
  /** n samples, [n * D] in the value range of the training data. */
  sample(n: number, rng: Rng, options?: SampleOptions): Promise<Float32Array>;

  /** Plain-JSON configuration: `registry.create(name, config, inputShape)` rebuilds the model. */
  getConfig(): Record<string, unknown>;
  getWeights(): NamedArray[];
  setWeights(weights: NamedArray[]): void;
  /** Frees tensors the model holds. */
  dispose(): void;
}
