/**
 * Numerically stable scalar helpers shared by the distributions, in plain float64.
 *
 * The log-sum-exp trick (subtract the maximum before exponentiating) and the two-branch softplus
 * keep log-densities finite where the naive formulas overflow (exp(1000) = Infinity) or lose
 * everything to cancellation (log(1 + exp(-40)) = 0 in float64, log1p keeps it).
 */
import { check } from '../core/errors.js';

/** log(2 pi), the constant in every Gaussian log-density. */
export const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log(sum_i exp(xs[i])) over xs[start..end), without overflow: the maximum m is factored out,
 * log(sum exp(x - m)) + m. Entries of -Infinity contribute nothing; all -Infinity gives -Infinity.
 * The range arguments let hot loops reuse one scratch buffer without allocating.
 */
export function logSumExp(xs: ArrayLike<number>, start = 0, end = xs.length): number {
  let m = -Infinity;
  for (let i = start; i < end; i++) if (xs[i] > m) m = xs[i];
  if (m === -Infinity || m === Infinity || Number.isNaN(m)) return m;
  let s = 0;
  for (let i = start; i < end; i++) s += Math.exp(xs[i] - m);
  return m + Math.log(s);
}

/**
 * softplus(x) = log(1 + exp(x)). For x > 0 it is rewritten as x + log1p(exp(-x)) so exp never
 * overflows; log1p keeps the tiny tail exact for very negative x.
 */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log(sigmoid(x)) = -softplus(-x): exact to rounding at x = +-100 (0 - 3.7e-44 and -100). */
export function logSigmoid(x: number): number {
  return -softplus(-x);
}

/** sigmoid(x) = 1 / (1 + exp(-x)), written so that neither branch overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** logit(p) = log(p / (1 - p)); +-Infinity at p = 1 / p = 0. */
export function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

/**
 * log(1 - exp(x)) for x <= 0, i.e. log(1 - p) given log p. Mächler (2012), "Accurately computing
 * log(1 - exp(-|a|))": use log(-expm1(x)) near 0 and log1p(-exp(x)) far below it.
 */
export function log1mexp(x: number): number {
  if (x > 0) return NaN;
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/**
 * log erfc(x) for x >= 0, in log form so the far tail never underflows: the Chebyshev fit of
 * Numerical Recipes (Press et al. 2007, Sec. 6.2.2, erfccheb's predecessor erfcc), fractional error
 * below 1.2e-7 everywhere.
 */
function logErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}

/** log Phi(z), the standard normal's log-CDF, finite far into the lower tail (-Infinity at -Infinity). */
export function logNormalCdf(z: number): number {
  if (z === -Infinity) return -Infinity;
  if (z === Infinity) return 0;
  // Phi(z) = erfc(-z / sqrt 2) / 2.
  return z < 0 ? logErfc(-z / Math.SQRT2) - Math.LN2 : Math.log1p(-0.5 * Math.exp(logErfc(z / Math.SQRT2)));
}

/**
 * log(Phi(b) - Phi(a)) for a < b (either may be infinite): the standard normal's mass on [a, b],
 * computed in whichever tail keeps it away from the difference of two numbers near 1.
 */
export function logNormalInterval(a: number, b: number): number {
  if (!(a < b)) return -Infinity;
  if (a >= 0) return logNormalInterval(-b, -a);
  const la = logNormalCdf(a);
  if (b <= 0) {
    const lb = logNormalCdf(b);
    return lb + log1mexp(la - lb);
  }
  // a < 0 < b: 1 - Phi(a) - Phi(-b), both tails at most 1/2.
  return Math.log1p(-(Math.exp(la) + Math.exp(logNormalCdf(-b))));
}

/**
 * Log-softmax of a logit vector, logits - logSumExp(logits), as a new Float64Array. Computed as
 * (l_i - max) - log(sum exp(l - max)) so the largest entry's log-probability is not the difference
 * of two numbers near 1000 (which would cost 13 digits).
 */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > m) m = logits[i];
  const out = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp((out[i] = logits[i] - m));
  const logS = Math.log(s);
  for (let i = 0; i < logits.length; i++) out[i] -= logS;
  return out;
}

/** Rows of a data matrix: one array per example. */
export type Rows = readonly ArrayLike<number>[];

/**
 * Data for fitting and batch log-densities: either rows ([N][D]) or one flat, example-major
 * array ([N * D], the layout of Dataset.x and of every `sample` result) together with `dim`.
 */
export type MatrixInput = Rows | ArrayLike<number>;

/** A data matrix as flat float64 values [n * d], example-major. */
export interface Matrix {
  values: Float64Array;
  n: number;
  d: number;
}

/**
 * Normalises MatrixInput to a flat Float64Array, rejecting ragged rows, a length that is not a
 * multiple of `dim`, empty data and non-finite values with UserErrors that say which.
 * `dim` is required for flat input except where the caller supplies its own default.
 */
export function toMatrix(data: MatrixInput, dim: number | undefined, what = 'data'): Matrix {
  check(data != null && typeof data.length === 'number', `${what} must be an array`);
  check(data.length > 0, `${what} is empty`);
  const first = (data as ArrayLike<unknown>)[0];
  if (typeof first !== 'number') {
    // [N][D] rows.
    const rows = data as Rows;
    const d = rows[0].length;
    check(d > 0, `${what}: rows must not be empty`);
    check(dim === undefined || dim === d, () => `${what}: rows have dimension ${d}, expected ${dim}`);
    const values = new Float64Array(rows.length * d);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      check(r != null && r.length === d, () => `${what}: row ${i} has length ${r?.length}, expected ${d}`);
      for (let j = 0; j < d; j++) values[i * d + j] = r[j];
    }
    checkFinite(values, what);
    return { values, n: rows.length, d };
  }
  // [N * D] flat.
  const flat = data as ArrayLike<number>;
  const d = dim ?? 1;
  check(Number.isInteger(d) && d >= 1, () => `${what}: dim must be a positive integer, got ${d}`);
  check(flat.length % d === 0, () => `${what}: flat length ${flat.length} is not a multiple of dim ${d}`);
  const values = Float64Array.from(flat);
  checkFinite(values, what);
  return { values, n: flat.length / d, d };
}

function checkFinite(values: Float64Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    check(Number.isFinite(values[i]), () => `${what}: value at flat index ${i} is ${values[i]}, not a finite number`);
  }
}

/** A validated vector of finite numbers as a Float64Array. */
export function finiteVector(v: ArrayLike<number> | number, what: string): Float64Array {
  const arr = typeof v === 'number' ? [v] : v;
  check(arr != null && typeof arr.length === 'number' && arr.length > 0, `${what} must be a non-empty array of numbers`);
  const out = Float64Array.from(arr);
  for (let i = 0; i < out.length; i++) {
    check(Number.isFinite(out[i]), () => `${what}[${i}] is ${arr[i]}, not a finite number`);
  }
  return out;
}

/** A positive-integer option (sample counts, dimensions). */
export function checkPositiveInt(n: number, what: string): void {
  check(Number.isInteger(n) && n >= 1, () => `${what} must be a positive integer, got ${n}`);
}

/** A non-negative-integer option (sample counts that may be zero). */
export function checkNonNegativeInt(n: number, what: string): void {
  check(Number.isInteger(n) && n >= 0, () => `${what} must be a non-negative integer, got ${n}`);
}
