/** Command-line parsing on node:util's parseArgs, with user-facing errors for bad flags and values. */
import { parseArgs } from 'node:util';
import { UserError } from '../core/errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** One line for --help. */
  help: string;
  /** Shown in --help as VALUE. */
  value?: string;
  default?: string;
}

export type OptionTable = Record<string, OptionSpec>;

/**
 * How a user runs genlab, for the commands that hints suggest: after the README's `npm install`
 * the `genlab` bin is in node_modules/.bin (or is the project's own), not on the PATH.
 */
export const GENLAB = 'npx genlab';

/** For commands that open a trained run: its EMA shadow weights are used when it kept them. */
export const EMA_OPTION: OptionTable = {
  'no-ema': { type: 'boolean', help: 'use the trained weights rather than their EMA (runs trained with --ema)' },
};

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Flags given on the command line (not filled in from defaults). */
  given: Set<string>;
}

/** Option names by their one-letter short form. */
function shortNames(table: OptionTable): Map<string, string> {
  return new Map(Object.entries(table).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
}

/** A token that reads as a negative number (`-1`, `-1e3`, `-.5`): a value, not a flag. */
const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * `--epochs -1` as `--epochs=-1`: parseArgs refuses a string option's value that starts with a
 * dash as ambiguous, which would hide the range check's clear message behind its own.
 */
function joinNegativeValues(args: string[], table: OptionTable): string[] {
  const shorts = shortNames(table);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return out.concat(args.slice(i));
    const name = a.startsWith('--') ? a.slice(2) : a.length === 2 && a[0] === '-' ? shorts.get(a[1]) : undefined;
    if (name !== undefined && table[name]?.type === 'string' && i + 1 < args.length && NEGATIVE_NUMBER.test(args[i + 1])) {
      out.push(`--${name}=${args[++i]}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

export function parse(command: string, args: string[], table: OptionTable): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(table)) options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  try {
    const { values, positionals } = parseArgs({ args: joinNegativeValues(args, table), options, allowPositionals: true, strict: true });
    const withDefaults: Record<string, string | boolean | undefined> = {};
    for (const [name, spec] of Object.entries(table)) withDefaults[name] = values[name] ?? spec.default;
    return { values: withDefaults, positionals, given: new Set(Object.keys(values)) };
  } catch (e) {
    // parseArgs' own messages name the flag; add where to look, on one line.
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\n/g, ' ');
    throw new UserError(`genlab ${command}: ${message} (see '${GENLAB} ${command} --help')`);
  }
}

export function helpText(usage: string, table: OptionTable): string {
  return `${usage}\n\nOptions:\n${helpRows(table).join('\n')}\n`;
}

/** One line per option: the flag, its value and its help. */
export function helpRows(table: OptionTable): string[] {
  return Object.entries(table).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` ${s.value ?? 'VALUE'}` : ''}`;
    const def = s.default !== undefined ? ` (default ${s.default})` : '';
    return `  ${flag.padEnd(34)} ${s.help}${def}`;
  });
}

/**
 * The first positional argument, found before the full option table is known (`genlab train
 * MODEL`: the model's flags depend on MODEL). A value of a string option of `table` is skipped;
 * flags not in `table` are taken to carry no value, so the positional should come first.
 */
export function firstPositional(args: string[], table: OptionTable): string | undefined {
  const shorts = shortNames(table);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-') || a === '-') return a;
    if (a.includes('=')) continue;
    const name = a.startsWith('--') ? a.slice(2) : shorts.get(a.slice(1));
    if (name !== undefined && table[name]?.type === 'string') i++;
  }
  return undefined;
}

/** A string flag as a number, checked: `integer`, `min`, `max`. */
export function numberFlag(
  name: string,
  raw: string | boolean | undefined,
  rules: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const kind = rules.integer ? 'an integer' : 'a number';
  const range =
    rules.min !== undefined && rules.max !== undefined
      ? ` between ${rules.min} and ${rules.max}`
      : rules.min !== undefined
        ? ` >= ${rules.min}`
        : rules.max !== undefined
          ? ` <= ${rules.max}`
          : '';
  const ok =
    typeof raw === 'string' &&
    raw.trim() !== '' &&
    Number.isFinite(v) &&
    (!rules.integer || Number.isInteger(v)) &&
    (rules.min === undefined || v >= rules.min) &&
    (rules.max === undefined || v <= rules.max);
  if (!ok) throw new UserError(`--${name} must be ${kind}${range}, got '${String(raw)}'`);
  return v;
}

export function choiceFlag<T extends string>(name: string, raw: string | boolean | undefined, choices: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) throw new UserError(`--${name} must be one of ${choices.join(', ')}, got '${String(raw)}'`);
  return raw as T;
}

/** The one positional argument a command needs (a run folder, a model name). */
export function onePositional(command: string, positionals: string[], what: string): string {
  if (positionals.length !== 1) {
    throw new UserError(
      `genlab ${command} needs exactly one ${what}` + (positionals.length > 1 ? `, got ${positionals.join(' ')}` : ''),
    );
  }
  return positionals[0];
}
