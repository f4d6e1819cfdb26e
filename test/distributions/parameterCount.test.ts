import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareStructures, countParameters, formatCount, formatScientific, type Structure } from '../../src/distributions/parameterCount.js';
import { UserError } from '../../src/core/errors.js';

const count = (variables: number, states: number, structure: Structure, order?: number) =>
  countParameters({ variables, states, structure, order }).parameters;

test('hand-computed cases for n = 3 binary variables', () => {
  assert.equal(count(3, 2, 'full'), 7n);
  assert.equal(count(3, 2, 'chain'), 7n);
  assert.equal(count(3, 2, 'independent'), 3n);
  assert.equal(count(3, 2, 'markov'), 5n); // 1 + 2 * 2
  assert.equal(count(3, 2, 'ar', 1), 5n);
  assert.equal(count(3, 2, 'ar', 2), 7n); // 1 + 2 + 4 = full
  assert.equal(count(3, 2, 'ar', 0), 3n); // = independent
  assert.equal(count(1, 5, 'markov'), 4n);
});

test('chain rule (summed term by term) equals the full joint K^n - 1', () => {
  for (const n of [1, 2, 3, 7, 20, 100]) {
    for (const K of [2, 3, 10, 256]) {
      const full = count(n, K, 'full');
      assert.equal(full, BigInt(K) ** BigInt(n) - 1n);
      assert.equal(count(n, K, 'chain'), full, `n=${n} K=${K}`);
    }
  }
});

test('AR order k: 0 = independent, 1 = Markov, >= n - 1 = full, and the sum formula in between', () => {
  for (const [n, K] of [[1, 2], [5, 3], [12, 4]]) {
    assert.equal(count(n, K, 'ar', 0), count(n, K, 'independent'));
    assert.equal(count(n, K, 'ar', 1), count(n, K, 'markov'));
    assert.equal(count(n, K, 'ar', n - 1), count(n, K, 'full'));
    assert.equal(count(n, K, 'ar', n + 10), count(n, K, 'full'));
    for (let k = 0; k < n; k++) {
      let s = 0n;
      for (let i = 1; i <= n; i++) s += BigInt(K) ** BigInt(Math.min(i - 1, k)) * BigInt(K - 1);
      assert.equal(count(n, K, 'ar', k), s, `n=${n} K=${K} k=${k}`);
    }
  }
  // Grouped evaluation: a billion variables do not loop a billion times.
  assert.equal(count(1e9, 2, 'ar', 3), (1n + 2n + 4n) + (1_000_000_000n - 3n) * 8n);
});

test('RGB pixel: 3 variables with 256 states, full joint 16,777,215', () => {
  const r = countParameters({ variables: 3, states: 256, structure: 'full' });
  assert.equal(r.parameters, 16_777_215n);
  assert.equal(r.formatted, '16,777,215');
  assert.match(r.explanation, /256\^3 - 1 = 16,777,215/);
  assert.equal(countParameters({ variables: 3, states: 256, structure: 'independent' }).parameters, 765n);
});

// 2^784 = 10^(784 log10 2) = 10^236.0075 = 1.01746 x 10^236 (digits 10174582... checked in Python),
// so four decimals give 1.0175e+236.
test('binary MNIST: 2^784 - 1 has 237 digits and scientific form 1.0175e+236', () => {
  const r = countParameters({ variables: 784, states: 2, structure: 'full' });
  assert.equal(r.parameters, 2n ** 784n - 1n);
  assert.equal(r.digits, 237);
  assert.equal(r.parameters.toString().length, 237);
  assert.ok(r.parameters.toString().startsWith('10174582'));
  assert.equal(formatScientific(r.parameters), '1.0175e+236');
  assert.equal(formatScientific(r.parameters, 7), '1.0174583e+236');
  assert.equal(r.formatted, '1.0175e+236');
  assert.match(r.explanation, /2\^784 - 1 = 1\.0175e\+236/);
  assert.equal(countParameters({ variables: 784, states: 2, structure: 'markov' }).parameters, 1n + 783n * 2n);
});

test('formatScientific agrees with Number.toExponential where floats are exact, and rounds carries', () => {
  for (const v of [0, 1, 7, 10, 99999, 123456, 16777215, 2 ** 53 - 1, 987654321987]) {
    for (const digits of [0, 2, 4, 6]) assert.equal(formatScientific(BigInt(v), digits), v.toExponential(digits), `${v} ${digits}`);
  }
  assert.equal(formatScientific(999995n), '1.0000e+6');
  assert.equal(formatScientific(-123456n, 2), '-1.23e+5');
  assert.equal(formatScientific(10n ** 400n), '1.0000e+400');
  assert.equal(formatCount(1234n), '1,234');
  assert.equal(formatCount(10n ** 20n), '1.0000e+20');
  assert.throws(() => formatScientific(5n, -1), UserError);
});

test('explanations substitute the numbers', () => {
  const rows = compareStructures({ variables: 3, states: 2, order: 2 });
  const by = Object.fromEntries(rows.map((r) => [r.structure, r]));
  assert.equal(by.markov.explanation.includes('(2 - 1) + 2 x 2 x (2 - 1) = 5'), true, by.markov.explanation);
  assert.equal(by.independent.explanation.includes('3 x (2 - 1) = 3'), true, by.independent.explanation);
  assert.equal(by.chain.explanation.includes('(2 - 1) x (2^0 + 2^1 + 2^2) = 7'), true, by.chain.explanation);
  assert.equal(by.ar.parameters, 7n);
  assert.equal(by.ar.order, 2);
});

test('invalid inputs throw UserError', () => {
  assert.throws(() => countParameters({ variables: 0, states: 2, structure: 'full' }), UserError);
  assert.throws(() => countParameters({ variables: 2.5, states: 2, structure: 'full' }), UserError);
  assert.throws(() => countParameters({ variables: 3, states: 1, structure: 'full' }), UserError);
  assert.throws(() => countParameters({ variables: 3, states: 2.5, structure: 'full' }), UserError);
  assert.throws(() => countParameters({ variables: 3, states: 2, structure: 'ar', order: -1 }), UserError);
  assert.throws(() => countParameters({ variables: 3, states: 2, structure: 'ar', order: 1.5 }), UserError);
  assert.throws(() => countParameters({ variables: 3, states: 2, structure: 'markov', order: 2 }), UserError);
  assert.throws(() => countParameters({ variables: 3, states: 2, structure: 'bogus' as Structure }), UserError);
  assert.throws(() => countParameters({ variables: 1e7, states: 256, structure: 'full' }), UserError);
});
