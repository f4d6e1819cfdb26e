/**
 * Test-set likelihood: mean negative log-likelihood in nats per example, its standard error over
 * examples, and bits per dimension = nll / (D ln 2). What the number means (exact log p(x), a lower
 * bound, an estimate) is the model's `capabilities.density`, reported beside it as `kind`.
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { LEVELS, dequantize } from '../data/dequantize.js';
import type { DensityKind, ElboTerms, GenerativeModel } from '../models/model.js';

export interface NllReport {
  kind: DensityKind;
  n: number;
  /** Mean -log p(x), nats per example. */
  nll: number;
  /** Standard error of that mean (sample std / sqrt(n)). */
  nllStdErr: number;
  bitsPerDim: number;
}

/** Per-example log p(x) in nats, in input order, computed batch by batch. */
export async function logProbAll(
  model: GenerativeModel,
  data: Dataset,
  rng: Rng,
  batchSize = 500,
  onBatch?: (done: number) => void,
): Promise<Float64Array> {
  if (!model.logProb || model.capabilities.density === 'implicit') {
    throw new UserError(`${model.name} is an implicit model: it can sample but has no density to score`);
  }
  const D = exampleSize(data);
  const out = new Float64Array(data.n);
  for (let start = 0; start < data.n; start += batchSize) {
    const n = Math.min(batchSize, data.n - start);
    const x = data.x.subarray(start * D, (start + n) * D);
    out.set(await model.logProb({ x, n, labels: data.labels?.subarray(start, start + n) }, rng), start);
    onBatch?.(n);
  }
  return out;
}

/**
 * A model with a continuous density trained on dequantized 8-bit data is scored on x + u / 256
 * (one fixed draw of u per value); log p(x + u / 256) - D log 256 then has a mean that is a lower
 * bound on the log-probability of the 8-bit data (src/data/dequantize.ts), in the units of discrete
 * models. This is the D log 256 to subtract.
 */
function dequantizationShift(dims: number): number {
  return dims * Math.log(LEVELS);
}

/** Whether a model trains on dequantized 8-bit data (its config's `dequantize`). */
function isDequantized(model: GenerativeModel): boolean {
  return (model.getConfig() as { dequantize?: unknown }).dequantize === true;
}

export function bitsPerDim(nllNats: number, dims: number): number {
  return nllNats / (dims * Math.LN2);
}

export function summariseNll(logProbs: Float64Array, dims: number, kind: DensityKind): NllReport {
  const n = logProbs.length;
  if (n === 0) throw new UserError('no examples to evaluate');
  let mean = 0;
  for (const v of logProbs) mean -= v;
  mean /= n;
  let sq = 0;
  for (const v of logProbs) sq += (-v - mean) ** 2;
  const std = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
  return { kind, n, nll: mean, nllStdErr: std / Math.sqrt(n), bitsPerDim: bitsPerDim(mean, dims) };
}

/** Per-example ELBO and its terms for a latent-variable model, batch by batch, in input order. */
export async function elboAll(model: GenerativeModel, data: Dataset, rng: Rng, batchSize = 500): Promise<ElboTerms> {
  if (!model.elbo) throw new UserError(`${model.name} has no evidence lower bound`);
  const D = exampleSize(data);
  const out: ElboTerms = { elbo: new Float64Array(data.n), reconstruction: new Float64Array(data.n), kl: new Float64Array(data.n) };
  for (let start = 0; start < data.n; start += batchSize) {
    const n = Math.min(batchSize, data.n - start);
    const terms = await model.elbo({ x: data.x.subarray(start * D, (start + n) * D), n, labels: data.labels?.subarray(start, start + n) }, rng);
    out.elbo.set(terms.elbo, start);
    out.reconstruction.set(terms.reconstruction, start);
    out.kl.set(terms.kl, start);
  }
  return out;
}

export function mean(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** A split's likelihood as `genlab eval` and the per-epoch test figure report it. */
export interface SplitLikelihood {
  /** Mean NLL (absent when not asked for). */
  nll?: NllReport;
  /** Mean ELBO and its terms, nats (latent-variable models, when asked for). */
  elbo?: { elbo: number; reconstruction: number; kl: number };
  /** Scored on dequantized 8-bit data: the NLL is then an upper bound ('bound') in discrete units. */
  dequantized: boolean;
}

/**
 * NLL and ELBO of a split, with the model's randomness seeded by `seed`. A model trained on
 * dequantized 8-bit data is scored on one seeded draw of x + u / 256 and shifted by D log 256
 * (`dequantizationShift`), so its figures are bounds on the 8-bit data's, comparable with discrete
 * models, rather than raw densities at the levels.
 */
export async function evaluateSplit(
  model: GenerativeModel,
  data: Dataset,
  opts: { seed: number; logProb?: boolean; elbo?: boolean; batchSize?: number; onBatch?: (done: number) => void },
): Promise<SplitLikelihood> {
  const D = exampleSize(data);
  const dequantized = isDequantized(model);
  const input = dequantized ? { ...data, x: dequantize(data.x, new Rng(opts.seed + 1)) } : data;
  const shift = dequantized ? dequantizationShift(D) : 0;
  const out: SplitLikelihood = { dequantized };
  if (opts.logProb ?? true) {
    const logp = await logProbAll(model, input, new Rng(opts.seed), opts.batchSize, opts.onBatch);
    for (let i = 0; i < logp.length; i++) logp[i] -= shift;
    out.nll = summariseNll(logp, D, dequantized ? 'bound' : model.capabilities.density);
  }
  if ((opts.elbo ?? true) && model.elbo) {
    const bound = await elboAll(model, input, new Rng(opts.seed));
    out.elbo = { elbo: mean(bound.elbo) - shift, reconstruction: mean(bound.reconstruction) - shift, kl: mean(bound.kl) };
  }
  return out;
}
