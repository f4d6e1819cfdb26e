/**
 * Test-set likelihood: mean negative log-likelihood in nats per example, its standard error over
 * examples, and bits per dimension = nll / (D ln 2). What the number means (exact log p(x), a lower
 * bound, an estimate) is the model's `densityKind`, reported beside it as `kind`. Models with a
 * variational bound (`BoundModel`) also report it with its named terms.
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { LEVELS, dequantize } from '../data/dequantize.js';
import { hasBound, hasDensity, type BoundTerms, type DensityKind, type DensityModel } from '../models/capabilities.js';
import type { GenerativeModel } from '../models/model.js';

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
  const scorer = withDensity(model);
  const D = exampleSize(data);
  const out = new Float64Array(data.n);
  for (let start = 0; start < data.n; start += batchSize) {
    const n = Math.min(batchSize, data.n - start);
    const x = data.x.subarray(start * D, (start + n) * D);
    out.set(await scorer.logProb({ x, n, labels: data.labels?.subarray(start, start + n) }, rng), start);
    onBatch?.(n);
  }
  return out;
}

/** The model as a `DensityModel`, or a user error for an implicit model. */
function withDensity(model: GenerativeModel): GenerativeModel & DensityModel {
  if (!hasDensity(model)) throw new UserError(`${model.name} is an implicit model: it can sample but has no density to score`);
  return model;
}

/**
 * A model with a continuous density trained on dequantized 8-bit data is scored on x + u / 256
 * (one fixed draw of u per value); log p(x + u / 256) - D log 256 then has a mean that is a lower
 * bound on the log-probability of the 8-bit data (src/data/dequantize.ts), in the units of discrete
 * models. This is the D log 256 to subtract.
 */
export function dequantizationShift(dims: number): number {
  return dims * Math.log(LEVELS);
}

/** Whether a model trains on dequantized 8-bit data (its config's `dequantize`). */
export function isDequantized(model: GenerativeModel): boolean {
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

/** Per-example bound and its named terms (`BoundModel`), batch by batch, in input order. */
export async function boundAll(model: GenerativeModel, data: Dataset, rng: Rng, batchSize = 500): Promise<BoundTerms> {
  if (!hasBound(model)) throw new UserError(`${model.name} has no variational bound on log p(x)`);
  const D = exampleSize(data);
  const out: BoundTerms = { bound: new Float64Array(data.n), terms: {} };
  for (const name of Object.keys(model.termKinds)) out.terms[name] = new Float64Array(data.n);
  for (let start = 0; start < data.n; start += batchSize) {
    const n = Math.min(batchSize, data.n - start);
    const part = await model.bound({ x: data.x.subarray(start * D, (start + n) * D), n, labels: data.labels?.subarray(start, start + n) }, rng);
    out.bound.set(part.bound, start);
    for (const name of Object.keys(out.terms)) out.terms[name].set(part.terms[name], start);
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
  /** Mean bound and its named terms, nats (`BoundModel`s, when asked for). */
  bound?: { bound: number; terms: Record<string, number> };
  /** Scored on dequantized 8-bit data: the NLL is then an upper bound ('bound') in discrete units. */
  dequantized: boolean;
}

/**
 * NLL and bound of a split, with the model's randomness seeded by `seed`. A model trained on
 * dequantized 8-bit data is scored on one seeded draw of x + u / 256 and shifted by D log 256
 * (`dequantizationShift`), so its figures are bounds on the 8-bit data's, comparable with discrete
 * models, rather than raw densities at the levels.
 */
export async function evaluateSplit(
  model: GenerativeModel,
  data: Dataset,
  opts: { seed: number; logProb?: boolean; bound?: boolean; batchSize?: number; onBatch?: (done: number) => void },
): Promise<SplitLikelihood> {
  const D = exampleSize(data);
  const dequantized = isDequantized(model);
  const input = dequantized ? { ...data, x: dequantize(data.x, new Rng(opts.seed + 1)) } : data;
  const shift = dequantized ? dequantizationShift(D) : 0;
  const out: SplitLikelihood = { dequantized };
  const wantBound = (opts.bound ?? true) && hasBound(model);
  // A model whose density IS its bound (a diffusion model's L_vlb) computes it once for both.
  const b = wantBound ? await boundAll(model, input, new Rng(opts.seed)) : undefined;
  if (opts.logProb ?? true) {
    const logp = b && withDensity(model).densityKind === 'bound' ? Float64Array.from(b.bound) : await logProbAll(model, input, new Rng(opts.seed), opts.batchSize, opts.onBatch);
    for (let i = 0; i < logp.length; i++) logp[i] -= shift;
    out.nll = summariseNll(logp, D, dequantized ? 'bound' : withDensity(model).densityKind);
  }
  if (b && hasBound(model)) {
    out.bound = { bound: mean(b.bound) - shift, terms: {} };
    // Log-likelihood terms are densities of x and take the shift; divergences do not.
    for (const [name, kind] of Object.entries(model.termKinds)) out.bound.terms[name] = mean(b.terms[name]) - (kind === 'logLikelihood' ? shift : 0);
  }
  return out;
}

