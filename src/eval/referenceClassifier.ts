/**
 * The reference classifier of an image data set: a small conv net whose penultimate features play,
 * for MNIST-like data, the part Inception-v3's pool features play for natural images in the
 * Frechet Inception Distance (Heusel et al. 2017) and the Inception Score (Salimans et al. 2016).
 * Figures computed in its feature space are named after it ("FD in genlab-mnist features"), never
 * "FID": they are not comparable with Inception numbers, nor across classifiers.
 *
 * Architecture (LeNet-like, Simonyan & Zisserman-style 3x3 convolutions):
 *   [conv3x3 -> ReLU -> maxpool 2x2] x 3 (32, 64, 64 channels, 'same' padding)
 *   -> dense 128 -> ReLU   (the features)
 *   -> dense K             (class logits)
 * Trained by cross-entropy with Adam through the Trainer. Generative models of binarized images
 * produce binary samples, so each training batch is stochastically binarized with probability
 * `binarizeFraction`: one classifier then serves models of grey and of binarized data alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import type { Batch, LossTerms, NamedArray, ParameterGroup } from '../models/model.js';
import { Parameters } from '../nn/parameters.js';
import { Trainer } from '../train/trainer.js';
import { learningRateFactor } from '../train/schedule.js';

export interface ReferenceClassifierConfig {
  /** [H, W, C] of one image. */
  inputShape: number[];
  numClasses: number;
  /** Channels of the three conv blocks. Default [32, 64, 64]. */
  channels: number[];
  /** Width of the feature layer (the penultimate layer). Default 128. */
  features: number;
  /** Initialisation seed. Default 0. */
  seed: number;
}

export const REFERENCE_CLASSIFIER_DEFAULTS = Object.freeze({ channels: [32, 64, 64], features: 128, seed: 0 });

export interface ClassifierOutputs {
  /** [n * features], example-major. */
  features: Float32Array;
  /** Class probabilities p(y|x), [n * K]. */
  probabilities: Float32Array;
  n: number;
}

export class ReferenceClassifier {
  readonly name = 'reference-classifier';
  readonly config: ReferenceClassifierConfig;
  private readonly params: Parameters;

  constructor(config: Partial<ReferenceClassifierConfig> & Pick<ReferenceClassifierConfig, 'inputShape' | 'numClasses'>) {
    this.config = { ...REFERENCE_CLASSIFIER_DEFAULTS, ...config, channels: [...(config.channels ?? REFERENCE_CLASSIFIER_DEFAULTS.channels)] };
    const { inputShape, channels, features, numClasses, seed } = this.config;
    check(inputShape.length === 3, () => `the reference classifier takes images [H, W, C], got shape [${inputShape}]`);
    this.params = new Parameters(new Rng(seed));
    let [h, w, c] = inputShape;
    channels.forEach((out, i) => {
      // He initialisation for ReLU layers (He et al. 2015).
      this.params.add(`conv${i}/W`, [3, 3, c, out], { type: 'normal', std: Math.sqrt(2 / (9 * c)) });
      this.params.add(`conv${i}/b`, [out], { type: 'zeros' });
      [h, w, c] = [Math.floor(h / 2), Math.floor(w / 2), out];
    });
    check(h >= 1 && w >= 1, () => `images of [${inputShape}] are too small for ${channels.length} pooling steps`);
    const flat = h * w * c;
    this.params.add('features/W', [flat, features], { type: 'normal', std: Math.sqrt(2 / flat) });
    this.params.add('features/b', [features], { type: 'zeros' });
    this.params.add('logits/W', [features, numClasses], { type: 'glorot', fanIn: features, fanOut: numClasses });
    this.params.add('logits/b', [numClasses], { type: 'zeros' });
  }

  parameterGroups(): Record<string, ParameterGroup> {
    return { main: { variables: this.params.named() } };
  }

  /** Penultimate features, [n, features]. */
  featuresOf(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor4D = x;
      this.config.channels.forEach((_, i) => {
        const conv = tf.add(tf.conv2d(h, this.params.get(`conv${i}/W`) as tf.Tensor4D, 1, 'same'), this.params.get(`conv${i}/b`));
        h = tf.maxPool(tf.relu(conv) as tf.Tensor4D, 2, 2, 'valid');
      });
      const flat = tf.reshape(h, [x.shape[0], -1]) as tf.Tensor2D;
      return tf.relu(tf.add(tf.matMul(flat, this.params.get('features/W') as tf.Tensor2D), this.params.get('features/b'))) as tf.Tensor2D;
    });
  }

  logitsOf(features: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(features, this.params.get('logits/W') as tf.Tensor2D), this.params.get('logits/b')) as tf.Tensor2D);
  }

  /** Mean cross-entropy of the batch's labels, and the batch accuracy (logged). */
  loss(batch: Batch): LossTerms {
    check(batch.labels !== undefined, 'the reference classifier trains on labelled data');
    const x = tf.tensor4d(batch.x, [batch.n, ...this.config.inputShape] as [number, number, number, number]);
    const logits = this.logitsOf(this.featuresOf(x));
    const labels = tf.oneHot(tf.tensor1d(batch.labels!, 'int32'), this.config.numClasses);
    const loss = tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(labels, 1)), 'float32')) as tf.Scalar;
    return { loss, accuracy };
  }

  /** Features and class probabilities of n images ([n * D] values in [0, 1]), in batches. */
  async classify(x: Float32Array, n: number, batchSize = 500): Promise<ClassifierOutputs> {
    const D = exampleSize({ shape: this.config.inputShape });
    check(x.length >= n * D, () => `classify: ${n} images of ${D} values need ${n * D} values, got ${x.length}`);
    const { features: F, numClasses: K } = this.config;
    const features = new Float32Array(n * F);
    const probabilities = new Float32Array(n * K);
    for (let start = 0; start < n; start += batchSize) {
      const m = Math.min(batchSize, n - start);
      const [f, p] = tf.tidy(() => {
        const images = tf.tensor4d(x.subarray(start * D, (start + m) * D), [m, ...this.config.inputShape] as [number, number, number, number]);
        const feats = this.featuresOf(images);
        return [feats, tf.softmax(this.logitsOf(feats))];
      });
      features.set(await f.data(), start * F);
      probabilities.set(await p.data(), start * K);
      f.dispose();
      p.dispose();
    }
    return { features, probabilities, n };
  }

  /** Fraction of `data`'s examples whose most probable class is their label. */
  async accuracy(data: Dataset): Promise<number> {
    check(data.labels !== undefined, () => `${data.name} has no labels to measure accuracy against`);
    const { probabilities } = await this.classify(data.x, data.n);
    const predicted = argMaxRows(probabilities, data.n, this.config.numClasses);
    let correct = 0;
    for (let i = 0; i < data.n; i++) if (predicted[i] === data.labels![i]) correct++;
    return correct / data.n;
  }

  getWeights(): NamedArray[] {
    return this.params.getWeights();
  }

  setWeights(weights: NamedArray[]): void {
    this.params.setWeights(weights);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Index of the largest value of each row of an [n x K] array. */
export function argMaxRows(values: ArrayLike<number>, n: number, K: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (values[i * K + k] > values[i * K + best]) best = k;
    out[i] = best;
  }
  return out;
}

export interface ClassifierTraining {
  epochs: number;
  batchSize: number;
  /** Adam step size, decayed by a cosine to 0 over the run. */
  learningRate: number;
  /** Fraction of batches stochastically binarized (robustness to binary samples). */
  binarizeFraction: number;
  seed: number;
}

export const CLASSIFIER_TRAINING_DEFAULTS: Readonly<ClassifierTraining> = Object.freeze({ epochs: 3, batchSize: 64, learningRate: 2e-3, binarizeFraction: 0.5, seed: 0 });

/**
 * Trains the classifier on `train` (values in [0, 1], labelled) with the Trainer; `onStep` sees the
 * step's loss and accuracy (progress), `onEpoch` each finished epoch.
 */
export async function trainReferenceClassifier(
  classifier: ReferenceClassifier,
  train: Dataset,
  options: Partial<ClassifierTraining> = {},
  callbacks: { onStep?: (step: number, total: number, metrics: Record<string, number>) => void; onEpoch?: (epoch: number) => Promise<void> | void } = {},
): Promise<void> {
  const o = { ...CLASSIFIER_TRAINING_DEFAULTS, ...options };
  check(train.labels !== undefined, () => `${train.name} has no labels: the reference classifier needs classes`);
  const trainer = new Trainer(classifier, { optimizer: { kind: 'adam', learningRate: o.learningRate } });
  const rng = new Rng(o.seed);
  const D = exampleSize(train);
  const stepsPerEpoch = Math.floor(train.n / o.batchSize);
  const total = stepsPerEpoch * o.epochs;
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = rng.permutation(train.n);
    for (let b = 0; b < stepsPerEpoch; b++) {
      const x = new Float32Array(o.batchSize * D);
      const labels = new Int32Array(o.batchSize);
      const binary = rng.uniform() < o.binarizeFraction;
      for (let i = 0; i < o.batchSize; i++) {
        const j = order[b * o.batchSize + i];
        const row = train.x.subarray(j * D, (j + 1) * D);
        if (binary) for (let d = 0; d < D; d++) x[i * D + d] = rng.uniform() < row[d] ? 1 : 0;
        else x.set(row, i * D);
        labels[i] = train.labels![j];
      }
      trainer.scaleLearningRates(learningRateFactor({ decay: 'cosine' }, step, total));
      const metrics = await trainer.step({ x, n: o.batchSize, labels }, { rng, step, epoch });
      callbacks.onStep?.(++step, total, metrics);
    }
    await callbacks.onEpoch?.(epoch + 1);
  }
  trainer.dispose();
}
