/**
 * Likelihood-based out-of-distribution detection: score each input by -log p(x) (higher = more
 * anomalous) and measure how well the score separates in-distribution inputs from
 * out-of-distribution ones, the out-of-distribution inputs being the positive class.
 *
 * - AUROC: the probability that a random out input scores above a random in input, ties counting
 *   one half: the Mann-Whitney U statistic over nIn * nOut (Hanley & McNeil 1982). 0.5 is chance;
 *   below 0.5 the score ranks the wrong way round.
 * - AUPRC: average precision with the out inputs as positives, sum over thresholds of
 *   (R_t - R_{t-1}) P_t, every distinct score one threshold (as scikit-learn's
 *   `average_precision_score`). Its chance level is the share of positives, nOut / (nIn + nOut).
 * - FPR at 95% TPR: the share of in inputs flagged by the highest threshold that flags 95% of the
 *   out inputs (Hendrycks & Gimpel 2017 report it beside AUROC).
 *
 * Raw likelihood fails in a known way: models of Fashion-MNIST give MNIST higher likelihood than
 * their own test set (Nalisnick et al. 2019, "Do deep generative models know what they don't
 * know?", ICLR), because -log p(x) is dominated by how complex the input is, not by how typical.
 * Serra et al. 2020 ("Input complexity and out-of-distribution detection with likelihood-based
 * generative models", ICLR, Eq. 2) subtract a complexity estimate, the length L(x) in bits of x
 * compressed by a lossless compressor:
 *
 *   S(x) = -log2 p(x) - L(x)                                                                (Eq. 2)
 *
 * a log-likelihood ratio between the model and the compressor, seen as a universal model. The
 * compressor lives on the Node side (src/node/complexity.ts, PNG); the arithmetic is here.
 *
 * Browser-safe: plain arrays in, numbers out.
 */
import { check, UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { dequantize } from '../data/dequantize.js';
import { hasBound, hasDensity, isConditional, type DensityKind } from '../models/capabilities.js';
import type { GenerativeModel } from '../models/model.js';
import { boundAll, dequantizationShift, isDequantized, logProbAll } from './likelihood.js';

/** The scores of one set as a sorted copy, checked: finite or infinite numbers, never NaN. */
function sortedScores(scores: ArrayLike<number>, what: string): Float64Array {
  const sorted = Float64Array.from(scores);
  check(sorted.length > 0, `${what}: no scores`);
  for (const s of sorted) check(!Number.isNaN(s), `${what}: a score is NaN`);
  return sorted.sort();
}

/**
 * Area under the ROC curve with the out-of-distribution inputs as positives, higher scores meaning
 * more anomalous: P(out score > in score) + P(equal) / 2, the Mann-Whitney U / (nIn nOut).
 * Computed from mid-ranks in the pooled sorted scores, O(n log n).
 */
export function auroc(inScores: ArrayLike<number>, outScores: ArrayLike<number>): number {
  const inSorted = sortedScores(inScores, 'auroc (in)');
  const outSorted = sortedScores(outScores, 'auroc (out)');
  // For each out score, count the in scores below it and those equal to it (two pointers).
  let below = 0;
  let upTo = 0; // in scores <= the current out score
  let u = 0;
  for (const s of outSorted) {
    while (below < inSorted.length && inSorted[below] < s) below++;
    upTo = Math.max(upTo, below);
    while (upTo < inSorted.length && inSorted[upTo] <= s) upTo++;
    u += below + 0.5 * (upTo - below);
  }
  return u / (inSorted.length * outSorted.length);
}

/**
 * Average precision with the out inputs as positives: sum over distinct thresholds t, from the
 * highest score down, of (recall_t - recall_{t-1}) * precision_t, where an input is flagged when
 * its score is >= t. Inputs with equal scores enter at one threshold together.
 */
export function averagePrecision(inScores: ArrayLike<number>, outScores: ArrayLike<number>): number {
  const inSorted = sortedScores(inScores, 'averagePrecision (in)');
  const outSorted = sortedScores(outScores, 'averagePrecision (out)');
  let i = inSorted.length; // in scores at indices >= i are flagged
  let o = outSorted.length;
  let ap = 0;
  while (o > 0) {
    // The next threshold: the highest score not yet flagged, in either set.
    const t = Math.max(outSorted[o - 1], i > 0 ? inSorted[i - 1] : -Infinity);
    const before = o;
    while (o > 0 && outSorted[o - 1] >= t) o--;
    while (i > 0 && inSorted[i - 1] >= t) i--;
    const truePositives = outSorted.length - o;
    const flagged = truePositives + inSorted.length - i;
    ap += ((before - o) / outSorted.length) * (truePositives / flagged);
  }
  return ap;
}

/**
 * The false-positive rate at a true-positive rate: with the threshold t the k-th highest out score,
 * k = ceil(tpr * nOut), flagging every input with score >= t flags at least that share of the out
 * inputs; returned is the share of in inputs it also flags.
 */
export function fprAtTpr(inScores: ArrayLike<number>, outScores: ArrayLike<number>, tpr = 0.95): number {
  check(tpr > 0 && tpr <= 1, `fprAtTpr: the true-positive rate must be in (0, 1], got ${tpr}`);
  const inSorted = sortedScores(inScores, 'fprAtTpr (in)');
  const outSorted = sortedScores(outScores, 'fprAtTpr (out)');
  // The tolerance keeps 0.95 * 20 at 19 whatever the rounding of the product.
  const k = Math.min(outSorted.length, Math.max(1, Math.ceil(tpr * outSorted.length - 1e-9)));
  const t = outSorted[outSorted.length - k];
  let flagged = 0;
  for (const s of inSorted) if (s >= t) flagged++;
  return flagged / inSorted.length;
}

/** How well one score separates in from out (higher = more anomalous), with both sets' sizes and means. */
export interface AnomalyReport {
  auroc: number;
  auprc: number;
  fprAt95Tpr: number;
  /** Mean score of the in-distribution inputs. */
  meanIn: number;
  /** Mean score of the out-of-distribution inputs. */
  meanOut: number;
  nIn: number;
  nOut: number;
}

export function anomalyReport(inScores: ArrayLike<number>, outScores: ArrayLike<number>): AnomalyReport {
  return {
    auroc: auroc(inScores, outScores),
    auprc: averagePrecision(inScores, outScores),
    fprAt95Tpr: fprAtTpr(inScores, outScores, 0.95),
    meanIn: meanOf(inScores),
    meanOut: meanOf(outScores),
    nIn: inScores.length,
    nOut: outScores.length,
  };
}

function meanOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * Serra et al.'s score S(x) = -log2 p(x) - L(x) (Eq. 2), bits per example, from -log p(x) in nats
 * and the compressed length L(x) in bits. Higher = more anomalous, as the raw score.
 */
export function complexityCorrected(negLogProbNats: ArrayLike<number>, compressedBits: ArrayLike<number>): Float64Array {
  check(negLogProbNats.length === compressedBits.length, () => `complexityCorrected: ${negLogProbNats.length} scores but ${compressedBits.length} lengths`);
  return Float64Array.from({ length: negLogProbNats.length }, (_, i) => negLogProbNats[i] / Math.LN2 - compressedBits[i]);
}

/**
 * Where `value` falls among `reference` values, in percent: 100 (#below + #equal / 2) / n (the
 * mid-rank convention, so a value equal to every reference sits at 50). With log p(x) of a test
 * set as the reference, a new input near 0 is less likely than almost every test example: an anomaly.
 */
export function percentileRank(value: number, reference: ArrayLike<number>): number {
  check(reference.length > 0, 'percentileRank: no reference values');
  check(!Number.isNaN(value), 'percentileRank: the value is NaN');
  let below = 0;
  let equal = 0;
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] < value) below++;
    else if (reference[i] === value) equal++;
  }
  return (100 * (below + equal / 2)) / reference.length;
}

/** What a per-example score -log p(x) is: the model's own log p(x) (exact or estimated) or -bound. */
export interface NegLogLikelihoods {
  /**
   * 'exact' -log p(x); 'estimate' (e.g. the IWAE estimate of a VAE); 'bound': an upper bound on
   * -log p(x) (the negative ELBO, or a dequantized density's, see `dequantized`).
   */
  kind: DensityKind;
  /** -log p(x) per example, nats, input order. */
  values: Float64Array;
  /** Scored on x + u / 256 and shifted by D log 256: bounds on the 8-bit data's, in discrete units. */
  dequantized: boolean;
  /** A conditional model: log p(x) = log sum_k prior_k p(x | k) over this many classes. */
  marginalClasses?: number;
}

export interface NegLogLikelihoodOptions {
  /** Seed of the model's randomness (importance samples, posterior draws) and of the dequantization noise. */
  seed: number;
  /** Score by -bound (the negative ELBO, one pass) even when the model has a log p(x) estimate. */
  bound?: boolean;
  /**
   * Conditional models: the class prior p(k) (e.g. the training labels' frequencies), so that
   * p(x) = sum_k p(k) p(x | k); classes with prior 0 are skipped. Required for conditional models.
   */
  classPrior?: ArrayLike<number>;
  batchSize?: number;
  /** Called with the number of examples just scored (once per class for conditional models). */
  onBatch?: (done: number) => void;
}

/**
 * -log p(x) per example for anomaly scoring, from whatever the model has: its log p(x) (exact or an
 * estimate), else (or with `bound`) its variational bound, giving -ELBO >= -log p(x). A conditional
 * model is scored by its marginal, log sum_k p(k) p(x | k) (a bound stays a bound: log-sum-exp is
 * increasing). A model trained on dequantized 8-bit data is scored as `evaluateSplit` scores it, so
 * -log p(x) is in the units of discrete models (bits of the 8-bit data), as the complexity
 * correction needs. A model with neither a density nor a bound (an autoencoder, a GAN) is refused.
 */
export async function negativeLogLikelihoods(model: GenerativeModel, data: Dataset, opts: NegLogLikelihoodOptions): Promise<NegLogLikelihoods> {
  const useBound = opts.bound === true || !hasDensity(model);
  if (useBound && !hasBound(model)) {
    throw new UserError(
      hasDensity(model)
        ? `${model.name} has no variational bound to score by (drop --bound: it has ${model.densityKind === 'exact' ? 'an exact' : 'its own'} log p(x))`
        : `${model.name} is an implicit model: it has neither a density nor a bound on log p(x) to score inputs by`,
    );
  }
  const dequantized = isDequantized(model);
  const input = dequantized ? { ...data, x: dequantize(data.x, new Rng(opts.seed + 1)) } : data;
  const shift = dequantized ? dequantizationShift(exampleSize(data)) : 0;
  const logProbGiven = async (labels?: Int32Array): Promise<Float64Array> => {
    const d = labels ? { ...input, labels } : input;
    if (useBound) {
      const b = await boundAll(model, d, new Rng(opts.seed), opts.batchSize);
      opts.onBatch?.(d.n);
      return b.bound;
    }
    return logProbAll(model, d, new Rng(opts.seed), opts.batchSize, opts.onBatch);
  };

  let logp: Float64Array;
  let marginalClasses: number | undefined;
  if (isConditional(model)) {
    // log p(x) = logsumexp_k [log p(k) + log p(x | k)], accumulated class by class.
    const prior = opts.classPrior;
    check(prior && prior.length === model.numClasses, () => `${model.name}: scoring the marginal p(x) needs the prior of its ${model.numClasses} classes`);
    const max = new Float64Array(data.n).fill(-Infinity);
    const terms: Float64Array[] = [];
    for (let k = 0; k < model.numClasses; k++) {
      if (!(prior[k] > 0)) continue;
      const t = await logProbGiven(new Int32Array(data.n).fill(k));
      for (let i = 0; i < data.n; i++) {
        t[i] += Math.log(prior[k]);
        max[i] = Math.max(max[i], t[i]);
      }
      terms.push(t);
    }
    check(terms.length > 0, `${model.name}: the class prior gives no class a positive probability`);
    logp = new Float64Array(data.n);
    for (let i = 0; i < data.n; i++) {
      if (max[i] === -Infinity) {
        logp[i] = -Infinity;
        continue;
      }
      let s = 0;
      for (const t of terms) s += Math.exp(t[i] - max[i]);
      logp[i] = max[i] + Math.log(s);
    }
    marginalClasses = terms.length;
  } else {
    logp = await logProbGiven();
  }
  const kind: DensityKind = useBound || dequantized ? 'bound' : (model as GenerativeModel & { densityKind: DensityKind }).densityKind;
  return { kind, values: Float64Array.from(logp, (l) => shift - l), dequantized, ...(marginalClasses !== undefined && { marginalClasses }) };
}
