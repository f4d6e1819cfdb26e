/**
 * Linear probe: how much of the class is linearly readable from a model's latent codes. A
 * multinomial logistic regression (softmax regression) is fit on the codes of the training split
 * and scored by its accuracy on the codes of the test split, the protocol of representation
 * learning papers (e.g. Alain & Bengio 2016, "Understanding intermediate layers using linear
 * classifier probes", arXiv:1610.01644). The classifier is
 *
 *   p(y = k | z) = softmax_k(W z~ + b),   z~ = (z - mean) / std   (per feature, train statistics)
 *
 * fit by minimising mean cross-entropy + (l2 / 2) ||W||^2 with minibatch Adam and a learning rate
 * decaying linearly to zero. Plain JS in float64 (no tensors): cheap for codes of tens of dimensions,
 * browser-safe, and deterministic given the seed (which only orders the minibatches; W starts at 0).
 */
import { check, UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { isLatent } from '../models/capabilities.js';
import type { GenerativeModel } from '../models/model.js';

export interface ProbeConfig {
  /** Adam steps (minibatches), whatever the number of examples. */
  steps: number;
  /** Examples per step (all of them when fewer). */
  batchSize: number;
  /** Adam step size at step 0, decayed linearly to 0. */
  learningRate: number;
  /** L2 penalty on W (not b): keeps W finite on separable codes. */
  l2: number;
  /** Orders the minibatches. */
  seed: number;
}

export const PROBE_DEFAULTS: Readonly<ProbeConfig> = Object.freeze({ steps: 2000, batchSize: 256, learningRate: 0.05, l2: 1e-4, seed: 0 });

/** Codes with their labels: x [n * d], example-major. */
export interface LabelledCodes {
  x: ArrayLike<number>;
  labels: ArrayLike<number>;
  n: number;
}

export interface ProbeReport {
  /** Fraction of test codes classified correctly. */
  accuracy: number;
  /** The same on the codes it was fit on (a large gap: the probe overfits). */
  trainAccuracy: number;
  trainExamples: number;
  testExamples: number;
}

/** A fitted softmax regression on standardised features. */
export class LinearProbe {
  private constructor(
    readonly d: number,
    readonly numClasses: number,
    /** Feature means and standard deviations of the training codes, [d] each. */
    private readonly mean: Float64Array,
    private readonly std: Float64Array,
    /** [K * d], class-major. */
    private readonly W: Float64Array,
    /** [K]. */
    private readonly b: Float64Array,
  ) {}

  /** Fits W, b on `train` (d features per example); classes are 0 .. numClasses - 1. */
  static fit(train: LabelledCodes, d: number, numClasses: number, config: Partial<ProbeConfig> = {}): LinearProbe {
    const { steps, batchSize, learningRate, l2, seed } = { ...PROBE_DEFAULTS, ...config };
    const { n } = train;
    check(n >= 1, 'linear probe: no training examples');
    check(Number.isInteger(d) && d >= 1 && train.x.length >= n * d, () => `linear probe: ${train.x.length} values cannot hold ${n} codes of ${d}`);
    check(Number.isInteger(numClasses) && numClasses >= 1, () => `linear probe: numClasses must be an integer >= 1, got ${numClasses}`);
    checkLabels(train, numClasses);
    check(Number.isInteger(steps) && steps >= 1 && Number.isInteger(batchSize) && batchSize >= 1, 'linear probe: steps and batchSize must be integers >= 1');
    const K = numClasses;

    // 1. Standardise with the training statistics (a constant feature keeps std 1).
    const mean = new Float64Array(d);
    const std = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += train.x[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j] += (train.x[i * d + j] - mean[j]) ** 2 / n;
    for (let j = 0; j < d; j++) std[j] = std[j] > 1e-24 ? Math.sqrt(std[j]) : 1;
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (train.x[i * d + j] - mean[j]) / std[j];

    // 2. Minibatch Adam on mean cross-entropy + (l2 / 2) ||W||^2; parameters [W | b] in one array.
    const P = K * d + K;
    const theta = new Float64Array(P);
    const grad = new Float64Array(P);
    const m = new Float64Array(P);
    const v = new Float64Array(P);
    const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
    const B = Math.min(batchSize, n);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const rng = new Rng(seed);
    const p = new Float64Array(K);
    let cursor = n;
    for (let t = 0; t < steps; t++) {
      grad.fill(0);
      for (let r = 0; r < B; r++) {
        if (cursor === n) {
          rng.shuffle(order);
          cursor = 0;
        }
        const i = order[cursor++];
        const xi = x.subarray(i * d, (i + 1) * d);
        // softmax(W x_i + b), then d(-log p_y)/d logits = p - onehot(y).
        logits(theta, xi, d, K, p);
        softmaxInPlace(p);
        p[train.labels[i]] -= 1;
        for (let k = 0; k < K; k++) {
          const g = p[k] / B;
          for (let j = 0; j < d; j++) grad[k * d + j] += g * xi[j];
          grad[K * d + k] += g;
        }
      }
      for (let q = 0; q < K * d; q++) grad[q] += l2 * theta[q];
      const lr = learningRate * (1 - t / steps);
      const c1 = 1 - beta1 ** (t + 1);
      const c2 = 1 - beta2 ** (t + 1);
      for (let q = 0; q < P; q++) {
        m[q] = beta1 * m[q] + (1 - beta1) * grad[q];
        v[q] = beta2 * v[q] + (1 - beta2) * grad[q] * grad[q];
        theta[q] -= (lr * (m[q] / c1)) / (Math.sqrt(v[q] / c2) + eps);
      }
    }
    return new LinearProbe(d, K, mean, std, theta.slice(0, K * d), theta.slice(K * d));
  }

  /** The most probable class of each of the n codes in x [n * d]. */
  predict(x: ArrayLike<number>, n: number): Int32Array {
    const { d, numClasses: K } = this;
    check(x.length >= n * d, () => `linear probe: ${x.length} values cannot hold ${n} codes of ${d}`);
    const out = new Int32Array(n);
    const xi = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) xi[j] = (x[i * d + j] - this.mean[j]) / this.std[j];
      let best = 0;
      let bestScore = -Infinity;
      for (let k = 0; k < K; k++) {
        let s = this.b[k];
        for (let j = 0; j < d; j++) s += this.W[k * d + j] * xi[j];
        if (s > bestScore) {
          bestScore = s;
          best = k;
        }
      }
      out[i] = best;
    }
    return out;
  }

  /** Fraction of `data` whose label is the predicted class. */
  accuracy(data: LabelledCodes): number {
    check(data.n >= 1, 'linear probe: no examples to score');
    const predicted = this.predict(data.x, data.n);
    let correct = 0;
    for (let i = 0; i < data.n; i++) if (predicted[i] === data.labels[i]) correct++;
    return correct / data.n;
  }
}

/** Fits a probe on `train` and scores it on `test`; the classes are 0 .. the largest label of either. */
export function linearProbe(train: LabelledCodes, test: LabelledCodes, d: number, config: Partial<ProbeConfig> = {}): ProbeReport {
  let K = 0;
  for (const set of [train, test]) for (let i = 0; i < set.n; i++) K = Math.max(K, set.labels[i] + 1);
  const probe = LinearProbe.fit(train, d, K, config);
  return { accuracy: probe.accuracy(test), trainAccuracy: probe.accuracy(train), trainExamples: train.n, testExamples: test.n };
}

/** `model.encode` over a whole data set, batch by batch, in input order: [n * latentSize]. */
export async function encodeAll(model: GenerativeModel, data: Dataset, rng: Rng, batchSize = 500, onBatch?: (done: number) => void): Promise<Float32Array> {
  if (!isLatent(model)) throw new UserError(`${model.name} has no latent codes to encode to`);
  const D = exampleSize(data);
  const L = model.latentSize;
  const out = new Float32Array(data.n * L);
  for (let start = 0; start < data.n; start += batchSize) {
    const n = Math.min(batchSize, data.n - start);
    const codes = await model.encode({ x: data.x.subarray(start * D, (start + n) * D), n, labels: data.labels?.subarray(start, start + n) }, rng);
    out.set(codes, start * L);
    onBatch?.(n);
  }
  return out;
}

/**
 * The codes of the first `examples` of a labelled data set, with their labels: what the linear
 * probe and k-NN (./knn.ts) classify. Encoding draws from a stream seeded with `seed` (posterior
 * means draw nothing).
 */
export async function encodeLabelled(model: GenerativeModel, data: Dataset, examples: number, seed = PROBE_DEFAULTS.seed, onBatch?: (done: number) => void): Promise<LabelledCodes> {
  if (!isLatent(model)) throw new UserError(`${model.name} has no latent codes to encode to`);
  if (!data.labels) throw new UserError('the linear probe needs class labels, and the data set has none');
  const n = Math.min(examples, data.n);
  const part = { ...data, n, x: data.x.subarray(0, n * exampleSize(data)), labels: data.labels.subarray(0, n) };
  return { x: await encodeAll(model, part, new Rng(seed), 500, onBatch), labels: part.labels, n };
}

/**
 * The linear probe of a latent model: encodes the first `examples` of `train` and of `test`
 * (both labelled) and fits and scores a probe on their codes.
 */
export async function probeModel(
  model: GenerativeModel,
  train: Dataset,
  test: Dataset,
  examples: number,
  config: Partial<ProbeConfig> = {},
  onBatch?: (done: number) => void,
): Promise<ProbeReport> {
  if (!isLatent(model)) throw new UserError(`${model.name} has no latent codes to encode to`);
  if (!train.labels || !test.labels) throw new UserError('the linear probe needs class labels, and the data set has none');
  const codes = (d: Dataset) => encodeLabelled(model, d, examples, config.seed, onBatch);
  return linearProbe(await codes(train), await codes(test), model.latentSize, config);
}

function checkLabels(data: LabelledCodes, K: number): void {
  check(data.labels.length >= data.n, () => `linear probe: ${data.labels.length} labels for ${data.n} codes`);
  for (let i = 0; i < data.n; i++) {
    const y = data.labels[i];
    check(Number.isInteger(y) && y >= 0 && y < K, () => `linear probe: label ${y} is outside 0..${K - 1}`);
  }
}

/** W x + b for the parameters [W (K * d) | b (K)] into out [K]. */
function logits(theta: Float64Array, x: Float64Array, d: number, K: number, out: Float64Array): void {
  for (let k = 0; k < K; k++) {
    let s = theta[K * d + k];
    for (let j = 0; j < d; j++) s += theta[k * d + j] * x[j];
    out[k] = s;
  }
}

function softmaxInPlace(a: Float64Array): void {
  let max = -Infinity;
  for (const v of a) max = Math.max(max, v);
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] = Math.exp(a[k] - max);
  for (let k = 0; k < a.length; k++) a[k] /= sum;
}
