/**
 * The model registry: every trainable model by name, with what it can do and the data it accepts.
 * `genlab models` prints it; checkpoints store (name, config) and come back through `createModel`.
 */
import { UserError } from '../core/errors.js';
import type { ValueKind } from '../data/dataset.js';
import type { GenerativeModel, ModelInfo } from './model.js';
import { ArTableModel, TABULAR_CAPABILITIES } from './tabular/arTable.js';
import { EXACT_BINARY_AR, Fvsbn } from './autoregressive/fvsbn.js';
import { Nade } from './autoregressive/nade.js';
import { Made } from './autoregressive/made.js';
import { RNADE_CAPABILITIES, Rnade } from './autoregressive/rnade.js';
import { Eonade } from './autoregressive/eonade.js';
import { PIXELCNN_CAPABILITIES, PixelCnn } from './autoregressive/pixelcnn.js';

/** What a model is built for: the shape of one example and the kind of its values. */
export interface DataInfo {
  shape: number[];
  kind: ValueKind;
}

export interface RegistryEntry extends ModelInfo {
  /** Builds a model; `config` is partial (defaults fill the rest) and plain JSON. */
  create(config: Record<string, unknown>, data: DataInfo): GenerativeModel;
}

/** Tabular models count discrete states: 2 for binary data, 256 for 8-bit. */
function defaultStates(data: DataInfo): number {
  return data.kind === 'uint8' ? 256 : 2;
}

const ENTRIES: RegistryEntry[] = [
  {
    name: 'independent',
    family: 'tabular',
    capabilities: TABULAR_CAPABILITIES,
    accepts: ['binary', 'uint8'],
    description: 'fully independent variables, one categorical each (samples look like white noise)',
    create: (config, data) =>
      new ArTableModel('independent', { states: defaultStates(data), ...config, order: 0 }, data.shape),
  },
  {
    name: 'markov',
    family: 'tabular',
    capabilities: TABULAR_CAPABILITIES,
    accepts: ['binary', 'uint8'],
    description: 'Markov chain (AR-1) along an ordering, fit by counting',
    create: (config, data) =>
      new ArTableModel('markov', { states: defaultStates(data), ...config, order: 1 }, data.shape),
  },
  {
    name: 'ar',
    family: 'tabular',
    capabilities: TABULAR_CAPABILITIES,
    accepts: ['binary', 'uint8'],
    description: 'AR-k lookup table (--order k) along an ordering, fit by counting',
    create: (config, data) => new ArTableModel('ar', { states: defaultStates(data), order: 2, ...config }, data.shape),
  },
  {
    name: 'fvsbn',
    family: 'autoregressive',
    capabilities: EXACT_BINARY_AR,
    accepts: ['binary'],
    description: 'fully visible sigmoid belief net: a logistic regression on all previous variables',
    create: (config, data) => new Fvsbn(config, data.shape),
  },
  {
    name: 'nade',
    family: 'autoregressive',
    capabilities: EXACT_BINARY_AR,
    accepts: ['binary'],
    description: 'NADE (Larochelle & Murray 2011): shared hidden layer, all conditionals in O(HD)',
    create: (config, data) => new Nade(config, data.shape),
  },
  {
    name: 'made',
    family: 'autoregressive',
    capabilities: EXACT_BINARY_AR,
    accepts: ['binary'],
    description: 'MADE (Germain et al. 2015): masked MLP, all conditionals in one pass; --masks K for an ensemble',
    create: (config, data) => new Made(config, data.shape),
  },
  {
    name: 'eonade',
    family: 'autoregressive',
    capabilities: EXACT_BINARY_AR,
    accepts: ['binary'],
    description: 'order-agnostic DeepNADE / EoNADE (Uria et al. 2014): one network for every ordering, ensemble over orderings, completes any mask',
    create: (config, data) => new Eonade(config, data.shape),
  },
  {
    name: 'rnade',
    family: 'autoregressive',
    capabilities: RNADE_CAPABILITIES,
    accepts: ['continuous', 'real'],
    description: 'RNADE (Uria et al. 2013): NADE with a Gaussian mixture per conditional, for real values (log-densities in nats)',
    // [0, 1] intensities are 8-bit levels in practice: dequantize them, or the density spikes at 0.
    create: (config, data) => new Rnade({ dequantize: data.kind === 'continuous', ...config }, data.shape),
  },
  {
    name: 'pixelcnn',
    family: 'autoregressive',
    capabilities: PIXELCNN_CAPABILITIES,
    accepts: ['binary', 'uint8'],
    description: 'PixelCNN (van den Oord et al. 2016): masked convolutions, raster order, R -> G -> B; Bernoulli or 256-way softmax',
    create: (config, data) => new PixelCnn({ levels: defaultStates(data), ...config }, data.shape),
  },
];

export function listModels(): ModelInfo[] {
  return ENTRIES.map(({ create: _create, ...info }) => info);
}

export function getEntry(name: string): RegistryEntry {
  const entry = ENTRIES.find((e) => e.name === name);
  if (!entry) {
    throw new UserError(`unknown model '${name}'; available: ${ENTRIES.map((e) => e.name).join(', ')}`);
  }
  return entry;
}

export function createModel(name: string, config: Record<string, unknown>, data: DataInfo): GenerativeModel {
  return getEntry(name).create(config, data);
}
