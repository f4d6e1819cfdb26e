/**
 * The one interface every genlab model implements, whatever its family.
 *
 * The lecture's taxonomy of generative models decides what a model can answer:
 * - explicit, tractable density (autoregressive, flows, tabular): exact log p(x);
 * - explicit, approximate density (VAE family): a lower bound (ELBO) or an estimate (IWAE);
 * - implicit density (GANs): sampling only.
 * The CLI and evaluation read `capabilities` instead of special-casing model names.
 */
import type { Optimizer } from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.js';
import type { Dataset, ValueKind } from '../data/dataset.js';

export type DensityKind = 'exact' | 'bound' | 'estimate' | 'implicit';

export type ModelFamily = 'tabular' | 'autoregressive' | 'latent' | 'adversarial' | 'flow' | 'diffusion';

export interface Capabilities {
  /** What `logProb` returns: exact log p(x), a lower bound, an estimate, or nothing (implicit). */
  density: DensityKind;
  /** `encode` / `decode` to and from a latent space. */
  latent: boolean;
  /** `sample` accepts class labels. */
  conditional: boolean;
  /** `complete` fills in missing values given observed ones. */
  completion: boolean;
}

/** A minibatch as plain arrays, so models that count (tabular) need no tensors. */
export interface Batch {
  /** [n * D] values, example-major, channels last. */
  x: Float32Array;
  n: number;
  labels?: Int32Array;
}

/** Scalars a training step reports; `loss` is what was minimised, the rest are named terms. */
export type StepMetrics = { loss: number } & Record<string, number>;

/** Per-example ELBO and its two terms, nats: elbo = reconstruction - kl. */
export interface ElboTerms {
  elbo: Float64Array;
  /** E_q[log p(x|z)], estimated with one sample of z. */
  reconstruction: Float64Array;
  /** KL(q(z|x) || p(z)) (analytic for Gaussian q and prior). */
  kl: Float64Array;
}

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
  readonly capabilities: Capabilities;
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
  /** Per-example log p(x) in nats (exact, a bound or an estimate: see capabilities.density). */
  logProb?(batch: Batch, rng: Rng): Promise<Float64Array>;
  /** n samples, [n * D] in the value range of the training data. */
  sample(n: number, rng: Rng, options?: SampleOptions): Promise<Float32Array>;
  /**
   * Fills in the entries of x where `missing` is 1, drawn from the model given the observed rest.
   * Returns [n * D] with observed values unchanged.
   */
  complete?(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array>;

  /**
   * Latent-variable models: the evidence lower bound per example, log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || p(z)),
   * with its two terms (nats). `logProb` then returns the importance-sampled estimate.
   */
  elbo?(batch: Batch, rng: Rng): Promise<ElboTerms>;
  /** Latent codes (the posterior means for a VAE), [n * latentSize]. */
  encode?(batch: Batch, rng: Rng): Promise<Float32Array>;
  /** Decoded means for latent codes [n * latentSize] (labels for conditional models). */
  decode?(z: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array>;
  /** Size of the latent code, for latent models. */
  readonly latentSize?: number;

  /** Plain-JSON configuration: `registry.create(name, config, inputShape)` rebuilds the model. */
  getConfig(): Record<string, unknown>;
  getWeights(): NamedArray[];
  setWeights(weights: NamedArray[]): void;
  /** Frees tensors the model holds. */
  dispose(): void;
}

/** What a registry entry says about a model before any is built (for `genlab models`). */
export interface ModelInfo {
  name: string;
  family: ModelFamily;
  capabilities: Capabilities;
  /** Value kinds of the training data the model accepts. */
  accepts: readonly ValueKind[];
  description: string;
}
