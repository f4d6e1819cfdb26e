/**
 * Sample quality in a reference classifier's feature space, for any model that samples:
 *
 * - Frechet distance of the samples' features to the reference set's (frechet.ts).
 * - The Inception-Score analogue exp(E_x KL(p(y|x) || p(y))), p(y) the mean of p(y|x) over the
 *   samples (Salimans et al. 2016, section 4): high when each sample is confidently one class and
 *   the classes are diverse; at most the number of classes.
 * - Precision and recall of k-NN manifolds (Kynkaanniemi et al. 2019, eqs. 1-3): each point of a
 *   set owns a ball reaching its k-th nearest neighbour in that set; precision is the fraction of
 *   samples inside some reference ball (fidelity), recall the fraction of reference points inside
 *   some sample ball (coverage).
 * - The histogram of the classes the classifier assigns to the samples, its KL divergence to the
 *   uniform distribution (0 for an even spread; log K when every sample is one class: mode
 *   collapse), and the mean top-class probability.
 * - For a conditional model's samples (the samples' labels given: the classes asked for), the
 *   label agreement: how often the classifier reads back the class asked for.
 *
 * Pairwise distances go through tfjs matMul in row blocks, so 10,000 x 10,000 sets are cheap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../core/errors.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { argMaxRows, type ClassifierOutputs, type ReferenceClassifier } from './referenceClassifier.js';
import { featureMoments, frechetDistance, type FeatureMoments } from './frechet.js';

const BLOCK = 512;

/** Squared Euclidean distances between each row of `a` [m, d] and each row of `b` [n, d]: [m, n]. */
function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D, bNorms: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const aNorms = tf.sum(tf.square(a), 1, true);
    const cross = tf.matMul(a, b, false, true);
    return tf.relu(tf.add(tf.sub(aNorms, tf.mul(2, cross)), bNorms)) as tf.Tensor2D;
  });
}

/** For each of the n rows of x [n * d], the distance to its k-th nearest other row. */
export async function kthNeighbourDistances(x: Float32Array, n: number, d: number, k: number): Promise<Float32Array> {
  check(k >= 1 && k < n, () => `k-th neighbour distances need 1 <= k < n, got k = ${k}, n = ${n}`);
  const out = new Float32Array(n);
  const all = tf.tensor2d(x.subarray(0, n * d), [n, d]);
  const norms = tf.tidy(() => tf.sum(tf.square(all), 1)) as tf.Tensor1D;
  for (let start = 0; start < n; start += BLOCK) {
    const m = Math.min(BLOCK, n - start);
    const kth = tf.tidy(() => {
      const rows = all.slice([start, 0], [m, d]);
      // The k + 1 smallest distances include the point itself (distance 0).
      const { values } = tf.topk(tf.neg(squaredDistances(rows, all, norms)), k + 1);
      return tf.sqrt(tf.neg(values.slice([0, k], [m, 1])));
    });
    out.set(await kth.data(), start);
    kth.dispose();
  }
  all.dispose();
  norms.dispose();
  return out;
}

/** Fraction of the m rows of `queries` that lie within radii[j] of some row j of `centres` (n rows). */
export async function fractionInsideBalls(queries: Float32Array, m: number, centres: Float32Array, radii: Float32Array, n: number, d: number): Promise<number> {
  const c = tf.tensor2d(centres.subarray(0, n * d), [n, d]);
  const cNorms = tf.tidy(() => tf.sum(tf.square(c), 1)) as tf.Tensor1D;
  const r2 = tf.tidy(() => tf.square(tf.tensor1d(radii.subarray(0, n))));
  let inside = 0;
  for (let start = 0; start < m; start += BLOCK) {
    const rows = Math.min(BLOCK, m - start);
    const hits = tf.tidy(() => {
      const q = tf.tensor2d(queries.subarray(start * d, (start + rows) * d), [rows, d]);
      const margin = tf.min(tf.sub(squaredDistances(q, c, cNorms), r2), 1);
      return tf.sum(tf.cast(tf.lessEqual(margin, 0), 'int32'));
    });
    inside += (await hits.data())[0];
    hits.dispose();
  }
  c.dispose();
  cNorms.dispose();
  r2.dispose();
  return inside / m;
}

/** Improved precision and recall (Kynkaanniemi et al. 2019) of `generated` against `real` features. */
export async function precisionRecall(real: Float32Array, nReal: number, generated: Float32Array, nGenerated: number, d: number, k = 3): Promise<{ precision: number; recall: number }> {
  const realRadii = await kthNeighbourDistances(real, nReal, d, k);
  const generatedRadii = await kthNeighbourDistances(generated, nGenerated, d, k);
  return {
    precision: await fractionInsideBalls(generated, nGenerated, real, realRadii, nReal, d),
    recall: await fractionInsideBalls(real, nReal, generated, generatedRadii, nGenerated, d),
  };
}

/** exp(E_x KL(p(y|x) || p(y))) over n rows of class probabilities [n * K]. */
export function inceptionScore(probabilities: ArrayLike<number>, n: number, K: number): number {
  const marginal = new Float64Array(K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) marginal[k] += probabilities[i * K + k] / n;
  let klSum = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const p = probabilities[i * K + k];
      if (p > 0) klSum += p * (Math.log(p) - Math.log(marginal[k]));
    }
  }
  return Math.exp(klSum / n);
}

export interface ClassSpread {
  /** Fraction of samples assigned to each class (argmax p(y|x)). */
  histogram: number[];
  /** KL(histogram || uniform) in nats: 0 for an even spread, log K for a single class. */
  klToUniform: number;
  /** Mean of max_y p(y|x). */
  meanConfidence: number;
}

export function classSpread(probabilities: ArrayLike<number>, n: number, K: number): ClassSpread {
  const predicted = argMaxRows(probabilities, n, K);
  const counts = new Float64Array(K);
  let confidence = 0;
  for (let i = 0; i < n; i++) {
    counts[predicted[i]]++;
    confidence += probabilities[i * K + predicted[i]];
  }
  const histogram = Array.from(counts, (c) => c / n);
  let klToUniform = 0;
  for (const h of histogram) if (h > 0) klToUniform += h * Math.log(h * K);
  return { histogram, klToUniform, meanConfidence: confidence / n };
}

export interface SampleQualityReport extends ClassSpread {
  /** The feature space, e.g. 'genlab-mnist@1a2b3c4d5e6f': figures from different ones do not compare. */
  featureSpace: string;
  /** Samples scored. */
  n: number;
  /** Reference examples the Frechet distance compares with (all given). */
  referenceExamples: number;
  /** Squared Frechet distance of the features (nats-free: squared feature units). */
  frechetDistance: number;
  inceptionScore: number;
  precision: number;
  recall: number;
  /** k of the k-NN manifolds; precision and recall compare `precisionRecallExamples` of each set. */
  k: number;
  precisionRecallExamples: number;
  /** Conditional samples: the fraction the classifier assigns to the class each was drawn for. */
  labelAgreement?: number;
}

/**
 * Every sample-quality figure of `samples` against `reference`, both classified by the same
 * reference classifier. The reference moments can be passed in when computed once for many runs.
 */
export async function sampleQuality(
  samples: ClassifierOutputs,
  reference: ClassifierOutputs,
  options: { featureSpace: string; featureDim: number; numClasses: number; k?: number; referenceMoments?: FeatureMoments; requestedLabels?: ArrayLike<number> },
): Promise<SampleQualityReport> {
  const { featureDim: d, numClasses: K, k = 3 } = options;
  const referenceMoments = options.referenceMoments ?? featureMoments(reference.features, reference.n, d);
  const frechet = frechetDistance(featureMoments(samples.features, samples.n, d), referenceMoments);
  // Precision and recall compare sets of equal size: their values depend on it through k-NN radii.
  const m = Math.min(samples.n, reference.n);
  const { precision, recall } = await precisionRecall(reference.features, m, samples.features, m, d, k);
  return {
    featureSpace: options.featureSpace,
    n: samples.n,
    referenceExamples: reference.n,
    frechetDistance: frechet,
    inceptionScore: inceptionScore(samples.probabilities, samples.n, K),
    precision,
    recall,
    k,
    precisionRecallExamples: m,
    ...classSpread(samples.probabilities, samples.n, K),
    ...(options.requestedLabels && { labelAgreement: labelAgreement(samples.probabilities, samples.n, K, options.requestedLabels) }),
  };
}

/** Fraction of the n rows whose most probable class (argmax p(y|x)) is the one requested for it. */
export function labelAgreement(probabilities: ArrayLike<number>, n: number, K: number, requested: ArrayLike<number>): number {
  check(requested.length === n, () => `label agreement needs one requested label per sample: ${requested.length} for ${n}`);
  const predicted = argMaxRows(probabilities, n, K);
  let agree = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === requested[i]) agree++;
  return agree / n;
}

/** Values in [0, 1] as the reference classifier reads them: 8-bit data scaled, the rest clamped. */
export function unitIntervalValues(d: Dataset): Float32Array {
  const scale = d.kind === 'uint8' ? 1 / 255 : 1;
  check(d.kind !== 'real', () => `${d.name} holds arbitrary real values, not images: no reference classifier reads them`);
  const x = new Float32Array(d.n * exampleSize(d));
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, d.x[i] * scale));
  return x;
}

/**
 * Sample quality of `samples` against `reference` (e.g. the test split as the model sees it), both
 * read by `classifier`, whose feature space `featureSpace` names.
 */
export async function measureSampleQuality(classifier: ReferenceClassifier, featureSpace: string, samples: Dataset, reference: Dataset, k = 3): Promise<SampleQualityReport> {
  const shape = classifier.config.inputShape;
  for (const d of [samples, reference]) {
    check(d.shape.join('x') === shape.join('x'), () => `${d.name} has shape [${d.shape}], the reference classifier reads [${shape}]`);
  }
  const sampleOutputs = await classifier.classify(unitIntervalValues(samples), samples.n);
  const referenceOutputs = await classifier.classify(unitIntervalValues(reference), reference.n);
  return sampleQuality(sampleOutputs, referenceOutputs, {
    featureSpace,
    featureDim: classifier.config.features,
    numClasses: classifier.config.numClasses,
    k,
    ...(samples.labels && { requestedLabels: samples.labels }),
  });
}
