/**
 * Classification by Bayes' rule with a class-conditional density model, and the reject option a
 * density gives (Chow 1970, "On optimum recognition error and reject tradeoff"; here the rejection
 * is on the likelihood, not on the posterior, so that inputs unlike every class are refused):
 *
 *   p(y | x) = exp(log p(x|y) + log p(y) - logsumexp_y' [log p(x|y') + log p(y')])
 *   answer argmax_y p(y | x), unless max_y log p(x|y) < threshold: then none.
 *
 * A discriminative classifier's p(y|x) sums to 1 whatever x is, so it must name a class even for
 * noise; a generative one also knows p(x|y) and can see that no class explains x. The threshold is
 * chosen on held-out in-distribution data: its q-quantile of max_y log p(x|y), so that a fraction q
 * of such inputs is refused by construction (`rejectionThreshold`).
 */
import { UserError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { logSumExp } from '../distributions/math.js';
import { hasBound, hasDensity, isConditional, type DensityKind } from '../models/capabilities.js';
import type { Batch, GenerativeModel } from '../models/model.js';

export interface BayesDecision {
  /** The class answered per example, -1 where the input was rejected; [n]. */
  predicted: Int32Array;
  /** argmax_y p(y | x) per example, rejected or not (the answer when every input must be answered); [n]. */
  best: Int32Array;
  /** p(y | x), [n * K] example-major. */
  posterior: Float64Array;
  /** max_y log p(x | y) per example, what the threshold is compared with; [n]. */
  maxLogLikelihood: Float64Array;
}

/**
 * Bayes' rule on per-class log-likelihoods `logLikelihoods` ([n * K], log p(x_i | y = c) at
 * i * K + c) and the log prior `logPrior` ([K]). With a `threshold`, an example whose best class
 * log-likelihood is below it is rejected (predicted -1). An example no class gives any probability
 * (every log-likelihood -Infinity) has the prior as its posterior.
 */
export function bayesClassify(logLikelihoods: Float64Array, logPrior: ArrayLike<number>, threshold?: number): BayesDecision {
  const K = logPrior.length;
  if (K < 2 || logLikelihoods.length % K !== 0) throw new Error(`bayesClassify: ${logLikelihoods.length} log-likelihoods do not fill rows of ${K} classes`);
  const n = logLikelihoods.length / K;
  const posterior = new Float64Array(n * K);
  const predicted = new Int32Array(n);
  const best = new Int32Array(n);
  const maxLogLikelihood = new Float64Array(n);
  const joint = new Float64Array(K);
  const priorNorm = logSumExp(logPrior);
  for (let i = 0; i < n; i++) {
    let maxLl = -Infinity;
    for (let c = 0; c < K; c++) {
      const ll = logLikelihoods[i * K + c];
      maxLl = Math.max(maxLl, ll);
      joint[c] = ll + logPrior[c];
    }
    if (maxLl === -Infinity) for (let c = 0; c < K; c++) joint[c] = logPrior[c];
    const evidence = maxLl === -Infinity ? priorNorm : logSumExp(joint);
    let arg = 0;
    for (let c = 0; c < K; c++) {
      posterior[i * K + c] = Math.exp(joint[c] - evidence);
      if (joint[c] > joint[arg]) arg = c;
    }
    best[i] = arg;
    maxLogLikelihood[i] = maxLl;
    predicted[i] = threshold !== undefined && !(maxLl >= threshold) ? -1 : arg;
  }
  return { predicted, best, posterior, maxLogLikelihood };
}

/**
 * The threshold below which a fraction `quantile` of `values` lies: the value at rank
 * floor(q n) of the sorted values, so that (without ties) exactly floor(q n) of them are below it
 * and would be rejected. q = 0 gives the minimum: nothing of these values is rejected.
 */
export function rejectionThreshold(values: ArrayLike<number>, quantile: number): number {
  if (!(quantile >= 0 && quantile < 1)) throw new UserError(`the reject quantile must be in [0, 1), got ${quantile}`);
  if (values.length === 0) throw new UserError('no held-out examples to choose a threshold on');
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))];
}

/** How a conditional model scores log p(x | y): what the numbers are, its class count, the scorer. */
export interface ClassScorer {
  kind: DensityKind;
  numClasses: number;
  score(batch: Batch, rng: Rng): Promise<Float64Array>;
}

/**
 * The scorer of a class-conditional model: its bound where it has one (cvae's ELBO: one pass, where
 * its importance-sampled estimate costs thousands), else its density (classcond: exact for an exact
 * base). Any other model is a user error.
 */
export function classScorer(model: GenerativeModel): ClassScorer {
  if (isConditional(model)) {
    const numClasses = model.numClasses;
    if (hasBound(model)) return { kind: 'bound', numClasses, score: async (batch, rng) => (await model.bound(batch, rng)).bound };
    if (hasDensity(model)) return { kind: model.densityKind, numClasses, score: (batch, rng) => model.logProb(batch, rng) };
  }
  throw new UserError(
    `${model.name} cannot classify by Bayes' rule: that needs a class-conditional model with a density or a bound on log p(x|y) ` +
      `(classcond, cvae); ${model.name} is ${isConditional(model) ? 'conditional but has neither' : 'not conditioned on a class'}`,
  );
}

/**
 * log p(x | y = c) for every example of `data` and every class c, [n * K]: each class scores every
 * example with its label set to c.
 */
export async function classLogLikelihoods(
  scorer: ClassScorer,
  data: Dataset,
  rng: Rng,
  options: { batchSize?: number; onBatch?: (done: number) => void } = {},
): Promise<Float64Array> {
  const K = scorer.numClasses;
  const D = exampleSize(data);
  const batchSize = options.batchSize ?? 500;
  const out = new Float64Array(data.n * K);
  for (let start = 0; start < data.n; start += batchSize) {
    const n = Math.min(batchSize, data.n - start);
    const x = data.x.subarray(start * D, (start + n) * D);
    for (let c = 0; c < K; c++) {
      const scores = await scorer.score({ x, n, labels: new Int32Array(n).fill(c) }, rng);
      for (let i = 0; i < n; i++) out[(start + i) * K + c] = scores[i];
    }
    options.onBatch?.(n);
  }
  return out;
}
