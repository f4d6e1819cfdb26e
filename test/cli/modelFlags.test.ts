import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/core/engine.js';
import { UserError } from '../../src/core/errors.js';
import { firstPositional, parse } from '../../src/cli/args.js';
import { configFromModelFlags, kebabCase, modelFlagTable } from '../../src/cli/modelFlags.js';
import { TRAIN_OPTIONS } from '../../src/cli/commands/train.js';
import type { OptionSpec } from '../../src/models/options.js';
import { getEntry, listModels } from '../../src/models/registry.js';

const TAKEN = Object.keys(TRAIN_OPTIONS);

before(async () => {
  await initBackend('cpu'); // listModels reads capabilities off small instances
});

/** What `genlab train MODEL ...args` puts into the model config. */
function flagsToConfig(model: string, args: string[]): Record<string, unknown> {
  const table = { ...TRAIN_OPTIONS, ...modelFlagTable(model, TAKEN) };
  return configFromModelFlags(model, parse(`train ${model}`, [model, ...args], table).values, TAKEN);
}

function throwsOneLine(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), e.message);
    return true;
  });
}

test('the spellings README documents set the options they name', () => {
  const cases: [string, string[], Record<string, unknown>][] = [
    ['ar', ['--order', '3', '--smoothing', '0.5', '--states', '4'], { order: 3, smoothing: 0.5, states: 4 }],
    ['nade', ['--hidden', '64', '--ordering', 'snake'], { hidden: 64, ordering: { type: 'snake' } }],
    ['fvsbn', ['--ordering', 'random', '--ordering-seed', '7'], { ordering: { type: 'random', seed: 7 } }],
    ['fvsbn', ['--ordering', 'random'], { ordering: { type: 'random', seed: 0 } }],
    ['made', ['--hidden', '500,500', '--masks', '4', '--order-agnostic'], { hidden: [500, 500], masks: 4, orderAgnostic: true }],
    ['vae', ['--hidden', '64', '--latent', '2'], { hidden: [64], latent: 2 }],
    ['pixelcnn', ['--channels', '16', '--layers', '2'], { channels: 16, layers: 2 }],
    ['rowlstm', ['--hidden-channels', '8', '--layers', '1'], { hiddenChannels: 8, layers: 1 }],
    ['diagbilstm', ['--hidden-channels', '8', '--layers', '2'], { hiddenChannels: 8, layers: 2 }],
    ['rnade', ['--no-dequantize'], { dequantize: false }],
    ['vae', ['--decoder-std', 'learned', '--model-seed', '3'], { decoderStd: 'learned', seed: 3 }],
    ['made', [], {}],
  ];
  for (const [model, args, expected] of cases) assert.deepEqual(flagsToConfig(model, args), expected, `${model} ${args.join(' ')}`);
});

test('every option of every model has a flag, and its default written as text parses back to the default', () => {
  for (const { name } of listModels()) {
    const options = getEntry(name).options as Record<string, OptionSpec>;
    const table = modelFlagTable(name, TAKEN);
    for (const [option, spec] of Object.entries(options)) {
      const flag = TAKEN.includes(kebabCase(option)) ? `model-${kebabCase(option)}` : kebabCase(option);
      assert.ok(table[flag], `${name}: no --${flag} for ${option}`);
      assert.match(table[flag].help, /\(default .+\)$/, `${name} --${flag} shows its default`);
      if (spec.type === 'boolean') continue;
      const d = spec.default;
      const text = Array.isArray(d) ? d.join(',') : spec.type === 'ordering' ? (d as { type: string }).type : spec.type === 'object' ? JSON.stringify(d) : String(d);
      assert.deepEqual(flagsToConfig(name, [`--${flag}`, text]), { [option]: d }, `${name} --${flag} ${text}`);
    }
  }
  assert.equal(kebabCase('discriminatorLearningRate'), 'discriminator-learning-rate');
});

test('bad values and other models\' flags are refused in one line naming the model', () => {
  throwsOneLine(() => flagsToConfig('made', ['--hidden', '500,x']), /^made: --hidden must be a list of integers >= 1 \(e\.g\. 500,500\), got '500,x'$/);
  throwsOneLine(() => flagsToConfig('nade', ['--hidden', '500,500']), /^nade: --hidden must be an integer >= 1, got '500,500'$/);
  throwsOneLine(() => flagsToConfig('pixelcnn', ['--layers=-1']), /^pixelcnn: --layers must be an integer >= 0, got '-1'$/);
  throwsOneLine(() => flagsToConfig('pixelcnn', ['--layers', '-1']), /^pixelcnn: --layers must be an integer >= 0, got '-1'$/);
  throwsOneLine(() => flagsToConfig('vae', ['--decoder', 'poisson']), /^vae: --decoder must be one of bernoulli, gaussian, logistic/);
  throwsOneLine(() => flagsToConfig('made', ['--ordering-seed', '3']), /^made: --ordering-seed needs --ordering random$/);
  throwsOneLine(() => flagsToConfig('pixelcnn', ['--hidden', '500']), /^genlab train pixelcnn: Unknown option '--hidden' \(see 'npx genlab train pixelcnn --help'\)$/);
  throwsOneLine(() => flagsToConfig('nade', ['--order-agnostic']), /train nade: Unknown option '--order-agnostic'/);
});

test('the model is found before its flags are known: the first positional, skipping values of known options', () => {
  assert.equal(firstPositional(['made', '--hidden', '5'], TRAIN_OPTIONS), 'made');
  assert.equal(firstPositional(['--data', 'mnist', '--json', 'nade'], TRAIN_OPTIONS), 'nade');
  assert.equal(firstPositional(['--data=mnist', 'vae'], TRAIN_OPTIONS), 'vae');
  assert.equal(firstPositional(['--help'], TRAIN_OPTIONS), undefined);
});
