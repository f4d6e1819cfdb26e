/**
 * DDPM: denoising diffusion probabilistic models (Ho, Jain & Abbeel 2020, NeurIPS).
 *
 * A fixed forward process adds Gaussian noise over T steps (./schedule.ts, Eqs. 2-4); a network
 * eps_theta(x_t, t) learns to predict the noise, trained by Algorithm 1 on the simple loss
 *
 *   L_simple = E_{t ~ U{1..T}, x_0, eps ~ N(0, I)} |eps - eps_theta(sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps, t)|^2   (Eq. 14)
 *
 * (here the mean over dimensions, a constant factor), and samples by running the learned reverse
 * chain (./samplers.ts: DDPM's Algorithm 2, or DDIM's Eq. 12 on fewer steps). The network follows
 * the data: an MLP with a sinusoidal time embedding for vectors, a small U-Net for [H, W, C] images
 * (./networks.ts, ./unet.ts). 8-bit intensities (k / 255) are scaled to [-1, 1] (Sec. 3.3), the
 * predicted x_0 is clipped there while sampling, and samples return to the 256 levels.
 *
 * Optional class conditioning: a label embedding added to the time embedding, the label replaced
 * by a null class with probability pUncond during training, so one network gives eps(x, y) and
 * eps(x, null) for classifier-free guidance (Ho & Salimans 2022, Algorithm 1 and Eq. 6).
 *
 * The model's density is the variational bound (Eq. 5; ./bound.ts): with the discretized decoder a
 * lower bound on log P of the 8-bit data, which `genlab eval` reports in bits/dim with its three
 * named terms. Cost: one network pass per training example; T passes per DDPM sample, S per DDIM
 * sample; 1 + K per example for the bound (K strata of the T - 1 denoising terms).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { classesInTurn, oneHotLabels } from '../../nn/oneHot.js';
import { NeuralModel } from '../neuralModel.js';
import type { BoundModel, BoundTerms, BoundTermKind, CompletionModel, DensityModel, StepSamplingModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, SampleOptions, TrainContext } from '../model.js';
import { defaultsOf, defineOptions } from '../options.js';
import { diffusionBound } from './bound.js';
import { MlpDenoiser, type Denoiser } from './networks.js';
import { ddimSample, ddpmSample, guidedEpsilon, normalTensor, repaintSample, type EpsilonFn } from './samplers.js';
import { NoiseSchedule, type BetaSchedule } from './schedule.js';
import { Unet } from './unet.js';

export interface DdpmConfig {
  /** Beta schedule: 'linear' (Ho et al. 2020) or 'cosine' (Nichol & Dhariwal 2021). Default 'linear'. */
  schedule: BetaSchedule;
  /** Diffusion steps T. Default 1000. */
  timesteps: number;
  /** The network: 'mlp' (vectors), 'unet' ([H, W, C] images), or 'auto' (U-Net for images, MLP otherwise). Default 'auto'. */
  network: 'auto' | 'mlp' | 'unet';
  /** MLP: hidden layer sizes. Default [128, 128, 128]. */
  hidden: number[];
  /** Size of the timestep embedding (even). Default 64. */
  embedding: number;
  /** U-Net: channels at the first level. Default 32. */
  channels: number;
  /** U-Net: channels per level as multiples of `channels`; one entry per level. Default [1, 2]. */
  channelMults: number[];
  /** U-Net: groups of each group norm. Default 8. */
  normGroups: number;
  /** U-Net: a self-attention block at the lowest resolution. Default true. */
  attention: boolean;
  /** Condition on the class label (classifier-free guidance at sampling). Default false. */
  classConditional: boolean;
  /** Classes K of the label, when class-conditional. Default 10; from the data. */
  numClasses: number;
  /** Probability of training on the null class instead of the label (Ho & Salimans 2022). Default 0.1. */
  pUncond: number;
  /** The data are 8-bit intensities in [0, 1]: scaled to [-1, 1], discretized decoder, clipped x_0. From the data. */
  intensities: boolean;
  /** Strata K of the bound's T - 1 denoising terms, one timestep drawn per stratum (>= T - 1: all terms). Default 50. */
  boundStrata: number;
  /** Completion (RePaint, Lugmayr et al. 2022): reverse steps per timestep, U (1: plain replacement of the known part). Default 5. */
  resamples: number;
  /** Sampler when none is asked: 0 = DDPM ancestral over all T steps; S = DDIM with S steps (eta 0). Default 0. */
  samplerSteps: number;
  /** Seed of the initial weights. */
  seed: number;
}

export const DDPM_OPTIONS = defineOptions<DdpmConfig>({
  schedule: { type: 'choice', choices: ['linear', 'cosine'], default: 'linear', help: 'beta schedule: linear 1e-4..0.02 (Ho et al.) or cosine (Nichol & Dhariwal, s = 0.008)' },
  timesteps: { type: 'int', default: 1000, min: 2, max: 10000, help: 'diffusion steps T' },
  network: { type: 'choice', choices: ['auto', 'mlp', 'unet'], default: 'auto', help: 'denoising network: a U-Net for images, an MLP for vectors (auto), or either' },
  hidden: { type: 'int-list', default: [128, 128, 128], min: 1, help: 'MLP network: hidden layer sizes' },
  embedding: { type: 'int', default: 64, min: 2, help: 'size of the sinusoidal timestep embedding (even)' },
  channels: { type: 'int', default: 32, min: 1, help: 'U-Net: channels at the first level' },
  channelMults: { type: 'int-list', default: [1, 2], min: 1, help: 'U-Net: channels per level as multiples of --channels (one entry per level)' },
  normGroups: { type: 'int', default: 8, min: 1, help: 'U-Net: groups of each group norm' },
  attention: { type: 'boolean', default: true, help: 'U-Net: one self-attention block at the lowest resolution' },
  classConditional: { type: 'boolean', default: false, help: 'condition on the class label, for classifier-free guidance (genlab sample --label K --guidance W)' },
  numClasses: { type: 'int', default: 10, min: 2, help: 'classes K of the label', fromData: 'the classes of the labels' },
  pUncond: { type: 'number', default: 0.1, min: 0, max: 1, help: 'probability of training on the null class instead of the label (classifier-free guidance)' },
  intensities: {
    type: 'boolean',
    default: false,
    help: 'data are 8-bit [0, 1] intensities: scaled to [-1, 1], discretized Gaussian decoder, x_0 clipped while sampling',
    fromData: 'on for [0, 1] intensities, off for real values',
  },
  boundStrata: { type: 'int', default: 50, min: 1, help: "the bound's T - 1 denoising terms: one timestep drawn per stratum of K, weighted by its size (>= T - 1: every term)" },
  resamples: { type: 'int', default: 5, min: 1, max: 100, help: 'genlab complete (RePaint): reverse steps per timestep U, each but the last diffused back (1: plain replacement)' },
  samplerSteps: { type: 'int', default: 0, min: 0, help: 'sampler by default: 0 = DDPM ancestral over all T steps, S = DDIM with S steps' },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const DDPM_DEFAULTS: Readonly<DdpmConfig> = defaultsOf(DDPM_OPTIONS);

/** The terms of the bound, nats per example: bound = decoder - denoising - prior (Ho et al. 2020, Eq. 5). */
export const DIFFUSION_TERMS: Readonly<Record<'decoder' | 'denoising' | 'prior', BoundTermKind>> = Object.freeze({
  decoder: 'logLikelihood',
  denoising: 'divergence',
  prior: 'divergence',
});

/** Examples per network pass when sampling and bounding (bounded memory). */
const ROWS_PER_PASS = 256;

export class Ddpm extends NeuralModel<DdpmConfig> implements GenerativeModel, DensityModel, BoundModel, CompletionModel, StepSamplingModel {
  readonly name = 'ddpm';
  readonly densityKind = 'bound';
  readonly termKinds = DIFFUSION_TERMS;
  /** Set only when class-conditional (the `isConditional` guard reads it). */
  readonly numClasses?: number;
  readonly timesteps: number;
  readonly schedule: NoiseSchedule;
  private readonly network: Denoiser;
  private readonly D: number;

  constructor(
    config: Partial<DdpmConfig>,
    readonly inputShape: number[],
  ) {
    super({ ...DDPM_DEFAULTS, ...config });
    const c = this.config;
    check(Number.isInteger(c.timesteps) && c.timesteps >= 2, () => `ddpm: timesteps must be an integer >= 2, got ${c.timesteps}`);
    check(c.embedding % 2 === 0, () => `ddpm: embedding must be even (sines and cosines), got ${c.embedding}`);
    check(c.pUncond >= 0 && c.pUncond <= 1, () => `ddpm: pUncond must lie in [0, 1], got ${c.pUncond}`);
    check(c.samplerSteps <= c.timesteps, () => `ddpm: samplerSteps ${c.samplerSteps} exceeds timesteps ${c.timesteps}`);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    this.timesteps = c.timesteps;
    this.schedule = NoiseSchedule.create(c.schedule, c.timesteps);
    const classes = c.classConditional ? c.numClasses : 0;
    if (c.classConditional) {
      check(Number.isInteger(c.numClasses) && c.numClasses >= 2, () => `ddpm: numClasses must be an integer >= 2, got ${c.numClasses}`);
      this.numClasses = c.numClasses;
    }
    const image = inputShape.length === 3;
    const kind = c.network === 'auto' ? (image ? 'unet' : 'mlp') : c.network;
    check(kind === 'mlp' || image, () => `ddpm: the U-Net needs [H, W, C] images, got shape [${inputShape.join(', ')}]`);
    this.network =
      kind === 'unet'
        ? new Unet(this.params, inputShape, { channels: c.channels, channelMults: c.channelMults, groups: c.normGroups, attention: c.attention, embeddingDim: c.embedding, classes })
        : new MlpDenoiser(this.params, this.D, c.hidden, c.embedding, classes);
  }

  /** Data values in the model's space: 8-bit intensities to [-1, 1] (Sec. 3.3), real values as they are. */
  private toModelSpace(x: Float32Array): Float32Array {
    return this.config.intensities ? x.map((v) => 2 * v - 1) : x;
  }

  /** Samples back to data units: the nearest of the 256 levels k / 255 for intensities. */
  private toDataSpace(x: Float32Array): Float32Array {
    if (!this.config.intensities) return x;
    return x.map((v) => Math.round(Math.min(1, Math.max(0, (v + 1) / 2)) * 255) / 255);
  }

  /** The labels of a conditional model's batch (required), or undefined for an unconditional one. */
  private batchLabels(batch: Batch): Int32Array | undefined {
    if (this.numClasses === undefined) return undefined;
    check(batch.labels !== undefined && batch.labels.length === batch.n, 'ddpm: a class-conditional model needs the labels of every example');
    return batch.labels;
  }

  /** eps_theta with the network conditioned on `labels` (K = the null class), or unconditional. */
  private epsilon(labels: Int32Array | undefined): EpsilonFn {
    const K = this.numClasses;
    return (x, t) => this.network.predict(x, t, K !== undefined && labels ? oneHotLabels(labels, K + 1) : null);
  }

  // -------------------------------------------------------------------------------------------
  // Training

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    const { n } = batch;
    // 1. x_0 from the data, t ~ U{1..T} (indices 0..T-1), eps ~ N(0, I), all from the step's Rng (Algorithm 1, lines 2-4).
    const x0 = tf.tensor2d(this.toModelSpace(batch.x), [n, this.D]);
    const t = Int32Array.from({ length: n }, () => ctx.rng.int(this.timesteps));
    const eps = normalTensor(ctx.rng, n, this.D);
    // 2. The label, dropped to the null class K with probability pUncond (Ho & Salimans 2022, Algorithm 1).
    const given = this.batchLabels(batch);
    const labels = given && given.map((y) => (ctx.rng.uniform() < this.config.pUncond ? this.numClasses! : y));
    // 3. The gradient step on |eps - eps_theta(x_t, t)|^2 (line 5, Eq. 14) is the trainer's.
    const predicted = this.epsilon(labels)(this.schedule.qSample(x0, t, eps), t);
    return { loss: tf.mean(tf.square(tf.sub(eps, predicted))) as tf.Scalar };
  }

  // -------------------------------------------------------------------------------------------
  // Sampling

  /**
   * n samples: DDPM ancestral over all T steps, or DDIM with `options.steps` (else the config's
   * `samplerSteps`) and `options.eta`; conditional models draw `options.labels` (default: classes in
   * turn) with guidance weight `options.guidance`.
   */
  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    const K = this.numClasses;
    check(options.guidance === undefined || K !== undefined, 'ddpm: guidance needs a class-conditional model (classConditional)');
    check(options.guidance === undefined || (Number.isFinite(options.guidance) && options.guidance >= 0), () => `ddpm: guidance must be >= 0, got ${options.guidance}`);
    const labels = K === undefined ? undefined : (options.labels ?? classesInTurn(0, n, K));
    check(labels === undefined || (labels.length === n && labels.every((y) => Number.isInteger(y) && y >= 0 && y < K!)), () => `ddpm: sample needs ${n} labels in 0..${K! - 1}`);
    const steps = options.steps ?? (this.config.samplerSteps > 0 ? this.config.samplerSteps : undefined);
    const out = new Float32Array(n * this.D);
    for (let start = 0; start < n; start += ROWS_PER_PASS) {
      const m = Math.min(ROWS_PER_PASS, n - start);
      const rows = labels?.subarray(start, start + m);
      const conditional = this.epsilon(rows);
      // w = 0 is the conditional network alone: no second pass for the null class.
      const eps = options.guidance ? guidedEpsilon(conditional, this.epsilon(new Int32Array(m).fill(K!)), options.guidance) : conditional;
      const samplerOptions = this.config.intensities ? { clip: [-1, 1] as const } : {};
      const xT = normalTensor(rng, m, this.D);
      const x0 =
        steps === undefined && options.eta === undefined
          ? await ddpmSample(eps, this.schedule, xT, rng, samplerOptions)
          : await ddimSample(eps, this.schedule, xT, rng, steps ?? this.timesteps, options.eta ?? 0, samplerOptions);
      out.set(this.toDataSpace(x0), start * this.D);
    }
    return out;
  }

  /**
   * RePaint (Lugmayr et al. 2022, Algorithm 1; ./samplers.ts): the missing entries drawn by the DDPM
   * chain while the observed ones follow the forward process from their values, U = `resamples`
   * reverse steps per timestep. Costs T U network passes. Observed values are returned unchanged.
   */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    check(missing.length === this.D, () => `ddpm: the mask has ${missing.length} entries, the data ${this.D}`);
    const labels = this.batchLabels(batch);
    const known = missing.map((m) => (m ? 0 : 1));
    const out = Float32Array.from(batch.x);
    const x = this.toModelSpace(batch.x);
    for (let start = 0; start < batch.n; start += ROWS_PER_PASS) {
      const m = Math.min(ROWS_PER_PASS, batch.n - start);
      const x0 = tf.tensor2d(x.subarray(start * this.D, (start + m) * this.D), [m, this.D]);
      const filled = this.toDataSpace(
        await repaintSample(this.epsilon(labels?.subarray(start, start + m)), this.schedule, x0, known, normalTensor(rng, m, this.D), rng, this.config.resamples, this.config.intensities ? { clip: [-1, 1] } : {}),
      );
      x0.dispose();
      for (let i = 0; i < m * this.D; i++) if (missing[i % this.D]) out[start * this.D + i] = filled[i];
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Evaluation

  /** The variational bound (Eq. 5) per example and its terms, nats; see ./bound.ts for the estimator. */
  async bound(batch: Batch, rng: Rng): Promise<BoundTerms> {
    const labels = this.batchLabels(batch);
    const out: BoundTerms = { bound: new Float64Array(batch.n), terms: { decoder: new Float64Array(batch.n), denoising: new Float64Array(batch.n), prior: new Float64Array(batch.n) } };
    const x = this.toModelSpace(batch.x);
    for (let start = 0; start < batch.n; start += ROWS_PER_PASS) {
      const m = Math.min(ROWS_PER_PASS, batch.n - start);
      const b = await diffusionBound(
        this.epsilon(labels?.subarray(start, start + m)),
        this.schedule,
        x.subarray(start * this.D, (start + m) * this.D),
        m,
        this.D,
        rng,
        this.config.intensities ? 'discretized' : 'gaussian',
        this.config.boundStrata,
      );
      out.bound.set(b.bound, start);
      out.terms.decoder.set(b.decoder, start);
      out.terms.denoising.set(b.denoising, start);
      out.terms.prior.set(b.prior, start);
    }
    return out;
  }

  /** The bound itself: a lower bound on log p(x) (log P(x) of the 8-bit levels for intensities), estimated as in ./bound.ts. */
  async logProb(batch: Batch, rng: Rng): Promise<Float64Array> {
    return (await this.bound(batch, rng)).bound;
  }
}
