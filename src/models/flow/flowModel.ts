/**
 * What every normalizing flow shares: a chain of bijectors f = f_K o ... o f_1 (./layers.ts) from
 * data x to a latent z of the same size with a fixed base density p_Z, and the change of variables
 * (Dinh, Krueger & Bengio 2015, Eq. 1; Rezende & Mohamed 2015, Eq. 1):
 *
 *   log p(x) = log p_Z(f(x)) + sum_k log |det df_k / dh_{k-1}|.
 *
 * So a flow has an exact density (one pass), exact codes z = f(x) and decodes x = f^-1(z); sampling
 * is z ~ p_Z then the inverse. The model files (nice.ts, realnvp.ts, maf.ts) say only which layers.
 *
 * 8-bit data ('continuous' levels k / 255) are dequantized as everywhere in genlab
 * (src/data/dequantize.ts, Theis et al. 2016 Sec. 3.1): training sees y = x + u / 256, u ~ U(0, 1),
 * and `genlab eval` scores one seeded draw of y minus D log 256, a bound on -log P(x) of the 8-bit
 * data; bits/dim = that / (D ln 2), the figure of the flow papers. `logProb` itself is the density at
 * the given points, with no noise and no shift (as RNADE's); the loss also logs the training batch's
 * bits/dim with the D log 256 counted. Samples and decodes go back to the 256 levels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { dequantize, LEVELS, quantize } from '../../data/dequantize.js';
import { perExampleInChunks } from '../../nn/chunks.js';
import { NeuralModel } from '../neuralModel.js';
import type { DensityModel, LatentModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, NamedArray, SampleOptions, TrainContext } from '../model.js';
import type { OptionSpec } from '../options.js';
import { forwardChain, initializeChain, inverseChain, type FlowLayer } from './layers.js';

/** The base density p_Z: a standard Gaussian, or NICE's standard logistic (Sec. 3.4), per dimension. */
export type FlowPrior = 'gaussian' | 'logistic';

/** Options every flow has: how the data reach the chain, and the seed. */
export interface FlowDataConfig {
  /** Train on x + u / 256, u ~ U(0, 1): for [0, 1] data with 256 levels (8-bit intensities). */
  dequantize: boolean;
  /** Map [0, 1] data to the real line first (RealNVP Sec. 4.1, alpha 0.05), its Jacobian counted. */
  logit: boolean;
  /** Seed of the initial weights (and of MADE's degrees). */
  seed: number;
}

/** The declarations of FlowDataConfig's options, shared by the flow models' option tables. */
export const FLOW_DATA_OPTIONS: { readonly [K in keyof FlowDataConfig]: OptionSpec } = {
  dequantize: {
    type: 'boolean',
    default: false,
    help: 'train on x + u / 256, u ~ U(0, 1), for [0, 1] data with 256 levels; off for real-valued data',
    fromData: 'on for [0, 1] intensities, off for real values',
  },
  logit: {
    type: 'boolean',
    default: false,
    help: 'map [0, 1] data through logit(0.05 + 0.9 x) first (RealNVP Sec. 4.1), its Jacobian counted',
    fromData: 'on for [0, 1] intensities, off for real values',
  },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
};

const LOG_2PI = Math.log(2 * Math.PI);

/** Largest activation tensor built for scoring (2^24 floats = 64 MiB). */
const MAX_ACTIVATIONS = 2 ** 24;

export abstract class FlowModel<Config extends FlowDataConfig> extends NeuralModel<Config> implements GenerativeModel, DensityModel, LatentModel {
  abstract readonly name: string;
  readonly densityKind = 'exact';
  /** D: a flow's code has the size of the data. */
  readonly latentSize: number;
  protected readonly D: number;
  /** The chain, data side first; set by the model's constructor. */
  protected layers: FlowLayer[] = [];
  protected prior: FlowPrior = 'gaussian';
  /** Widest hidden layer, to size scoring chunks. */
  protected widest = 1;

  constructor(
    config: Config,
    readonly inputShape: number[],
  ) {
    super(config);
    const { dequantize, logit } = this.config;
    check(typeof dequantize === 'boolean' && typeof logit === 'boolean', () => `flow: dequantize and logit must be true or false, got ${dequantize}, ${logit}`);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    this.latentSize = this.D;
    check(this.D >= 2, 'a flow needs at least 2 dimensions (a coupling changes half of them given the other half)');
  }

  /** log p_Z(z) per example, [B]. */
  private logPrior(z: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      if (this.prior === 'logistic') return tf.neg(tf.sum(tf.add(tf.softplus(z), tf.softplus(tf.neg(z))), 1)) as tf.Tensor1D;
      return tf.mul(tf.sum(tf.add(tf.square(z), LOG_2PI), 1), -0.5) as tf.Tensor1D;
    });
  }

  /** The change of variables' two terms per example: log p_Z(f(x)) and sum log |det J|, [B] each. */
  terms(x: tf.Tensor2D): { logPrior: tf.Tensor1D; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const { y, logDet } = forwardChain(this.layers, x);
      return { logPrior: this.logPrior(y), logDet };
    });
  }

  /** Data-dependent initialisation (ActNorm) on the first batch trained on: each such layer sees its own inputs. */
  private initializeIfNeeded(x: tf.Tensor2D): void {
    if (this.layers.some((l) => l.needsInit?.())) initializeChain(this.layers, x).dispose();
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    const values = this.config.dequantize ? dequantize(batch.x, ctx.rng) : batch.x;
    const x = tf.tensor2d(values, [batch.n, this.D]);
    this.initializeIfNeeded(x);
    const { logPrior, logDet } = this.terms(x);
    const loss = tf.neg(tf.mean(tf.add(logPrior, logDet))) as tf.Scalar;
    const out: LossTerms = { loss, logPrior: tf.mean(logPrior) as tf.Scalar, logDet: tf.mean(logDet) as tf.Scalar };
    // -log P of the 8-bit batch (bounded through the D log 256 of the dequantization), in bits per dimension.
    if (this.config.dequantize) out.bitsPerDim = tf.div(tf.add(loss, this.D * Math.log(LEVELS)), this.D * Math.LN2) as tf.Scalar;
    return out;
  }

  /** Exact log p(x) in nats at the given points (no dequantization noise, no D log 256). */
  async logProb(batch: Batch): Promise<Float64Array> {
    const chunk = Math.max(1, Math.floor(MAX_ACTIVATIONS / (4 * Math.max(this.D, this.widest))));
    return perExampleInChunks(batch.x, batch.n, this.D, chunk, (x) => {
      const { logPrior, logDet } = this.terms(x);
      return tf.add(logPrior, logDet) as tf.Tensor1D;
    });
  }

  /**
   * z ~ p_Z, [n * D], from the Rng (standard normals, or logistic draws log u - log(1 - u)), times
   * the temperature T: Glow's reduced-temperature sampling (Kingma & Dhariwal 2018, Sec. 5) draws
   * from p_Z with its scale multiplied by T < 1, trading variety for cleaner samples.
   */
  private drawPrior(n: number, rng: Rng, temperature: number): Float32Array {
    const z = new Float32Array(n * this.D);
    for (let i = 0; i < z.length; i++) {
      if (this.prior === 'gaussian') z[i] = temperature * rng.normal();
      else {
        const u = Math.min(Math.max(rng.uniform(), 1e-7), 1 - 1e-7);
        z[i] = temperature * (Math.log(u) - Math.log1p(-u));
      }
    }
    return z;
  }

  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    const T = options.temperature ?? 1;
    check(Number.isFinite(T) && T >= 0, () => `${this.name}: temperature must be a number >= 0, got ${T}`);
    return this.decode(this.drawPrior(n, rng, T), n);
  }

  /**
   * z = f(x), [n * latentSize]. 8-bit levels are encoded at the centre of their dequantization
   * interval, x + 1/512, so decode(encode(x)) returns the same levels however small the inverse's
   * rounding.
   */
  async encode(batch: Batch): Promise<Float32Array> {
    const values = this.config.dequantize ? batch.x.map((v) => v + 0.5 / LEVELS) : batch.x;
    const z = tf.tidy(() => forwardChain(this.layers, tf.tensor2d(values, [batch.n, this.D])).y);
    const out = (await z.data()) as Float32Array;
    z.dispose();
    return out;
  }

  /** x = f^-1(z) in data units: levels k / 255 for dequantized data. */
  async decode(z: Float32Array, n: number): Promise<Float32Array> {
    const x = tf.tidy(() => inverseChain(this.layers, tf.tensor2d(z, [n, this.D])));
    const out = Float32Array.from((await x.data()) as Float32Array);
    x.dispose();
    if (this.config.dequantize) for (let i = 0; i < out.length; i++) out[i] = quantize(out[i]);
    return out;
  }

  override setWeights(weights: NamedArray[]): void {
    super.setWeights(weights);
    for (const layer of this.layers) layer.reset?.();
  }

  override dispose(): void {
    super.dispose();
    for (const layer of this.layers) layer.dispose?.();
  }
}

/** A list of layer sizes as given: one layer may be a plain number (--hidden 500). */
export function hiddenSizes(model: string, hidden: number[] | number): number[] {
  const sizes = typeof hidden === 'number' ? [hidden] : hidden;
  check(Array.isArray(sizes) && sizes.every((h) => Number.isInteger(h) && h >= 1), () => `${model}: hidden must be a list of layer sizes >= 1, got ${JSON.stringify(hidden)}`);
  return sizes;
}
