import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { UserError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { medianDistance, mmd } from '../../../src/eval/mmd.js';
import { capabilitiesOf } from '../../../src/models/capabilities.js';
import { Aae, type AaeConfig } from '../../../src/models/latent/aae.js';
import { Autoencoder } from '../../../src/models/latent/ae.js';
import { MIXTURE, mixtureCentres, nearestMixtureComponent, samplePrior } from '../../../src/models/latent/priors.js';
import { createModel } from '../../../src/models/registry.js';
import { Trainer } from '../../../src/train/trainer.js';
import { correlatedBinary } from '../autoregressive/checks.js';
import { assertCodesAndSamples, assertNoLeaks, assertWeightsRoundTrip, mean, train } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

/** Mean and variance of coordinate j of [n * dim] points. */
function moments(z: Float32Array, dim: number, j: number): { mean: number; variance: number } {
  const n = z.length / dim;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    s += z[i * dim + j];
    s2 += z[i * dim + j] ** 2;
  }
  return { mean: s / n, variance: s2 / n - (s / n) ** 2 };
}

// ---------------------------------------------------------------------------------------------
// Priors

test('gaussian prior: N(0, I) in any dimension (odd counts too); uniform prior: U([-1, 1]^d)', () => {
  const g = samplePrior('gaussian', 20001, 3, new Rng(0));
  assert.equal(g.length, 60003);
  for (let j = 0; j < 3; j++) {
    const { mean, variance } = moments(g, 3, j);
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.04, `gaussian coordinate ${j}: mean ${mean}, variance ${variance}`);
  }
  assert.deepEqual(samplePrior('gaussian', 7, 3, new Rng(5)), samplePrior('gaussian', 7, 3, new Rng(5)));

  const u = samplePrior('uniform', 20000, 4, new Rng(1));
  assert.equal(u.length, 80000);
  assert.ok(u.every((v) => v >= -1 && v <= 1));
  for (let j = 0; j < 4; j++) {
    const { mean, variance } = moments(u, 4, j);
    assert.ok(Math.abs(mean) < 0.02 && Math.abs(variance - 1 / 3) < 0.01, `uniform coordinate ${j}: mean ${mean}, variance ${variance}`);
  }
});

test('mixture prior: 10 petals on a circle, equally likely, each around its centre', () => {
  const K = 10;
  const n = 20000;
  const z = samplePrior('mixture', n, 2, new Rng(2));
  assert.equal(z.length, 2 * n);
  const nearest = nearestMixtureComponent(z, K);
  const centres = mixtureCentres(K);
  for (let k = 0; k < K; k++) {
    const idx = [...nearest.keys()].filter((i) => nearest[i] === k);
    assert.ok(Math.abs(idx.length / n - 1 / K) < 0.01, `component ${k} takes ${idx.length / n} of the draws`);
    // The petal's centre of mass sits at the centre (a point of another petal with r < 0 is rare).
    const mx = mean(idx.map((i) => z[2 * i]));
    const my = mean(idx.map((i) => z[2 * i + 1]));
    assert.ok(Math.hypot(mx - centres[k][0], my - centres[k][1]) < 0.06, `component ${k}: mean (${mx}, ${my}) vs centre ${centres[k]}`);
  }
  // Thin petals: every point lies close to the ray through its nearest centre.
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * nearest[i]) / K;
    const across = -z[2 * i] * Math.sin(a) + z[2 * i + 1] * Math.cos(a);
    assert.ok(Math.abs(across) < 6 * MIXTURE.tangentialStd, `point ${i} is ${across} off its petal's axis`);
  }
});

test('label-conditioned mixture prior: class k is drawn from component k, with the stated radial / tangential spread', () => {
  const K = 10;
  const n = 20000;
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % K);
  const z = samplePrior('mixture', n, 2, new Rng(3), { components: K, labels });
  const nearest = nearestMixtureComponent(z, K);
  const agree = labels.filter((k, i) => nearest[i] === k).length / n;
  // Only draws with radius < 0 (P(N(0, 1) < -2.8) = 0.26%) or far down the petal land nearer another centre.
  assert.ok(agree > 0.99, `only ${agree} of the draws are nearest their class's component`);
  // Rotated back by -2 pi k / K, each draw is (radius + radialStd e1, tangentialStd e2).
  const along = new Float32Array(n);
  const across = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * labels[i]) / K;
    along[i] = z[2 * i] * Math.cos(a) + z[2 * i + 1] * Math.sin(a);
    across[i] = -z[2 * i] * Math.sin(a) + z[2 * i + 1] * Math.cos(a);
  }
  const ma = moments(along, 1, 0);
  const mc = moments(across, 1, 0);
  assert.ok(Math.abs(ma.mean - MIXTURE.radius) < 0.02 && Math.abs(Math.sqrt(ma.variance) - MIXTURE.radialStd) < 0.01, `radial ${ma.mean} +- ${Math.sqrt(ma.variance)}`);
  assert.ok(Math.abs(mc.mean) < 0.002 && Math.abs(Math.sqrt(mc.variance) - MIXTURE.tangentialStd) < 0.001, `tangential ${mc.mean} +- ${Math.sqrt(mc.variance)}`);
  // Fewer components and checked labels.
  assert.ok(nearestMixtureComponent(samplePrior('mixture', 50, 2, new Rng(0), { components: 3, labels: new Int32Array(50).fill(2) }), 3).every((k) => k === 2));
  assert.throws(() => samplePrior('mixture', 2, 2, new Rng(0), { components: 3, labels: Int32Array.from([0, 3]) }), UserError);
  assert.throws(() => samplePrior('gaussian', 2, 2, new Rng(0), { labels: Int32Array.from([0, 1]) }), UserError);
});

test('swissroll prior: every draw lies on the spiral t (cos t, sin t) / 5, t in [1.5 pi, 4.5 pi], which it covers', () => {
  const n = 4000;
  const z = samplePrior('swissroll', n, 2, new Rng(4));
  assert.equal(z.length, 2 * n);
  const T = 3000;
  const ts = Float64Array.from({ length: T + 1 }, (_, i) => 1.5 * Math.PI + (3 * Math.PI * i) / T);
  const nearestT = new Float64Array(n);
  const distance = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (const t of ts) {
      const d = Math.hypot(z[2 * i] - (t * Math.cos(t)) / 5, z[2 * i + 1] - (t * Math.sin(t)) / 5);
      if (d < best) [best, nearestT[i]] = [d, t];
    }
    distance[i] = best;
  }
  // The noise is N(0, 0.1^2) per coordinate, so the distance to the curve is at most its norm.
  assert.ok(Math.max(...distance) < 0.5, `a draw lies ${Math.max(...distance)} from the spiral`);
  assert.ok(mean(distance) < 0.12, `mean distance to the spiral ${mean(distance)}`);
  // t ~ U(1.5 pi, 4.5 pi): mean 3 pi, both ends reached.
  assert.ok(Math.abs(mean(nearestT) - 3 * Math.PI) < 0.15, `mean t ${mean(nearestT)}`);
  assert.ok(Math.min(...nearestT) < 1.5 * Math.PI + 0.2 && Math.max(...nearestT) > 4.5 * Math.PI - 0.2);
  assert.throws(() => samplePrior('swissroll', 2, 3, new Rng(0)), /2-D/);
  assert.throws(() => samplePrior('mixture', 2, 1, new Rng(0)), /2-D/);
});

// ---------------------------------------------------------------------------------------------
// MMD

test('MMD: matches a hand computation; median heuristic; ~0 for one distribution, clearly positive for two', () => {
  // x = {0, 1}, y = {2, 4} in 1-D: pooled distances 1, 1, 2, 2, 3, 4 -> median s = 2, k = exp(-d^2 / 8).
  const x = Float32Array.from([0, 1]);
  const y = Float32Array.from([2, 4]);
  assert.equal(medianDistance(x, y, 1), 2);
  const k = (d: number) => Math.exp(-(d * d) / 8);
  const want = k(1) + k(2) - (2 / 4) * (k(2) + k(4) + k(1) + k(3));
  const got = mmd(x, y, 1);
  assert.equal(got.bandwidth, 2);
  assert.ok(Math.abs(got.mmd2 - want) < 1e-12, `${got.mmd2} vs ${want}`);
  assert.ok(Math.abs(mmd(x, y, 1, { bandwidth: 1 }).mmd2 - (Math.exp(-0.5) + Math.exp(-2) - 0.5 * (Math.exp(-2) + Math.exp(-8) + Math.exp(-0.5) + Math.exp(-4.5)))) < 1e-12);

  const rng = new Rng(5);
  const a = samplePrior('gaussian', 400, 2, rng);
  const b = samplePrior('gaussian', 400, 2, rng);
  const shifted = samplePrior('gaussian', 400, 2, rng).map((v, i) => (i % 2 === 0 ? v + 0.5 : v));
  const same = mmd(a, b, 2).mmd2;
  const apart = mmd(a, shifted, 2).mmd2;
  assert.ok(Math.abs(same) < 0.005, `same distribution: MMD^2 ${same}`);
  assert.ok(apart > 0.03 && apart > 10 * Math.abs(same), `N(0, I) vs N((0.5, 0), I): MMD^2 ${apart}`);
  for (const prior of ['uniform', 'swissroll'] as const) {
    const other = mmd(a, samplePrior(prior, 400, 2, rng), 2).mmd2;
    assert.ok(other > 0.02 && other > 5 * Math.abs(same), `gaussian vs ${prior}: MMD^2 ${other}`);
  }
  // The petal mixture has nearly the mean and covariance of N(0, I): the median bandwidth (~1.7)
  // barely separates them, a finer kernel does.
  const mixture = samplePrior('mixture', 400, 2, rng);
  const coarse = mmd(a, mixture, 2).mmd2;
  const fine = mmd(a, mixture, 2, { bandwidth: 0.3 }).mmd2;
  const fineSame = mmd(a, b, 2, { bandwidth: 0.3 }).mmd2;
  assert.ok(coarse < 0.01 && fine > 0.01 && fine > 5 * Math.abs(fineSame), `gaussian vs mixture: MMD^2 ${coarse} (median bandwidth), ${fine} (0.3; same distribution ${fineSame})`);

  // Unbiased: under P = Q the estimates scatter around 0 (the biased V-statistic is always > 0).
  const estimates = Array.from({ length: 40 }, () => mmd(samplePrior('gaussian', 30, 2, rng), samplePrior('gaussian', 30, 2, rng), 2, { bandwidth: 1 }).mmd2);
  const negative = estimates.filter((e) => e < 0).length;
  assert.ok(negative >= 10 && negative <= 30, `${negative} of 40 null estimates are negative`);
  assert.ok(Math.abs(mean(estimates)) < 0.01, `mean null estimate ${mean(estimates)}`);
  assert.throws(() => mmd(Float32Array.from([0]), y, 1), UserError);
  assert.throws(() => mmd(new Float32Array(4), new Float32Array(4), 2), /bandwidth/);
});

// ---------------------------------------------------------------------------------------------
// The model

const SMALL: Partial<AaeConfig> = { hidden: [32], latent: 2, discriminatorHidden: [32, 32] };

test('AAE: capabilities, shapes, three parameter groups over the right variables, config checks', async () => {
  const model = new Aae({ hidden: [8], latent: 2, discriminatorHidden: [6, 5] }, [4, 4, 1]);
  assert.equal(model.name, 'aae');
  assert.deepEqual(capabilitiesOf(model), { density: 'implicit', latent: true, conditional: false, completion: false });
  assert.equal((model as { logProb?: unknown }).logProb, undefined);
  const groups = model.parameterGroups();
  assert.deepEqual(Object.keys(groups), ['autoencoder', 'discriminator', 'generator']);
  assert.equal(model.latentSize, 2);

  // The groups name their variables by checkpoint name, and hold the model's own variables.
  const names = new Map(model.variables.map((v, i) => [v, model.getWeights()[i].name]));
  const group = (k: 'autoencoder' | 'discriminator' | 'generator') =>
    [...groups[k].variables].map(([name, v]) => {
      assert.equal(names.get(v), name);
      return name;
    });
  const [ae, disc, gen] = [group('autoencoder'), group('discriminator'), group('generator')];
  assert.ok(ae.every((n) => n.startsWith('encoder/') || n.startsWith('decoder/')) && ae.some((n) => n.startsWith('decoder/')));
  assert.ok(gen.length > 0 && gen.every((n) => n.startsWith('encoder/')));
  assert.deepEqual(disc, ['discriminator/dense0/W', 'discriminator/dense0/b', 'discriminator/dense1/W', 'discriminator/dense1/b', 'discriminator/output/W', 'discriminator/output/b']);
  assert.deepEqual(model.getWeights().find((w) => w.name === 'discriminator/dense0/W')!.shape, [2, 6]);
  // The discriminator shares nothing with the autoencoder; the generator is exactly the encoder.
  assert.ok(disc.every((n) => !ae.includes(n)));
  assert.deepEqual(gen, ae.filter((n) => n.startsWith('encoder/')));
  assert.deepEqual(new Set([...ae, ...disc]), new Set(names.values()));

  const x = correlatedBinary(5, 16);
  await assertCodesAndSamples(model, x, 2);

  // The label-conditioned discriminator reads [z, one-hot y].
  const cond = new Aae({ hidden: [8], discriminatorHidden: [6], conditionalPrior: true, numClasses: 3, components: 3 }, [16]);
  assert.deepEqual(cond.getWeights().find((w) => w.name === 'discriminator/dense0/W')!.shape, [5, 6]);
  const trainer = new Trainer(cond, { optimizer: { learningRate: 0.01 } });
  await assert.rejects(trainer.step({ x, n: 5 }, { rng: new Rng(0), step: 0 }), /needs class labels/);
  await assert.rejects(trainer.step({ x, n: 5, labels: Int32Array.from([0, 1, 2, 3, 0]) }, { rng: new Rng(0), step: 0 }), /label 3 is outside 0..2/);
  trainer.dispose();
  cond.dispose();

  assert.throws(() => new Aae({ latent: 3 }, [16]), /'mixture' prior is 2-D/);
  assert.throws(() => new Aae({ latent: 3, prior: 'swissroll' }, [16]), /2-D/);
  assert.throws(() => new Aae({ prior: 'cauchy' as never }, [16]), /prior must be one of/);
  assert.throws(() => new Aae({ prior: 'gaussian', conditionalPrior: true }, [16]), /needs prior 'mixture'/);
  assert.throws(() => new Aae({ conditionalPrior: true, numClasses: 3 }, [16]), /components \(10\) must equal numClasses \(3\)/);
  assert.throws(() => new Aae({ discriminatorHidden: [0] }, [16]), /discriminatorHidden/);
  const wide = new Aae({ prior: 'gaussian', latent: 5, hidden: [4], discriminatorHidden: 3 as never }, [16]);
  assert.equal((await wide.sample(2, new Rng(0))).length, 32);
  assert.deepEqual(wide.getConfig().discriminatorHidden, [3]);
  wide.dispose();
});

test('AAE: the R1 penalty is E|grad_z D(z)|^2 (finite differences) and changes the discriminator update, not the decoder one; k discriminator steps; adversarial Adam settings', async () => {
  const model = new Aae({ hidden: [8], latent: 2, discriminatorHidden: [6, 5], gradientPenalty: 4, seed: 3 }, [16]);
  const z = samplePrior('mixture', 7, 2, new Rng(5));
  const logits = (values: Float32Array) => tf.tidy(() => model.discriminate(tf.tensor2d(values, [7, 2]), null).dataSync());
  // Central differences of D's logit in each coordinate of each row (D is piecewise linear in z).
  let expected = 0;
  const h = 1e-3;
  for (let i = 0; i < 7; i++) {
    for (let j = 0; j < 2; j++) {
      const up = Float32Array.from(z);
      const down = Float32Array.from(z);
      up[i * 2 + j] += h;
      down[i * 2 + j] -= h;
      expected += ((logits(up)[i] - logits(down)[i]) / (2 * h)) ** 2 / 7;
    }
  }
  const penalty = tf.tidy(() => model.gradientPenalty(tf.tensor2d(z, [7, 2]), null).dataSync()[0]);
  assert.ok(expected > 1e-3 && Math.abs(penalty - expected) < 1e-2 * expected, `R1 ${penalty}, finite differences ${expected}`);
  await assertNoLeaks(model, { x: correlatedBinary(6, 16), n: 6 });
  model.dispose();

  // One step with and without the penalty from the same weights: the decoder (updated before the
  // regularization phase) ends the same, the discriminator does not.
  const stepped = async (gradientPenalty: number) => {
    const m = new Aae({ hidden: [8], discriminatorHidden: [6], gradientPenalty, seed: 1 }, [16]);
    await train(m, { x: correlatedBinary(6, 16), n: 6 }, 1, 0.01, 2);
    const weights = m.getWeights();
    m.dispose();
    return (prefix: string) => weights.filter((w) => w.name.startsWith(prefix)).flatMap((w) => Array.from(w.data));
  };
  const [plain, penalised] = [await stepped(0), await stepped(100)];
  assert.deepEqual(penalised('decoder/'), plain('decoder/'));
  assert.notDeepEqual(penalised('discriminator/'), plain('discriminator/'));

  const tuned = new Aae({ hidden: [4], discriminatorHidden: [4], discriminatorLearningRate: 0.5, generatorLearningRate: 3, adversarialBeta1: 0.5 }, [16]);
  const tunedTrainer = new Trainer(tuned, { optimizer: { learningRate: 0.002 } });
  const settings = (name: string) => {
    const { learningRate, beta1, beta2 } = tunedTrainer.optimizers[name].settings;
    return [learningRate, beta1, beta2];
  };
  assert.deepEqual(settings('autoencoder'), [0.002, 0.9, 0.999]);
  assert.deepEqual(settings('discriminator'), [0.001, 0.5, 0.999]);
  assert.deepEqual(settings('generator'), [0.006, 0.5, 0.999]);
  tunedTrainer.dispose();
  tuned.dispose();
  // k discriminator updates per step (Algorithm 1's k), the generator still one.
  const k3 = new Aae({ hidden: [4], discriminatorHidden: [4], discriminatorSteps: 3 }, [16]);
  const k3Trainer = new Trainer(k3, { optimizer: { learningRate: 0.01 } });
  await k3Trainer.step({ x: correlatedBinary(6, 16), n: 6 }, { rng: new Rng(0), step: 0 });
  assert.deepEqual(['autoencoder', 'discriminator', 'generator'].map((name) => k3Trainer.optimizers[name].iterations), [1, 3, 1]);
  k3Trainer.dispose();
  await assertNoLeaks(k3, { x: correlatedBinary(6, 16), n: 6 });
  k3.dispose();
  assert.throws(() => new Aae({ discriminatorSteps: 0 }, [16]), /discriminatorSteps/);
  assert.throws(() => new Aae({ gradientPenalty: -1 }, [16]), /gradientPenalty/);
  assert.throws(() => new Aae({ discriminatorLearningRate: 0 }, [16]), /discriminatorLearningRate must be > 0/);
  assert.throws(() => new Aae({ generatorLearningRate: -1 }, [16]), /generatorLearningRate must be > 0/);
  assert.throws(() => new Aae({ adversarialBeta1: 1 }, [16]), /adversarialBeta1/);
});

test('AAE training lowers the reconstruction loss and pulls the codes onto the prior (MMD), where a plain AE does not', async () => {
  const batch = { x: correlatedBinary(128, 16), n: 128 };
  const priorDraws = samplePrior('mixture', 500, 2, new Rng(99));
  const model = new Aae({ ...SMALL, seed: 0 }, [16]);
  const before = mmd(await model.encode(batch), priorDraws, 2).mmd2;
  const m = await train(model, batch, 300, 0.005);
  const after = mmd(await model.encode(batch), priorDraws, 2).mmd2;
  assert.deepEqual(Object.keys(m[0]).sort(), ['dAccuracy', 'discriminator', 'generator', 'loss', 'reconstruction']);
  assert.ok(m.every((s) => s.reconstruction === -s.loss && s.dAccuracy >= 0 && s.dAccuracy <= 1));
  const first = mean(m.slice(0, 10).map((s) => s.loss));
  const last = mean(m.slice(-20).map((s) => s.loss));
  assert.ok(last < first - 3, `reconstruction loss ${first} -> ${last}`);
  // Seeds 0-4 (model and step Rng) give MMD^2 0.13-0.26 at init and |MMD^2| < 0.013 after 300 steps.
  assert.ok(before > 0.08 && after < 0.04 && after < before / 4, `MMD^2(codes, prior) ${before} -> ${after}`);
  // Near equilibrium the discriminator is close to chance.
  const acc = mean(m.slice(-20).map((s) => s.dAccuracy));
  assert.ok(acc > 0.4 && acc < 0.8, `discriminator accuracy ${acc}`);
  model.dispose();

  // The same networks trained on reconstruction alone leave the codes wherever they fall (seeds 0-4: MMD^2 0.42-0.49).
  const ae = new Autoencoder({ hidden: [32], latent: 2, seed: 0 }, [16]);
  await train(ae, batch, 300, 0.005);
  const aeMmd = mmd(await ae.encode(batch), priorDraws, 2).mmd2;
  assert.ok(aeMmd > 2 * after && aeMmd > 0.05, `plain AE: MMD^2(codes, prior) ${aeMmd} (AAE ${after})`);
  ae.dispose();
});

test('label-conditioned AAE: the label steers each class towards its own mixture component', async () => {
  // Three classes of 12 binary pixels, class k lighting pixels 4k..4k+3, each pixel flipped with
  // probability 1/4 (the spread lets class clusters slide past each other in the 2-D code space).
  const K = 3;
  const n = 90;
  const labels = Int32Array.from({ length: n }, (_, i) => i % K);
  const rng = new Rng(7);
  const x = new Float32Array(n * 12);
  labels.forEach((c, i) => {
    for (let d = 0; d < 12; d++) x[i * 12 + d] = (Math.floor(d / 4) === c) !== rng.uniform() < 0.25 ? 1 : 0;
  });
  const batch = { x, n, labels };
  const agreement = async (config: Partial<AaeConfig>) => {
    const model = new Aae({ ...SMALL, components: K, numClasses: K, ...config }, [12]);
    await train(model, batch, 300, 0.005, config.seed);
    const nearest = nearestMixtureComponent(await model.encode(batch), K);
    model.dispose();
    return labels.filter((k, i) => nearest[i] === k).length / n;
  };
  // A class must sometimes cross another's cluster to reach its component, and the reconstruction
  // term resists that in 2-D: over seeds 0-9, 8 runs place every class (agreement 0.92-0.99) and 2
  // get stuck with one class misplaced (0.61, 0.63). So: every seed well above what the labels
  // give by chance, and most seeds all the way.
  const conditional = [];
  for (const seed of [0, 1, 2]) conditional.push(await agreement({ conditionalPrior: true, seed }));
  assert.ok(conditional.every((a) => a > 0.5), `agreement with the labels: ${conditional}`);
  assert.ok(conditional.filter((a) => a > 0.9).length >= 2, `agreement with the labels: ${conditional}`);
  // Without the label the same training puts classes in components regardless of their labels
  // (seeds 0-9: 0.08-0.36).
  const unconditional = await agreement({ seed: 0 });
  assert.ok(unconditional < 0.45, `unconditional agreement ${unconditional}`);
});

test('AAE: no leaks (unconditional and label-conditioned); weights round trip; registry entry', async () => {
  const x = correlatedBinary(6, 16);
  const model = new Aae({ hidden: [4], discriminatorHidden: [4] }, [16]);
  await assertNoLeaks(model, { x, n: 6 });
  model.dispose();
  const cond = new Aae({ hidden: [4], discriminatorHidden: [4], conditionalPrior: true, numClasses: 3, components: 3 }, [16]);
  await assertNoLeaks(cond, { x, n: 6, labels: Int32Array.from([0, 1, 2, 0, 1, 2]) });
  cond.dispose();
  await assertWeightsRoundTrip((seed) => new Aae({ hidden: [4], discriminatorHidden: [4], seed }, [16]), { x, n: 6 });

  const made = createModel('aae', { prior: 'swissroll', hidden: [4] }, { shape: [16], kind: 'binary', numClasses: 4 });
  assert.ok(made instanceof Aae);
  assert.equal(made.getConfig().numClasses, 4);
  assert.equal(made.getConfig().decoder, 'bernoulli');
  made.dispose();
  const real = createModel('aae', { hidden: [4] }, { shape: [3], kind: 'real' });
  assert.equal(real.getConfig().decoder, 'gaussian');
  assert.equal(real.getConfig().numClasses, 10);
  real.dispose();
});
