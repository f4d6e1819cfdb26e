/**
 * PixelRNN (Row LSTM and Diagonal BiLSTM): what defines them. Skewing is a pure re-indexing;
 * probabilities over every image of a tiny space sum to 1 (binary, K levels, RGB); the output at
 * (pixel i, channel c) has an exactly zero gradient w.r.t. every input not before it in
 * raster-then-RGB order and a non-zero one w.r.t. some input before it (karpathy's MADE check); the
 * receptive fields are the Row LSTM's triangle and the Diagonal BiLSTM's whole past, pixel for pixel;
 * sampling's incremental passes give the full image's logits; training on vertical bars learns them;
 * sampling, completion, weights and memory behave.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { allImages, checkLearnsBars, adamTrainer, totalImageProbability } from './checks.js';
import { initBackend } from '../../../src/core/engine.js';
import { UserError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { capabilitiesOf } from '../../../src/models/capabilities.js';
import { DiagonalBiLstm, type DiagonalBiLstmConfig } from '../../../src/models/autoregressive/diagbilstm.js';
import { RowLstm, type RowLstmConfig } from '../../../src/models/autoregressive/rowlstm.js';
import { concatSteps, skew, splitSteps, unskew } from '../../../src/nn/lstm.js';

type PixelRnn = RowLstm | DiagonalBiLstm;
type PixelRnnConfig = Partial<RowLstmConfig & DiagonalBiLstmConfig>;

const MODELS: { name: string; make: (config: PixelRnnConfig, shape: number[]) => PixelRnn }[] = [
  { name: 'rowlstm', make: (config, shape) => new RowLstm(config, shape) },
  { name: 'diagbilstm', make: (config, shape) => new DiagonalBiLstm(config, shape) },
];

/** Small enough for the wasm backend on two cores; h = 4 splits into the 3 colour groups. */
const SMALL: PixelRnnConfig = { hiddenChannels: 4, layers: 1 };

before(async () => {
  await initBackend('wasm');
});


test('skew shifts row r by r (right) or H - 1 - r (left); unskew and the step split invert exactly', () => {
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 3 * 4 * 2 }, (_, i) => i + 1), [2, 3, 4, 2]);
  const expected = {
    right: [
      [1, 2, 3, 4, 0, 0],
      [0, 5, 6, 7, 8, 0],
      [0, 0, 9, 10, 11, 12],
    ],
    left: [
      [0, 0, 1, 2, 3, 4],
      [0, 5, 6, 7, 8, 0],
      [9, 10, 11, 12, 0, 0],
    ],
  };
  for (const direction of ['right', 'left'] as const) {
    const s = skew(x, direction);
    assert.deepEqual(s.shape, [2, 3, 6, 2]);
    const values = s.arraySync();
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 6; j++) {
        const v = expected[direction][r][j];
        // Pixel numbers 1..12 of image 0, channel 0 hold 2 p - 1; image 1 is offset by 24.
        assert.deepEqual(values[0][r][j], v === 0 ? [0, 0] : [2 * v - 1, 2 * v], `${direction} (${r}, ${j})`);
        assert.deepEqual(values[1][r][j], v === 0 ? [0, 0] : [2 * v + 23, 2 * v + 24], `${direction} image 1 (${r}, ${j})`);
      }
    }
    assert.deepEqual(unskew(s, 4, direction).arraySync(), x.arraySync());
    tf.dispose(s);
  }
  const big = tf.randomNormal([2, 5, 11, 3]) as tf.Tensor4D;
  for (const axis of [1, 2] as const) {
    const steps = splitSteps(big, axis);
    assert.equal(steps.length, big.shape[axis]);
    const third = axis === 1 ? tf.slice(big, [0, 3, 0, 0], [2, 1, 11, 3]) : tf.slice(big, [0, 0, 3, 0], [2, 5, 1, 3]);
    assert.deepEqual(steps[3].arraySync(), third.arraySync());
    assert.deepEqual(concatSteps(steps, axis).arraySync(), big.arraySync());
  }
  tf.dispose([x, big]);
});

for (const { name, make } of MODELS) {
  test(`${name}: probabilities of all binary 3x3 images sum to 1, before and after training`, async () => {
    const model = make({ ...SMALL, seed: 1 }, [3, 3, 1]);
    assert.ok(Math.abs((await totalImageProbability(model, 9, 2)) - 1) < 1e-4);
    // Trained hard on 16 images (log 1/16 = -2.8; uniform: -6.2) so the conditionals are far from uniform.
    const trainer = adamTrainer(model, 0.05);
    const rng = new Rng(2);
    const data = allImages(9, 2);
    for (let s = 0; s < 20; s++) await trainer.step({ x: data.x.subarray(0, 16 * 9), n: 16 }, { rng, step: s });
    trainer.dispose();
    const logp = await model.logProb({ x: data.x.subarray(0, 9), n: 1 });
    assert.ok(logp[0] > -4, `trained model gives a training image log p = ${logp[0]}`);
    assert.ok(Math.abs((await totalImageProbability(model, 9, 2)) - 1) < 1e-4);
    model.dispose();
  });

  test(`${name}: probabilities sum to 1 with K levels, RGB channels and a single row`, async () => {
    const cases: [number[], number][] = [
      [[2, 2, 1], 3], // 81 images, a 3-way softmax per pixel
      [[2, 1, 3], 2], // 64 RGB configurations, a Bernoulli per channel
      [[1, 3, 1], 2], // one row: no recurrence across rows, no right-to-left states
    ];
    for (const [shape, K] of cases) {
      const model = make({ ...SMALL, levels: K, seed: 3 }, shape);
      const total = await totalImageProbability(model, shape[0] * shape[1] * shape[2], K);
      assert.ok(Math.abs(total - 1) < 1e-4, `shape [${shape}], K = ${K}: total ${total}`);
      model.dispose();
    }
  });

  test(`${name}: output (i, c) depends on exactly the inputs before it in raster-then-RGB order`, () => {
    const cases: [number[], number][] = [
      [[4, 4, 1], 2],
      [[3, 3, 3], 2],
      [[3, 3, 3], 4],
    ];
    // Several random inputs at once (examples do not interact), zero-mean as in the PixelCNN test,
    // and two layers, so that the residual stream between LSTM layers is covered too.
    const B = 4;
    for (const [shape, K] of cases) {
      const [H, W, C] = shape;
      const D = H * W * C;
      const model = make({ hiddenChannels: 4, layers: 2, levels: K, seed: 4 }, shape);
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
}

/** Which input pixels each output pixel's logit depends on (non-zero gradient for some of B zero-mean inputs), [H * W] sets. */
function observedFields(model: PixelRnn, H: number, W: number): Set<number>[] {
  const B = 4;
  const rng = new Rng(21);
  const x = tf.tensor4d(Float32Array.from({ length: B * H * W }, () => rng.normal()), [B, H, W, 1]);
  const fields: Set<number>[] = [];
  for (let p = 0; p < H * W; p++) {
    const select = new Float32Array(B * H * W);
    for (let b = 0; b < B; b++) select[b * H * W + p] = 1;
    const s = tf.tensor4d(select, [B, H, W, 1]);
    const g = tf.tidy(() => tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.logits(input as tf.Tensor4D), s)))(x));
    s.dispose();
    const grad = g.dataSync();
    g.dispose();
    const field = new Set<number>();
    for (let b = 0; b < B; b++) for (let q = 0; q < H * W; q++) if (grad[b * H * W + q] !== 0) field.add(q);
    fields.push(field);
  }
  x.dispose();
  return fields;
}

/**
 * The fields the architecture predicts, composed layer by layer from what each position of a layer
 * reads (one colour channel): the first k x k mask-A convolution, a = (k - 1) / 2, reads rows r - a
 * .. r - 1 at columns c - a .. c + a and row r at c - a .. c - 1. A Row LSTM layer reads its input at
 * (r, c - 1) and (r, c) and, through the states of the rows above, (r - d, c - d - 1 .. c + d) for
 * every d >= 1: the triangle. A Diagonal BiLSTM layer reads every (r' <= r, c' <= c) left to right
 * and every (r' <= r - 1, c' >= c) right to left. Both keep (r, c) itself (the residual).
 */
function predictedFields(kind: 'rowlstm' | 'diagbilstm', H: number, W: number, firstKernel: number, layers: number): Set<number>[] {
  const a = (firstKernel - 1) / 2;
  const inside = (r: number, c: number) => r >= 0 && r < H && c >= 0 && c < W;
  let fields: Set<number>[] = [];
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const f = new Set<number>();
      for (let r2 = r - a; r2 <= r; r2++) {
        for (let c2 = c - a; c2 <= c + a; c2++) if (inside(r2, c2) && (r2 < r || c2 < c)) f.add(r2 * W + c2);
      }
      fields.push(f);
    }
  }
  for (let l = 0; l < layers; l++) {
    const next: Set<number>[] = [];
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const reads: [number, number][] = [[r, c]];
        if (kind === 'rowlstm') {
          reads.push([r, c - 1]);
          for (let d = 1; d <= r; d++) for (let c2 = c - d - 1; c2 <= c + d; c2++) reads.push([r - d, c2]);
        } else {
          for (let r2 = 0; r2 <= r; r2++) for (let c2 = 0; c2 <= c; c2++) reads.push([r2, c2]);
          for (let r2 = 0; r2 < r; r2++) for (let c2 = c; c2 < W; c2++) reads.push([r2, c2]);
        }
        const f = new Set<number>();
        for (const [r2, c2] of reads) if (inside(r2, c2)) for (const q of fields[r2 * W + c2]) f.add(q);
        next.push(f);
      }
    }
    fields = next;
  }
  return fields;
}

function fieldMap(field: Set<number>, H: number, W: number, p: number): string {
  let s = '';
  for (let q = 0; q < H * W; q++) s += (q % W === 0 ? '\n' : '') + (q === p ? 'X' : field.has(q) ? '#' : '.');
  return s;
}

test('receptive fields: the Diagonal BiLSTM sees the whole past of the last pixel, the Row LSTM a triangle', () => {
  // firstKernel 3: with the paper's 7 x 7 first layer, a 4 x 4 image is inside any pixel's reach.
  const [H, W] = [4, 4];
  const last = H * W - 1;
  const everyEarlier = new Set(Array.from({ length: last }, (_, q) => q));
  const diagonal = new DiagonalBiLstm({ hiddenChannels: 4, layers: 1, firstKernel: 3, seed: 22 }, [H, W, 1]);
  assert.deepEqual(observedFields(diagonal, H, W)[last], everyEarlier);
  diagonal.dispose();
  // The Row LSTM's last pixel misses (3, 0): its own row is read one pixel to the left per layer
  // (plus the first layer's one), and two layers reach it.
  for (const [layers, missing] of [[1, [12]], [2, []]] as const) {
    const row = new RowLstm({ hiddenChannels: 4, layers, firstKernel: 3, seed: 22 }, [H, W, 1]);
    const expected = new Set([...everyEarlier].filter((q) => !(missing as readonly number[]).includes(q)));
    assert.deepEqual(observedFields(row, H, W)[last], expected, `Row LSTM, ${layers} layer(s)`);
    row.dispose();
  }
});

test('receptive fields match the architecture pixel for pixel (5 x 7 image)', () => {
  const [H, W] = [5, 7];
  const cases: ['rowlstm' | 'diagbilstm', number, number][] = [
    ['rowlstm', 3, 1],
    ['rowlstm', 3, 2],
    ['diagbilstm', 3, 1],
    ['diagbilstm', 3, 2],
    ['diagbilstm', 5, 1],
  ];
  for (const [kind, firstKernel, layers] of cases) {
    const config = { hiddenChannels: 4, layers, firstKernel, seed: 23 };
    const model = kind === 'rowlstm' ? new RowLstm(config, [H, W, 1]) : new DiagonalBiLstm(config, [H, W, 1]);
    const observed = observedFields(model, H, W);
    const predicted = predictedFields(kind, H, W, firstKernel, layers);
    for (let p = 0; p < H * W; p++) {
      assert.deepEqual(observed[p], predicted[p], `${kind} k=${firstKernel} L=${layers} pixel ${p}: observed${fieldMap(observed[p], H, W, p)}\npredicted${fieldMap(predicted[p], H, W, p)}`);
    }
    // What the composition says in words: the Row LSTM's field at the bottom-left pixel stops short of
    // the upper-right corner; the Diagonal BiLSTM's covers every earlier pixel except one, the last
    // pixel of the row above when (r, c) is more than a = (k - 1) / 2 columns left of the right edge
    // (only the first layer's mask-A convolution at a pixel to its right or below reads it, and
    // neither direction carries those to (r, c)). The paper's Fig. 4 draws the whole past.
    const bottomLeft = (H - 1) * W;
    if (kind === 'rowlstm') {
      assert.ok(!observed[bottomLeft].has(W - 1), `${kind}: bottom-left sees the top-right corner`);
    } else {
      const a = (firstKernel - 1) / 2;
      for (let p = W; p < H * W; p++) {
        const [r, c] = [Math.floor(p / W), p % W];
        const blind = c < W - 1 - a ? [(r - 1) * W + W - 1] : [];
        const everyEarlier = Array.from({ length: p }, (_, q) => q).filter((q) => !blind.includes(q));
        assert.deepEqual(observed[p], new Set(everyEarlier), `${kind} k=${firstKernel} L=${layers} pixel (${r}, ${c})`);
      }
    }
    model.dispose();
  }
});

/**
 * Reference sampler: the full image through the network for every entry in raster-then-RGB order,
 * then the same draws as the model (Bernoulli u < p, or the smallest k with p_0 + ... + p_k > u).
 */
function referenceFill(model: PixelRnn, x: Float32Array, n: number, missing: Uint8Array, rng: Rng): Float32Array {
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

for (const { name, make } of MODELS) {
  test(`${name}: sample and complete draw what full-image passes would (the incremental passes are exact)`, async () => {
    // firstKernel 3 on 5 rows: the Row LSTM's first-layer windows are cropped above.
    const shape = [5, 4, 3];
    const D = 60;
    for (const K of [2, 3]) {
      const model = make({ hiddenChannels: 4, layers: 2, firstKernel: 3, levels: K, seed: 15 }, shape);
      const n = 3;
      const all = new Uint8Array(D).fill(1);
      assert.deepEqual(await model.sample(n, new Rng(16)), referenceFill(model, new Float32Array(n * D), n, all, new Rng(16)));
      const rng = new Rng(17);
      const given = Float32Array.from({ length: n * D }, () => rng.int(K));
      const missing = Uint8Array.from({ length: D }, () => (rng.uniform() < 0.5 ? 1 : 0));
      const completed = await model.complete({ x: given, n }, missing, new Rng(18));
      assert.deepEqual(completed, referenceFill(model, Float32Array.from(given), n, missing, new Rng(18)));
      model.dispose();
    }
  });

  test(`${name}: trains on vertical bars, samples and completes them, leaks nothing`, async () => {
    const model = make({ hiddenChannels: 8, layers: 1, firstKernel: 3, seed: 8 }, [4, 6, 1]);
    await checkLearnsBars(model, [4, 6], { steps: 80, learningRate: 0.02, slack: 1 });
  });

  test(`${name}: weights round-trip into a new instance with identical log p`, async () => {
    const shape = [3, 3, 3];
    const a = make({ ...SMALL, levels: 4, seed: 12 }, shape);
    const b = make({ ...a.getConfig(), seed: 13 }, shape);
    const rng = new Rng(14);
    const batch = { x: Float32Array.from({ length: 5 * 27 }, () => rng.int(4)), n: 5 };
    const la = await a.logProb(batch);
    assert.notDeepEqual(await b.logProb(batch), la);
    b.setWeights(a.getWeights());
    assert.deepEqual(await b.logProb(batch), la);
    assert.deepEqual(JSON.parse(JSON.stringify(a.getConfig())), { ...a.config });
    assert.equal(a.name, name);
    assert.deepEqual(Object.keys(a.parameterGroups()), ['main']);
    assert.deepEqual(capabilitiesOf(a), { density: 'exact', latent: false, conditional: false, completion: true });
    a.dispose();
    b.dispose();
  });

  test(`${name}: bad configs, shapes and values are user errors`, async () => {
    const bad: [PixelRnnConfig, number[]][] = [
      [{ hiddenChannels: 0 }, [4, 4, 1]],
      [{ hiddenChannels: 2 }, [4, 4, 3]], // fewer units than colour groups
      [{ hiddenChannels: 4.5 }, [4, 4, 1]],
      [{ layers: -1 }, [4, 4, 1]],
      [{ firstKernel: 4 }, [4, 4, 1]],
      [{ levels: 1 }, [4, 4, 1]],
      [{ seed: 0.5 }, [4, 4, 1]],
      [{}, [16]],
      [{}, [4, 4, 2]],
    ];
    for (const [config, shape] of bad) assert.throws(() => make(config, shape), UserError, `${JSON.stringify(config)} [${shape}]`);
    const model = make(SMALL, [2, 2, 1]);
    await assert.rejects(model.logProb({ x: new Float32Array([0, 1, 2, 0]), n: 1 }), UserError);
    await assert.rejects(model.logProb({ x: new Float32Array([0, 1, 0.5, 0]), n: 1 }), UserError);
    await assert.rejects(model.logProb({ x: new Float32Array(3), n: 1 }), UserError);
    await assert.rejects(model.sample(1, new Rng(0), { temperature: 0 }), UserError);
    await assert.rejects(model.sample(-1, new Rng(0)), UserError);
    await assert.rejects(model.complete({ x: new Float32Array(4), n: 1 }, new Uint8Array(3), new Rng(0)), UserError);
    model.dispose();
  });
}
