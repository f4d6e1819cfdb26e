/**
 * The model registry: every trainable model by name, with the data it accepts and its default
 * options. `genlab models` prints it, with what each model can do read off a small instance
 * (`capabilitiesOf`), so the capabilities are stated once, by the classes. Checkpoints store
 * (name, config) and come back through `createModel`. An option a model does not have is refused
 * here, once for all models.
 */
import { UserError } from '../core/errors.js';
import type { ValueKind } from '../data/dataset.js';
import { capabilitiesOf, type Capabilities } from './capabilities.js';
import type { GenerativeModel, ModelFamily } from './model.js';
import { defaultsOf, validateOptions, withDefaults, type OptionDeclaration, type OptionSpec } from './options.js';
import { AR_OPTIONS, ArTableModel, INDEPENDENT_OPTIONS, MARKOV_OPTIONS, type ArTableConfig } from './tabular/arTable.js';
import { FVSBN_OPTIONS, Fvsbn } from './autoregressive/fvsbn.js';
import { NADE_OPTIONS, Nade } from './autoregressive/nade.js';
import { EONADE_OPTIONS, Eonade } from './autoregressive/eonade.js';
import { RNADE_OPTIONS, Rnade } from './autoregressive/rnade.js';
import { MADE_OPTIONS, Made } from './autoregressive/made.js';
import { PIXELCNN_OPTIONS, PixelCnn } from './autoregressive/pixelcnn.js';
import { ROWLSTM_OPTIONS, RowLstm } from './autoregressive/rowlstm.js';
import { DIAGBILSTM_OPTIONS, DiagonalBiLstm } from './autoregressive/diagbilstm.js';
import { AAE_OPTIONS, Aae } from './latent/aae.js';
import { AE_OPTIONS, Autoencoder } from './latent/ae.js';
import { BETAVAE_OPTIONS, BetaVae } from './latent/betavae.js';
import { withDataDefaults } from './latent/common.js';
import { CVAE_OPTIONS, Cvae } from './latent/cvae.js';
import { IWAE_OPTIONS, Iwae } from './latent/iwae.js';
import { VAE_OPTIONS, Vae } from './latent/vae.js';
import { ClassCond, classCondOptions, type ClassCondConfig } from './composite/classcond.js';
import { Gan, GAN_OPTIONS, type GanConfig } from './adversarial/gan.js';
import { ACGAN_OPTIONS, Acgan } from './adversarial/acgan.js';
import { CGAN_OPTIONS, Cgan } from './adversarial/cgan.js';
import { INFOGAN_OPTIONS, Infogan } from './adversarial/infogan.js';
import { UNROLLED_OPTIONS, UnrolledGan } from './adversarial/unrolled.js';
import { GLOW_OPTIONS, Glow } from './flow/glow.js';
import { IAF_OPTIONS, Iaf } from './flow/iaf.js';
import { MAF_OPTIONS, Maf } from './flow/maf.js';
import { NICE_OPTIONS, Nice } from './flow/nice.js';
import { REALNVP_OPTIONS, RealNvp } from './flow/realnvp.js';
import { DDPM_OPTIONS, Ddpm } from './diffusion/ddpm.js';
import type { OptimizerSettings } from '../train/optimizers.js';

/** What a model is built for: the shape of one example and the kind of its values. */
export interface DataInfo {
  shape: number[];
  kind: ValueKind;
  /** Number of classes of the labels, for conditional models. */
  numClasses?: number;
}

/** What the registry says about a model (`genlab models`). */
export interface ModelInfo {
  name: string;
  family: ModelFamily;
  /** What a model built with the defaults can do, from `capabilitiesOf` (see `listModels`). */
  capabilities: Capabilities;
  /** Value kinds of the training data the model accepts. */
  accepts: readonly ValueKind[];
  description: string;
}

export interface RegistryEntry extends Omit<ModelInfo, 'capabilities'> {
  /** Every option the model takes: type, default, help. */
  options: OptionDeclaration<unknown>;
  /**
   * The value kinds a model with this (partial) config accepts, where they depend on it (a
   * composite model accepts what its base does); absent: `accepts`.
   */
  acceptsFor?(config: Record<string, unknown>): readonly ValueKind[];
  /** Builds a model; `config` is partial (defaults fill the rest) and plain JSON. */
  create(config: Record<string, unknown>, data: DataInfo): GenerativeModel;
  /** Training settings the model's paper uses where they differ from genlab's (Adam at 1e-3); flags override them. */
  training?: TrainingDefaults;
}

/** A model's own default step size and optimizer (the DCGAN family's Adam 2e-4, beta1 0.5). */
export interface TrainingDefaults {
  learningRate: number;
  optimizer: Partial<Omit<OptimizerSettings, 'learningRate'>>;
}

/** Discrete models count states / levels: 2 for binary data, 256 for 8-bit. */
function defaultStates(data: DataInfo): number {
  return data.kind === 'uint8' ? 256 : 2;
}

const TABULAR = { family: 'tabular', accepts: ['binary', 'uint8'] } as const;

/** A tabular model; its declaration fixes or defaults the context length `order`. */
function tabular(name: string, options: OptionDeclaration<ArTableConfig>, description: string): RegistryEntry {
  return {
    name,
    ...TABULAR,
    options,
    description,
    create: (config, data) => new ArTableModel(name, { ...defaultsOf(options), states: defaultStates(data), ...config }, data.shape),
  };
}
const BINARY_AR = { family: 'autoregressive', accepts: ['binary'] } as const;
const IMAGE_AR = { family: 'autoregressive', accepts: ['binary', 'uint8'] } as const;
/** The decoder follows the data: Bernoulli (binary), Gaussian (continuous, real), discretized logistic (8-bit). */
const LATENT = { family: 'latent', accepts: ['binary', 'uint8', 'continuous', 'real'] } as const;

/**
 * The adversarial family: one game (./adversarial/gan.ts) under the names of the papers that chose
 * its loss, critic constraint and networks, each with that paper's optimizer.
 */
const ADVERSARIAL = { family: 'adversarial', accepts: ['continuous', 'real'] } as const;
/** Radford et al. 2016, Sec. 4: Adam, step size 2e-4, beta1 0.5 (used by most GANs since). */
const DCGAN_TRAINING: TrainingDefaults = { learningRate: 2e-4, optimizer: { kind: 'adam', beta1: 0.5 } };
/** G's output follows the data: a sigmoid for [0, 1] intensities, linear for real values. */
function ganOutput(data: DataInfo): GanConfig['output'] {
  return data.kind === 'real' ? 'linear' : 'sigmoid';
}

/** An adversarial model: its options' defaults, G's output for the data, and the data's class count where it has that option. */
function adversarial<C extends GanConfig>(
  name: string,
  options: OptionDeclaration<C>,
  build: (config: C, shape: number[]) => GenerativeModel,
  description: string,
  training: TrainingDefaults = DCGAN_TRAINING,
): RegistryEntry {
  return {
    name,
    ...ADVERSARIAL,
    options,
    training,
    description,
    create: (config, data) => {
      const fromData = { output: ganOutput(data), ...('numClasses' in options && data.numClasses !== undefined && { numClasses: data.numClasses }) };
      return build({ ...defaultsOf(options), ...fromData, ...config } as C, data.shape);
    },
  };
}

/** The game of ./adversarial/gan.ts with a paper's defaults. */
function gan(name: string, defaults: Partial<GanConfig>, description: string, training?: TrainingDefaults): RegistryEntry {
  return adversarial(name, withDefaults(GAN_OPTIONS, defaults), (config, shape) => new Gan(name, config, shape), description, training);
}

const ADVERSARIAL_ENTRIES: RegistryEntry[] = [
  gan('gan', {}, 'GAN (Goodfellow et al. 2014): Algorithm 1 with k D steps per G step; --loss minimax|nonsaturating|lsgan|wgan|wgangp|hinge; MLP players'),
  gan('dcgan', { architecture: 'dcgan', latent: 100 }, 'DCGAN (Radford et al. 2016): transposed-conv G, strided-conv D, batch norm, leaky ReLU; any --loss'),
  gan('wgan', { loss: 'wgan', k: 5, clipWeights: 0.01 }, 'WGAN (Arjovsky et al. 2017): a critic with clipped weights, n_critic 5, RMSProp 5e-5', {
    learningRate: 5e-5,
    optimizer: { kind: 'rmsprop' },
  }),
  gan('wgangp', { loss: 'wgangp', k: 5 }, 'WGAN-GP (Gulrajani et al. 2017): gradient penalty lambda 10 on interpolates, n_critic 5, Adam 1e-4 (0, 0.9)', {
    learningRate: 1e-4,
    optimizer: { kind: 'adam', beta1: 0, beta2: 0.9 },
  }),
  gan('sngan', { loss: 'hinge', spectralNorm: true }, "SN-GAN (Miyato et al. 2018): D's weights divided by their spectral norm, hinge loss"),
  adversarial('cgan', CGAN_OPTIONS, (c, shape) => new Cgan(c, shape), 'conditional GAN (Mirza & Osindero 2014): the label into G(z, y) and D(x, y); samples chosen classes (needs labels)'),
  adversarial(
    'acgan',
    withDefaults(ACGAN_OPTIONS, { architecture: 'dcgan', latent: 100 }),
    (c, shape) => new Acgan(c, shape),
    'ACGAN (Odena et al. 2017): G(z, c), and D with an auxiliary classifier head; samples chosen classes (needs labels)',
  ),
  adversarial(
    'infogan',
    withDefaults(INFOGAN_OPTIONS, { architecture: 'dcgan', latent: 62 }),
    (c, shape) => new Infogan(c, shape),
    'InfoGAN (Chen et al. 2016): a categorical and continuous codes, a Q head on D, the mutual-information bound; genlab traverse',
  ),
  adversarial('unrolled', UNROLLED_OPTIONS, (c, shape) => new UnrolledGan(c, shape), "Unrolled GAN (Metz et al. 2017): G's loss sees D unrolled K steps, gradients through the unrolling"),
];

const BASE_ENTRIES: RegistryEntry[] = [
  tabular('independent', INDEPENDENT_OPTIONS, 'fully independent variables, one categorical each (samples look like white noise)'),
  tabular('markov', MARKOV_OPTIONS, 'Markov chain (AR-1) along an ordering, fit by counting'),
  tabular('ar', AR_OPTIONS, 'AR-k lookup table (--order k) along an ordering, fit by counting'),
  {
    name: 'fvsbn',
    ...BINARY_AR,
    options: FVSBN_OPTIONS,
    description: 'fully visible sigmoid belief net: a logistic regression on all previous variables',
    create: (config, data) => new Fvsbn(config, data.shape),
  },
  {
    name: 'nade',
    ...BINARY_AR,
    options: NADE_OPTIONS,
    description: 'NADE (Larochelle & Murray 2011): shared hidden layer, all conditionals in O(HD)',
    create: (config, data) => new Nade(config, data.shape),
  },
  {
    name: 'eonade',
    ...BINARY_AR,
    options: EONADE_OPTIONS,
    description: 'order-agnostic DeepNADE / EoNADE (Uria et al. 2014): one network for every ordering, ensemble over orderings, completes any mask',
    create: (config, data) => new Eonade(config, data.shape),
  },
  {
    name: 'rnade',
    family: 'autoregressive',
    accepts: ['continuous', 'real'],
    options: RNADE_OPTIONS,
    description: 'RNADE (Uria et al. 2013): NADE with a Gaussian mixture per conditional, for real values (log-densities in nats)',
    // [0, 1] intensities are 8-bit levels in practice: dequantize them, or the density spikes at 0.
    create: (config, data) => new Rnade({ dequantize: data.kind === 'continuous', ...config }, data.shape),
  },
  {
    name: 'made',
    ...BINARY_AR,
    options: MADE_OPTIONS,
    description: 'MADE (Germain et al. 2015): masked MLP, all conditionals in one pass; --masks K for an ensemble',
    create: (config, data) => new Made(config, data.shape),
  },
  {
    name: 'pixelcnn',
    ...IMAGE_AR,
    options: PIXELCNN_OPTIONS,
    description: 'PixelCNN (van den Oord et al. 2016): masked convolutions, raster order, R -> G -> B; Bernoulli or 256-way softmax',
    create: (config, data) => new PixelCnn({ levels: defaultStates(data), ...config }, data.shape),
  },
  {
    name: 'rowlstm',
    ...IMAGE_AR,
    options: ROWLSTM_OPTIONS,
    description: 'PixelRNN Row LSTM (van den Oord et al. 2016): an LSTM row by row, triangular receptive field; Bernoulli or 256-way softmax',
    create: (config, data) => new RowLstm({ levels: defaultStates(data), ...config }, data.shape),
  },
  {
    name: 'diagbilstm',
    ...IMAGE_AR,
    options: DIAGBILSTM_OPTIONS,
    description: 'PixelRNN Diagonal BiLSTM (van den Oord et al. 2016): LSTMs along the diagonals both ways; Bernoulli or 256-way softmax',
    create: (config, data) => new DiagonalBiLstm({ levels: defaultStates(data), ...config }, data.shape),
  },
  {
    name: 'ae',
    ...LATENT,
    options: AE_OPTIONS,
    description: 'plain autoencoder, reconstruction only: no likelihood, and decoding z ~ N(0, I) gives poor samples',
    create: (config, data) => new Autoencoder(withDataDefaults(data.kind, config), data.shape),
  },
  {
    name: 'vae',
    ...LATENT,
    options: VAE_OPTIONS,
    description: 'VAE (Kingma & Welling 2014): Gaussian encoder, ELBO training; log p(x) as an importance-sampled estimate (evalSamples 5000)',
    create: (config, data) => new Vae(withDataDefaults(data.kind, config), data.shape),
  },
  {
    name: 'betavae',
    ...LATENT,
    options: BETAVAE_OPTIONS,
    description: 'beta-VAE (Higgins et al. 2017): beta on the KL, warm-up, or the capacity schedule of Burgess et al. 2018',
    create: (config, data) => new BetaVae(withDataDefaults(data.kind, config), data.shape),
  },
  {
    name: 'cvae',
    ...LATENT,
    options: CVAE_OPTIONS,
    description: 'conditional VAE (Sohn et al. 2015): the label into encoder and decoder; samples chosen classes (needs labels)',
    create: (config, data) => new Cvae({ numClasses: data.numClasses, ...withDataDefaults(data.kind, config) }, data.shape),
  },
  {
    name: 'iwae',
    ...LATENT,
    options: IWAE_OPTIONS,
    description: 'IWAE (Burda et al. 2016): the VAE trained on the k-sample bound L_k (trainSamples 5)',
    create: (config, data) => new Iwae(withDataDefaults(data.kind, config), data.shape),
  },
  {
    name: 'aae',
    ...LATENT,
    options: AAE_OPTIONS,
    description: 'adversarial autoencoder (Makhzani et al. 2016): a discriminator on z matches the codes to a prior (mixture, swissroll, gaussian, uniform); no likelihood',
    create: (config, data) => new Aae({ numClasses: data.numClasses, ...withDataDefaults(data.kind, config) }, data.shape),
  },
];

/**
 * Normalizing flows: exact densities of real values. [0, 1] intensities are 8-bit levels in practice,
 * so there they are dequantized and pass the logit transform first; real values (toys, CSV) go in as they are.
 */
const FLOW = { family: 'flow', accepts: ['continuous', 'real'] } as const;
function flowDataDefaults(data: DataInfo): { dequantize: boolean; logit: boolean } {
  const intensities = data.kind === 'continuous';
  return { dequantize: intensities, logit: intensities };
}

const FLOW_ENTRIES: RegistryEntry[] = [
  {
    name: 'nice',
    ...FLOW,
    options: NICE_OPTIONS,
    description: 'NICE (Dinh et al. 2015): additive couplings (volume preserving) and a diagonal scaling, logistic base; exact density and codes',
    create: (config, data) => new Nice({ ...flowDataDefaults(data), ...config }, data.shape),
  },
  {
    name: 'realnvp',
    ...FLOW,
    options: REALNVP_OPTIONS,
    description: 'RealNVP (Dinh et al. 2017): affine couplings with alternating masks, actnorm; MLP networks, or --architecture conv: the multi-scale conv flow on images',
    create: (config, data) => new RealNvp({ ...flowDataDefaults(data), ...config }, data.shape),
  },
  {
    name: 'maf',
    ...FLOW,
    options: MAF_OPTIONS,
    description: 'MAF (Papamakarios et al. 2017): stacked MADE Gaussians, orderings reversed between them; density in one pass, sampling in D',
    create: (config, data) => new Maf({ ...flowDataDefaults(data), ...config }, data.shape),
  },
  {
    name: 'glow',
    ...FLOW,
    options: GLOW_OPTIONS,
    description: 'Glow (Kingma & Dhariwal 2018): steps of actnorm, invertible 1x1 conv (LU), affine coupling; multi-scale on images; sample --temperature',
    create: (config, data) => new Glow({ ...flowDataDefaults(data), ...config }, data.shape),
  },
  {
    name: 'iaf',
    ...FLOW,
    options: IAF_OPTIONS,
    description: "IAF (Kingma et al. 2016) as a density model: MAF's MADE layers run backwards; sampling in one pass, density in D (toys; slow on images)",
    create: (config, data) => new Iaf({ ...flowDataDefaults(data), ...config }, data.shape),
  },
];

/**
 * Diffusion models: real values (toys, CSV) as they are; [0, 1] intensities (8-bit levels) scaled to
 * [-1, 1] with the discretized decoder, so the bound is on the 8-bit data.
 */
const DIFFUSION_ENTRIES: RegistryEntry[] = [
  {
    name: 'ddpm',
    family: 'diffusion',
    accepts: ['continuous', 'real'],
    options: DDPM_OPTIONS,
    description: 'DDPM (Ho et al. 2020): eps-prediction, linear or cosine schedule, MLP or U-Net; DDPM / DDIM sampling (genlab sample --steps S), classifier-free guidance; the variational bound in bits/dim',
    create: (config, data) =>
      new Ddpm({ intensities: data.kind === 'continuous', ...(data.numClasses !== undefined && { numClasses: data.numClasses }), ...config }, data.shape),
  },
];

/** Models built from other models: their options name a base among the entries above. */
function classCondEntry(bases: readonly RegistryEntry[]): RegistryEntry {
  const options = classCondOptions(bases.map((e) => e.name));
  const full = (config: Record<string, unknown>, numClasses?: number): ClassCondConfig => ({
    ...defaultsOf(options),
    ...(numClasses !== undefined && { numClasses }),
    ...config,
  });
  return {
    name: 'classcond',
    family: 'composite',
    accepts: ['binary', 'uint8', 'continuous', 'real'],
    options,
    description: "generative classifier by Bayes' rule: one base model p(x|y) per class (--base MODEL) and the prior p(y); genlab classify answers or refuses",
    acceptsFor: (config) => getEntry(full(config).base).accepts,
    create: (config, data) => {
      const c = full(config, data.numClasses);
      const base = getEntry(c.base);
      if (!base.accepts.includes(data.kind)) throw new UserError(`classcond: base ${c.base} accepts ${base.accepts.join(' or ')} data, not ${data.kind}`);
      validateOptions(`classcond base ${c.base}`, base.options, c.baseConfig);
      // The bases are unconditional: no class count reaches them.
      return new ClassCond(c, data.shape, () => base.create(structuredClone(c.baseConfig), { shape: data.shape, kind: data.kind }));
    },
  };
}

const ENTRIES: RegistryEntry[] = [...BASE_ENTRIES, ...FLOW_ENTRIES, ...DIFFUSION_ENTRIES, ...ADVERSARIAL_ENTRIES, classCondEntry([...BASE_ENTRIES, ...FLOW_ENTRIES])];

/**
 * Every model with its options (type, default, help) and its capabilities. Those are read off an instance built
 * with the defaults on a tiny example (4 x 4 x 1 of the first value kind it accepts, 2 classes) and
 * disposed at once, so this needs an initialised backend; the answers are kept.
 */
export function listModels(): (ModelInfo & { options: Record<string, OptionSpec> })[] {
  return ENTRIES.map(({ name, family, accepts, description, options }) => ({
    name,
    family,
    capabilities: { ...entryCapabilities(name) },
    accepts,
    description,
    options: { ...options },
  }));
}

const CAPABILITIES = new Map<string, Capabilities>();

function entryCapabilities(name: string): Capabilities {
  let caps = CAPABILITIES.get(name);
  if (!caps) {
    const entry = getEntry(name);
    const model = entry.create({}, { shape: [4, 4, 1], kind: entry.accepts[0], numClasses: 2 });
    caps = capabilitiesOf(model);
    model.dispose();
    CAPABILITIES.set(name, caps);
  }
  return caps;
}

/** The models that accept data of `kind`, for advice (which model fits these data). */
export function modelsAccepting(kind: ValueKind): string[] {
  return ENTRIES.filter((e) => e.accepts.includes(kind)).map((e) => e.name);
}

export function getEntry(name: string): RegistryEntry {
  const entry = ENTRIES.find((e) => e.name === name);
  if (!entry) {
    throw new UserError(`unknown model '${name}'; available: ${ENTRIES.map((e) => e.name).join(', ')}`);
  }
  return entry;
}

/** The value kinds `name` with this (partial) config accepts (a composite model: its base's). */
export function acceptedKinds(name: string, config: Record<string, unknown> = {}): readonly ValueKind[] {
  const entry = getEntry(name);
  return entry.acceptsFor?.(config) ?? entry.accepts;
}

export function createModel(name: string, config: Record<string, unknown>, data: DataInfo): GenerativeModel {
  const entry = getEntry(name);
  validateOptions(name, entry.options, config);
  return entry.create(config, data);
}
