/**
 * The one interface every genlab model implements, whatever its family.
 *
 * Every model samples; what else it can answer (a density, a bound with named terms, a latent
 * space, class conditioning, completion) is a small interface of ./capabilities.ts that its class
 * implements, and the CLI and evaluation ask that file's type guards.
 */
import type { Scalar, Variable } from '@tensorflow/tfjs-core';
import type { OptimizerSettings } from '../train/optimizers.js';
import type { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';

export type ModelFamily = 'tabular' | 'autoregressive' | 'latent' | 'adversarial' | 'flow' | 'diffusion' | 'composite';

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

/** What a loss function returns, as scalars inside a tidy: `loss` is minimised, the rest are logged. */
export type LossTerms = { loss: Scalar } & Record<string, Scalar>;

/** What a training step may read: the run's position and its randomness. */
export interface TrainContext {
  /** Randomness for this step (noise, masks, orderings); dynamic binarization is already applied. */
  rng: Rng;
  /** Global step count, from 0. */
  step: number;
  epoch: number;
}

/** What a multi-phase step (`trainStep`) may also do: update a parameter group, draw more data. */
export interface StepContext extends TrainContext {
  /**
   * One update of `group`'s variables by its own optimizer: the trainer takes the gradient of
   * `lossFn().loss`, clips it, steps the optimizer, and returns every term (and `gradNorm`, the
   * gradient's global norm before clipping) as numbers.
   */
  update(group: string, lossFn: () => LossTerms): Promise<StepMetrics>;
  /** A fresh minibatch from the same shuffled stream (Goodfellow et al. 2014, Algorithm 1's k steps). */
  nextBatch(): Batch;
}

/**
 * Variables updated together by one optimizer. Groups may share variables (an adversarial
 * autoencoder's encoder is updated by its reconstruction and by its generator phase), each group
 * keeping its own optimizer state.
 */
export interface ParameterGroup {
  /** The variables, by checkpoint name. */
  variables: ReadonlyMap<string, Variable>;
  /** The group's step size as a multiple of the run's (default 1). */
  learningRateScale?: number;
  /** Optimizer settings that differ from the run's for this group (e.g. a GAN's beta1 0.5). */
  optimizer?: Partial<Omit<OptimizerSettings, 'learningRate'>>;
  /**
   * After each update, clip every variable of the group to [-clipValue, clipValue]: the weight
   * clipping that keeps a WGAN critic K-Lipschitz (Arjovsky et al. 2017, Algorithm 1, line 7).
   */
  clipValue?: number;
}

export interface SampleOptions {
  /** Class labels for conditional models, one per sample. */
  labels?: Int32Array;
  /** Softmax / Bernoulli temperature where the model supports it. */
  temperature?: number;
  /**
   * Latent-variable models: 'mean' returns the decoder's means E[x|z] (Bernoulli: probabilities),
   * 'sample' a draw x ~ p(x|z); default: the model's `sampleMode` option. Other models always draw.
   */
  mode?: 'mean' | 'sample';
  /**
   * Adversarial models: the truncation trick (Brock et al. 2019, "Large Scale GAN Training",
   * Sec. 3.1): entries of z ~ N(0, I) with |z| > truncation are drawn again, trading variety for
   * fidelity. Absent: no truncation.
   */
  truncation?: number;
  /**
   * Diffusion models: sample with DDIM (Song et al. 2021) over this many evenly spaced timesteps
   * instead of DDPM's ancestral chain over all T. Absent: the model's `samplerSteps` option.
   */
  steps?: number;
  /** Diffusion models, DDIM: the stochasticity eta (0: deterministic given x_T; 1: DDPM-like). Default 0. */
  eta?: number;
  /**
   * Conditional diffusion models: classifier-free guidance weight w (Ho & Salimans 2022),
   * eps = (1 + w) eps(x, y) - w eps(x, null). Absent: the conditional network alone.
   */
  guidance?: number;
}

export interface GenerativeModel {
  /** Registry name, e.g. 'markov'. */
  readonly name: string;
  /** Shape of one example this model was built for ([H, W, C] or [D]). */
  readonly inputShape: number[];

  /** Gradient-trained models: their parameter groups by name (single-objective models have one). */
  parameterGroups?(): Record<string, ParameterGroup>;
  /** Called once before the first step of the first epoch (not on resume). */
  beginTraining?(data: Dataset, rng: Rng): void;
  /**
   * Single-objective models: the minibatch loss and named terms, built inside the trainer's tidy
   * and gradient tape; the trainer does the update. Called once per step.
   */
  loss?(batch: Batch, ctx: TrainContext): LossTerms;
  /**
   * Multi-phase models (several losses, each updating its own group through `ctx.update`) and
   * counting models (no gradients): one training step on a batch.
   */
  trainStep?(batch: Batch, ctx: StepContext): Promise<StepMetrics>;
  /** n samples, [n * D] in the value range of the training data. */
  sample(n: number, rng: Rng, options?: SampleOptions): Promise<Float32Array>;

  /** Plain-JSON configuration: `registry.create(name, config, inputShape)` rebuilds the model. */
  getConfig(): Record<string, unknown>;
  getWeights(): NamedArray[];
  setWeights(weights: NamedArray[]): void;
  /** Frees tensors the model holds. */
  dispose(): void;
}
