/**
 * How many free parameters a distribution over n discrete variables with K states each needs,
 * under the structural assumptions that separate a lookup table from a generative model
 * (Koller and Friedman, "Probabilistic Graphical Models" 2009, Sec. 3.1; the opening of every
 * autoregressive-model lecture). A categorical over K states has K - 1 free parameters, since the
 * probabilities sum to 1; every count below is a sum of such tables:
 *
 *   full         p(x) as one table                             K^n - 1
 *   chain        prod_i p(x_i | x_<i), no independence        sum_{i=1..n} K^(i-1) (K-1)  (= K^n - 1)
 *   independent  prod_i p(x_i)                                 n (K - 1)
 *   markov       p(x_1) prod_{i>1} p(x_i | x_{i-1})            (K - 1) + (n - 1) K (K - 1)
 *   ar (order k) prod_i p(x_i | x_{i-k} .. x_{i-1})            sum_{i=1..n} K^min(i-1, k) (K - 1)
 *
 * Counts are exact BigInts: a binarised 28 x 28 image already needs 2^784 - 1 (237 digits) for the
 * full joint, far past Number.MAX_VALUE's reach of exact integers.
 */
import { check } from '../core/errors.js';

export type Structure = 'full' | 'independent' | 'chain' | 'markov' | 'ar';

export const STRUCTURES: readonly Structure[] = Object.freeze(['full', 'chain', 'independent', 'markov', 'ar']);

export interface ParameterCountOptions {
  /** n, the number of variables (>= 1). */
  variables: number;
  /** K, the number of states of each variable (>= 2). */
  states: number;
  structure: Structure;
  /** k, how many predecessors each variable depends on; only for structure 'ar' (default 1). */
  order?: number;
}

export interface ParameterCount {
  /** The exact number of free parameters. */
  parameters: bigint;
  structure: Structure;
  variables: number;
  states: number;
  /** The Markov order: 0 for independent, 1 for markov, k for ar, n - 1 for full and chain. */
  order: number;
  /** The formula in symbols, e.g. 'K^n - 1'. */
  formula: string;
  /** One line: what the structure assumes, then the formula with the numbers substituted and the result. */
  explanation: string;
  /** The count for people: with thousands separators up to 15 digits, scientific beyond. */
  formatted: string;
  /** Decimal digits of `parameters`. */
  digits: number;
}

/** Refuse results longer than this many decimal digits (n = 332,000 binary variables for 'full'). */
export const MAX_DIGITS = 100_000;

/** The exact parameter count of one structure, with its explanation. */
export function countParameters(opts: ParameterCountOptions): ParameterCount {
  check(opts != null && typeof opts === 'object', 'countParameters needs { variables, states, structure }');
  const { variables: n, states: K, structure } = opts;
  check(Number.isSafeInteger(n) && n >= 1, () => `variables must be an integer >= 1, got ${n}`);
  check(Number.isSafeInteger(K) && K >= 2, () => `states must be an integer >= 2, got ${K}`);
  check(STRUCTURES.includes(structure), () => `structure must be one of ${STRUCTURES.join(', ')}; got '${structure}'`);
  check(opts.order === undefined || structure === 'ar', () => `order applies only to structure 'ar', not '${structure}'`);
  const k = opts.order ?? 1;
  check(Number.isSafeInteger(k) && k >= 0, () => `order must be an integer >= 0, got ${opts.order}`);

  // Only the largest table matters for size: K^min(k, n-1) entries of K - 1 numbers.
  const effectiveOrder = structure === 'independent' ? 0 : structure === 'markov' ? Math.min(1, n - 1) : structure === 'ar' ? Math.min(k, n - 1) : n - 1;
  const estimatedDigits = (effectiveOrder + 1) * Math.log10(K) + Math.log10(n);
  check(estimatedDigits <= MAX_DIGITS, () => `the ${structure} count for n = ${n}, K = ${K} would have about ${Math.round(estimatedDigits)} digits (limit ${MAX_DIGITS})`);

  const bn = BigInt(n);
  const bK = BigInt(K);
  let parameters: bigint;
  let formula: string;
  let assumption: string;
  let substituted: string;
  switch (structure) {
    case 'full':
      parameters = bK ** bn - 1n;
      formula = 'K^n - 1';
      assumption = `full joint table over ${n} variables with ${K} states (one probability per configuration, less one because they sum to 1)`;
      substituted = `${K}^${n} - 1`;
      break;
    case 'chain': {
      // Summed term by term, not via K^n - 1, so the test can check the identity.
      parameters = 0n;
      let power = 1n; // K^(i-1)
      for (let i = 1; i <= n; i++) {
        parameters += power * (bK - 1n);
        power *= bK;
      }
      formula = 'sum_{i=1..n} K^(i-1) (K - 1)';
      assumption = 'chain rule p(x_1) p(x_2 | x_1) ... p(x_n | x_1..x_{n-1}) with no independence assumption (same as the full joint)';
      substituted = `(${K} - 1) x (${powerList(K, n)})`;
      break;
    }
    case 'independent':
      parameters = bn * (bK - 1n);
      formula = 'n (K - 1)';
      assumption = 'fully independent variables, p(x) = prod_i p(x_i)';
      substituted = `${n} x (${K} - 1)`;
      break;
    case 'markov':
      parameters = bK - 1n + (bn - 1n) * bK * (bK - 1n);
      formula = '(K - 1) + (n - 1) K (K - 1)';
      assumption = 'first-order Markov chain, p(x_1) prod_{i>1} p(x_i | x_{i-1})';
      substituted = `(${K} - 1) + ${n - 1} x ${K} x (${K} - 1)`;
      break;
    case 'ar': {
      // Variables 1..m (m = min(n, k + 1)) see all their predecessors: K^(i-1) (K - 1) each; the
      // remaining n - m see exactly k, K^k (K - 1) each. Grouped so n = 10^9 does not loop 10^9 times.
      const m = Math.min(n, k + 1);
      let sum = 0n;
      let power = 1n;
      for (let i = 1; i <= m; i++) {
        sum += power;
        if (i < m) power *= bK;
      }
      const rest = n - m;
      if (rest > 0) sum += BigInt(rest) * bK ** BigInt(k);
      parameters = sum * (bK - 1n);
      formula = 'sum_{i=1..n} K^min(i-1, k) (K - 1)';
      const note = k === 0 ? '; order 0 = fully independent' : k >= n - 1 ? '; order >= n - 1 = full joint' : k === 1 ? '; order 1 = Markov chain' : '';
      assumption = `autoregressive model of order ${k}, each x_i conditioned on its ${k} predecessors${note}`;
      substituted = `(${K} - 1) x (${powerList(K, m)}${rest > 0 ? ` + ${rest} x ${K}^${k}` : ''})`;
      break;
    }
  }
  const formatted = formatCount(parameters);
  return {
    parameters,
    structure,
    variables: n,
    states: K,
    order: effectiveOrder,
    formula,
    explanation: `${assumption}: ${formula} = ${substituted} = ${formatted}`,
    formatted,
    digits: parameters.toString().length,
  };
}

/** Every structure for the same n and K (ar with `order`, default 1), for a comparison table. */
export function compareStructures(opts: { variables: number; states: number; order?: number }): ParameterCount[] {
  return STRUCTURES.map((structure) =>
    countParameters({ variables: opts.variables, states: opts.states, structure, order: structure === 'ar' ? opts.order : undefined }),
  );
}

/**
 * b in scientific notation with `digits` digits after the point, rounded half up, in the format
 * of Number.prototype.toExponential: formatScientific(2n ** 784n - 1n) = '1.0175e+236'. Works on the
 * decimal string, so it is exact for any size.
 */
export function formatScientific(b: bigint, digits = 4): string {
  check(typeof b === 'bigint', 'formatScientific needs a bigint');
  check(Number.isInteger(digits) && digits >= 0 && digits <= 100, () => `digits must be an integer in [0, 100], got ${digits}`);
  const sign = b < 0n ? '-' : '';
  const s = (b < 0n ? -b : b).toString();
  let exponent = s.length - 1;
  let mantissa: string; // digits + 1 significant digits
  if (s.length <= digits + 1) {
    mantissa = s.padEnd(digits + 1, '0');
  } else {
    let head = BigInt(s.slice(0, digits + 1));
    if (s[digits + 1] >= '5') head += 1n;
    mantissa = head.toString();
    if (mantissa.length > digits + 1) {
      // 9.9999x rounded up to 10.0000: shift one place.
      mantissa = mantissa.slice(0, digits + 1);
      exponent += 1;
    }
  }
  if (b === 0n) exponent = 0;
  const fraction = digits > 0 ? `.${mantissa.slice(1)}` : '';
  return `${sign}${mantissa[0]}${fraction}e+${exponent}`;
}

/** Thousands separators up to 15 digits ('16,777,215'), formatScientific beyond. */
export function formatCount(b: bigint): string {
  const s = (b < 0n ? -b : b).toString();
  if (s.length > 15) return formatScientific(b);
  return (b < 0n ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 'K^0 + K^1 + ... + K^(m-1)' with K substituted, listing every term when there are at most 4. */
function powerList(K: number, m: number): string {
  if (m <= 4) return Array.from({ length: m }, (_, j) => `${K}^${j}`).join(' + ');
  return `${K}^0 + ${K}^1 + ... + ${K}^${m - 1}`;
}
