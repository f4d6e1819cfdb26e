/**
 * k-nearest-neighbour classification: the second probe of a representation beside the linear one
 * (./probe.ts). A test code takes the majority class of its k nearest training codes under the
 * Euclidean distance (Cover & Hart 1967, "Nearest neighbor pattern classification", IEEE Trans.
 * Inf. Theory 13); a tie in the votes goes to the tied class whose nearest member is nearest.
 * Where the linear probe asks whether the classes are linearly separable, k-NN asks whether
 * neighbours in code space share a class, with nothing fitted (as in e.g. Wu et al. 2018's
 * instance-discrimination evaluation, arXiv:1805.01978).
 *
 * The distances come from one matrix product per chunk of test codes:
 *
 *   |a - b|^2 = |a|^2 - 2 a.b + |b|^2,
 *
 * and |a|^2 is the same for every training code b of a test code a, so ranking by |b|^2 - 2 a.b
 * ranks by distance. A chunk of C test codes against N training codes costs one [C, d] x [d, N]
 * matMul and a top-k over [C, N], with C chosen so the [C, N] block stays near `chunkElements`
 * floats: 10,000 x 10,000 MNIST images (d = 784) are 78 G multiply-adds in 16 MB blocks.
 * float32 throughout: two distances closer than float32 rounding of |b|^2 may swap places.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import type { LabelledCodes } from './probe.js';

export interface KnnOptions {
  /** Neighbours that vote (default 5). */
  k: number;
  /** Floats in one block of test-by-train scores (default 2^22: 16 MB). */
  chunkElements: number;
}

export const KNN_DEFAULTS: Readonly<KnnOptions> = Object.freeze({ k: 5, chunkElements: 1 << 22 });

export interface KnnReport {
  /** Fraction of test codes whose predicted class is their label. */
  accuracy: number;
  k: number;
  trainExamples: number;
  testExamples: number;
}

/**
 * The predicted class of each of the `test.n` codes in test.x [n * d], from the k nearest codes of
 * `train` (labelled). `test.labels` is not read.
 */
export async function knnPredict(train: LabelledCodes, test: Pick<LabelledCodes, 'x' | 'n'>, d: number, options: Partial<KnnOptions> = {}): Promise<Int32Array> {
  const { k, chunkElements } = { ...KNN_DEFAULTS, ...options };
  const N = train.n;
  check(N >= 1, 'k-NN: no training codes');
  check(Number.isInteger(d) && d >= 1, () => `k-NN: the code size must be an integer >= 1, got ${d}`);
  check(train.x.length >= N * d, () => `k-NN: ${train.x.length} values cannot hold ${N} codes of ${d}`);
  check(test.x.length >= test.n * d, () => `k-NN: ${test.x.length} values cannot hold ${test.n} codes of ${d}`);
  check(train.labels.length >= N, () => `k-NN: ${train.labels.length} labels for ${N} codes`);
  check(Number.isInteger(k) && k >= 1 && k <= N, () => `k-NN: k must be an integer between 1 and the ${N} training codes, got ${k}`);
  let numClasses = 0;
  for (let i = 0; i < N; i++) {
    const y = train.labels[i];
    check(Number.isInteger(y) && y >= 0, () => `k-NN: label ${y} of training code ${i} is not a class index (an integer >= 0)`);
    numClasses = Math.max(numClasses, y + 1);
  }

  // 1. The training codes and their squared norms, once: [N, d] and [1, N].
  const trainCodes = tf.tensor2d(float32(train.x, N * d), [N, d]);
  const trainNorms = tf.tidy(() => tf.sum(tf.square(trainCodes), 1).reshape([1, N]));
  const rowsPerChunk = Math.max(1, Math.floor(chunkElements / N));
  const predicted = new Int32Array(test.n);
  const votes = new Int32Array(numClasses);
  try {
    for (let start = 0; start < test.n; start += rowsPerChunk) {
      const C = Math.min(rowsPerChunk, test.n - start);
      // 2. The k best of -(|b|^2 - 2 a.b) per test code: the indices of its k nearest, nearest first.
      const nearest = tf.tidy(() => {
        const queries = tf.tensor2d(float32(test.x, (start + C) * d, start * d), [C, d]);
        const scores = tf.sub(tf.mul(tf.matMul(queries, trainCodes, false, true), 2), trainNorms); // [C, N]
        return tf.topk(scores, k, true).indices; // [C, k]
      });
      const indices = await nearest.data();
      nearest.dispose();
      // 3. Votes; among the classes with the most, the first met in order of distance wins.
      for (let r = 0; r < C; r++) {
        votes.fill(0);
        let most = 0;
        for (let j = 0; j < k; j++) most = Math.max(most, ++votes[train.labels[indices[r * k + j]]]);
        for (let j = 0; j < k; j++) {
          const y = train.labels[indices[r * k + j]];
          if (votes[y] === most) {
            predicted[start + r] = y;
            break;
          }
        }
      }
    }
  } finally {
    tf.dispose([trainCodes, trainNorms]);
  }
  return predicted;
}

/** The accuracy of k-NN classification of the `test` codes against the `train` codes. */
export async function knnAccuracy(train: LabelledCodes, test: LabelledCodes, d: number, options: Partial<KnnOptions> = {}): Promise<KnnReport> {
  check(test.n >= 1, 'k-NN: no test codes to classify');
  check(test.labels.length >= test.n, () => `k-NN: ${test.labels.length} labels for ${test.n} test codes`);
  const predicted = await knnPredict(train, test, d, options);
  let correct = 0;
  for (let i = 0; i < test.n; i++) if (predicted[i] === test.labels[i]) correct++;
  return { accuracy: correct / test.n, k: options.k ?? KNN_DEFAULTS.k, trainExamples: train.n, testExamples: test.n };
}

/** values[from, to) as float32 (no copy when they already are). */
function float32(values: ArrayLike<number>, to: number, from = 0): Float32Array {
  if (values instanceof Float32Array) return values.subarray(from, to);
  const out = new Float32Array(to - from);
  for (let i = 0; i < out.length; i++) out[i] = values[from + i];
  return out;
}
