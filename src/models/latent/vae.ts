/**
 * Variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes", ICLR;
 * arXiv:1312.6114). A latent z ~ p(z) = N(0, I) and a decoder p(x|z) (Bernoulli, Gaussian or
 * discretized logistic: see ../../distributions/decoders.ts), trained with an encoder q(z|x) = N(mu(x), diag sigma^2(x))
 * that outputs mu and log sigma^2, on the evidence lower bound
 *
 *   log p(x) >= L(x) = -KL(q(z|x) || p(z)) + E_q[log p(x|z)]                         (Eq. 3)
 *
 * with the reparameterisation z = mu + sigma * eps, eps ~ N(0, I) (Eqs. 4, 10), one sample of
 * z per example (L = 1 in Eq. 7) and the KL in closed form (Eq. 10 and Appendix B):
 *
 *   -KL = 1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).
 *
 * `beta` weights the KL in the training loss (1: the ELBO; beta > 1: see ./betavae.ts). `bound` reports
 * the ELBO per example with its two named terms, reconstruction = log p(x|z) for one draw of z and the
 * analytic kl, so that elbo = reconstruction - kl (`ELBO_TERMS`).
 *
 * Likelihood. `logProb` is the importance-sampled estimate of Burda, Grosse & Salakhutdinov 2016
 * (Eq. 8 at evaluation, their Sec. 5 protocol with k = 5000):
 *
 *   log p^(x) = log (1/k) sum_j p(x, z_j) / q(z_j|x),   z_j ~ q(z|x).
 *
 * exp(log p^(x)) is an unbiased estimate of p(x); its log is a stochastic lower bound whose mean L_k
 * increases with k towards log p(x). Cost: k decoder passes per example (the encoder runs once), in
 * chunks of at most MAX_ACTIVATIONS floats. With the default 784-500-20 MLP on wasm (two CPU cores)
 * that is ~0.16 s per MNIST example at k = 5000, ~27 minutes for the 10,000 test images (a training
 * step at batch 100 takes ~35 ms); the default conv net costs ~6x more per step, ~9x per estimate. Use a smaller `evalSamples` for quick looks.
 *
 * Deviations from the paper: ReLU hidden units (the paper uses tanh), Adam from the trainer instead of
 * Adagrad, and no weight decay (the paper's MAP prior on the parameters).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check, UserError } from '../../core/errors.js';
import { standardNormals, type Rng } from '../../core/rng.js';
import { tensorValues } from '../../nn/chunks.js';
import { dequantize } from '../../data/dequantize.js';
import type { BoundModel, BoundTerms, DensityModel, LatentModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, SampleOptions, TrainContext } from '../model.js';
import { NeuralModel } from '../neuralModel.js';
import { Likelihood } from '../../distributions/decoders.js';
import { Decoder, Encoder, widestActivation } from '../../nn/encoderDecoder.js';
import { oneHotLabels } from '../../nn/oneHot.js';
import { gaussianKl, LATENT_NET, logPriorRatio, MAX_ACTIVATIONS, reparameterize, validateNetConfig, type LatentNetConfig } from './common.js';
import { defaultsOf, defineOptions } from '../options.js';

export interface VaeConfig extends LatentNetConfig {
  /** Weight of the KL term in the training loss (1 = the ELBO; the reported ELBO never uses it). */
  beta: number;
  /** Importance samples k of `logProb` (5000, Burda et al.'s evaluation; cost grows linearly). */
  evalSamples: number;
}

export const VAE_OPTIONS = defineOptions<VaeConfig>({
  ...LATENT_NET,
  beta: { type: 'number', default: 1, min: 0, help: 'weight of the KL term in the training loss (1: the ELBO)' },
  evalSamples: { type: 'int', default: 5000, min: 1, help: 'importance samples k of logProb (5000: Burda et al.\'s evaluation)' },
});

export const VAE_DEFAULTS: Readonly<VaeConfig> = defaultsOf(VAE_OPTIONS);

/** The ELBO's terms (Eq. 10): elbo = reconstruction - kl. */
export const ELBO_TERMS = Object.freeze({ reconstruction: 'logLikelihood', kl: 'divergence' } as const);

/** Per-example pieces of the importance weights log w_j = log p(x|z_j) + log p(z_j) - log q(z_j|x). */
export interface ImportanceTerms {
  /** log p(x|z_j), [S, B]. */
  logLikelihood: tf.Tensor2D;
  /** log p(z_j) - log q(z_j|x), [S, B]. */
  logPriorRatio: tf.Tensor2D;
}

export class Vae extends NeuralModel<VaeConfig> implements GenerativeModel, DensityModel, BoundModel, LatentModel {
  readonly name: string;
  /** `logProb` is the importance-sampled estimate (see the header). */
  readonly densityKind = 'estimate';
  readonly termKinds = ELBO_TERMS;
  readonly latentSize: number;
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly likelihood: Likelihood;
  /** Values per example. */
  protected readonly D: number;
  /** Classes K of the one-hot label both networks take (CVAE); 0 = unconditional. */
  protected readonly labelClasses: number;
  /** Examples x samples that fit one scoring pass. */
  private readonly rowsPerPass: number;

  /**
   * `numClasses` and `name` are for the subclasses (cvae feeds labels; each has its registry name);
   * they stay out of the config, which is the subclass's to extend.
   */
  constructor(config: Partial<VaeConfig>, readonly inputShape: number[], numClasses = 0, name = 'vae') {
    super({ ...VAE_DEFAULTS, ...config });
    this.name = name;
    validateNetConfig(name, this.config, inputShape);
    const { beta, evalSamples, latent } = this.config;
    check(Number.isFinite(beta) && beta >= 0, `${name}: beta must be a number >= 0, got ${beta}`);
    check(Number.isInteger(evalSamples) && evalSamples >= 1, `${name}: evalSamples must be an integer >= 1, got ${evalSamples}`);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    this.labelClasses = numClasses;
    this.latentSize = latent;
    const spec = { ...this.config, inputShape, classes: numClasses };
    this.encoder = new Encoder(this.params, spec, ['mu', 'logVar']);
    this.decoder = new Decoder(this.params, spec);
    this.likelihood = new Likelihood(this.params, this.config.decoder, this.D, this.config.decoderStd, this.config.minStd, this.config.dequantize);
    this.rowsPerPass = Math.max(1, Math.floor(MAX_ACTIVATIONS / widestActivation(spec)));
  }

  // -------------------------------------------------------------------------------------------
  // The model as tensors (for training, and for tests that differentiate through it)

  /** q(z|x): mu and log sigma^2, [B, L] each. `y` is the one-hot label [B, K] of a CVAE, else null. */
  posterior(x: tf.Tensor2D, y: tf.Tensor2D | null): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mu, logVar] = tf.tidy(() => this.encoder.apply(this.likelihood.encoderInput(x), y));
    return { mu, logVar };
  }

  /**
   * The ELBO's two terms per example with the noise given (Eq. 10 with the analytic KL):
   * reconstruction = log p(x|z), z = mu + sigma * eps, eps [B, L]; kl = KL(q(z|x) || N(0, I)). [B] each.
   */
  elboTerms(x: tf.Tensor2D, eps: tf.Tensor2D, y: tf.Tensor2D | null): { reconstruction: tf.Tensor1D; kl: tf.Tensor1D } {
    return tf.tidy(() => {
      const { mu, logVar } = this.posterior(x, y);
      const [B, L] = mu.shape;
      const z = tf.reshape(reparameterize(mu, logVar, tf.reshape(eps, [1, B, L]) as tf.Tensor3D), [B, L]) as tf.Tensor2D; // [B, L]
      const out = tf.reshape(this.decoder.apply(z, y), [1, B, this.D]) as tf.Tensor3D; // [1, B, D]
      const reconstruction = tf.reshape(this.likelihood.logProb(x, out), [B]) as tf.Tensor1D;
      return { reconstruction, kl: gaussianKl(mu, logVar) };
    });
  }

  /** log w_j split into log p(x|z_j) and log p(z_j) - log q(z_j|x) for z_j = mu + sigma * eps_j; eps [S, B, L]. */
  importanceTerms(x: tf.Tensor2D, y: tf.Tensor2D | null, mu: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor3D): ImportanceTerms {
    return tf.tidy(() => {
      const [S, B, L] = eps.shape;
      const z = reparameterize(mu, logVar, eps); // [S, B, L]
      const labels = y ? tf.tile(y, [S, 1]) : null; // [S * B, K], sample-major like z
      const out = tf.reshape(this.decoder.apply(tf.reshape(z, [S * B, L]), labels), [S, B, this.D]) as tf.Tensor3D; // [S, B, D]
      return { logLikelihood: this.likelihood.logProb(x, out), logPriorRatio: logPriorRatio(z, eps, logVar) };
    });
  }

  /** log w_j = log p(x, z_j) - log q(z_j|x), z_j = mu + sigma * eps_j: eps [S, B, L] -> [S, B]. */
  logImportanceWeights(x: tf.Tensor2D, eps: tf.Tensor3D, y: tf.Tensor2D | null): tf.Tensor2D {
    return tf.tidy(() => {
      const { mu, logVar } = this.posterior(x, y);
      const t = this.importanceTerms(x, y, mu, logVar, eps);
      return tf.add(t.logLikelihood, t.logPriorRatio) as tf.Tensor2D;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Training

  /** z samples per example a training step draws (IWAE's k; 1 for the ELBO). */
  protected get samplesPerStep(): number {
    return 1;
  }

  /**
   * The training loss of one batch, from noise eps [samplesPerStep * B * L]: here
   * -mean(reconstruction - beta KL), with the terms for the log. Subclasses change only this.
   */
  protected objective(x: tf.Tensor2D, y: tf.Tensor2D | null, eps: Float32Array, _step: number): LossTerms {
    const { reconstruction, kl } = this.elboTerms(x, tf.tensor2d(eps, [x.shape[0], this.latentSize]), y);
    const rec = tf.mean(reconstruction) as tf.Scalar;
    const klMean = tf.mean(kl) as tf.Scalar;
    return { loss: tf.neg(tf.sub(rec, tf.mul(klMean, this.config.beta))) as tf.Scalar, reconstruction: rec, kl: klMean };
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    this.checkBatch(batch);
    // 1. Dequantization noise (Gaussian decoder on intensities), then eps ~ N(0, I), both from the step's Rng.
    const values = this.config.dequantize ? dequantize(batch.x, ctx.rng) : batch.x;
    const eps = standardNormals(ctx.rng, this.samplesPerStep * batch.n * this.latentSize);
    // 2. The loss (Eq. 7 with L = 1, averaged over the minibatch); the trainer takes the step.
    return this.objective(tf.tensor2d(values, [batch.n, this.D]), this.conditioning(batch.labels, batch.n), eps, ctx.step);
  }

  // -------------------------------------------------------------------------------------------
  // Evaluation

  /** Per-example ELBO (beta = 1) with one sample of z and its terms (`ELBO_TERMS`), nats. */
  async bound(batch: Batch, rng: Rng): Promise<BoundTerms> {
    this.checkBatch(batch);
    const reconstruction = new Float64Array(batch.n);
    const kl = new Float64Array(batch.n);
    const elbo = new Float64Array(batch.n);
    const chunk = this.rowsPerPass;
    for (let start = 0; start < batch.n; start += chunk) {
      const n = Math.min(chunk, batch.n - start);
      const eps = standardNormals(rng, n * this.latentSize);
      const terms = tf.tidy(() => {
        const x = tf.tensor2d(batch.x.subarray(start * this.D, (start + n) * this.D), [n, this.D]);
        const t = this.elboTerms(x, tf.tensor2d(eps, [n, this.latentSize]), this.conditioning(batch.labels?.subarray(start, start + n), n));
        return tf.stack([t.reconstruction, t.kl]); // [2, n]
      });
      const v = await terms.data();
      terms.dispose();
      for (let i = 0; i < n; i++) {
        reconstruction[start + i] = v[i];
        kl[start + i] = v[n + i];
        elbo[start + i] = v[i] - v[n + i];
      }
    }
    return { bound: elbo, terms: { reconstruction, kl } };
  }

  /** The importance-sampled estimate of log p(x) with k = `evalSamples` (see the header). */
  async logProb(batch: Batch, rng: Rng): Promise<Float64Array> {
    return this.logMarginal(batch, rng, this.config.evalSamples);
  }

  /**
   * log (1/k) sum_j p(x, z_j) / q(z_j|x), z_j ~ q(z|x), per example: the log of an unbiased
   * estimate of p(x) (Burda et al. 2016, Eq. 8 for one draw). k = 1 is a one-sample ELBO with the
   * KL estimated too. Examples and samples are processed in chunks of at most MAX_ACTIVATIONS floats.
   */
  async logMarginal(batch: Batch, rng: Rng, k: number): Promise<Float64Array> {
    check(Number.isInteger(k) && k >= 1, `${this.name}: the number of importance samples must be an integer >= 1, got ${k}`);
    this.checkBatch(batch);
    const L = this.latentSize;
    const out = new Float64Array(batch.n);
    const block = Math.min(batch.n, this.rowsPerPass);
    for (let start = 0; start < batch.n; start += block) {
      const b = Math.min(block, batch.n - start);
      // 1. Encode the block once.
      const x = tf.tensor2d(batch.x.subarray(start * this.D, (start + b) * this.D), [b, this.D]);
      const y = this.conditioning(batch.labels?.subarray(start, start + b), b);
      const { mu, logVar } = this.posterior(x, y);
      // 2. Running log-sum-exp of log w_j over chunks of samples, in float64.
      const acc = new Float64Array(b).fill(-Infinity);
      const S = Math.max(1, Math.floor(this.rowsPerPass / b));
      for (let s0 = 0; s0 < k; s0 += S) {
        const s = Math.min(S, k - s0);
        const eps = standardNormals(rng, s * b * L);
        const lse = tf.tidy(() => {
          const t = this.importanceTerms(x, y, mu, logVar, tf.tensor3d(eps, [s, b, L]));
          return tf.logSumExp(tf.add(t.logLikelihood, t.logPriorRatio), 0); // [b]
        });
        const v = await lse.data();
        lse.dispose();
        for (let i = 0; i < b; i++) {
          const m = Math.max(acc[i], v[i]);
          acc[i] = m + Math.log(Math.exp(acc[i] - m) + Math.exp(v[i] - m));
        }
      }
      tf.dispose([x, mu, logVar]);
      if (y) y.dispose();
      for (let i = 0; i < b; i++) out[start + i] = acc[i] - Math.log(k);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Latent space and sampling

  /** Posterior means mu(x), [n * latentSize]. */
  async encode(batch: Batch): Promise<Float32Array> {
    this.checkBatch(batch);
    return tensorValues(() => this.posterior(tf.tensor2d(batch.x, [batch.n, this.D]), this.conditioning(batch.labels, batch.n)).mu);
  }

  /** Decoder means E[x|z] in data units (Bernoulli: probabilities), [n * D]; labels for a CVAE. */
  async decode(z: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array> {
    check(z.length === n * this.latentSize, () => `${this.name}: expected ${n} x ${this.latentSize} latent values, got ${z.length}`);
    return tensorValues(() => this.likelihood.mean(this.decoder.apply(tf.tensor2d(z, [n, this.latentSize]), this.conditioning(labels, n))));
  }

  /**
   * z ~ N(0, T^2 I) (T = options.temperature, default 1), then the decoder's mean ('mean':
   * Bernoulli probabilities, grey images) or a draw from p(x|z) ('sample'): options.mode, else the
   * config's sampleMode.
   */
  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    const T = options.temperature ?? 1;
    check(Number.isFinite(T) && T >= 0, `${this.name}: temperature must be a number >= 0, got ${T}`);
    const z = standardNormals(rng, n * this.latentSize);
    if (T !== 1) for (let i = 0; i < z.length; i++) z[i] *= T;
    const labels = this.sampleLabels(n, options.labels);
    if ((options.mode ?? this.config.sampleMode) === 'mean') return this.decode(z, n, labels);
    const out = tf.tidy(() => this.decoder.apply(tf.tensor2d(z, [n, this.latentSize]), this.conditioning(labels, n)));
    const values = Float32Array.from(await out.data());
    out.dispose();
    return this.likelihood.sample(values, rng);
  }

  // -------------------------------------------------------------------------------------------
  // Conditioning (used by the CVAE; an unconditional model ignores labels)

  /** The labels of a batch as one-hot [n, K] for a conditional model, else null. */
  protected conditioning(labels: Int32Array | undefined, n: number): tf.Tensor2D | null {
    if (this.labelClasses === 0) return null;
    if (!labels) throw new UserError(`${this.name} is conditional: it needs class labels (the data set has none)`);
    check(labels.length === n, () => `${this.name}: ${labels.length} labels for ${n} examples`);
    for (const c of labels) {
      if (!(Number.isInteger(c) && c >= 0 && c < this.labelClasses)) throw new UserError(`${this.name}: label ${c} is outside 0..${this.labelClasses - 1} (numClasses = ${this.labelClasses})`);
    }
    return oneHotLabels(labels, this.labelClasses);
  }

  /** Labels for `sample`: as given, or undefined for an unconditional model (the CVAE overrides). */
  protected sampleLabels(n: number, labels: Int32Array | undefined): Int32Array | undefined {
    return labels;
  }

  protected checkBatch(batch: Batch): void {
    check(batch.x.length === batch.n * this.D, () => `${this.name}: expected ${batch.n} x ${this.D} values, got ${batch.x.length}`);
    this.likelihood.checkData(this.name, batch.x);
  }

  /** The trainable variables in checkpoint order (the names of getWeights()), e.g. for gradient checks. */
  get variables(): tf.Variable[] {
    return this.params.list();
  }
}
