/**
 * A model's command-line flags, derived from its option declaration (src/models/options.ts), so no
 * model's flags are written by hand: option `hiddenChannels` is `--hidden-channels N`, a boolean is a
 * bare flag (`--order-agnostic`; `--no-dequantize` too where the default may be on), an int-list
 * is `--hidden 500,500`, an ordering is `--ordering TYPE` with `--ordering-seed N`. An option whose
 * flag a command already has (the model's `seed` beside the run's `--seed`) becomes `--model-seed`.
 */
import { UserError } from '../core/errors.js';
import { formatDefault, parseOptionValue, type OptionSpec } from '../models/options.js';
import { getEntry } from '../models/registry.js';
import type { OptionTable } from './args.js';

/** One option of the model and the flag that sets it. */
interface ModelFlag {
  option: string;
  flag: string;
  spec: Readonly<OptionSpec>;
}

/** hiddenChannels -> hidden-channels */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A boolean whose default is (or may be, from the data) on also gets a `--no-` flag. */
function negatable(spec: Readonly<OptionSpec>): boolean {
  return spec.type === 'boolean' && (spec.default === true || spec.fromData !== undefined);
}

function modelFlags(model: string, taken: readonly string[]): ModelFlag[] {
  const options = getEntry(model).options as Record<string, Readonly<OptionSpec>>;
  return Object.entries(options).map(([option, spec]) => {
    const flag = kebabCase(option);
    return { option, spec, flag: taken.includes(flag) ? `model-${flag}` : flag };
  });
}

const VALUE_NAMES: Record<OptionSpec['type'], string> = {
  int: 'N',
  number: 'X',
  boolean: '',
  choice: 'NAME',
  'int-list': 'N[,N..]',
  ordering: 'TYPE',
  object: 'JSON',
};

/**
 * The flags of `model`'s options, for args.parse. Defaults appear in the help text only: a flag
 * not given stays undefined, so the config holds what the user chose and the model (or the
 * registry, for options that follow the data) fills in the rest. `taken`: the command's own flags.
 */
export function modelFlagTable(model: string, taken: readonly string[]): OptionTable {
  const table: OptionTable = {};
  for (const { flag, spec } of modelFlags(model, taken)) {
    const help = `${spec.help} (default ${formatDefault(spec) || 'none'})`;
    if (spec.type === 'boolean') {
      table[flag] = { type: 'boolean', help };
      if (negatable(spec)) table[`no-${flag}`] = { type: 'boolean', help: `turn --${flag} off` };
      continue;
    }
    const value = spec.type === 'choice' ? (spec.choices ?? []).join('|') : VALUE_NAMES[spec.type];
    table[flag] = { type: 'string', value, help };
    if (spec.type === 'ordering') table[`${flag}-seed`] = { type: 'string', value: 'N', help: `seed of a random --${flag} (default 0)` };
  }
  return table;
}

/** The model flags given in `values` (from args.parse) as a partial config of `model`. */
export function configFromModelFlags(
  model: string,
  values: Record<string, string | boolean | undefined>,
  taken: readonly string[],
): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const { option, flag, spec } of modelFlags(model, taken)) {
    if (spec.type === 'boolean') {
      if (values[flag] && values[`no-${flag}`]) throw new UserError(`${model}: give --${flag} or --no-${flag}, not both`);
      if (values[flag]) config[option] = true;
      if (values[`no-${flag}`]) config[option] = false;
      continue;
    }
    const raw = values[flag];
    if (raw !== undefined) config[option] = parseOptionValue(model, `--${flag}`, spec, String(raw));
    if (spec.type === 'ordering' && values[`${flag}-seed`] !== undefined) {
      const seedFlag = `--${flag}-seed`;
      if ((config[option] as { type?: string } | undefined)?.type !== 'random') throw new UserError(`${model}: ${seedFlag} needs --${flag} random`);
      const seed = parseOptionValue(model, seedFlag, { type: 'int', default: 0, min: 0, help: '' }, String(values[`${flag}-seed`]));
      config[option] = { type: 'random', seed };
    }
  }
  return config;
}
