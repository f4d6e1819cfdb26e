/**
 * A model's options, declared once: name, type, default and one line of help each. Everything else
 * reads the declaration: the model's `*_DEFAULTS`, the registry's validation of a (partial)
 * config, `genlab models --json`, and the per-model flags of `genlab train` (src/cli/modelFlags.ts).
 * Browser-safe: no Node imports. Checks that tie several options together stay in the model
 * constructors, beside the mathematics that needs them.
 */
import { UserError } from '../core/errors.js';
import { ORDERING_TYPES, type OrderingSpec } from './ordering.js';

/**
 * 'int-list': a list of integers (layer sizes); a single integer is accepted for a one-entry list.
 * 'ordering': an OrderingSpec object (./ordering.ts); one word ('raster', 'random') on the command line.
 * 'object': a plain JSON object (another model's options, e.g. classcond's `baseConfig`), checked by
 * whoever reads it; JSON text on the command line.
 */
export type OptionType = 'int' | 'number' | 'boolean' | 'choice' | 'int-list' | 'ordering' | 'object';

export interface OptionSpec {
  type: OptionType;
  /** The value when the option is not given (and, for `fromData` options, the model is built directly). */
  default: unknown;
  /** One line for --help and `genlab models --json`. */
  help: string;
  /** 'choice': the allowed values. 'number': words accepted instead of a number (decoderStd's 'learned'). */
  choices?: readonly string[];
  /** Inclusive bounds of a number, or of every entry of an int-list. */
  min?: number;
  max?: number;
  /** Set when the registry picks the value from the data: the rule (e.g. '2 for binary data, 256 for 8-bit'). */
  fromData?: string;
}

/** One spec per field of the config C: the compiler refuses a missing or an extra option. */
export type OptionDeclaration<C = Record<string, unknown>> = { readonly [K in keyof C]-?: Readonly<OptionSpec> };

/**
 * A frozen declaration. Every default is checked against its own spec here, at module load, so a
 * declaration that contradicts itself is a bug found by any test that imports the model.
 */
export function defineOptions<C>(declaration: OptionDeclaration<C>): OptionDeclaration<C> {
  const frozen: Record<string, Readonly<OptionSpec>> = {};
  for (const [name, spec] of Object.entries<Readonly<OptionSpec>>(declaration)) {
    if (!valueFits(spec, spec.default)) {
      throw new Error(`option ${name}: default ${JSON.stringify(spec.default)} is not ${describeOption(spec)}`);
    }
    frozen[name] = Object.freeze({ ...spec });
  }
  return Object.freeze(frozen) as OptionDeclaration<C>;
}

/** The same declaration with other defaults (a registry preset: `wgan` is `gan` with loss 'wgan', k 5, ...). */
export function withDefaults<C>(declaration: OptionDeclaration<C>, defaults: Partial<C>): OptionDeclaration<C> {
  const out: Record<string, OptionSpec> = {};
  for (const [name, spec] of Object.entries<Readonly<OptionSpec>>(declaration)) {
    out[name] = name in defaults ? { ...spec, default: (defaults as Record<string, unknown>)[name] } : spec;
  }
  return defineOptions(out as OptionDeclaration<C>);
}

/** The default of every option, as the model's frozen `*_DEFAULTS` object. */
export function defaultsOf<C>(declaration: OptionDeclaration<C>): Readonly<C> {
  const defaults: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries<Readonly<OptionSpec>>(declaration)) defaults[name] = spec.default;
  return Object.freeze(defaults) as Readonly<C>;
}

/**
 * Checks a partial config against a declaration: an option the model does not have is refused
 * with the list of those it has, a value of the wrong type or out of range with its option named.
 * Undefined values count as not given.
 */
export function validateOptions(model: string, declaration: OptionDeclaration<unknown>, config: Record<string, unknown>): void {
  const specs = declaration as Record<string, Readonly<OptionSpec>>;
  const known = Object.keys(specs);
  const unknown = Object.keys(config).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new UserError(`${model} has no option ${unknown.map((k) => `'${k}'`).join(', ')}; its options: ${known.join(', ')}`);
  }
  for (const [name, value] of Object.entries(config)) {
    if (value !== undefined && !valueFits(specs[name], value)) {
      throw new UserError(`${model}: option ${name} must be ${describeOption(specs[name])}, got ${JSON.stringify(value)}`);
    }
  }
}

/**
 * One command-line string as the option's value: '500,500' for an int-list, 'random' for an
 * ordering (seed 0), 'true' / 'false' for a boolean. `label` names the option in the error
 * (e.g. '--hidden').
 */
export function parseOptionValue(model: string, label: string, spec: Readonly<OptionSpec>, text: string): unknown {
  const value = parseText(spec, text.trim());
  if (value === undefined || !valueFits(spec, value)) {
    throw new UserError(`${model}: ${label} must be ${describeOption(spec)}, got '${text}'`);
  }
  return value;
}

function parseText(spec: Readonly<OptionSpec>, text: string): unknown {
  const number = (s: string) => (s.trim() === '' ? NaN : Number(s));
  switch (spec.type) {
    case 'int':
      return number(text);
    case 'number':
      return spec.choices?.includes(text) ? text : number(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'choice':
      return text;
    case 'int-list':
      // '' is the empty list (the latent models' linear networks).
      return text === '' ? [] : text.split(',').map(number);
    case 'ordering':
      // A custom permutation does not fit one word: it goes through a JSON config.
      return text === 'custom' ? undefined : text === 'random' ? { type: 'random', seed: 0 } : { type: text };
    case 'object':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
  }
}

/** What a value of this option must be, for error messages and help: 'an integer >= 1'. */
export function describeOption(spec: Readonly<OptionSpec>): string {
  const range =
    spec.min !== undefined && spec.max !== undefined
      ? spec.min === spec.max
        ? ` equal to ${spec.min}`
        : ` between ${spec.min} and ${spec.max}`
      : spec.min !== undefined
        ? ` >= ${spec.min}`
        : spec.max !== undefined
          ? ` <= ${spec.max}`
          : '';
  switch (spec.type) {
    case 'int':
      return `an integer${range}`;
    case 'number':
      return `a number${range}${spec.choices?.length ? ` or ${spec.choices.map((c) => `'${c}'`).join(' or ')}` : ''}`;
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${(spec.choices ?? []).join(', ')}`;
    case 'int-list':
      return `a list of integers${range} (e.g. 500,500)`;
    case 'ordering':
      return `an ordering, one of ${ORDERING_TYPES.filter((t) => t !== 'custom').join(', ')} (custom: a permutation, as JSON)`;
    case 'object':
      return 'a JSON object (e.g. {"hidden": [500]})';
  }
}

/** The default as one short string for help: '500,500', 'raster', 'from the data (2 for binary ...)'. */
export function formatDefault(spec: Readonly<OptionSpec>): string {
  if (spec.fromData) return `from the data: ${spec.fromData}`;
  const value = spec.default;
  if (Array.isArray(value)) return value.join(',');
  if (spec.type === 'ordering') return (value as OrderingSpec).type;
  if (spec.type === 'object') return JSON.stringify(value);
  return String(value);
}

function inRange(spec: Readonly<OptionSpec>, v: number): boolean {
  return (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
}

function valueFits(spec: Readonly<OptionSpec>, value: unknown): boolean {
  const isInt = (v: unknown): v is number => Number.isInteger(v) && inRange(spec, v as number);
  switch (spec.type) {
    case 'int':
      return isInt(value);
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value) && inRange(spec, value)) || (typeof value === 'string' && !!spec.choices?.includes(value));
    case 'boolean':
      return typeof value === 'boolean';
    case 'choice':
      return typeof value === 'string' && !!spec.choices?.includes(value);
    case 'int-list':
      return isInt(value) || (Array.isArray(value) && value.every(isInt));
    case 'ordering': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      const { type, seed } = value as OrderingSpec;
      return ORDERING_TYPES.includes(type) && (seed === undefined || Number.isInteger(seed));
    }
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}
