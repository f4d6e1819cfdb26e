import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { UserError } from '../../src/core/errors.js';
import { defaultsOf, defineOptions, formatDefault, parseOptionValue, validateOptions, type OptionSpec } from '../../src/models/options.js';
import { createModel, getEntry, listModels, type DataInfo } from '../../src/models/registry.js';
import { NADE_DEFAULTS, NADE_OPTIONS } from '../../src/models/autoregressive/nade.js';
import { AAE_DEFAULTS } from '../../src/models/latent/aae.js';
import { LATENT_NET } from '../../src/models/latent/common.js';

before(async () => {
  await initBackend('wasm');
});

/** A small example shape of each kind; for these kinds the registry's data-driven values equal the declared defaults. */
const DATA: Record<string, DataInfo> = {
  binary: { shape: [4, 4, 1], kind: 'binary' },
  real: { shape: [2], kind: 'real' },
  /** [0, 1] images: the adversarial models' (a sigmoid output, the default; the DCGAN players need [H, W, C]). */
  continuous: { shape: [4, 4, 1], kind: 'continuous' },
};

/** Asserts `fn` throws a one-line UserError matching `pattern`. */
function throwsUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  });
}

test('every model builds from its declared defaults, given explicitly, and uses them when none are given', () => {
  for (const { name, accepts, family } of listModels()) {
    const data = accepts.includes('binary') ? DATA.binary : family === 'adversarial' ? DATA.continuous : DATA.real;
    const options = getEntry(name).options as Record<string, OptionSpec>;
    const before = tf.memory().numTensors;
    const explicit = createModel(name, { ...defaultsOf(options) }, data);
    const implicit = createModel(name, {}, data);
    for (const [option, spec] of Object.entries(options)) {
      const expected = typeof spec.default === 'number' && spec.type === 'int-list' ? [spec.default] : spec.default;
      assert.deepEqual((explicit.getConfig() as Record<string, unknown>)[option], expected, `${name}.${option} given`);
      assert.deepEqual((implicit.getConfig() as Record<string, unknown>)[option], expected, `${name}.${option} not given`);
    }
    assert.deepEqual(Object.keys(implicit.getConfig()).sort(), Object.keys(options).sort(), `${name}: config fields = declared options`);
    explicit.dispose();
    implicit.dispose();
    assert.equal(tf.memory().numTensors, before, `${name} leaks tensors`);
  }
});

test('*_DEFAULTS are the declarations\' defaults, frozen; latent models share LATENT_NET', () => {
  assert.deepEqual(NADE_DEFAULTS, { hidden: 500, ordering: { type: 'raster' }, seed: 0 });
  assert.equal(NADE_DEFAULTS.hidden, NADE_OPTIONS.hidden.default);
  assert.ok(Object.isFrozen(NADE_DEFAULTS) && Object.isFrozen(NADE_OPTIONS) && Object.isFrozen(NADE_OPTIONS.hidden));
  assert.equal(AAE_DEFAULTS.latent, 2, 'the AAE overrides the shared latent size');
  assert.equal(AAE_DEFAULTS.minStd, LATENT_NET.minStd.default);
  for (const name of ['ae', 'vae', 'betavae', 'cvae', 'iwae', 'aae']) {
    for (const option of Object.keys(LATENT_NET)) assert.ok(option in getEntry(name).options, `${name} lacks ${option}`);
  }
});

test('createModel refuses unknown options, wrong types and out-of-range values, naming model and option', () => {
  throwsUserError(() => createModel('pixelcnn', { hidden: 500 }, DATA.binary), /^pixelcnn has no option 'hidden'; its options: channels, layers/);
  throwsUserError(() => createModel('nade', { hidden: '500' }, DATA.binary), /^nade: option hidden must be an integer >= 1, got "500"$/);
  throwsUserError(() => createModel('nade', { hidden: 0 }, DATA.binary), /^nade: option hidden must be an integer >= 1, got 0$/);
  throwsUserError(() => createModel('made', { hidden: [500, 2.5] }, DATA.binary), /^made: option hidden must be a list of integers >= 1/);
  throwsUserError(() => createModel('made', { orderAgnostic: 'yes' }, DATA.binary), /^made: option orderAgnostic must be true or false/);
  throwsUserError(() => createModel('vae', { decoder: 'poisson' }, DATA.binary), /^vae: option decoder must be one of bernoulli, gaussian, logistic/);
  throwsUserError(() => createModel('vae', { decoderStd: 'fixed' }, DATA.binary), /^vae: option decoderStd must be a number >= 0 or 'learned'/);
  throwsUserError(() => createModel('markov', { order: 2 }, DATA.binary), /^markov: option order must be an integer equal to 1/);
  throwsUserError(() => createModel('fvsbn', { ordering: { type: 'spiral' } }, DATA.binary), /^fvsbn: option ordering must be an ordering/);
  // Undefined counts as not given; values of the right type pass.
  assert.doesNotThrow(() => validateOptions('vae', getEntry('vae').options, { decoderStd: 0.1, hidden: 64, latent: undefined }));
});

test('one command-line string parses into the option\'s type, or is refused in one line', () => {
  const list: OptionSpec = { type: 'int-list', default: [1], min: 1, help: '' };
  assert.deepEqual(parseOptionValue('made', '--hidden', list, '500,500'), [500, 500]);
  assert.deepEqual(parseOptionValue('made', '--hidden', list, ' 500 '), [500]);
  assert.deepEqual(parseOptionValue('vae', '--hidden', list, ''), []);
  throwsUserError(() => parseOptionValue('made', '--hidden', list, '500,,500'), /^made: --hidden must be a list of integers >= 1 \(e\.g\. 500,500\), got '500,,500'$/);
  throwsUserError(() => parseOptionValue('made', '--hidden', list, '500,0'), /got '500,0'/);
  const int: OptionSpec = { type: 'int', default: 1, min: 0, max: 3, help: '' };
  assert.equal(parseOptionValue('m', '--k', int, '3'), 3);
  for (const bad of ['4', '-1', '1.5', '', 'two']) throwsUserError(() => parseOptionValue('m', '--k', int, bad), /^m: --k must be an integer between 0 and 3/);
  const std = LATENT_NET.decoderStd;
  assert.equal(parseOptionValue('vae', '--decoder-std', std, 'learned'), 'learned');
  assert.equal(parseOptionValue('vae', '--decoder-std', std, '0.1'), 0.1);
  const ordering = NADE_OPTIONS.ordering;
  assert.deepEqual(parseOptionValue('nade', '--ordering', ordering, 'snake'), { type: 'snake' });
  assert.deepEqual(parseOptionValue('nade', '--ordering', ordering, 'random'), { type: 'random', seed: 0 });
  throwsUserError(() => parseOptionValue('nade', '--ordering', ordering, 'custom'), /custom: a permutation, as JSON/);
  assert.equal(parseOptionValue('m', '--b', { type: 'boolean', default: false, help: '' }, 'true'), true);
});

test('a declaration whose default contradicts its own spec is refused when it is defined', () => {
  assert.throws(() => defineOptions<{ k: number }>({ k: { type: 'int', default: 0, min: 1, help: '' } }), /option k: default 0 is not an integer >= 1/);
  assert.throws(() => defineOptions<{ c: string }>({ c: { type: 'choice', default: 'c', choices: ['a', 'b'], help: '' } }), /is not one of a, b/);
});

test("every default, written as its flag is (formatDefault: the studio's form fields start so), parses back to itself", () => {
  let checked = 0;
  for (const model of listModels()) {
    for (const [name, spec] of Object.entries(model.options)) {
      if (spec.fromData || spec.default === undefined || spec.default === null) continue;
      const text = formatDefault(spec);
      assert.deepEqual(parseOptionValue(model.name, name, spec, text), spec.default, `${model.name} --${name} ${text}`);
      checked++;
    }
  }
  // The ordering options are among them: their default is an object, written as its name.
  assert.equal(formatDefault(NADE_OPTIONS.ordering), 'raster');
  assert.ok(checked > 50, `${checked} defaults`);
});
