/**
 * What a model can answer besides sampling, as small interfaces a model class implements, each with
 * a type guard. The CLI and evaluation ask the guards instead of special-casing model names, and
 * `genlab models` reads them off the models themselves (`capabilitiesOf`), so no list repeats them.
 *
 * The lecture's taxonomy of generative models decides which a model has:
 * - explicit, tractable density (autoregressive, flows, tabular): `DensityModel`, exact log p(x);
 * - explicit, approximate density (VAE family, diffusion): a lower bound on log p(x) made of named
 *   terms (`BoundModel`), and possibly an estimate of log p(x) (`DensityModel`, 'estimate');
 * - implicit density (GANs, autoencoders): sampling only, none of the density interfaces.
 * Independently of that: a latent space (`LatentModel`), class conditioning (`ConditionalModel`)
 * and filling in missing values (`CompletionModel`).
 */
import type { Rng } from '../core/rng.js';
import type { Batch, GenerativeModel } from './model.js';

/** What a model's `logProb` returns: exact log p(x), a lower bound on it, or a stochastic estimate. */
export type DensityKind = 'exact' | 'bound' | 'estimate';

/** A model that scores examples. */
export interface DensityModel {
  readonly densityKind: DensityKind;
  /** Per-example log p(x) in nats (exact, a bound or an estimate: see `densityKind`). */
  logProb(batch: Batch, rng: Rng): Promise<Float64Array>;
}

/**
 * How a named term enters its bound: bound = sum of the 'logLikelihood' terms - sum of the
 * 'divergence' terms. A log-likelihood term is a density of x (it moves with the units of x, e.g. by
 * D log 256 under dequantization); a divergence (a KL) does not.
 */
export type BoundTermKind = 'logLikelihood' | 'divergence';

/** A bound on log p(x) per example and its named terms per example, nats. */
export interface BoundTerms {
  bound: Float64Array;
  /** In the order of the model's `termKinds`. */
  terms: Record<string, Float64Array>;
}

/**
 * A model with a variational lower bound on log p(x) made of named terms: the VAE family's ELBO,
 * reconstruction - kl (Kingma & Welling 2014, Eq. 10); a diffusion model's L_vlb has one term per
 * step (Ho et al. 2020, Eq. 5). The CLI reports the bound as "elbo", beside its terms.
 */
export interface BoundModel {
  /** The names of the terms of `bound`, in reporting order, and how each enters it. */
  readonly termKinds: Readonly<Record<string, BoundTermKind>>;
  bound(batch: Batch, rng: Rng): Promise<BoundTerms>;
}

/** A model with a latent code z: an encoder to it and a decoder from it. */
export interface LatentModel {
  /** Size of the code. */
  readonly latentSize: number;
  /** Codes (the posterior means for a VAE), [n * latentSize]. */
  encode(batch: Batch, rng: Rng): Promise<Float32Array>;
  /** Decoded means for codes [n * latentSize], in data units (labels for a conditional model). */
  decode(z: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array>;
}

/**
 * A model of p(x | y) for a class label y in 0..numClasses-1: every batch it scores or trains on
 * needs `labels`, and `sample` draws the classes in `options.labels`.
 */
export interface ConditionalModel {
  readonly numClasses: number;
}

/** A model that fills in missing values given the observed rest. */
export interface CompletionModel {
  /**
   * The entries of x where `missing` is 1, drawn from the model given the observed rest.
   * Returns [n * D] with observed values unchanged.
   */
  complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array>;
}

/**
 * An implicit model trained as a two-player game (the adversarial family): a generator x = G(z)
 * from a latent z ~ N(0, I), and a discriminator (or critic) D(x). The 2-D GAN lab draws D as a
 * heat map and G's mapping of a grid of z.
 */
export interface AdversarialModel {
  /** Size of the generator's noise z (the codes of an InfoGAN excluded). */
  readonly latentSize: number;
  /** What `discriminate` returns: the probability that x is real, or an unbounded critic value. */
  readonly discriminatorOutput: 'probability' | 'critic';
  /** D(x) for points [n * D] (labels for a conditional model), [n]. */
  discriminate(x: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array>;
  /** G(z) for z [n * latentSize] (labels for a conditional model), [n * D] in data units. */
  generate(z: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array>;
}

/** One of an InfoGAN's structured codes c (Chen et al. 2016): a k-way categorical or a continuous U(-1, 1). */
export interface LatentCode {
  name: string;
  kind: 'categorical' | 'continuous';
  /** Categories of a categorical code; 1 for a continuous one. */
  size: number;
}

/** A model whose samples are controlled by named codes that `genlab traverse` varies one at a time. */
export interface CodeModel {
  readonly codes: readonly LatentCode[];
  /**
   * `rows` samples per value of code `code` over `values` (the categories of a categorical code,
   * evenly spaced values in [-range, range] of a continuous one), the other codes and z fixed per
   * row: [rows * values * D], row-major (row r, value v).
   */
  traverseCode(code: string, rows: number, values: number, rng: Rng, range?: number): Promise<Float32Array>;
  /**
   * Samples for chosen codes: noise z [n * latentSize] and one value per code and sample, values
   * [n * codes.length] in the order of `codes` (a categorical code's category index, a continuous
   * code's value), [n * D] in data units. The studio's code sliders call it.
   */
  generateWithCodes(z: Float32Array, values: Float32Array, n: number): Promise<Float32Array>;
}

/**
 * A model that samples by a chain of denoising steps (diffusion): `sample` takes `steps` (DDIM over
 * that many timesteps), `eta` and, when conditional, `guidance` (SampleOptions).
 */
export interface StepSamplingModel {
  /** The number of diffusion steps T the model was trained with (the most `steps` can be). */
  readonly timesteps: number;
}

export function hasDensity<M extends GenerativeModel>(model: M): model is M & DensityModel {
  const m = model as Partial<DensityModel>;
  return typeof m.logProb === 'function' && typeof m.densityKind === 'string';
}

export function hasBound<M extends GenerativeModel>(model: M): model is M & BoundModel {
  const m = model as Partial<BoundModel>;
  return typeof m.bound === 'function' && typeof m.termKinds === 'object';
}

export function isLatent<M extends GenerativeModel>(model: M): model is M & LatentModel {
  const m = model as Partial<LatentModel>;
  return typeof m.encode === 'function' && typeof m.decode === 'function' && Number.isInteger(m.latentSize);
}

export function isConditional<M extends GenerativeModel>(model: M): model is M & ConditionalModel {
  return Number.isInteger((model as Partial<ConditionalModel>).numClasses);
}

export function canComplete<M extends GenerativeModel>(model: M): model is M & CompletionModel {
  return typeof (model as Partial<CompletionModel>).complete === 'function';
}

export function isAdversarial<M extends GenerativeModel>(model: M): model is M & AdversarialModel {
  const m = model as Partial<AdversarialModel>;
  return typeof m.discriminate === 'function' && typeof m.generate === 'function' && Number.isInteger(m.latentSize);
}

export function hasCodes<M extends GenerativeModel>(model: M): model is M & CodeModel {
  const m = model as Partial<CodeModel>;
  return Array.isArray(m.codes) && typeof m.traverseCode === 'function' && typeof m.generateWithCodes === 'function';
}

export function samplesInSteps<M extends GenerativeModel>(model: M): model is M & StepSamplingModel {
  return Number.isInteger((model as Partial<StepSamplingModel>).timesteps);
}

/** The guards' answers as one record, for display (`genlab models`). */
export interface Capabilities {
  /** `densityKind`, or 'implicit' for a model without a density. */
  density: DensityKind | 'implicit';
  latent: boolean;
  conditional: boolean;
  completion: boolean;
}

export function capabilitiesOf(model: GenerativeModel): Capabilities {
  return {
    density: hasDensity(model) ? model.densityKind : 'implicit',
    latent: isLatent(model),
    conditional: isConditional(model),
    completion: canComplete(model),
  };
}
