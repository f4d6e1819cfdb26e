/** Commands that need no run: params (the lecture's parameter counting) and models (the registry). */
import { UserError } from '../../core/errors.js';
import { STRUCTURES, countParameters, formatScientific, type Structure } from '../../distributions/parameterCount.js';
import { listModels } from '../../models/registry.js';
import { initNodeBackend } from '../../node/engine.js';
import { choiceFlag, helpText, numberFlag, parse, type OptionTable } from '../args.js';
import { printJson } from '../common.js';

export const PARAMS_OPTIONS: OptionTable = {
  variables: { type: 'string', value: 'N', help: 'number of variables n (e.g. 784 pixels)' },
  states: { type: 'string', value: 'K', help: 'states per variable K (2 for binary, 256 for 8-bit)', default: '2' },
  structure: { type: 'string', value: 'S', help: `${STRUCTURES.join('|')}`, default: 'full' },
  order: { type: 'string', value: 'k', help: 'predecessors per variable for --structure ar', default: '1' },
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export async function paramsCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('params', args, PARAMS_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText('Usage: genlab params --variables N --states K --structure S [--order k]', PARAMS_OPTIONS));
    return 0;
  }
  if (positionals.length) throw new UserError(`genlab params takes no positional arguments, got ${positionals.join(' ')}`);
  if (v.variables === undefined) throw new UserError('genlab params needs --variables N');
  const structure = choiceFlag<Structure>('structure', v.structure, STRUCTURES)!;
  const count = countParameters({
    variables: numberFlag('variables', v.variables, { integer: true, min: 1 })!,
    states: numberFlag('states', v.states, { integer: true, min: 2 })!,
    structure,
    order: structure === 'ar' ? numberFlag('order', v.order, { integer: true, min: 0 }) : undefined,
  });
  const decimal = count.parameters.toString();
  if (v.json) {
    printJson({
      parameters: decimal,
      scientific: formatScientific(count.parameters),
      digits: count.digits,
      structure: count.structure,
      variables: count.variables,
      states: count.states,
      order: count.order,
      formula: count.formula,
      explanation: count.explanation,
    });
  } else {
    process.stdout.write(`${count.explanation}\nparameters: ${decimal}\n(${formatScientific(count.parameters)}, ${count.digits} digits)\n`);
  }
  return 0;
}

export const MODELS_OPTIONS: OptionTable = {
  json: { type: 'boolean', help: 'print one JSON document on stdout: every model with its capabilities and options' },
  help: PARAMS_OPTIONS.help,
};

export async function modelsCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('models', args, MODELS_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText('Usage: genlab models [--json]', MODELS_OPTIONS));
    return 0;
  }
  if (positionals.length) throw new UserError(`genlab models takes no positional arguments, got ${positionals.join(' ')}`);
  // The capabilities are read off small instances of the models (see listModels): they need a backend.
  await initNodeBackend();
  const models = listModels();
  if (v.json) {
    printJson(models);
    return 0;
  }
  const rows = models.map((m) => {
    const caps = [
      `density: ${m.capabilities.density}`,
      m.capabilities.latent ? 'encode/decode' : '',
      m.capabilities.conditional ? 'conditional' : '',
      m.capabilities.completion ? 'completion' : '',
    ].filter(Boolean);
    return `${m.name.padEnd(12)} ${m.family.padEnd(14)} ${caps.join(', ').padEnd(40)} data: ${m.accepts.join('|')}\n${' '.repeat(13)}${m.description}`;
  });
  process.stdout.write(`${'model'.padEnd(12)} ${'family'.padEnd(14)} ${'capabilities'.padEnd(40)} accepts\n${rows.join('\n')}\n`);
  return 0;
}
