/**
 * The reference classifiers genlab ships, and the feature space they define: their test accuracy
 * holds the bar the evaluation issue sets (MNIST above 99%, Fashion-MNIST above 90%), and real data
 * scores as the best case: held-out real images are far closer to the test split, in Frechet
 * distance, than an independent-pixel model's samples or noise.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/engine.js';
import { Rng } from '../../src/core/rng.js';
import { head, type Dataset } from '../../src/data/dataset.js';
import { measureSampleQuality } from '../../src/eval/sampleQuality.js';
import { ReferenceClassifier, trainReferenceClassifier } from '../../src/eval/referenceClassifier.js';
import { REFERENCE_DATA, readReferenceClassifier, saveReferenceClassifier, shippedClassifierDir } from '../../src/node/referenceClassifier.js';
import { ArTableModel } from '../../src/models/tabular/arTable.js';
import { binarize } from '../../src/data/binarize.js';
import { UserError } from '../../src/core/errors.js';

before(async () => {
  await initBackend('wasm');
});

const mnist = REFERENCE_DATA.mnist();

test('the shipped MNIST reference classifier classifies the 10,000 test images above 99%, grey and binarized', async () => {
  const { classifier, manifest } = readReferenceClassifier(shippedClassifierDir('mnist'));
  const grey = await classifier.accuracy(mnist.test);
  assert.ok(grey > 0.99, `test accuracy ${grey}`);
  assert.ok(Math.abs(grey - manifest.testAccuracy) < 1e-9, 'the manifest records the accuracy measured here');
  // Models of binarized MNIST produce binary samples: the classifier must read those too.
  const binary = await classifier.accuracy(binarize(mnist.test, 'stochastic', new Rng(0)));
  assert.ok(binary > 0.98, `binarized test accuracy ${binary}`);
  classifier.dispose();
});

test('the shipped Fashion-MNIST reference classifier classifies the test split above 90%', async (t) => {
  let fashion;
  try {
    fashion = REFERENCE_DATA.fashion();
  } catch (e) {
    // fashion-mnist is an optional dependency.
    t.skip(`Fashion-MNIST unavailable: ${(e as Error).message}`);
    return;
  }
  const { classifier } = readReferenceClassifier(shippedClassifierDir('fashion'));
  const accuracy = await classifier.accuracy(fashion.test);
  assert.ok(accuracy > 0.9, `test accuracy ${accuracy}`);
  classifier.dispose();
});

test('real data is the best case: FD(train, test) is far below FD(independent-pixel samples, test) and FD(noise, test)', async () => {
  const loaded = readReferenceClassifier(shippedClassifierDir('mnist'));
  const n = 2000;
  const test = head(mnist.test, n);
  const real = await measureSampleQuality(loaded.classifier, loaded.featureSpace, head(mnist.train, n), test);
  // The independent-pixel model (784 Bernoulli means, fit by counting) and uniform noise, n each.
  const independent = new ArTableModel('independent', { order: 0 }, [28, 28, 1]);
  const binaryTrain = binarize(head(mnist.train, 10000), 'stochastic', new Rng(1));
  await independent.trainStep({ x: binaryTrain.x, n: binaryTrain.n });
  const samples: Dataset = { ...test, name: 'independent samples', x: await independent.sample(n, new Rng(2)), kind: 'binary', labels: undefined };
  const noise: Dataset = { ...test, name: 'noise', x: Float32Array.from({ length: n * 784 }, () => Math.random()), kind: 'continuous', labels: undefined };
  const modelScore = await measureSampleQuality(loaded.classifier, loaded.featureSpace, samples, binarize(test, 'stochastic', new Rng(3)));
  const noiseScore = await measureSampleQuality(loaded.classifier, loaded.featureSpace, noise, test);
  assert.ok(real.frechetDistance * 10 < modelScore.frechetDistance, `FD real ${real.frechetDistance} vs independent ${modelScore.frechetDistance}`);
  assert.ok(modelScore.frechetDistance < noiseScore.frechetDistance, `FD independent ${modelScore.frechetDistance} vs noise ${noiseScore.frechetDistance}`);
  // Real images are confidently and evenly classified; the other two are not.
  assert.ok(real.inceptionScore > 9, `IS analogue of real data ${real.inceptionScore}`);
  assert.ok(real.klToUniform < 0.01, `real data's class spread ${real.klToUniform}`);
  assert.ok(real.precision > 0.6 && real.recall > 0.6, `real precision ${real.precision}, recall ${real.recall}`);
  assert.ok(modelScore.inceptionScore < real.inceptionScore / 2);
  assert.ok(noiseScore.recall < 0.05, `noise recall ${noiseScore.recall}`);
  independent.dispose();
  loaded.classifier.dispose();
});

test('training a small classifier lowers its loss, leaks no tensors, and a stored one round-trips with its checksum', async () => {
  const small = new ReferenceClassifier({ inputShape: [28, 28, 1], numClasses: 10, channels: [4, 8, 8], features: 16, seed: 1 });
  const train = head(mnist.train, 1024);
  const losses: number[] = [];
  const before = tf.memory().numTensors;
  await trainReferenceClassifier(small, train, { epochs: 2, batchSize: 32, learningRate: 1e-2 }, { onStep: (_s, _t, m) => losses.push(m.loss) });
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.3, `loss ${mean(losses.slice(0, 5))} -> ${mean(losses.slice(-5))}`);
  await small.classify(train.x, 100);
  assert.equal(tf.memory().numTensors, before, 'training and classifying free every tensor they make');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-classifier-'));
  try {
    const accuracy = await small.accuracy(head(mnist.test, 200));
    assert.ok(accuracy > 0.3, `accuracy after 64 steps ${accuracy}`);
    saveReferenceClassifier(dir, 'mnist', small, accuracy, { epochs: 2, batchSize: 32, learningRate: 1e-2, binarizeFraction: 0.5, seed: 0, seconds: 1, backend: 'wasm', command: 'test', createdAt: '' });
    const loaded = readReferenceClassifier(dir);
    assert.equal(await loaded.classifier.accuracy(head(mnist.test, 200)), accuracy);
    loaded.classifier.dispose();
    // A flipped byte in the weights is caught by the checksum.
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0xff;
    fs.writeFileSync(file, bytes);
    assert.throws(() => readReferenceClassifier(dir), (e: Error) => e instanceof UserError && /checksum/.test(e.message));
  } finally {
    small.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
