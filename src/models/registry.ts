/**
 * The model registry: every trainable model by name, with what it can do and the data it accepts.
 * `genlab models` prints it; checkpoints store (name, config) and come back through `createModel`.
 */
import { UserError } from '../core/errors.js';
import type { ValueKind } from '../data/dataset.js';
import type { GenerativeModel, ModelInfo } from './model.js';
import { ArTableModel, TABULAR_CAPABILITIES } from './tabular/arTable.js';

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
