import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { UserError } from '../../../src/core/errors.js';
import { Rng, standardNormals } from '../../../src/core/rng.js';
import { Gaussian } from '../../../src/distributions/gaussian.js';
import { Parameters } from '../../../src/nn/parameters.js';
import { Likelihood } from '../../../src/distributions/decoders.js';
import { gaussianKl, withDataDefaults } from '../../../src/models/latent/common.js';
import { Vae, type VaeConfig } from '../../../src/models/latent/vae.js';
import { allBinary, correlatedBinary } from '../autoregressive/checks.js';
import { assertNoLeaks, assertWeightsRoundTrip, mean, train } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

/** Mean and standard error of a sample. */
function meanAndError(v: Float64Array): { mean: number; se: number } {
  const m = mean(v);
  let sq = 0;
  for (const t of v) sq += (t - m) ** 2;
  return { mean: m, se: Math.sqrt(sq / (v.length - 1) / v.length) };
}

/** Monte-Carlo KL(q || N(0, I)) = E_q[log q(z) - log p(z)] for one [L] posterior, in float64. */
function monteCarloKl(mu: ArrayLike<number>, logVar: ArrayLike<number>, M: number, rng: Rng): { mean: number; se: number } {
  const terms = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    for (let j = 0; j < mu.length; j++) {
      const eps = rng.normal();
      const z = mu[j] + Math.exp(0.5 * logVar[j]) * eps;
      terms[m] += -0.5 * eps * eps - 0.5 * logVar[j] + 0.5 * z * z; // log q(z) - log p(z), 2 pi cancels
    }
  }
  return meanAndError(terms);
}

test('analytic KL(q(z|x) || N(0, I)) equals its Monte-Carlo estimate (4 standard errors) and the float64 closed form', async () => {
  // Explicit posteriors: q = the prior, shifted, narrow and wide coordinates.
  const mu = [[0, 0, 0], [1.5, -2, 0.3], [0.1, 0.2, -0.7]];
  const logVar = [[0, 0, 0], [-3, 1, 0.5], [-0.2, -5, 2]];
  const kl = tf.tidy(() => gaussianKl(tf.tensor2d(mu), tf.tensor2d(logVar)).dataSync());
  const rng = new Rng(11);
  const prior = new Gaussian({ mean: [0, 0, 0], std: [1, 1, 1] });
  mu.forEach((m, b) => {
    const reference = new Gaussian({ mean: m, logStd: logVar[b].map((v) => v / 2) }).klDivergence(prior);
    assert.ok(Math.abs(kl[b] - reference) < 1e-5 * Math.max(1, reference), `row ${b}: ${kl[b]} vs closed form ${reference}`);
    const mc = monteCarloKl(m, logVar[b], 100_000, rng);
    assert.ok(Math.abs(kl[b] - mc.mean) <= 4 * mc.se + 1e-9, `row ${b}: analytic ${kl[b]} vs MC ${mc.mean} +- ${mc.se}`);
  });
  // The model's own KL term, for the posteriors a trained encoder produces.
  const model = new Vae({ hidden: [16], latent: 3, seed: 3 }, [10]);
  const x = correlatedBinary(64, 10);
  await train(model, { x, n: 64 }, 60, 0.02);
  const [post, modelKl] = tf.tidy(() => {
    const xs = tf.tensor2d(x.subarray(0, 40), [4, 10]);
    const { mu: m, logVar: lv } = model.posterior(xs, null);
    return [tf.concat([m, lv], 1).arraySync() as number[][], model.elboTerms(xs, tf.zeros([4, 3]), null).kl.dataSync()];
  });
  post.forEach((row, b) => {
    const mc = monteCarloKl(row.slice(0, 3), row.slice(3), 50_000, rng);
    assert.ok(modelKl[b] > 0.05, `posterior ${b} is the prior (KL ${modelKl[b]}): the check would be trivial`);
    assert.ok(Math.abs(modelKl[b] - mc.mean) <= 4 * mc.se, `example ${b}: analytic ${modelKl[b]} vs MC ${mc.mean} +- ${mc.se}`);
  });
  model.dispose();
});

/**
 * sum over all 2^10 inputs of the importance estimate p^(x) = (1/k) sum_j w_j, computed from the
 * model's log-weights, with its Monte-Carlo standard error sqrt(sum_x Var(w | x) / k).
 */
function totalProbability(model: Vae, k: number, rng: Rng): { total: number; se: number } {
  const D = 10;
  const N = 2 ** D;
  const L = model.latentSize;
  const sum = new Float64Array(N);
  const sq = new Float64Array(N);
  const x = tf.tensor2d(allBinary(D), [N, D]);
  for (let s0 = 0; s0 < k; s0 += 100) {
    const s = Math.min(100, k - s0);
    const eps = standardNormals(rng, s * N * L);
    const logw = tf.tidy(() => model.logImportanceWeights(x, tf.tensor3d(eps, [s, N, L]), null).dataSync()); // [s, N]
    for (let i = 0; i < s * N; i++) {
      const w = Math.exp(logw[i]);
      sum[i % N] += w;
      sq[i % N] += w * w;
    }
  }
  x.dispose();
  let total = 0;
  let variance = 0;
  for (let i = 0; i < N; i++) {
    const m = sum[i] / k;
    total += m;
    variance += ((sq[i] / k - m * m) * k) / (k - 1) / k;
  }
  return { total, se: Math.sqrt(variance) };
}

test('the importance estimate is unbiased for p(x): sum over all 1,024 inputs of exp(logProb) is 1 within 4 MC standard errors', async () => {
  const model = new Vae({ hidden: [16], latent: 2, seed: 1 }, [10]);
  const all = { x: allBinary(10), n: 1024 };
  const k = 400;
  for (const stage of ['random init', 'trained']) {
    if (stage === 'trained') await train(model, { x: correlatedBinary(64, 10), n: 64 }, 150, 0.02);
    // 1. From the log-weights, with the standard error of this very estimate.
    const { total, se } = totalProbability(model, k, new Rng(5));
    assert.ok(se < 0.05, `${stage}: standard error ${se} too large for a meaningful check`);
    assert.ok(Math.abs(total - 1) < 4 * se + 1e-4, `${stage}: sum of p^(x) = ${total} +- ${se}`);
    // 2. Through logProb's chunked path (another draw, same k, so about the same error).
    const logp = await model.logMarginal(all, new Rng(6), k);
    const viaLogProb = logp.reduce((s, l) => s + Math.exp(l), 0);
    assert.ok(Math.abs(viaLogProb - 1) < 4 * se + 1e-4, `${stage}: sum of exp(logMarginal) = ${viaLogProb} (se ${se})`);
  }
  model.dispose();
});

test('L_1 <= L_5 <= L_50 on average over all inputs, and the ELBO (analytic KL) <= L_50', async () => {
  const model = new Vae({ hidden: [16], latent: 2, seed: 2, evalSamples: 50 }, [10]);
  await train(model, { x: correlatedBinary(64, 10), n: 64 }, 150, 0.02);
  const all = { x: allBinary(10), n: 1024 };
  const L = async (k: number) => mean(await model.logMarginal(all, new Rng(k), k));
  const [L1, L5, L50] = [await L(1), await L(5), await L(50)];
  const elbo = mean((await model.bound(all, new Rng(8))).bound);
  assert.ok(L1 < L5 && L5 < L50, `L_1 = ${L1}, L_5 = ${L5}, L_50 = ${L50}`);
  assert.ok(elbo < L50, `ELBO ${elbo} vs L_50 ${L50}`);
  assert.ok(Math.abs(mean(await model.logProb(all, new Rng(50))) - L50) < 1e-9, 'logProb is logMarginal with evalSamples');
  model.dispose();
});

/**
 * d(sum of the ELBO with fixed eps)/d(theta) by autograd against central differences, on a few
 * coordinates of every variable. float32: f ~ 10, h = 5e-3 gives a rounding error ~1e-3 in the
 * difference quotient, so |g - fd| <= 1e-2 + 2e-2 |fd|.
 */
async function checkGradient(config: Partial<VaeConfig>, x: Float32Array, n: number, D: number): Promise<number> {
  const model = new Vae({ hidden: [5], latent: 2, seed: 4, ...config }, [D]);
  // Biases and the learned spread start at 0: move them so no ReLU sits at its kink for an all-zero
  // input (autograd takes relu'(0) = 0, the difference quotient does not) and every path is exercised.
  const rng = new Rng(21);
  const weights = model.getWeights();
  for (const w of weights) {
    if (w.name.endsWith('/b') || w.name === 'decoder/logStd') w.data = Float32Array.from(w.data, () => (w.name === 'decoder/logStd' ? -1 : 0) + 0.4 * (rng.uniform() - 0.5));
  }
  model.setWeights(weights);
  const names = weights.map((w) => w.name);
  const xs = tf.tensor2d(x, [n, D]);
  const eps = tf.tensor2d(standardNormals(new Rng(9), n * 2), [n, 2]);
  const f = () => tf.tidy(() => {
    const { reconstruction, kl } = model.elboTerms(xs, eps, null);
    return tf.sum(tf.sub(reconstruction, kl)) as tf.Scalar;
  });
  const { grads } = tf.variableGrads(f, model.variables);
  const h = 5e-3;
  let checked = 0;
  model.variables.forEach((v, n) => {
    const g = grads[v.name].dataSync();
    const values = Float32Array.from(v.dataSync());
    for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
      const at = (delta: number) => {
        const p = Float32Array.from(values);
        p[i] += delta;
        v.assign(tf.tensor(p, v.shape));
        const r = f();
        const value = r.dataSync()[0];
        r.dispose();
        return value;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(values, v.shape));
      assert.ok(Math.abs(g[i] - fd) <= 1e-2 + 2e-2 * Math.abs(fd), `${config.decoder} ${names[n]}[${i}]: autograd ${g[i]} vs central difference ${fd}`);
      checked++;
    }
  });
  tf.dispose([xs, eps, ...Object.values(grads)]);
  model.dispose();
  return checked;
}

test('reparameterised gradient of the ELBO with fixed eps matches central finite differences (3 decoders)', async () => {
  const D = 6;
  const rng = new Rng(2);
  const binary = correlatedBinary(3, D);
  const real = Float32Array.from({ length: 3 * D }, () => rng.uniform());
  const levels = Float32Array.from({ length: 3 * D }, (_, i) => (i === 0 ? 0 : i === 1 ? 255 : rng.int(256)));
  let checked = await checkGradient({ decoder: 'bernoulli' }, binary, 3, D);
  checked += await checkGradient({ decoder: 'gaussian', decoderStd: 'learned' }, real, 3, D);
  checked += await checkGradient({ decoder: 'logistic', decoderStd: 'learned' }, levels, 3, D);
  assert.ok(checked > 50);
});

test('observation models: the discretized logistic sums to 1 over 256 levels; the Gaussian matches the float64 reference', () => {
  const params = new Parameters(new Rng(0));
  const levels = tf.tensor2d(Float32Array.from({ length: 256 }, (_, k) => k), [256, 1]); // every level of one value
  for (const s of [1e-4, 0.003, 0.05, 1, 30]) {
    const logistic = new Likelihood(params, 'logistic', 1, s, 0, false);
    for (const mu of [-0.2, 0, 0.3, 0.5, 1.1]) {
      const total = tf.tidy(() => tf.sum(tf.exp(logistic.logProb(levels, tf.fill([1, 256, 1], mu) as tf.Tensor3D))).dataSync()[0]);
      assert.ok(Math.abs(total - 1) < 2e-4, `scale ${s}, location ${mu}: levels sum to ${total}`);
    }
  }
  levels.dispose();
  const gaussian = new Likelihood(params, 'gaussian', 3, 0.7, 0, false);
  const x = [0.2, -1, 3];
  const m = [0.1, 0.5, 2];
  const got = tf.tidy(() => gaussian.logProb(tf.tensor2d([x]), tf.tensor3d([[m]])).dataSync()[0]);
  const want = new Gaussian({ mean: m, std: [0.7, 0.7, 0.7] }).logProb(x);
  assert.ok(Math.abs(got - want) < 1e-5 * Math.abs(want), `${got} vs ${want}`);
  params.dispose();
});

/** Mean -ELBO over a batch, with a fixed noise draw. */
async function negativeElbo(model: Vae, x: Float32Array, n: number): Promise<number> {
  return -mean((await model.bound({ x, n }, new Rng(0))).bound);
}

test('training lowers the negative ELBO: Bernoulli, dequantized Gaussian and discretized-logistic MLPs, and a conv net', async () => {
  const rng = new Rng(4);
  const binary = correlatedBinary(64, 16);
  // Intensities k / 255 with structure: two prototypes, blurred.
  const intensities = Float32Array.from(binary, (v) => Math.round(255 * Math.min(1, Math.max(0, 0.2 + 0.6 * v + 0.1 * rng.normal()))) / 255);
  const levels = Float32Array.from(intensities, (v) => Math.round(255 * v));
  const cases: [string, Vae, Float32Array][] = [
    ['bernoulli', new Vae({ hidden: [32], latent: 2 }, [16]), binary],
    ['gaussian', new Vae({ hidden: [32], latent: 2, decoder: 'gaussian', dequantize: true }, [16]), intensities],
    ['logistic', new Vae({ hidden: [32], latent: 2, decoder: 'logistic' }, [16]), levels],
    ['conv', new Vae({ architecture: 'conv', channels: [4, 8], hidden: [16], latent: 2 }, [8, 8, 1]), correlatedBinary(64, 64)],
  ];
  for (const [name, model, x] of cases) {
    const before = await negativeElbo(model, x, 64);
    const metrics = await train(model, { x, n: 64 }, 120, 0.02);
    const after = await negativeElbo(model, x, 64);
    assert.ok(after < before - 1, `${name}: -ELBO ${before} -> ${after}`);
    const last = metrics.at(-1)!;
    assert.deepEqual(Object.keys(last).sort(), ['gradNorm', 'kl', 'loss', 'reconstruction']);
    assert.ok(Math.abs(last.loss - (last.kl - last.reconstruction)) < 1e-3 * Math.abs(last.loss), `${name}: loss = kl - reconstruction at beta 1`);
    model.dispose();
  }
});

test('latent maps and sampling: shapes, value ranges, reproducibility, temperature', async () => {
  const model = new Vae({ hidden: [8], latent: 3 }, [2, 5, 1]);
  const x = correlatedBinary(6, 10);
  const z = await model.encode({ x, n: 6 });
  assert.equal(z.length, 6 * 3);
  const means = await model.decode(z, 6);
  assert.equal(means.length, 60);
  assert.ok(means.every((p) => p > 0 && p < 1), 'Bernoulli means are probabilities');
  assert.deepEqual(await model.sample(5, new Rng(3)), await model.sample(5, new Rng(3)));
  // Temperature 0: every sample is the decoder mean at z = 0.
  const cold = await model.sample(3, new Rng(1), { temperature: 0 });
  const atZero = await model.decode(new Float32Array(3 * 3), 3);
  assert.deepEqual(cold, atZero);
  const drawn = new Vae({ hidden: [8], latent: 3, sampleMode: 'sample' }, [10]);
  assert.ok((await drawn.sample(20, new Rng(2))).every((v) => v === 0 || v === 1), "sampleMode 'sample' draws binary values");
  // options.mode overrides sampleMode either way (genlab sample: draws in CSVs of binary data, --mean).
  assert.ok((await model.sample(20, new Rng(2), { mode: 'sample' })).every((v) => v === 0 || v === 1), "mode 'sample' draws from a 'mean' model");
  assert.ok((await drawn.sample(20, new Rng(2), { mode: 'mean' })).every((p) => p > 0 && p < 1), "mode 'mean' gives probabilities from a 'sample' model");
  const levels = new Vae({ hidden: [8], latent: 3, decoder: 'logistic', sampleMode: 'sample' }, [10]);
  assert.ok((await levels.sample(20, new Rng(2))).every((v) => Number.isInteger(v) && v >= 0 && v <= 255), 'logistic samples are levels');
  [model, drawn, levels].forEach((m) => m.dispose());
});

test('no tensor leaks over trainStep / sample / logProb / bound / encode / decode; weights and config round trip', async () => {
  const x = correlatedBinary(8, 16);
  for (const config of [{ hidden: [8], latent: 2 }, { architecture: 'conv' as const, channels: [2], hidden: [], latent: 2 }]) {
    const model = new Vae({ ...config, evalSamples: 7 }, [4, 4, 1]);
    const copy = new Vae(JSON.parse(JSON.stringify(model.getConfig())), [4, 4, 1]);
    assert.deepEqual(copy.getWeights(), model.getWeights(), 'getConfig (as JSON) rebuilds the same initial model');
    await assertNoLeaks(model, { x, n: 8 });
    [model, copy].forEach((m) => m.dispose());
    await assertWeightsRoundTrip((seed) => new Vae({ ...config, seed }, [4, 4, 1]), { x, n: 8 });
  }
  const gaussian = new Vae({ hidden: [4], latent: 2, decoder: 'gaussian', dequantize: true, evalSamples: 3 }, [16]);
  await assertNoLeaks(gaussian, { x: Float32Array.from(x, (v) => v * 0.5), n: 8 });
  gaussian.dispose();
});

test('a training step leaves the Rng resumable: its saved state continues the same stream', async () => {
  const model = new Vae({ hidden: [4], latent: 3 }, [10]); // 3 examples x 3 latents: an odd number of normals
  const rng = new Rng(8);
  await train(model, { x: correlatedBinary(3, 10), n: 3 }, 1, 0.01, rng);
  const resumed = new Rng(rng.getState());
  assert.equal(resumed.normal(), rng.normal());
  model.dispose();
});

test('configuration and data errors are UserErrors with a clear message', async () => {
  assert.throws(() => new Vae({ architecture: 'conv' }, [784]), UserError);
  assert.throws(() => new Vae({ architecture: 'conv', channels: [8, 8, 8] }, [28, 28, 1]), /divisible by 8/);
  assert.throws(() => new Vae({ decoder: 'bernoulli', dequantize: true }, [4]), /gaussian decoder only/);
  assert.throws(() => new Vae({ decoderStd: 0 }, [4]), /decoderStd/);
  assert.throws(() => new Vae({ latent: 0 }, [4]), /latent/);
  const model = new Vae({ hidden: [4], latent: 2 }, [4]);
  await assert.rejects(model.bound({ x: Float32Array.from([0, 0.5, 1, 1]), n: 1 }, new Rng(0)), /not binary/);
  await assert.rejects(model.logMarginal({ x: Float32Array.from([0, 1, 1, 1]), n: 1 }, new Rng(0), 0), /importance samples/);
  model.dispose();
  // The registry's data defaults.
  assert.deepEqual(withDataDefaults('binary', {}), { decoder: 'bernoulli', dequantize: false });
  assert.deepEqual(withDataDefaults('continuous', {}), { decoder: 'gaussian', dequantize: true });
  assert.deepEqual(withDataDefaults('uint8', {}), { decoder: 'logistic', dequantize: false });
  assert.deepEqual(withDataDefaults('continuous', { decoder: 'logistic' }), { decoder: 'logistic', dequantize: false });
});
