/**
 * PixelCNN: what defines it. Probabilities over every image of a tiny space sum to 1 (binary, K
 * levels, RGB); the output at (pixel i, channel c) has an exactly zero gradient w.r.t. every input
 * not before it in raster-then-RGB order and a non-zero one w.r.t. some input before it (karpathy's
 * MADE check); sampling's cropped window gives the full image's logits; training on vertical bars
 * learns them; sampling, completion, weights and memory behave.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { allImages, checkLearnsBars, adamTrainer, totalImageProbability } from './checks.js';
import { initBackend } from '../../../src/core/engine.js';
import { UserError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { PixelCnn, type PixelCnnConfig } from '../../../src/models/autoregressive/pixelcnn.js';
import { maskValues } from '../../../src/nn/maskedConv2d.js';

/** Small enough for the wasm backend on two cores. */
const SMALL: Partial<PixelCnnConfig> = { channels: 8, layers: 2 };

before(async () => {
  await initBackend('wasm');
});

test('the mask opens the past, closes the future, and orders colour groups at the centre', () => {
  const k = 3;
  for (const type of ['A', 'B'] as const) {
    const m = maskValues({ kernel: k, inChannels: 3, outChannels: 6, mask: type, groups: 3 });
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) {
        for (let i = 0; i < 3; i++) {
          for (let o = 0; o < 6; o++) {
            const gOut = Math.floor(o / 2); // output channels 0-1: R, 2-3: G, 4-5: B
            const centreOpen = type === 'A' ? i < gOut : i <= gOut;
            const expected = r < 1 || (r === 1 && c < 1) ? 1 : r === 1 && c === 1 && centreOpen ? 1 : 0;
            assert.equal(m[((r * k + c) * 3 + i) * 6 + o], expected, `mask ${type} tap (${r}, ${c}) ${i} -> ${o}`);
          }
        }
      }
    }
  }
});

test('probabilities of all images sum to 1: binary 3x3, before and after training', async () => {
  const model = new PixelCnn({ ...SMALL, seed: 1 }, [3, 3, 1]);
  assert.ok(Math.abs((await totalImageProbability(model, 9, 2)) - 1) < 1e-4);
  // Trained hard on 16 images (log 1/16 = -2.8; uniform: -6.2) so the conditionals are far from uniform.
  const rng = new Rng(2);
  const trainer = adamTrainer(model, 0.05);
  const data = allImages(9, 2);
  for (let s = 0; s < 20; s++) await trainer.step({ x: data.x.subarray(0, 16 * 9), n: 16 }, { rng, step: s });
  trainer.dispose();
  const logp = await model.logProb({ x: data.x.subarray(0, 9), n: 1 });
  assert.ok(logp[0] > -4, `trained model gives a training image log p = ${logp[0]}`);
  assert.ok(Math.abs((await totalImageProbability(model, 9, 2)) - 1) < 1e-4);
  model.dispose();
});

test('probabilities sum to 1 with K levels and with RGB channels', async () => {
  const cases: [number[], number][] = [
    [[2, 2, 1], 3], // 81 images, softmax per pixel
    [[2, 1, 3], 2], // 64 RGB configurations, Bernoulli per channel
    [[2, 1, 3], 3], // 729 RGB images, softmax per channel
    [[1, 1, 1], 256], // one 8-bit pixel: 256 values
  ];
  for (const [shape, K] of cases) {
    const model = new PixelCnn({ ...SMALL, levels: K, seed: 3 }, shape);
    const total = await totalImageProbability(model, shape[0] * shape[1] * shape[2], K);
    assert.ok(Math.abs(total - 1) < 1e-4, `shape [${shape}], K = ${K}: total ${total}`);
    model.dispose();
  }
});

test('output (i, c) depends on exactly the inputs before it in raster-then-RGB order', () => {
  const cases: [number[], number][] = [
    [[4, 4, 1], 2],
    [[3, 3, 3], 2],
    [[3, 3, 3], 4],
  ];
  // Several random inputs at once (examples do not interact), zero-mean so that no unit is off for
  // all of them: a path through ReLUs that happen to be off for one input is on for another, and
  // "sees" means non-zero for at least one of them.
  const B = 4;
  for (const [shape, K] of cases) {
    const [H, W, C] = shape;
    const D = H * W * C;
    const model = new PixelCnn({ ...SMALL, levels: K, seed: 4 }, shape);
    const rng = new Rng(5);
    const x = tf.tensor4d(Float32Array.from({ length: B * D }, () => rng.normal() * (K - 1)), [B, H, W, C]);
    const L = K === 2 ? 1 : K;
    for (let i = 0; i < D; i++) {
      // A random combination of output i's logit(s), so that K logits cannot cancel by accident.
      const select = new Float32Array(B * D * L);
      for (let b = 0; b < B; b++) for (let k = 0; k < L; k++) select[(b * D + i) * L + k] = 0.5 + rng.uniform();
      const g = tf.tidy(() => {
        const s = tf.tensor(select, K === 2 ? [B, H, W, C] : [B, H, W, C, K]);
        return tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.logits(input as tf.Tensor4D), s)))(x);
      });
      const grad = g.dataSync(); // [B, D]
      g.dispose();
      // The flat index (pixel * C + channel) is the raster-then-RGB position.
      let seen = false;
      for (let b = 0; b < B; b++) {
        for (let j = i; j < D; j++) assert.equal(grad[b * D + j], 0, `shape [${shape}] K ${K}: output ${i} sees input ${j}`);
        for (let j = 0; j < i; j++) seen ||= grad[b * D + j] !== 0;
      }
      if (i > 0) assert.ok(seen, `shape [${shape}] K ${K}: output ${i} sees no earlier input`);
    }
    x.dispose();
    model.dispose();
  }
});

test('the logits at (r, c) only need the window of rows r - R..r, columns c - R..c + R', () => {
  const [H, W, C] = [7, 9, 3];
  const model = new PixelCnn({ channels: 12, layers: 2, firstKernel: 3, kernel: 3, levels: 4, seed: 6 }, [H, W, C]);
  assert.equal(model.reach, 3);
  // Zero-mean inputs, several images: every path through the ReLUs is on for some of them, so a
  // window one pixel too small on any side changes some logit by ~5e-5 (on wasm the window's logits
  // equal the full image's exactly).
  const n = 4;
  const rng = new Rng(7);
  const values = Float32Array.from({ length: n * H * W * C }, () => 3 * rng.normal());
  const full = tf.tidy(() => model.logits(tf.tensor4d(values, [n, H, W, C])));
  const fullValues = full.dataSync(); // [n, H, W, C, 4]
  full.dispose();
  const L = C * 4;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const w = model.pixelLogits(values, n, r, c);
      const wv = w.dataSync(); // [n, C, 4]
      w.dispose();
      for (let b = 0; b < n; b++) {
        for (let k = 0; k < L; k++) {
          const ref = fullValues[((b * H + r) * W + c) * L + k];
          const got = wv[b * L + k];
          assert.ok(Math.abs(got - ref) < 1e-6, `image ${b} (${r}, ${c}) logit ${k}: ${got} vs ${ref}`);
        }
      }
    }
  }
  model.dispose();
});

/**
 * Reference sampler: the full image through the network for every entry in raster-then-RGB order,
 * then the same draws as the model (Bernoulli u < p, or the smallest k with p_0 + ... + p_k > u).
 */
function referenceFill(model: PixelCnn, x: Float32Array, n: number, missing: Uint8Array, rng: Rng): Float32Array {
  const [H, W, C] = model.inputShape;
  const K = model.config.levels;
  const D = H * W * C;
  for (let i = 0; i < D; i++) {
    if (!missing[i]) continue;
    const p = tf.tidy(() => {
      const l = tf.reshape(model.logits(tf.tensor4d(x, [n, H, W, C])), [n, D, K === 2 ? 1 : K]);
      const li = tf.reshape(tf.slice(l, [0, i, 0], [n, 1, -1]), [n, -1]);
      return K === 2 ? tf.sigmoid(li) : tf.softmax(li);
    });
    const v = p.dataSync();
    p.dispose();
    for (let b = 0; b < n; b++) {
      const u = rng.uniform();
      if (K === 2) {
        x[b * D + i] = u < v[b] ? 1 : 0;
      } else {
        let k = 0;
        for (let cum = v[b * K]; cum <= u && k < K - 1; cum += v[b * K + ++k]);
        x[b * D + i] = k;
      }
    }
  }
  return x;
}

test('sample and complete draw what full-image passes would (the window crop is exact)', async () => {
  const shape = [5, 6, 3];
  const D = 90;
  for (const K of [2, 3]) {
    // Reach 3: windows are cropped on every side but the bottom.
    const model = new PixelCnn({ channels: 6, layers: 2, firstKernel: 3, levels: K, seed: 15 }, shape);
    const n = 3;
    assert.deepEqual(await model.sample(n, new Rng(16)), referenceFill(model, new Float32Array(n * D), n, new Uint8Array(D).fill(1), new Rng(16)));
    const rng = new Rng(17);
    const given = Float32Array.from({ length: n * D }, () => rng.int(K));
    const missing = Uint8Array.from({ length: D }, () => (rng.uniform() < 0.5 ? 1 : 0));
    const completed = await model.complete({ x: given, n }, missing, new Rng(18));
    assert.deepEqual(completed, referenceFill(model, Float32Array.from(given), n, missing, new Rng(18)));
    model.dispose();
  }
});

test('trains on vertical bars, samples and completes them, leaks nothing', async () => {
  // Reach 3 < W: sampling runs on cropped windows.
  const model = new PixelCnn({ channels: 16, layers: 2, firstKernel: 3, kernel: 3, seed: 8 }, [4, 6, 1]);
  await checkLearnsBars(model, [4, 6], { steps: 300, learningRate: 0.01, slack: 1.5 });
});

test('weights round-trip into a new instance with identical log p', async () => {
  const shape = [3, 3, 3];
  const a = new PixelCnn({ ...SMALL, levels: 4, seed: 12 }, shape);
  const b = new PixelCnn({ ...a.getConfig(), seed: 13 }, shape);
  const rng = new Rng(14);
  const batch = { x: Float32Array.from({ length: 5 * 27 }, () => rng.int(4)), n: 5 };
  const la = await a.logProb(batch);
  assert.notDeepEqual(await b.logProb(batch), la);
  b.setWeights(a.getWeights());
  assert.deepEqual(await b.logProb(batch), la);
  assert.deepEqual(JSON.parse(JSON.stringify(a.getConfig())), { ...a.config });
  a.dispose();
  b.dispose();
});

test('bad configs, shapes and values are user errors', async () => {
  const bad: [Partial<PixelCnnConfig>, number[]][] = [
    [{ channels: 7 }, [4, 4, 1]],
    [{ channels: 4 }, [4, 4, 3]], // h / 2 = 2 < 3 colour groups
    [{ layers: -1 }, [4, 4, 1]],
    [{ kernel: 4 }, [4, 4, 1]],
    [{ firstKernel: 0 }, [4, 4, 1]],
    [{ levels: 1 }, [4, 4, 1]],
    [{}, [16]],
    [{}, [4, 4, 2]],
  ];
  for (const [config, shape] of bad) assert.throws(() => new PixelCnn(config, shape), UserError, JSON.stringify(config));
  const model = new PixelCnn(SMALL, [2, 2, 1]);
  await assert.rejects(model.logProb({ x: new Float32Array([0, 1, 2, 0]), n: 1 }), UserError);
  await assert.rejects(model.logProb({ x: new Float32Array([0, 1, 0.5, 0]), n: 1 }), UserError);
  await assert.rejects(model.logProb({ x: new Float32Array(3), n: 1 }), UserError);
  await assert.rejects(model.sample(1, new Rng(0), { temperature: 0 }), UserError);
  model.dispose();
});
