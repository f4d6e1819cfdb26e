/**
 * The adversarial game of src/models/adversarial/: Algorithm 1's k fresh minibatches, WGAN's
 * clipping, the spectral-norm and batch-norm state in checkpoints, the truncation trick, the
 * conditional and InfoGAN inputs, the unrolled generator loss, tensor counts, and a short toy run
 * whose mode coverage beats a collapsed generator's.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/core/engine.js';
import { Rng } from '../../../src/core/rng.js';
import type { Dataset } from '../../../src/data/dataset.js';
import { ring } from '../../../src/data/toy.js';
import { modeCoverage } from '../../../src/eval/modeCoverage.js';
import { featureMatchingDistance, withMinibatchStd, Gan, GAN_OPTIONS, type Conditions, type GanConfig } from '../../../src/models/adversarial/gan.js';
import { hasCodes, isAdversarial, isConditional } from '../../../src/models/capabilities.js';
import type { Batch, GenerativeModel, LossTerms, StepContext } from '../../../src/models/model.js';
import { defaultsOf } from '../../../src/models/options.js';
import { createModel } from '../../../src/models/registry.js';
import { fit } from '../../../src/train/fit.js';
import { Trainer } from '../../../src/train/trainer.js';

before(async () => {
  await initBackend('wasm');
});

const SMALL = { generatorHidden: [16], discriminatorHidden: [16], latent: 4 };
const IMAGES = { shape: [8, 8, 1], kind: 'continuous' as const, numClasses: 3 };
const DCGAN_SMALL = { latent: 4, generatorChannels: [8, 4], discriminatorChannels: [4, 8] };

/** n examples whose first coordinate is their index, so a batch says which examples it holds. */
function indexedData(n: number): Dataset {
  const x = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) x[2 * i] = i;
  return { name: 'indexed', x, n, shape: [2], kind: 'real' };
}

/** A GAN that records the examples each discriminator update sees, per generator step. */
class RecordingGan extends Gan {
  readonly discriminatorBatches: number[][][] = [];
  private current: number[][] = [];

  constructor(k: number) {
    super('gan', { ...defaultsOf(GAN_OPTIONS), ...SMALL, k, output: 'linear' } as GanConfig, [2]);
  }

  override async trainStep(batch: Batch, ctx: StepContext) {
    this.current = [];
    const metrics = await super.trainStep(batch, ctx);
    this.discriminatorBatches.push(this.current);
    return metrics;
  }

  protected override discriminatorTerms(batch: Batch, z: Float32Array, fake: Conditions, eps?: Float32Array): LossTerms {
    this.current.push(Array.from({ length: batch.n }, (_, i) => batch.x[2 * i]));
    return super.discriminatorTerms(batch, z, fake, eps);
  }
}

test('Algorithm 1: k discriminator updates per generator step, each on a fresh minibatch; an epoch uses every example once', async () => {
  for (const k of [1, 3]) {
    const model = new RecordingGan(k);
    const data = indexedData(48);
    await fit(model, data, { epochs: 1, batchSize: 8, seed: 1, evaluation: { data, examples: 0 } });
    const steps = model.discriminatorBatches;
    assert.equal(steps.length, Math.ceil(6 / k), `k=${k}: generator steps in an epoch of 6 batches`);
    for (const updates of steps.slice(0, -1)) assert.equal(updates.length, k, `k=${k}: discriminator updates per generator step`);
    const seen = steps.flat(2);
    // The last step may wrap around into the epoch's first batches (k does not divide 6): count the first pass.
    assert.deepEqual([...new Set(seen.slice(0, 48))].sort((a, b) => a - b), Array.from({ length: 48 }, (_, i) => i), `k=${k}: fresh batches cover the epoch without repeats`);
    model.dispose();
  }
});

test('WGAN: after each critic update every critic weight lies in [-c, c]; the generator is not clipped', async () => {
  const model = createModel('wgan', { ...SMALL }, { shape: [2], kind: 'real' }) as Gan;
  const trainer = new Trainer(model, { optimizer: { kind: 'rmsprop', learningRate: 0.05 } });
  const rng = new Rng(3);
  const batch = (): Batch => ({ x: Float32Array.from({ length: 32 }, () => rng.normal() * 3), n: 16 });
  await trainer.step(batch(), { rng, step: 0, nextBatch: batch });
  const weights = model.getWeights();
  const critic = weights.filter((w) => w.name.startsWith('discriminator/'));
  assert.ok(critic.every((w) => w.data.every((v) => Math.abs(v) <= 0.01 + 1e-7)), 'critic clipped to 0.01');
  assert.ok(weights.some((w) => w.name.startsWith('generator/') && w.data.some((v) => Math.abs(v) > 0.05)), 'generator left alone');
  trainer.dispose();
  model.dispose();
});

test('state in checkpoints: spectral-norm vectors (SN-GAN) and batch-norm running statistics (DCGAN) round-trip', async () => {
  const sngan = createModel('sngan', { ...SMALL }, { shape: [2], kind: 'real' });
  const names = sngan.getWeights().map((w) => w.name);
  for (const weight of ['discriminator/dense0/W', 'discriminator/output/W']) assert.ok(names.includes(`${weight}/u`), `${weight}'s power-iteration vector is saved`);
  const dcgan = createModel('dcgan', DCGAN_SMALL, IMAGES);
  const saved = dcgan.getWeights();
  assert.ok(saved.some((w) => w.name === 'generator/bn0/movingMean') && saved.some((w) => w.name === 'discriminator/bn1/movingVariance'));
  // Train a step (the running statistics move), then restore: samples are those of the saved state again.
  const before = await dcgan.sample(4, new Rng(1));
  const trainer = new Trainer(dcgan, { optimizer: { learningRate: 0.01 } });
  const rng = new Rng(2);
  const batch = (): Batch => ({ x: Float32Array.from({ length: 4 * 64 }, () => rng.uniform()), n: 4 });
  await trainer.step(batch(), { rng, step: 0, nextBatch: batch });
  const moved = dcgan.getWeights().find((w) => w.name === 'generator/bn0/movingMean')!;
  assert.ok(moved.data.some((v, i) => v !== saved.find((w) => w.name === moved.name)!.data[i]), 'the running mean moved');
  dcgan.setWeights(saved);
  assert.deepEqual(await dcgan.sample(4, new Rng(1)), before);
  trainer.dispose();
  dcgan.dispose();
  sngan.dispose();
});

test('truncation: z entries beyond +-t are redrawn, so a small t pulls samples toward G(0)', async () => {
  const model = createModel('gan', { ...SMALL, output: 'linear' }, { shape: [2], kind: 'real' });
  const spread = (x: Float32Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += (x[i] - x[i % 2]) ** 2;
    return s;
  };
  const free = await model.sample(200, new Rng(1));
  const truncated = await model.sample(200, new Rng(1), { truncation: 0.05 });
  assert.ok(spread(truncated) < 0.05 * spread(free), `spread ${spread(truncated)} vs ${spread(free)}`);
  assert.deepEqual(await model.sample(5, new Rng(4), { truncation: 0.5 }), await model.sample(5, new Rng(4), { truncation: 0.5 }), 'seeded');
  model.dispose();
});

test('conditional GANs sample the classes asked for, else every class in turn; InfoGAN varies one code at a time', async () => {
  for (const name of ['cgan', 'acgan']) {
    const model = createModel(name, name === 'acgan' ? DCGAN_SMALL : SMALL, IMAGES);
    assert.ok(isConditional(model) && model.numClasses === 3 && isAdversarial(model));
    const sevens = await model.sample(3, new Rng(1), { labels: Int32Array.from([2, 2, 2]) });
    const inTurn = await model.sample(3, new Rng(1));
    const asked = await model.sample(3, new Rng(1), { labels: Int32Array.from([0, 1, 2]) });
    assert.deepEqual(inTurn, asked, `${name}: no labels means classes 0, 1, 2`);
    assert.notDeepEqual(sevens, asked, `${name}: the label changes the sample`);
    model.dispose();
  }
  const info = createModel('infogan', { ...DCGAN_SMALL, categories: 3, continuousCodes: 2 }, IMAGES);
  assert.ok(hasCodes(info));
  assert.deepEqual(info.codes.map((c) => [c.name, c.kind, c.size]), [['category', 'categorical', 3], ['continuous1', 'continuous', 1], ['continuous2', 'continuous', 1]]);
  const grid = await info.traverseCode('category', 2, 5, new Rng(1));
  assert.equal(grid.length, 2 * 3 * 64, 'a categorical code shows each of its categories');
  const row = await info.traverseCode('continuous1', 2, 5, new Rng(1));
  assert.equal(row.length, 2 * 5 * 64);
  // Within a row only the code changes: neighbouring values give different images, and the same seed the same grid.
  assert.notDeepEqual(row.subarray(0, 64), row.subarray(64, 128));
  assert.deepEqual(row, await info.traverseCode('continuous1', 2, 5, new Rng(1)));
  // generateWithCodes builds the codes as sampling does: generate() with class 2 draws its continuous
  // codes from Rng(0), and the same values given explicitly give the same images; another value differs.
  assert.ok(isAdversarial(info));
  const z = Float32Array.from({ length: 2 * info.latentSize }, (_, i) => Math.sin(i));
  const u = new Rng(0);
  const values = Float32Array.from([2, 2 * u.uniform() - 1, 2 * u.uniform() - 1, 2, 2 * u.uniform() - 1, 2 * u.uniform() - 1]);
  assert.deepEqual(await info.generateWithCodes(z, values, 2), await info.generate(z, 2, Int32Array.of(2, 2)));
  const moved = Float32Array.from(values);
  moved[1] = 0.9;
  const changed = await info.generateWithCodes(z, moved, 2);
  const same = await info.generateWithCodes(z, values, 2);
  assert.notDeepEqual(changed.subarray(0, 64), same.subarray(0, 64), 'the first sample follows its code');
  assert.deepEqual(changed.subarray(64), same.subarray(64), 'the second sample keeps its own');
  await assert.rejects(info.generateWithCodes(z, Float32Array.of(3, 0, 0, 0, 0, 0), 2), /category/);
  info.dispose();
});

test('Unrolled GAN: with eta = 0 the unrolled loss and gradient are the plain GAN\'s; with eta > 0 the gradient differs', async () => {
  const rng = new Rng(5);
  const batch: Batch = { x: Float32Array.from({ length: 32 }, () => rng.normal()), n: 16 };
  const z = Float32Array.from({ length: 16 * 4 }, () => rng.normal());
  const generatorGradient = (model: GenerativeModel) =>
    tf.tidy(() => {
      const variables = [...model.parameterGroups!().generator.variables.values()];
      const { value, grads } = tf.variableGrads(() => (model as unknown as { generatorTerms(z: Float32Array, c: Conditions, b: Batch): LossTerms }).generatorTerms(z, {}, batch).loss, variables);
      return [value.dataSync()[0], ...variables.flatMap((v) => Array.from(grads[v.name].dataSync()))];
    });
  const plain = createModel('gan', { ...SMALL, loss: 'minimax' }, { shape: [2], kind: 'real' });
  const still = createModel('unrolled', { ...SMALL, loss: 'minimax', unrollSteps: 3, unrollLearningRate: 0 }, { shape: [2], kind: 'real' });
  const moving = createModel('unrolled', { ...SMALL, loss: 'minimax', unrollSteps: 3, unrollLearningRate: 0.5 }, { shape: [2], kind: 'real' });
  const a = generatorGradient(plain);
  const b = generatorGradient(still);
  const c = generatorGradient(moving);
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-5), 'eta = 0: the same loss and gradient');
  const difference = Math.max(...a.slice(1).map((v, i) => Math.abs(v - c[i + 1])));
  assert.ok(difference > 1e-4, `eta > 0: the look-ahead changes the gradient (max difference ${difference})`);
  for (const m of [plain, still, moving]) m.dispose();
});

test("feature matching (Salimans et al. 2016): |mean f(real) - mean f(fake)|^2 by hand, added to G's loss with its weight", async () => {
  // Means over the rows: real (1, 3) and (3, 5) -> (2, 4); fake (0, 0) and (2, 2) -> (1, 1); distance 1 + 9 = 10.
  const distance = tf.tidy(() => featureMatchingDistance(tf.tensor2d([1, 3, 3, 5], [2, 2]), tf.tensor2d([0, 0, 2, 2], [2, 2])).dataSync()[0]);
  assert.ok(Math.abs(distance - 10) < 1e-5, `distance ${distance}`);

  const rng = new Rng(3);
  const batch: Batch = { x: Float32Array.from({ length: 32 }, () => rng.normal()), n: 16 };
  const z = Float32Array.from({ length: 16 * 4 }, () => rng.normal());
  const terms = (model: GenerativeModel) =>
    tf.tidy(() => {
      const t = (model as unknown as { generatorTerms(z: Float32Array, c: Conditions, b: Batch): LossTerms }).generatorTerms(z, {}, batch);
      return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]]));
    });
  const plain = terms(createModel('gan', SMALL, { shape: [2], kind: 'real' }));
  const matched = terms(createModel('gan', { ...SMALL, featureMatching: 0.5 }, { shape: [2], kind: 'real' }));
  assert.equal(plain.featureMatching, undefined, 'weight 0: no term');
  assert.ok(matched.featureMatching > 0, `the term is positive on different batches: ${matched.featureMatching}`);
  assert.ok(Math.abs(matched.loss - (plain.loss + 0.5 * matched.featureMatching)) < 1e-5, `loss ${matched.loss} = ${plain.loss} + 0.5 x ${matched.featureMatching}`);
  assert.throws(() => createModel('unrolled', { ...SMALL, featureMatching: 1 }, { shape: [2], kind: 'real' }), /feature matching/);
});

test('minibatch standard deviation (Karras et al. 2018): the mean over features of the per-feature batch std, appended to every row', () => {
  // Columns (0, 2) and (0, 4): standard deviations 1 and 2 (over the batch, not n - 1), mean 1.5.
  const rows = tf.tidy(() => withMinibatchStd(tf.tensor2d([0, 0, 2, 4], [2, 2])).arraySync());
  assert.deepEqual(rows.map((r) => r.length), [3, 3]);
  for (const [row, expected] of rows.map((r, i) => [r, [[0, 0, 1.5], [2, 4, 1.5]][i]] as const)) {
    row.forEach((v, j) => assert.ok(Math.abs(v - expected[j]) < 1e-4, `row ${row} against ${expected}`));
  }
  // Identical rows: spread ~0 and still a finite gradient.
  const gradient = tf.tidy(() => tf.grad((h: tf.Tensor) => tf.sum(withMinibatchStd(h as tf.Tensor2D)))(tf.ones([3, 2])).dataSync());
  assert.ok(gradient.every(Number.isFinite), 'finite gradient on a batch of identical rows');
  // D's heads read one feature more.
  const model = createModel('dcgan', { ...DCGAN_SMALL, minibatchStd: true }, IMAGES);
  const plain = createModel('dcgan', DCGAN_SMALL, IMAGES);
  assert.equal(shapeOf(model, 'discriminator/output/W')[0], shapeOf(plain, 'discriminator/output/W')[0] + 1);
  model.dispose();
  plain.dispose();
});

function shapeOf(model: GenerativeModel, name: string): number[] {
  const weight = model.getWeights!().find((w) => w.name === name);
  assert.ok(weight, `no weight '${name}'`);
  return weight.shape;
}

test("dcgan's dense layers (Chen et al. 2016's MNIST players): z -> FC -> projection in G, convolutions -> FC -> heads in D", () => {
  // 8 x 8 images, two stride-2 layers: D's last map is 2 x 2 x 8 = 32 values, G's first 2 x 2 x 8.
  const model = createModel('dcgan', { ...DCGAN_SMALL, generatorDense: [6], discriminatorDense: [5, 3] }, IMAGES);
  assert.deepEqual(shapeOf(model, 'generator/fc0/W'), [4, 6]);
  assert.deepEqual(shapeOf(model, 'generator/project/W'), [6, 2 * 2 * 8]);
  assert.deepEqual(shapeOf(model, 'discriminator/fc0/W'), [2 * 2 * 8, 5]);
  assert.deepEqual(shapeOf(model, 'discriminator/fc1/W'), [5, 3]);
  assert.deepEqual(shapeOf(model, 'discriminator/output/W'), [3, 1]);
  assert.ok(model.getWeights!().some((w) => w.name === 'discriminator/fcbn1/movingMean'), 'batch norm after the dense layers, its running statistics kept');
  model.dispose();
  assert.throws(() => createModel('gan', { ...SMALL, discriminatorDense: [8] }, { shape: [2], kind: 'real' }), /discriminatorHidden/);
});

test('packing (PacGAN): m consecutive samples stacked along the channels, judged as one; an example alone is judged as m copies of itself', async () => {
  const shape = { shape: [2, 2, 1], kind: 'continuous' as const };
  type Packing = { packed(rows: tf.Tensor2D, shape: number[]): tf.Tensor2D };
  const model = createModel('dcgan', { latent: 2, generatorChannels: [4], discriminatorChannels: [4], pack: 2 }, shape);
  const rows = tf.tensor2d([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33], [4, 4]);
  const packed = (model as unknown as Packing).packed(rows, [2, 2, 1]);
  // Each position holds the pack's samples in turn: pixel p of sample 0, then of sample 1.
  assert.deepEqual(packed.arraySync(), [
    [0, 10, 1, 11, 2, 12, 3, 13],
    [20, 30, 21, 31, 22, 32, 23, 33],
  ]);
  const vectors = createModel('gan', { ...SMALL, pack: 2 }, { shape: [2], kind: 'real' });
  assert.deepEqual((vectors as unknown as Packing).packed(tf.tensor2d([1, 2, 3, 4], [2, 2]), [2]).arraySync(), [[1, 2, 3, 4]]);
  tf.dispose([rows, packed]);

  // Alone or among others, an example gets the score of the pack of its copies (eval: no batch statistics).
  const rng = new Rng(1);
  const x = Float32Array.from({ length: 3 * 4 }, () => rng.uniform());
  const together = await (model as GenerativeModel & { discriminate(x: Float32Array, n: number): Promise<Float32Array> }).discriminate(x, 3);
  assert.equal(together.length, 3);
  for (let i = 0; i < 3; i++) {
    const alone = await (model as GenerativeModel & { discriminate(x: Float32Array, n: number): Promise<Float32Array> }).discriminate(x.slice(4 * i, 4 * i + 4), 1);
    assert.ok(Math.abs(alone[0] - together[i]) < 1e-6, `example ${i}: ${alone[0]} alone, ${together[i]} among others`);
  }
  // A batch that does not split into packs, and the per-example heads packing cannot drive.
  const batch = (): Batch => ({ x: x.slice(0, 12), n: 3 });
  const trainer = new Trainer(model);
  await assert.rejects(async () => trainer.step(batch(), { rng, step: 0, nextBatch: batch }), /divisible by 2/);
  trainer.dispose();
  assert.throws(() => createModel('acgan', { ...DCGAN_SMALL, pack: 2 }, IMAGES), /per-sample heads/);
  assert.throws(() => createModel('wgangp', { ...SMALL, pack: 2 }, { shape: [2], kind: 'real' }), /wgangp/);
  model.dispose();
  vectors.dispose();
});

test('no tensor leaks across training steps of every adversarial model', async () => {
  const cases: [string, Record<string, unknown>, typeof IMAGES | { shape: number[]; kind: 'real' }][] = [
    ['gan', SMALL, { shape: [2], kind: 'real' }],
    ['wgangp', { ...SMALL, k: 2 }, { shape: [2], kind: 'real' }],
    ['sngan', SMALL, { shape: [2], kind: 'real' }],
    ['unrolled', { ...SMALL, unrollSteps: 2 }, { shape: [2], kind: 'real' }],
    ['dcgan', DCGAN_SMALL, IMAGES],
    ['dcgan', { ...DCGAN_SMALL, minibatchStd: true, featureMatching: 0.1 }, IMAGES],
    ['dcgan', { ...DCGAN_SMALL, pack: 2 }, IMAGES],
    ['sngan', { ...DCGAN_SMALL, architecture: 'dcgan', generatorDense: [6], discriminatorDense: [5] }, IMAGES],
    ['cgan', { ...SMALL, pack: 2 }, IMAGES],
    ['cgan', SMALL, IMAGES],
    ['acgan', DCGAN_SMALL, IMAGES],
    ['infogan', { ...DCGAN_SMALL, loss: 'wgangp' }, IMAGES],
  ];
  for (const [name, config, data] of cases) {
    const model = createModel(name, config, data);
    const trainer = new Trainer(model, { ema: 0.9 });
    const rng = new Rng(7);
    const D = data.shape.reduce((p, q) => p * q, 1);
    const batch = (): Batch => ({ x: Float32Array.from({ length: 4 * D }, () => rng.uniform()), n: 4, labels: Int32Array.from([0, 1, 2, 0]) });
    const step = (s: number) => trainer.step(batch(), { rng, step: s, nextBatch: batch });
    await step(0);
    const count = tf.memory().numTensors;
    for (let s = 1; s < 3; s++) {
      const metrics = await step(s);
      assert.ok(Object.values(metrics).every(Number.isFinite), `${name}: finite metrics ${JSON.stringify(metrics)}`);
    }
    await model.sample(3, rng);
    assert.equal(tf.memory().numTensors, count, `${name} leaks tensors`);
    trainer.dispose();
    model.dispose();
  }
});

test('a short GAN run on the ring of 8 Gaussians covers more modes than a collapsed generator', async () => {
  const data = ring.sample(4096, new Rng(11));
  const model = createModel('gan', { generatorHidden: [64, 64], discriminatorHidden: [64, 64], latent: 4, output: 'linear' }, { shape: [2], kind: 'real' });
  await fit(model, data, { epochs: 30, batchSize: 128, seed: 2, learningRate: 1e-3, optimizer: { kind: 'adam', beta1: 0.5 }, evaluation: { data, examples: 0 } });
  const samples = await model.sample(2000, new Rng(3));
  const trained = modeCoverage(samples, 2000, ring.spec);
  // A collapsed generator: every sample at (near) one mode.
  const collapsed = modeCoverage(Float32Array.from({ length: 4000 }, (_, i) => ring.spec.means[0][i % 2] + 0.001 * (i % 7)), 2000, ring.spec);
  assert.equal(collapsed.covered, 1);
  assert.ok(trained.covered >= 5, `the trained GAN covers ${trained.covered} of 8 modes (high-quality fraction ${trained.highQualityFraction.toFixed(2)})`);
  model.dispose();
});
