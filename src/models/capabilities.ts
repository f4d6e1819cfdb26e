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
