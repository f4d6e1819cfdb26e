/**
 * Generative adversarial nets (Goodfellow et al. 2014, "Generative Adversarial Nets", NeurIPS):
 * a generator x = G(z), z ~ N(0, I), and a discriminator D(x) play
 *
 *   min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]                          (Eq. 1)
 *
 * trained by the paper's Algorithm 1: for each generator step, k discriminator steps, each on a
 * fresh minibatch of m examples and m noise draws (`k`; the trainer's data stream supplies the
 * batches through ctx.nextBatch), then one generator step on m new noise draws. Each player is its
 * own parameter group ('discriminator', 'generator') with its own optimizer state; the trainer
 * does the updates.
 *
 * The players' losses are ./losses.ts' (minimax, non-saturating, LSGAN, WGAN, WGAN-GP, hinge). The
 * same game, with other defaults, is the registry's `wgan` (weight clipping, Arjovsky et al. 2017),
 * `wgangp` (gradient penalty, Gulrajani et al. 2017), `sngan` (spectral normalisation, Miyato et
 * al. 2018) and `dcgan` (the convolutional players of ./dcgan.ts, Radford et al. 2016); the
 * conditional and information-maximising variants (./cgan.ts, ./acgan.ts, ./infogan.ts) and the
 * unrolled one (./unrolled.ts) extend it with what they add.
 *
 * What is logged per step (metrics.jsonl): both players' losses, D's mean output on real and on
 * generated data (`dReal`, `dFake`: probabilities for the sigmoid losses, critic values
 * otherwise), both gradient norms before clipping, and for the sigmoid losses both generator
 * losses (`generatorMinimax`, `generatorNonSaturating`) whichever one is minimised, so the minimax
 * loss's saturation shows in the numbers.
 *
 * Feature matching (`featureMatching` > 0; Salimans et al. 2016, Sec. 3.1) adds to G's loss the
 * squared distance between the mean of D's last features on the real minibatch and on the
 * generated one: a statistic of the whole batch, which per-sample losses do not see. Minibatch
 * standard deviation (`minibatchStd`; Karras et al. 2018, Sec. 3) gives D such a statistic as an
 * input instead: a batch of too-alike samples is told apart from a real one. D's outputs then
 * depend on the batch they are computed in (`discriminate` scores its rows as one batch).
 * Packing (`pack` = m; Lin et al. 2018) has D judge m samples at once, all real or all generated,
 * stacked as one input: what a dropped mode changes in a pack's joint distribution shows more
 * than in one sample's. D's scores are then one per pack.
 *
 * Value scales: on data in [0, 1] G ends in a sigmoid and D reads 2x - 1 (the [-1, 1] range of
 * Radford et al.'s tanh generators, Sec. 4); on real-valued data both are linear.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { Rng, standardNormals } from '../../core/rng.js';
import { dense, type Dense } from '../../nn/dense.js';
import { SpectralNorm } from '../../nn/spectralNorm.js';
import type { AdversarialModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, ParameterGroup, SampleOptions, StepContext, StepMetrics } from '../model.js';
import { NeuralModel } from '../neuralModel.js';
import { defaultsOf, defineOptions } from '../options.js';
import { discriminatorLoss, GAN_LOSSES, generatorLoss, gradientPenalty, usesSigmoid, type GanLoss } from './losses.js';
import { ConvDiscriminator, ConvGenerator } from './dcgan.js';
import { MlpDiscriminator, MlpGenerator, readAsIs, type DiscriminatorNet, type GeneratorNet, type Phase, type WeightReader } from './networks.js';

export const GAN_ARCHITECTURES = ['mlp', 'dcgan'] as const;
export type GanArchitecture = (typeof GAN_ARCHITECTURES)[number];

export interface GanConfig {
  /** The players' losses (./losses.ts): 'nonsaturating' (Goodfellow et al. 2014, Sec. 3). */
  loss: GanLoss;
  /** Discriminator steps per generator step, each on a fresh minibatch (Algorithm 1's k; 1; WGAN's n_critic 5). */
  k: number;
  /** Size of z ~ N(0, I) (64). */
  latent: number;
  /** 'mlp' (./networks.ts) or 'dcgan' (./dcgan.ts: transposed / strided convolutions, batch norm). */
  architecture: GanArchitecture;
  /** mlp: units of G's ReLU hidden layers ([256, 512]). */
  generatorHidden: number[];
  /** mlp: units of D's leaky-ReLU hidden layers ([512, 256]). */
  discriminatorHidden: number[];
  /** dcgan: channels of G's feature maps from the smallest (H/4) up ([128, 64]). */
  generatorChannels: number[];
  /** dcgan: channels of D's stride-2 convolutions ([64, 128]). */
  discriminatorChannels: number[];
  /** dcgan: units of dense ReLU layers between z and G's projection ([]: none; Chen et al. 2016's MNIST G: [1024]). */
  generatorDense: number[];
  /** dcgan: units of dense leaky-ReLU layers after D's convolutions ([]: none; Chen et al. 2016's MNIST D: [1024]). */
  discriminatorDense: number[];
  /** Slope of D's leaky ReLU for x < 0 (0.2, Radford et al. 2016). */
  leak: number;
  /** dcgan: batch normalisation in G and D (true; D drops it under 'wgangp', as Gulrajani et al. Sec. 4 advise). */
  batchNorm: boolean;
  /** WGAN: clip D's weights to [-c, c] after each update (Arjovsky et al. 2017: 0.01); 0: off. */
  clipWeights: number;
  /** WGAN-GP: the penalty's weight lambda (Gulrajani et al. 2017: 10); used by loss 'wgangp'. */
  penaltyWeight: number;
  /** SN-GAN: divide each of D's weight matrices by its largest singular value (Miyato et al. 2018). */
  spectralNorm: boolean;
  /** G's output: 'sigmoid' for data in [0, 1], 'linear' for real values. */
  output: 'sigmoid' | 'linear';
  /**
   * Weight of feature matching in G's loss (Salimans et al. 2016, "Improved Techniques for
   * Training GANs", Sec. 3.1): |E f(x) - E f(G(z))|^2 over D's last features f, real minibatch
   * against generated. Added to G's adversarial loss (0: off, the plain game).
   */
  featureMatching: number;
  /**
   * Minibatch standard deviation (Karras et al. 2018, "Progressive Growing of GANs", Sec. 3): D's
   * features get one more, the standard deviation of each feature over the minibatch averaged into
   * one number, so D can tell a batch of too-similar samples from a real one (false: off).
   */
  minibatchStd: boolean;
  /**
   * Packing (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial
   * networks", NeurIPS): D judges m samples at once, all real or all generated, stacked along the
   * channels (images) or the features (vectors); a generator that drops modes then makes packs
   * that look unlike real packs. 1: off. The batch size must be a multiple of it.
   */
  pack: number;
  seed: number;
}

export const GAN_OPTIONS = defineOptions<GanConfig>({
  loss: { type: 'choice', default: 'nonsaturating', choices: GAN_LOSSES, help: 'the players\' losses (minimax: Eq. 1 as written; nonsaturating: -log D(G(z)) for G)' },
  k: { type: 'int', default: 1, min: 1, help: 'discriminator steps per generator step, each on a fresh minibatch (Algorithm 1)' },
  latent: { type: 'int', default: 64, min: 1, help: 'size of the noise z ~ N(0, I)' },
  architecture: { type: 'choice', default: 'mlp', choices: GAN_ARCHITECTURES, help: 'mlp, or dcgan (transposed / strided convolutions, batch norm; images)' },
  generatorHidden: { type: 'int-list', default: [256, 512], min: 1, help: "mlp: units of G's ReLU hidden layers" },
  discriminatorHidden: { type: 'int-list', default: [512, 256], min: 1, help: "mlp: units of D's leaky-ReLU hidden layers" },
  generatorChannels: { type: 'int-list', default: [128, 64], min: 1, help: "dcgan: channels of G's feature maps, from H/4 up" },
  discriminatorChannels: { type: 'int-list', default: [64, 128], min: 1, help: "dcgan: channels of D's stride-2 convolutions" },
  generatorDense: { type: 'int-list', default: [], min: 1, help: "dcgan: units of dense ReLU layers between z and G's projection (Chen et al. 2016's MNIST G: 1024)" },
  discriminatorDense: { type: 'int-list', default: [], min: 1, help: "dcgan: units of dense leaky-ReLU layers after D's convolutions (Chen et al. 2016's MNIST D: 1024)" },
  leak: { type: 'number', default: 0.2, min: 0, max: 1, help: "slope of D's leaky ReLU below 0" },
  batchNorm: { type: 'boolean', default: true, help: 'dcgan: batch norm in G and D (none in D under wgangp)' },
  clipWeights: { type: 'number', default: 0, min: 0, help: "WGAN: clip D's weights to [-c, c] after each update (0: off)" },
  penaltyWeight: { type: 'number', default: 10, min: 0, help: 'wgangp: weight lambda of the gradient penalty' },
  spectralNorm: { type: 'boolean', default: false, help: "SN-GAN: D's weight matrices divided by their spectral norm" },
  output: { type: 'choice', default: 'sigmoid', choices: ['sigmoid', 'linear'], help: "G's output: sigmoid for [0, 1] data, linear for real values", fromData: 'sigmoid for [0, 1] data, linear for real values' },
  featureMatching: { type: 'number', default: 0, min: 0, help: "weight of feature matching added to G's loss: |mean f(real) - mean f(fake)|^2 over D's last features (Salimans et al. 2016; 0: off)" },
  minibatchStd: { type: 'boolean', default: false, help: "minibatch standard deviation: D's features get the batch's mean per-feature standard deviation as one more (Karras et al. 2018)" },
  pack: { type: 'int', default: 1, min: 1, help: 'PacGAN: D judges this many samples at once, stacked along channels / features (Lin et al. 2018; 1: off)' },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const GAN_DEFAULTS: Readonly<GanConfig> = defaultsOf(GAN_OPTIONS);

/** What a minibatch of the game is conditioned on besides z (nothing, for the plain GAN). */
export interface Conditions {
  /** Appended to z as G's input: [n * generatorCondition] (a one-hot class, InfoGAN's codes). */
  generator?: Float32Array;
  /** D's condition input: [n * discriminatorCondition] (cGAN's one-hot class). */
  discriminator?: Float32Array;
  /** The classes, for losses that need them (ACGAN). */
  labels?: Int32Array;
  /** InfoGAN's codes c as drawn. */
  codes?: Float32Array;
}

/** What a subclass adds to the game: condition sizes and heads on D's features. */
export interface GameExtensions {
  /** Values appended to z (0: none). */
  generatorCondition: number;
  /** Values beside D's input (0: none). */
  discriminatorCondition: number;
  /** Extra linear heads on D's features, by name and size (ACGAN's classes, InfoGAN's Q). */
  heads: Record<string, number>;
}

const NO_EXTENSIONS: GameExtensions = { generatorCondition: 0, discriminatorCondition: 0, heads: {} };

/** D's outputs for one minibatch: the adversarial logit or critic value [B], the extra heads [B, size], and the features under them [B, featureSize]. */
export interface DiscriminatorOutputs {
  score: tf.Tensor1D;
  heads: Record<string, tf.Tensor2D>;
  features: tf.Tensor2D;
}

/** |mean_i real_i - mean_j fake_j|^2, summed over the features (Salimans et al. 2016, Sec. 3.1): a scalar. */
export function featureMatchingDistance(real: tf.Tensor2D, fake: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.square(tf.sub(tf.mean(real, 0), tf.mean(fake, 0)))) as tf.Scalar);
}

/**
 * h [B, F] -> [B, F + 1]: each row gets the standard deviation over the minibatch of each feature,
 * averaged over the features (Karras et al. 2018, Sec. 3; one group, the whole batch). The epsilon
 * keeps the square root differentiable on a batch of identical rows.
 */
export function withMinibatchStd(h: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { variance } = tf.moments(h, 0);
    const spread = tf.mean(tf.sqrt(tf.add(variance, 1e-8)));
    return tf.concat([h, tf.mul(tf.ones([h.shape[0], 1]), spread)], 1) as tf.Tensor2D;
  });
}

/** A player's loss terms with a subclass's extra terms logged and added to the loss. */
function withExtraTerms(loss: tf.Scalar, terms: Record<string, tf.Scalar>, extra: Record<string, tf.Scalar>): LossTerms {
  let total = loss;
  for (const [name, term] of Object.entries(extra)) {
    terms[name] = term;
    total = tf.add(total, term);
  }
  return { ...terms, loss: total };
}

/** Each row of `size` values `times` times in a row: [r0, r0, ..., r1, r1, ...]. */
function repeatRows<T extends Float32Array | Int32Array>(values: T, size: number, times: number): T {
  if (times === 1) return values;
  const out = (values instanceof Int32Array ? new Int32Array(values.length * times) : new Float32Array(values.length * times)) as T;
  for (let row = 0; row < values.length / size; row++) {
    for (let copy = 0; copy < times; copy++) out.set(values.subarray(row * size, (row + 1) * size), (row * times + copy) * size);
  }
  return out;
}

/** Generated samples are drawn this many at a time. */
const SAMPLE_CHUNK = 500;

export class Gan<Config extends GanConfig = GanConfig> extends NeuralModel<Config> implements GenerativeModel, AdversarialModel {
  readonly latentSize: number;
  readonly discriminatorOutput: 'probability' | 'critic';
  protected readonly D: number;
  protected readonly generator: GeneratorNet;
  protected readonly discriminator: DiscriminatorNet;
  private readonly scoreHead: Dense;
  private readonly extraHeads: Record<string, Dense> = {};
  private readonly spectral = new Map<tf.Variable, SpectralNorm>();

  constructor(
    readonly name: string,
    config: Config,
    readonly inputShape: number[],
    protected readonly extensions: GameExtensions = NO_EXTENSIONS,
  ) {
    super(config);
    const c = this.config;
    check(GAN_LOSSES.includes(c.loss), () => `${name}: loss must be one of ${GAN_LOSSES.join(', ')}, got '${c.loss}'`);
    check(Number.isInteger(c.k) && c.k >= 1, () => `${name}: k must be an integer >= 1, got ${c.k}`);
    check(Number.isInteger(c.latent) && c.latent >= 1, () => `${name}: latent must be an integer >= 1, got ${c.latent}`);
    check(GAN_ARCHITECTURES.includes(c.architecture), () => `${name}: architecture must be mlp or dcgan, got '${c.architecture}'`);
    check(c.clipWeights >= 0 && c.penaltyWeight >= 0, () => `${name}: clipWeights and penaltyWeight must be >= 0`);
    check(c.featureMatching >= 0 && Number.isFinite(c.featureMatching), () => `${name}: featureMatching must be a weight >= 0, got ${c.featureMatching}`);
    check(c.architecture !== 'dcgan' || inputShape.length === 3, () => `${name}: the dcgan architecture needs images [H, W, C], got shape [${inputShape}]`);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    this.latentSize = c.latent;
    this.discriminatorOutput = usesSigmoid(c.loss) ? 'probability' : 'critic';
    const generatorInput = c.latent + extensions.generatorCondition;
    check(Number.isInteger(c.pack) && c.pack >= 1, () => `${name}: pack must be an integer >= 1, got ${c.pack}`);
    check(c.pack === 1 || Object.keys(extensions.heads).length === 0, () => `${name}: packing (pack ${c.pack}) judges samples m at a time, so it cannot drive per-sample heads (${Object.keys(extensions.heads).join(', ')})`);
    check(c.pack === 1 || c.loss !== 'wgangp', () => `${name}: packing is not combined with the wgangp penalty (its per-example gradient norms)`);
    const dcgan = c.architecture === 'dcgan';
    check(dcgan || (c.generatorDense.length === 0 && c.discriminatorDense.length === 0), () => `${name}: generatorDense / discriminatorDense are the dcgan architecture's; the mlp players' layers are generatorHidden / discriminatorHidden`);
    // A pack of m samples is one input of m times the channels (images) or features (vectors).
    const packedShape = dcgan ? [...inputShape.slice(0, -1), inputShape[inputShape.length - 1] * c.pack] : inputShape;
    this.generator = this.params.inGroup('generator', () =>
      dcgan
        ? new ConvGenerator(this.params, generatorInput, inputShape, c.generatorChannels, c.batchNorm, c.generatorDense)
        : new MlpGenerator(this.params, generatorInput, c.generatorHidden, this.D),
    );
    const { discriminator, scoreHead } = this.params.inGroup('discriminator', () => {
      const net = dcgan
        ? new ConvDiscriminator(this.params, packedShape, extensions.discriminatorCondition * c.pack, c.discriminatorChannels, c.leak, c.batchNorm && c.loss !== 'wgangp', c.discriminatorDense)
        : new MlpDiscriminator(this.params, (this.D + extensions.discriminatorCondition) * c.pack, c.discriminatorHidden, c.leak);
      const featureSize = net.featureSize + (c.minibatchStd ? 1 : 0);
      const head = dense(this.params, 'discriminator/output', featureSize, 1);
      for (const [headName, size] of Object.entries(extensions.heads)) this.extraHeads[headName] = dense(this.params, `discriminator/${headName}`, featureSize, size);
      return { discriminator: net, scoreHead: head };
    });
    this.discriminator = discriminator;
    this.scoreHead = scoreHead;
    if (c.spectralNorm) {
      const heads = ['output', ...Object.keys(extensions.heads)].map((head) => ({ name: `discriminator/${head}/W`, layout: 'dense' as const }));
      this.params.inGroup('discriminator', () => {
        for (const { name: weight, layout } of [...discriminator.spectralWeights, ...heads]) {
          this.spectral.set(this.params.get(weight), new SpectralNorm(this.params, weight, { layout }));
        }
      });
    }
  }

  override parameterGroups(): Record<string, ParameterGroup> {
    const { clipWeights } = this.config;
    return {
      discriminator: { variables: this.params.named('discriminator'), ...(clipWeights > 0 && { clipValue: clipWeights }) },
      generator: { variables: this.params.named('generator') },
    };
  }

  /** 1. k discriminator steps on fresh minibatches, 2. one generator step (Algorithm 1). */
  async trainStep(batch: Batch, ctx: StepContext): Promise<StepMetrics> {
    const sums: Record<string, number> = {};
    for (let i = 0; i < this.config.k; i++) {
      const real = i === 0 ? batch : ctx.nextBatch();
      const z = this.drawNoise(real.n, ctx.rng);
      const fake = this.drawConditions(real.n, ctx.rng);
      const eps = this.config.loss === 'wgangp' ? Float32Array.from({ length: real.n }, () => ctx.rng.uniform()) : undefined;
      const m = await ctx.update('discriminator', () => this.discriminatorTerms(real, z, fake, eps));
      for (const [key, value] of Object.entries(m)) sums[key] = (sums[key] ?? 0) + value / this.config.k;
    }
    const z = this.drawNoise(batch.n, ctx.rng);
    const fake = this.drawConditions(batch.n, ctx.rng);
    const g = await ctx.update('generator', () => this.generatorTerms(z, fake, batch));
    const { loss: discriminatorLossValue, gradNorm: discriminatorGradNorm, ...dTerms } = sums;
    const { loss: generatorLossValue, gradNorm: generatorGradNorm, ...gTerms } = g;
    return {
      loss: discriminatorLossValue,
      discriminatorLoss: discriminatorLossValue,
      generatorLoss: generatorLossValue,
      discriminatorGradNorm,
      generatorGradNorm,
      ...dTerms,
      ...gTerms,
    };
  }

  /** D's loss on a real minibatch and as many generated samples; the extra terms of a subclass added. */
  protected discriminatorTerms(batch: Batch, z: Float32Array, fake: Conditions, eps?: Float32Array): LossTerms {
    const n = batch.n;
    const real = this.dataConditions(batch);
    const xReal = this.toDiscriminatorScale(tf.tensor2d(batch.x, [n, this.D]));
    const xFake = this.toDiscriminatorScale(this.generateTensor(z, fake, n, 'batch'));
    // D's state (batch-norm running statistics, spectral-norm vectors) moves once per update, on the real pass.
    const outReal = this.discriminatorOutputs(xReal, real, 'advance');
    const outFake = this.discriminatorOutputs(xFake, fake, 'batch');
    const terms: Record<string, tf.Scalar> = {
      dReal: this.meanOutput(outReal.score),
      dFake: this.meanOutput(outFake.score),
    };
    let loss = discriminatorLoss(this.config.loss, outReal.score, outFake.score);
    if (this.config.loss === 'wgangp') {
      const penalty = gradientPenalty((x) => this.discriminatorOutputs(x as tf.Tensor2D, real, 'batch').score, xReal, xFake, eps!);
      terms.penalty = penalty;
      loss = tf.add(loss, tf.mul(penalty, this.config.penaltyWeight));
    }
    if (!usesSigmoid(this.config.loss)) terms.wassersteinEstimate = tf.sub(terms.dReal, terms.dFake) as tf.Scalar;
    return withExtraTerms(loss, terms, this.extraTerms('discriminator', outFake, fake, outReal, real));
  }

  /** G's loss on generated samples (both generator losses logged for the sigmoid losses), plus feature matching when weighted. */
  protected generatorTerms(z: Float32Array, fake: Conditions, batch: Batch): LossTerms {
    const out = this.discriminatorOutputs(this.toDiscriminatorScale(this.generateTensor(z, fake, batch.n, 'advance')), fake, 'batch');
    const terms = this.generatorLossTerms(out, fake);
    if (this.config.featureMatching === 0) return terms;
    const realFeatures = this.discriminatorOutputs(this.toDiscriminatorScale(tf.tensor2d(batch.x, [batch.n, this.D])), this.dataConditions(batch), 'batch').features;
    const featureMatching = featureMatchingDistance(realFeatures, out.features);
    return { ...terms, featureMatching, loss: tf.add(terms.loss, tf.mul(featureMatching, this.config.featureMatching)) as tf.Scalar };
  }

  /** The generator's loss terms given D's outputs on its samples. */
  protected generatorLossTerms(out: DiscriminatorOutputs, fake: Conditions): LossTerms {
    const loss = generatorLoss(this.config.loss, out.score);
    const terms: Record<string, tf.Scalar> = {};
    if (usesSigmoid(this.config.loss)) {
      terms.generatorMinimax = generatorLoss('minimax', out.score);
      terms.generatorNonSaturating = generatorLoss('nonsaturating', out.score);
    }
    return withExtraTerms(loss, terms, this.extraTerms('generator', out, fake));
  }

  // ---- What subclasses change (conditioning and extra heads) ----

  /** Conditions of n generated samples (labels given: those classes). The plain GAN has none. */
  protected drawConditions(_n: number, _rng: Rng, _labels?: Int32Array): Conditions {
    return {};
  }

  /** Classes start, start + 1, ... (mod K) for a conditional model's samples when none are asked for; undefined otherwise. */
  protected labelsInTurn(_start: number, _n: number): Int32Array | undefined {
    return undefined;
  }

  /** Conditions of a real minibatch (cGAN: its labels, one-hot, beside x). */
  protected dataConditions(_batch: Batch): Conditions {
    return {};
  }

  /**
   * Named terms a subclass adds to a player's loss (already weighted), from D's outputs on the
   * generated samples (and, for D's update, on the real ones). None for the plain GAN.
   */
  protected extraTerms(
    _player: 'discriminator' | 'generator',
    _fake: DiscriminatorOutputs,
    _fakeConditions: Conditions,
    _real?: DiscriminatorOutputs,
    _realConditions?: Conditions,
  ): Record<string, tf.Scalar> {
    return {};
  }

  // ---- The players as functions ----

  /** G(z, c) in data units: [n, D]. */
  protected generateTensor(z: Float32Array, conditions: Conditions, n: number, phase: Phase): tf.Tensor2D {
    return tf.tidy(() => {
      let input = tf.tensor2d(z, [n, this.config.latent]);
      if (this.extensions.generatorCondition > 0) input = tf.concat([input, tf.tensor2d(conditions.generator!, [n, this.extensions.generatorCondition])], 1);
      const h = this.generator.apply(input, phase);
      return this.config.output === 'sigmoid' ? tf.sigmoid(h) : h;
    });
  }

  /** Data units -> D's input scale (see the header). */
  protected toDiscriminatorScale(x: tf.Tensor2D): tf.Tensor2D {
    return this.config.output === 'sigmoid' ? tf.tidy(() => tf.sub(tf.mul(x, 2), 1) as tf.Tensor2D) : x;
  }

  /**
   * D's outputs for x in D's scale, with the weights `read` gives (spectrally normalised when
   * configured): one row per example, or per pack of `pack` consecutive examples.
   */
  protected discriminatorOutputs(x: tf.Tensor2D, conditions: Conditions, phase: Phase, read?: WeightReader): DiscriminatorOutputs {
    return tf.tidy(() => {
      const n = x.shape[0];
      const K = this.extensions.discriminatorCondition;
      const condition = K > 0 ? this.packed(tf.tensor2d(conditions.discriminator!, [n, K]), [K]) : null;
      const reader = read ?? this.reader(phase);
      const body = this.discriminator.features(this.packed(x, this.inputShape), condition, phase, reader);
      const h = this.config.minibatchStd ? withMinibatchStd(body) : body;
      const score = tf.reshape(tf.add(tf.matMul(h, reader(this.scoreHead.W)), reader(this.scoreHead.b)), [-1]) as tf.Tensor1D; // [B, 1] -> [B]
      const heads: Record<string, tf.Tensor2D> = {};
      for (const [name, { W, b }] of Object.entries(this.extraHeads)) heads[name] = tf.add(tf.matMul(h, reader(W)), reader(b)) as tf.Tensor2D;
      return { score, heads, features: h };
    });
  }

  /**
   * [n, prod(shape)] -> [n / m, m prod(shape)] for packs of m = `pack` consecutive rows: images
   * [H, W, C] stacked along the channels (each position holds the m samples' C values in turn),
   * anything else side by side.
   */
  private packed(rows: tf.Tensor2D, shape: number[]): tf.Tensor2D {
    const m = this.config.pack;
    if (m === 1) return rows;
    const n = rows.shape[0];
    check(n % m === 0, () => `${this.name}: packs of ${m} need a batch size divisible by ${m}, got ${n}`);
    return tf.tidy(() => {
      if (this.config.architecture !== 'dcgan' || shape.length !== 3) return tf.reshape(rows, [n / m, -1]) as tf.Tensor2D;
      const [H, W, C] = shape;
      const stacked = tf.transpose(tf.reshape(rows, [n / m, m, H, W, C]), [0, 2, 3, 1, 4]); // [packs, H, W, m, C]
      return tf.reshape(stacked, [n / m, -1]) as tf.Tensor2D;
    });
  }

  /** The weights D uses in this phase: as they are, or divided by their spectral norm (advancing u in D's own update). */
  protected reader(phase: Phase): WeightReader {
    if (this.spectral.size === 0) return readAsIs;
    return (w) => this.spectral.get(w)?.normalize(w, phase === 'advance') ?? w;
  }

  /** The mean of D's outputs as `discriminate` reports them (probabilities or critic values). */
  private meanOutput(score: tf.Tensor1D): tf.Scalar {
    return tf.mean(usesSigmoid(this.config.loss) ? tf.sigmoid(score) : score) as tf.Scalar;
  }

  /** z ~ N(0, I), [n * latent]; entries beyond +-truncation drawn again (Brock et al. 2019, Sec. 3.1). */
  protected drawNoise(n: number, rng: Rng, truncation?: number): Float32Array {
    const z = standardNormals(rng, n * this.config.latent);
    if (truncation !== undefined) {
      check(truncation > 0, () => `truncation must be > 0, got ${truncation}`);
      for (let i = 0; i < z.length; i++) while (Math.abs(z[i]) > truncation) z[i] = rng.normal();
    }
    return z;
  }

  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    const out = new Float32Array(n * this.D);
    for (let start = 0; start < n; start += SAMPLE_CHUNK) {
      const m = Math.min(SAMPLE_CHUNK, n - start);
      const z = this.drawNoise(m, rng, options.truncation);
      const conditions = this.drawConditions(m, rng, options.labels?.subarray(start, start + m) ?? this.labelsInTurn(start, m));
      const x = this.generateTensor(z, conditions, m, 'eval');
      out.set(await x.data(), start * this.D);
      x.dispose();
    }
    return out;
  }

  async generate(z: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array> {
    check(z.length === n * this.config.latent, () => `${this.name}.generate: z needs ${n} x ${this.config.latent} values, got ${z.length}`);
    // Codes and classes not given are drawn from a fixed seed, so repeated calls map z the same way.
    const x = this.generateTensor(z, this.drawConditions(n, new Rng(0), labels), n, 'eval');
    const values = (await x.data()) as Float32Array;
    x.dispose();
    return values;
  }

  async discriminate(x: Float32Array, n: number, labels?: Int32Array): Promise<Float32Array> {
    // Under packing each example is judged as a pack of m copies of itself.
    const m = this.config.pack;
    const xs = repeatRows(x, this.D, m);
    const conditions = this.dataConditions({ x: xs, n: n * m, labels: labels && repeatRows(labels, 1, m) });
    const out = tf.tidy(() => {
      const { score } = this.discriminatorOutputs(this.toDiscriminatorScale(tf.tensor2d(xs, [n * m, this.D])), conditions, 'eval');
      return usesSigmoid(this.config.loss) ? tf.sigmoid(score) : score;
    });
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }
}
