/**
 * The checkpoint keys of the latent models (and EoNADE, whose dense layers share ../../../src/nn/dense.ts)
 * are frozen: names, shapes and initial values of every variable, and what the networks compute,
 * as captured from the code before the encoder, decoder, discriminator and likelihood moved to
 * src/nn and src/distributions (commit 87f152f). A checkpoint written before the move must load
 * into the same variables, and a seed must give the same initial weights.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import { Decoder, Encoder } from '../../../src/nn/encoderDecoder.js';
import { Parameters } from '../../../src/nn/parameters.js';
import { LATENT_NET_DEFAULTS } from '../../../src/models/latent/common.js';
import type { GenerativeModel } from '../../../src/models/model.js';
import { Aae } from '../../../src/models/latent/aae.js';
import { Cvae } from '../../../src/models/latent/cvae.js';
import { Vae } from '../../../src/models/latent/vae.js';
import { Eonade } from '../../../src/models/autoregressive/eonade.js';

before(async () => {
  await initBackend('wasm');
});

/** [name, shape, sum of values, sum of values * ((i mod 7) + 1)]: the position-weighted sum catches a permuted or re-drawn tensor. */
type Fingerprint = [string, number[], number, number];

function fingerprint(values: ArrayLike<number>): [number, number] {
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    weighted += values[i] * ((i % 7) + 1);
  }
  return [sum, weighted];
}

/** Every variable in checkpoint order; the sums are of float32 values drawn in plain JS, so exact on any backend. */
function weights(model: GenerativeModel): Fingerprint[] {
  const out = model.getWeights().map((w): Fingerprint => [w.name, w.shape, ...fingerprint(w.data)]);
  model.dispose();
  return out;
}

const MNIST = [28, 28, 1];
const CONV_CVAE = { architecture: 'conv' as const, hidden: [16], channels: [4, 8], latent: 3, decoder: 'gaussian' as const, numClasses: 3, seed: 5 };
const CONDITIONAL_AAE = { conditionalPrior: true, numClasses: 10, discriminatorHidden: [7, 5], hidden: [6], seed: 2 };

const BEFORE: Record<string, Fingerprint[]> = {
  vae: [
    ["encoder/dense0/W", [784, 500], 6.777327464886696, 79.29091026383992],
    ["encoder/dense0/b", [500], 0, 0],
    ["encoder/mu/W", [500, 20], 3.410531326721866, 44.564951241256495],
    ["encoder/mu/b", [20], 0, 0],
    ["encoder/logVar/W", [500, 20], 4.88755194682517, 15.88362945425115],
    ["encoder/logVar/b", [20], 0, 0],
    ["decoder/dense0/W", [20, 500], 14.842519403491224, 64.13868122242411],
    ["decoder/dense0/b", [500], 0, 0],
    ["decoder/output/W", [500, 784], -0.2861249903167291, -18.23411241513533],
    ["decoder/output/b", [784], 0, 0],
  ],
  aae: [
    ["encoder/dense0/W", [784, 500], 6.777327464886696, 79.29091026383992],
    ["encoder/dense0/b", [500], 0, 0],
    ["encoder/code/W", [500, 2], -2.3388995228742715, -6.451470860876725],
    ["encoder/code/b", [2], 0, 0],
    ["decoder/dense0/W", [2, 500], 1.5061130201647757, 5.707325196752208],
    ["decoder/dense0/b", [500], 0, 0],
    ["decoder/output/W", [500, 784], 17.224329065833977, 18.583679429724825],
    ["decoder/output/b", [784], 0, 0],
    ["discriminator/dense0/W", [2, 500], 0.5420500406653446, 3.0701731392728107],
    ["discriminator/dense0/b", [500], 0, 0],
    ["discriminator/dense1/W", [500, 500], -15.798487935905726, -38.45185732091802],
    ["discriminator/dense1/b", [500], 0, 0],
    ["discriminator/output/W", [500, 1], 1.0919746580620995, 4.509489007774391],
    ["discriminator/output/b", [1], 0, 0],
  ],
  convCvae: [
    ["encoder/conv0/filter", [4, 4, 4, 4], -0.06298033178063633, 0.34427665482871816],
    ["encoder/conv0/bias", [4], 0, 0],
    ["encoder/conv1/filter", [4, 4, 4, 8], 5.225753289530985, 19.718045263318345],
    ["encoder/conv1/bias", [8], 0, 0],
    ["encoder/dense0/W", [32, 16], 10.87501279055141, 37.17577047273517],
    ["encoder/dense0/b", [16], 0, 0],
    ["encoder/mu/W", [16, 3], -1.0561126749962568, -10.362432166934013],
    ["encoder/mu/b", [3], 0, 0],
    ["encoder/logVar/W", [16, 3], 0.45965014153625816, 6.365020115161315],
    ["encoder/logVar/b", [3], 0, 0],
    ["decoder/dense0/W", [6, 16], -8.466112343594432, -36.897651264443994],
    ["decoder/dense0/b", [16], 0, 0],
    ["decoder/project/W", [16, 32], -1.0182628280017525, -1.50671902866452],
    ["decoder/project/b", [32], 0, 0],
    ["decoder/deconv1/filter", [4, 4, 4, 8], -4.8128796077216975, -22.99133580457419],
    ["decoder/deconv1/bias", [4], 0, 0],
    ["decoder/deconv0/filter", [4, 4, 1, 4], 1.4040507445679395, 4.815732780603867],
    ["decoder/deconv0/bias", [1], 0, 0],
    ["decoder/logStd", [64], 0, 0],
  ],
  aaeConditional: [
    ["encoder/dense0/W", [12, 6], -4.518579873256385, -15.039185208268464],
    ["encoder/dense0/b", [6], 0, 0],
    ["encoder/code/W", [6, 2], 2.1873090341687202, 1.2707951217889786],
    ["encoder/code/b", [2], 0, 0],
    ["decoder/dense0/W", [2, 6], -0.5554348230361938, -4.306983530521393],
    ["decoder/dense0/b", [6], 0, 0],
    ["decoder/output/W", [6, 12], 1.8368567088618875, 4.610952127724886],
    ["decoder/output/b", [12], 0, 0],
    ["discriminator/dense0/W", [12, 7], -0.5385598223656416, -13.306189808994532],
    ["discriminator/dense0/b", [7], 0, 0],
    ["discriminator/dense1/W", [7, 5], 0.22107765986584127, -5.476171965477988],
    ["discriminator/dense1/b", [5], 0, 0],
    ["discriminator/output/W", [5, 1], -0.8186830282211304, -5.125855207443237],
    ["discriminator/output/b", [1], 0, 0],
  ],
  eonade: [
    ["W0", [8, 6], 0.6212178186979145, 3.535174393793568],
    ["b0", [6], 0, 0],
    ["W1", [6, 5], -1.3300189338624477, -0.07362908497452736],
    ["b1", [5], 0, 0],
    ["W2", [5, 4], -1.4155597016215324, -12.504860691726208],
    ["b2", [4], 0, 0],
  ],
};

test('a default vae and aae keep their variable names, shapes and initial weights', () => {
  assert.deepEqual(weights(new Vae({}, MNIST)), BEFORE.vae);
  assert.deepEqual(weights(new Aae({}, MNIST)), BEFORE.aae);
});

test('so do a conv cvae (convolutions, label channels, learned decoder spread), a label-conditioned aae and eonade', () => {
  assert.deepEqual(weights(new Cvae(CONV_CVAE, [8, 8, 1])), BEFORE.convCvae);
  assert.deepEqual(weights(new Aae(CONDITIONAL_AAE, [4, 3])), BEFORE.aaeConditional);
  assert.deepEqual(weights(new Eonade({ hidden: [6, 5], seed: 3 }, [4])), BEFORE.eonade);
});

test('control: the fingerprint tells another seed and another creation order apart', () => {
  const reseeded = weights(new Vae({ seed: 1 }, MNIST));
  assert.deepEqual(reseeded.map(([name, shape]) => [name, shape]), BEFORE.vae.map(([name, shape]) => [name, shape]));
  assert.notDeepEqual(reseeded, BEFORE.vae);
  // The same networks created decoder first: every name and shape as before, but other initial values.
  const spec = { ...LATENT_NET_DEFAULTS, inputShape: MNIST, classes: 0 };
  const params = new Parameters(new Rng(LATENT_NET_DEFAULTS.seed));
  new Decoder(params, spec);
  new Encoder(params, spec, ['mu', 'logVar']);
  const swapped = params.getWeights().map((w): Fingerprint => [w.name, w.shape, ...fingerprint(w.data)]);
  params.dispose();
  const byName = (rows: Fingerprint[]) => [...rows].sort(([a], [b]) => a.localeCompare(b));
  assert.deepEqual(byName(swapped).map(([name, shape]) => [name, shape]), byName(BEFORE.vae).map(([name, shape]) => [name, shape]));
  assert.notDeepEqual(byName(swapped), byName(BEFORE.vae));
});

test('the networks compute what they computed before the move (float32 outputs, captured on the cpu backend)', () => {
  const start = tf.memory().numTensors;
  const close = (t: tf.Tensor, [sum, weighted]: [number, number], what: string) => {
    const [s, w] = fingerprint(t.dataSync());
    assert.ok(Math.abs(s - sum) < 1e-5 && Math.abs(w - weighted) < 1e-5, `${what}: sums ${s}, ${w}, before ${sum}, ${weighted}`);
  };
  const fill = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  const cvae = new Cvae(CONV_CVAE, [8, 8, 1]);
  const aae = new Aae(CONDITIONAL_AAE, [4, 3]);
  const eonade = new Eonade({ hidden: [6, 5], seed: 3 }, [4]);
  tf.tidy(() => {
    const x = tf.tensor2d(fill(2 * 64, (i) => Math.sin(i)), [2, 64]);
    const y = tf.tensor2d([1, 0, 0, 0, 0, 1], [2, 3]);
    const { mu, logVar } = cvae.posterior(x, y);
    close(mu, [0.07437089458107948, 0.2861525546759367], 'cvae mu');
    close(logVar, [0.22692333813756704, 0.5135761424899101], 'cvae logVar');
    close(cvae.decoder.apply(mu, y), [0.35146490900660865, 1.3114937507198192], 'cvae decoder');
    const x2 = tf.tensor2d(fill(24, (i) => ((i * 7) % 3 === 0 ? 1 : 0)), [2, 12]);
    const y2 = tf.tensor2d(fill(20, (i) => (i === 3 || i === 18 ? 1 : 0)), [2, 10]);
    const code = aae.code(x2);
    close(code, [0.42845435347408056, 0.8657870711758733], 'aae code');
    close(aae.discriminate(code, y2), [-0.5269502848386765, -0.6656787097454071], 'aae discriminator');
    close(eonade.logits(tf.tensor2d([1, 0, 1, 1, 0, 1, 0, 0], [2, 4]), tf.tensor2d([1, 1, 0, 0, 0, 1, 1, 0], [2, 4])), [-1.513427995145321, -5.007342375814915], 'eonade logits');
  });
  [cvae, aae, eonade].forEach((m) => m.dispose());
  assert.equal(tf.memory().numTensors, start);
});
