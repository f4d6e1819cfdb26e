/**
 * Adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey 2016, "Adversarial
 * Autoencoders", ICLR workshop; arXiv:1511.05644). An autoencoder whose aggregated posterior
 *
 *   q(z) = integral q(z|x) p_data(x) dx                                                  (Eq. 1)
 *
 * is matched to a prior p(z) by a GAN on the codes (their Fig. 1): the encoder q(z|x) is the
 * generator, and a discriminator D(z) tells codes z = q(x) from draws z ~ p(z). The prior only has
 * to be sampled, never evaluated, so it can be a mixture or a Swiss roll (./priors.ts) where a VAE's
 * KL term would need a density.
 *
 * Each training step runs the paper's two phases (Sec. 2) on the same minibatch:
 *   1. reconstruction: encoder and decoder minimise -log p(x | dec(enc(x)));
 *   2. regularization: (a) the discriminator minimises -log D(z_p) - log(1 - D(q(x))), z_p ~ p(z)
 *      (`discriminatorSteps` times, fresh z_p each time);
 *      (b) the encoder minimises -log D(q(x)) (the non-saturating generator loss of Goodfellow et
 *      al. 2014, Sec. 3, rather than the minimax log(1 - D(q(x)))).
 * Each phase updates its own parameter group with its own optimizer ('autoencoder' = encoder +
 * decoder, 'discriminator', 'generator' = the encoder; the trainer does the updates). The encoder
 * is updated by two of them, with separate moment estimates: its two losses
 * differ in scale (a sum over D pixels against one logit), and one shared Adam would normalise the
 * generator's steps by the reconstruction gradient's much larger second moment.
 *
 * q(z|x) is deterministic, the first of the three choices Sec. 2 lists: z = enc(x), so q(z) gets
 * its spread from the data distribution alone (no Gaussian posterior, no reparameterisation noise).
 *
 * Label-conditioned prior (`conditionalPrior`, Sec. 2.3): the discriminator also sees the example's
 * one-hot label, and the prior draw paired with an example of class k comes from mixture component
 * k, so each class's codes are pushed into their own component while the decoder stays
 * unconditional. To sample a chosen class, decode draws of that component:
 * `decode(samplePrior('mixture', n, 2, rng, { components, labels }), n)`. (The paper's semi-supervised variant,
 * with an extra "unlabelled" class drawn from the whole mixture, is not implemented.)
 *
 * There is no likelihood (no logProb: an implicit model); `reconstruction` is log p(x | dec(enc(x))),
 * and how close q(z) is to p(z) can be measured with the MMD of ../../eval/mmd.ts.
 *
 * Cost: three gradient steps and three encoder passes per batch. With the default 784-500-2 nets
 * and a 500-500 discriminator on wasm (two CPU cores), a step at batch 100 takes ~45-55 ms, against
 * ~20 ms for the plain autoencoder of ./ae.ts; the discriminator accounts for ~15 ms of it. Each
 * extra discriminator update adds ~12 ms (12 MNIST epochs: ~8.5 min at discriminatorSteps 3, ~5.5 at 1).
 *
 * Stabilising the game (measured on MNIST, docs/RESULTS.md): at a constant Adam rate of 1e-3 the
 * codes circle the prior rather than settle, MMD^2 to it jumping 10x between neighbouring epochs. A
 * rate that decays to zero settles it (the trainer's `--lr-decay cosine`), but over a long run the
 * reconstruction phase then wins and the codes stay a blob. With `--lr 0.0005 --lr-decay cosine`,
 * `generatorLearningRate` 3 and `discriminatorSteps` 3 (the k of Goodfellow et al. 2014,
 * Algorithm 1), 12 epochs put each digit on its own petal of the label-conditioned mixture and
 * match the Gaussian prior; the unsupervised mixture gets rays along the petals, not ten balanced
 * petals. The R1 penalty (`gradientPenalty`) and slower adversarial optimizers did not help. The
 * defaults stay at the paper's one update per phase and equal rates.
 *
 * Deviations from the paper: Adam instead of SGD with momentum, ReLU everywhere, one hidden layer
 * of 500 per network by default (the paper's MNIST nets have two of 1000), a discriminator of two
 * layers of 500, and the decoder's likelihood follows the data (../../distributions/decoders.ts) instead of a squared
 * error on intensities.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check, UserError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { Parameters } from '../../nn/parameters.js';
import { tensorValues } from '../../nn/chunks.js';
import { dequantize } from '../../data/dequantize.js';
import type { LatentModel } from '../capabilities.js';
import type { Batch, GenerativeModel, ParameterGroup, SampleOptions, StepContext, StepMetrics } from '../model.js';
import { NeuralModel } from '../neuralModel.js';
import { Likelihood } from '../../distributions/decoders.js';
import { Mlp } from '../../nn/dense.js';
import { Decoder, Encoder } from '../../nn/encoderDecoder.js';
import { oneHotLabels } from '../../nn/oneHot.js';
import { defaultsOf, defineOptions } from '../options.js';
import { LATENT_NET, validateNetConfig, type LatentNetConfig } from './common.js';
import { PLANAR_PRIORS, PRIORS, samplePrior, type PriorName } from './priors.js';

export interface AaeConfig extends LatentNetConfig {
  /** The prior p(z) the codes are matched to (./priors.ts); 'mixture' and 'swissroll' need latent = 2. */
  prior: PriorName;
  /** Components of the 'mixture' prior (10, the paper's, one per MNIST digit). */
  components: number;
  /**
   * Sec. 2.3: the discriminator sees the one-hot label beside z, and class k's codes are matched to
   * mixture component k (needs prior 'mixture', labelled data and numClasses = components).
   */
  conditionalPrior: boolean;
  /** Classes K of the labels (the CLI passes the data set's count); used by `conditionalPrior`. */
  numClasses: number;
  /** Units of the discriminator's ReLU hidden layers on z (two of 500; the paper's MNIST net has two of 1000). */
  discriminatorHidden: number[];
  /**
   * R1 penalty weight gamma (Mescheder, Geiger & Nowozin 2018, "Which Training Methods for GANs do
   * actually Converge?", Eq. 9): the discriminator's loss gains (gamma / 2) E_{z ~ p(z)} |grad_z D(z)|^2,
   * which damps the oscillation of the unregularised game around its equilibrium (their Sec. 4).
   * 0 turns it off.
   */
  gradientPenalty: number;
  /**
   * Discriminator updates per training step, each against fresh prior draws and the same codes
   * (the k of Goodfellow et al. 2014, Algorithm 1): lets D keep up with a fast-moving encoder.
   */
  discriminatorSteps: number;
  /**
   * The codes each discriminator update sees: 'same' (the step's minibatch every time) or 'fresh'
   * (update i > 1 encodes a fresh minibatch from the data stream, as Algorithm 1 draws m new
   * examples for each of its k steps).
   */
  discriminatorBatches: 'same' | 'fresh';
  /** The discriminator's Adam step size, as a multiple of the run's learning rate. */
  discriminatorLearningRate: number;
  /**
   * The generator's (the encoder's regularization-phase) Adam step size, as a multiple of the run's
   * learning rate. Above 1 it offsets the reconstruction phase, whose steady gradient otherwise
   * outweighs the noisy adversarial one over a long run.
   */
  generatorLearningRate: number;
  /** Adam's beta1 for the discriminator and generator (0.9 is Adam's default, 0.5 the DCGAN choice). */
  adversarialBeta1: number;
}

export const AAE_OPTIONS = defineOptions<AaeConfig>({
  ...LATENT_NET,
  latent: { ...LATENT_NET.latent, default: 2, help: 'size of z (2: the planar priors, and a map without PCA)' },
  prior: { type: 'choice', default: 'mixture', choices: PRIORS, help: "the prior p(z) the codes are matched to; 'mixture' and 'swissroll' need latent 2" },
  components: { type: 'int', default: 10, min: 2, help: "components of the 'mixture' prior (10: one per MNIST digit)" },
  conditionalPrior: { type: 'boolean', default: false, help: "Sec. 2.3: the label beside z; class k's codes matched to mixture component k" },
  numClasses: { type: 'int', default: 10, min: 2, help: 'classes K of the labels, for conditionalPrior', fromData: 'the classes of the labels' },
  discriminatorHidden: { type: 'int-list', default: [500, 500], min: 1, help: "units of the discriminator's ReLU hidden layers on z" },
  gradientPenalty: { type: 'number', default: 0, min: 0, help: "R1 penalty weight gamma on the discriminator (Mescheder et al. 2018); 0: off" },
  discriminatorSteps: { type: 'int', default: 1, min: 1, help: 'discriminator updates per training step (the k of Goodfellow et al. 2014)' },
  discriminatorBatches: { type: 'choice', default: 'same', choices: ['same', 'fresh'], help: "codes for discriminator updates after the first: the step's minibatch, or a fresh one (Algorithm 1)" },
  discriminatorLearningRate: { type: 'number', default: 1, min: 0, help: "the discriminator's Adam step size, times the run's learning rate (> 0)" },
  generatorLearningRate: { type: 'number', default: 1, min: 0, help: "the generator's Adam step size, times the run's learning rate (> 0)" },
  adversarialBeta1: { type: 'number', default: 0.9, min: 0, max: 1, help: "Adam's beta1 of the discriminator and generator, in [0, 1) (0.5: DCGAN's)" },
});

export const AAE_DEFAULTS: Readonly<AaeConfig> = defaultsOf(AAE_OPTIONS);

/** The three parameter groups, one per phase of a step (see the header). */
export const AAE_GROUPS = ['autoencoder', 'discriminator', 'generator'] as const;

/** A minibatch as the adversarial phases see it. */
interface AaeInputs {
  x: tf.Tensor2D;
  y: tf.Tensor2D | null;
  labels?: Int32Array;
}

function disposeInputs({ x, y }: AaeInputs): void {
  x.dispose();
  y?.dispose();
}

/** D(z) as a logit: [z, y] -> ReLU dense layers -> one linear unit. */
class Discriminator {
  private readonly net: Mlp;

  constructor(params: Parameters, inputSize: number, hidden: number[]) {
    const names = [...hidden.map((_, l) => `discriminator/dense${l}`), 'discriminator/output'];
    this.net = new Mlp(params, names, [inputSize, ...hidden, 1]);
  }

  /** z [B, L] (and a one-hot label [B, K]) -> logits [B]. */
  apply(z: tf.Tensor2D, y: tf.Tensor2D | null): tf.Tensor1D {
    return tf.tidy(() => {
      const h = this.net.apply(y ? tf.concat([z, y], 1) : z); // [B, L + K] -> [B, 1]
      return tf.reshape(h, [-1]) as tf.Tensor1D; // [B]
    });
  }
}

export class Aae extends NeuralModel<AaeConfig> implements GenerativeModel, LatentModel {
  readonly name = 'aae';
  readonly latentSize: number;
  private readonly encoder: Encoder;
  private readonly decoder: Decoder;
  private readonly likelihood: Likelihood;
  private readonly discriminator: Discriminator;
  private readonly D: number;

  constructor(config: Partial<AaeConfig>, readonly inputShape: number[]) {
    // numClasses may arrive as undefined from the registry (data without labels): keep the default.
    super({ ...AAE_DEFAULTS, ...config, numClasses: config.numClasses ?? AAE_DEFAULTS.numClasses });
    validateNetConfig('aae', this.config, inputShape);
    if (typeof this.config.discriminatorHidden === 'number') this.config.discriminatorHidden = [this.config.discriminatorHidden];
    const { prior, components, conditionalPrior, numClasses, discriminatorHidden, latent } = this.config;
    check(PRIORS.includes(prior), `aae: prior must be one of ${PRIORS.join(', ')}, got '${prior}'`);
    check(!PLANAR_PRIORS.includes(prior) || latent === 2, `aae: the '${prior}' prior is 2-D: set latent to 2 (got ${latent}), or use prior gaussian / uniform`);
    check(Number.isInteger(components) && components >= 2, `aae: components must be an integer >= 2, got ${components}`);
    check(typeof conditionalPrior === 'boolean', `aae: conditionalPrior must be true or false, got ${conditionalPrior}`);
    check(Number.isInteger(numClasses) && numClasses >= 2, `aae: numClasses must be an integer >= 2, got ${numClasses}`);
    check(!conditionalPrior || prior === 'mixture', `aae: conditionalPrior needs prior 'mixture', got '${prior}'`);
    check(
      !conditionalPrior || numClasses === components,
      `aae: conditionalPrior pairs class k with component k: components (${components}) must equal numClasses (${numClasses})`,
    );
    check(
      Array.isArray(discriminatorHidden) && discriminatorHidden.every((h) => Number.isInteger(h) && h >= 1),
      `aae: discriminatorHidden must be a list of layer sizes >= 1, got ${JSON.stringify(discriminatorHidden)}`,
    );
    const { gradientPenalty, discriminatorSteps, discriminatorLearningRate, generatorLearningRate, adversarialBeta1 } = this.config;
    check(Number.isInteger(discriminatorSteps) && discriminatorSteps >= 1, `aae: discriminatorSteps must be an integer >= 1, got ${discriminatorSteps}`);
    check(Number.isFinite(gradientPenalty) && gradientPenalty >= 0, `aae: gradientPenalty must be >= 0, got ${gradientPenalty}`);
    for (const [name, rate] of Object.entries({ discriminatorLearningRate, generatorLearningRate })) {
      check(Number.isFinite(rate) && rate > 0, `aae: ${name} must be > 0, got ${rate}`);
    }
    check(Number.isFinite(adversarialBeta1) && adversarialBeta1 >= 0 && adversarialBeta1 < 1, `aae: adversarialBeta1 must be in [0, 1), got ${adversarialBeta1}`);
    check(['same', 'fresh'].includes(this.config.discriminatorBatches), `aae: discriminatorBatches must be 'same' or 'fresh', got '${this.config.discriminatorBatches}'`);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    this.latentSize = latent;

    const spec = { ...this.config, inputShape, classes: 0 };
    this.encoder = this.params.inGroup('encoder', () => new Encoder(this.params, spec, ['code']));
    this.decoder = this.params.inGroup('decoder', () => new Decoder(this.params, spec));
    const { decoder, decoderStd, minStd, dequantize } = this.config;
    this.likelihood = this.params.inGroup('decoder', () => new Likelihood(this.params, decoder, this.D, decoderStd, minStd, dequantize));
    this.discriminator = this.params.inGroup('discriminator', () => new Discriminator(this.params, latent + (conditionalPrior ? numClasses : 0), discriminatorHidden));
  }

  /**
   * autoencoder = encoder + decoder (+ learned spread), discriminator = D alone, generator = the
   * encoder again, with its own optimizer state (see the header).
   */
  override parameterGroups(): Record<(typeof AAE_GROUPS)[number], ParameterGroup> {
    const { discriminatorLearningRate, generatorLearningRate, adversarialBeta1 } = this.config;
    return {
      autoencoder: { variables: this.params.named('encoder', 'decoder') },
      discriminator: { variables: this.params.named('discriminator'), learningRateScale: discriminatorLearningRate, optimizer: { beta1: adversarialBeta1 } },
      generator: { variables: this.params.named('encoder'), learningRateScale: generatorLearningRate, optimizer: { beta1: adversarialBeta1 } },
    };
  }

  // -------------------------------------------------------------------------------------------
  // The model as tensors

  /** The deterministic code z = enc(x), [B, L]. */
  code(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.encoder.apply(this.likelihood.encoderInput(x), null)[0]);
  }

  /** D's logit that z came from the prior, [B]; `y` the one-hot label [B, K] of the conditional prior, else null. */
  discriminate(z: tf.Tensor2D, y: tf.Tensor2D | null): tf.Tensor1D {
    return this.discriminator.apply(z, y);
  }

  /** R1's E_z |grad_z D(z)|^2 over the rows of z (the label input held fixed), differentiable in D's weights. */
  gradientPenalty(z: tf.Tensor2D, y: tf.Tensor2D | null): tf.Scalar {
    return tf.tidy(() => {
      const grad = tf.grad((input) => tf.sum(this.discriminate(input as tf.Tensor2D, y)))(z); // [B, L]
      return tf.mean(tf.sum(tf.square(grad), 1));
    });
  }

  /** -log p(x | dec(enc(x))) per example, [B]. */
  reconstructionLoss(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const out = tf.reshape(this.decoder.apply(this.code(x), null), [1, x.shape[0], this.D]) as tf.Tensor3D; // [1, B, D]
      return tf.neg(tf.reshape(this.likelihood.logProb(x, out), [x.shape[0]])) as tf.Tensor1D;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Training

  async trainStep(batch: Batch, ctx: StepContext): Promise<StepMetrics> {
    const { discriminatorSteps: k, discriminatorBatches } = this.config;
    // The step's randomness, in a fixed order: dequantization noise, then the prior draws (one set
    // per discriminator update on this minibatch; a fresh minibatch draws its own after it).
    const inputs = this.inputs(batch, ctx);
    const priorDraws = Array.from({ length: discriminatorBatches === 'fresh' ? 1 : k }, () => this.priorDraws(batch.n, inputs.labels, ctx));
    try {
      // 1. Reconstruction phase: encoder and decoder.
      const rec = await ctx.update('autoencoder', () => ({ loss: tf.mean(this.reconstructionLoss(inputs.x)) as tf.Scalar }));
      // 2a. Regularization phase, discriminator, k times: z ~ p(z) is class 1, the updated encoder's
      // codes class 0. Binary cross-entropy -log D(z_p) - log(1 - D(q(x))) with D = sigmoid(logit),
      // averaged over the 2n codes.
      let disc: StepMetrics = { loss: NaN };
      for (let i = 0; i < k; i++) {
        const fresh = i > 0 && discriminatorBatches === 'fresh' ? this.inputs(ctx.nextBatch(), ctx) : null;
        const { x, y, labels } = fresh ?? inputs;
        const zPrior = tf.tensor2d(fresh ? this.priorDraws(x.shape[0], labels, ctx) : priorDraws[i], [x.shape[0], this.latentSize]);
        const codes = this.code(x); // D's data: the encoder is not on this update's gradient path
        try {
          disc = await ctx.update('discriminator', () => {
            const real = this.discriminate(zPrior, y);
            const forged = this.discriminate(codes, y);
            let loss = tf.mul(tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(forged))), 0.5) as tf.Scalar;
            if (this.config.gradientPenalty > 0) loss = tf.add(loss, tf.mul(this.gradientPenalty(zPrior, y), this.config.gradientPenalty / 2));
            const correct = tf.add(tf.mean(tf.cast(tf.greater(real, 0), 'float32')), tf.mean(tf.cast(tf.less(forged, 0), 'float32')));
            return { loss, accuracy: tf.mul(correct, 0.5) as tf.Scalar };
          });
        } finally {
          tf.dispose([zPrior, codes]);
          if (fresh) disposeInputs(fresh);
        }
      }
      // 2b. Regularization phase, generator: the encoder fools the updated discriminator, -log D(q(x)).
      const gen = await ctx.update('generator', () => ({
        loss: tf.mean(tf.softplus(tf.neg(this.discriminate(this.code(inputs.x), inputs.y)))) as tf.Scalar,
      }));
      return { loss: rec.loss, reconstruction: -rec.loss, discriminator: disc.loss, generator: gen.loss, dAccuracy: disc.accuracy };
    } finally {
      disposeInputs(inputs);
    }
  }

  /** A minibatch as tensors: x (dequantized with the step's noise) and, for the conditional prior, one-hot labels. */
  private inputs(batch: Batch, ctx: StepContext): AaeInputs {
    this.checkBatch(batch);
    const values = this.config.dequantize ? dequantize(batch.x, ctx.rng) : batch.x;
    const labels = this.config.conditionalPrior ? this.checkedLabels(batch.labels, batch.n) : undefined;
    return { x: tf.tensor2d(values, [batch.n, this.D]), y: labels ? oneHotLabels(labels, this.config.numClasses) : null, labels };
  }

  /** n draws z ~ p(z) (component k for a label k under the conditional prior), [n * L]. */
  private priorDraws(n: number, labels: Int32Array | undefined, ctx: StepContext): Float32Array {
    return samplePrior(this.config.prior, n, this.latentSize, ctx.rng, { components: this.config.components, labels });
  }

  // -------------------------------------------------------------------------------------------
  // Latent space and sampling

  /** The codes enc(x), [n * latentSize]. */
  async encode(batch: Batch): Promise<Float32Array> {
    this.checkBatch(batch);
    return tensorValues(() => this.code(tf.tensor2d(batch.x, [batch.n, this.D])));
  }

  /** Decoder means for codes [n * latentSize], in data units (Bernoulli: probabilities). */
  async decode(z: Float32Array, n: number): Promise<Float32Array> {
    check(z.length === n * this.latentSize, () => `aae: expected ${n} x ${this.latentSize} codes, got ${z.length}`);
    return tensorValues(() => this.likelihood.mean(this.decoder.apply(tf.tensor2d(z, [n, this.latentSize]), null)));
  }

  /**
   * z ~ p(z) (a mixture draws its components at random), then the decoder's mean ('mean') or a
   * draw from p(x|z) ('sample'): options.mode, else the config's sampleMode. Labels and temperature
   * do not apply.
   */
  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    const z = samplePrior(this.config.prior, n, this.latentSize, rng, { components: this.config.components });
    if ((options.mode ?? this.config.sampleMode) === 'mean') return this.decode(z, n);
    const out = tf.tidy(() => this.decoder.apply(tf.tensor2d(z, [n, this.latentSize]), null));
    const values = Float32Array.from(await out.data());
    out.dispose();
    return this.likelihood.sample(values, rng);
  }

  /** The trainable variables in checkpoint order (the names of getWeights()). */
  get variables(): tf.Variable[] {
    return this.params.list();
  }

  private checkedLabels(labels: Int32Array | undefined, n: number): Int32Array {
    if (!labels) throw new UserError('aae: conditionalPrior needs class labels (the data set has none)');
    check(labels.length === n, () => `aae: ${labels.length} labels for ${n} examples`);
    const K = this.config.numClasses;
    for (const c of labels) {
      if (!(Number.isInteger(c) && c >= 0 && c < K)) throw new UserError(`aae: label ${c} is outside 0..${K - 1} (numClasses = ${K})`);
    }
    return labels;
  }

  private checkBatch(batch: Batch): void {
    check(batch.x.length === batch.n * this.D, () => `aae: expected ${batch.n} x ${this.D} values, got ${batch.x.length}`);
    this.likelihood.checkData('aae', batch.x);
  }
}
