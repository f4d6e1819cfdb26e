import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bayesClassify, rejectionThreshold } from '../../src/eval/bayes.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("Bayes' rule by hand: a non-uniform prior flips a close decision, and the posterior is p(x|y) p(y) / p(x)", () => {
  // One input, two classes: class 0 explains it slightly better (-10 vs -10.5 nats).
  const ll = Float64Array.from([-10, -10.5]);
  const uniform = bayesClassify(ll, [Math.log(0.5), Math.log(0.5)]);
  assert.equal(uniform.best[0], 0);
  close(uniform.posterior[0], 1 / (1 + Math.exp(-0.5)));

  // A prior of 0.2 / 0.8 outweighs the 0.5 nat: 0.2 e^-10 < 0.8 e^-10.5 since log 4 = 1.386 > 0.5.
  const skewed = bayesClassify(ll, [Math.log(0.2), Math.log(0.8)]);
  assert.equal(skewed.best[0], 1);
  assert.equal(skewed.predicted[0], 1, 'no threshold: every input is answered');
  const p1 = (0.8 * Math.exp(-10.5)) / (0.2 * Math.exp(-10) + 0.8 * Math.exp(-10.5));
  close(skewed.posterior[1], p1);
  close(skewed.posterior[0], 1 - p1);
  assert.equal(skewed.maxLogLikelihood[0], -10, 'the best class likelihood, without the prior');

  // An unnormalised prior (log-weights 1 and 4) gives the same posterior as 0.2 / 0.8.
  close(bayesClassify(ll, [0, Math.log(4)]).posterior[1], p1);
});

test('the reject option: an input whose best class log-likelihood is below the threshold is refused, one above (or at) it is answered', () => {
  const prior = [Math.log(0.5), Math.log(0.5)];
  // Rows: far from both classes; typical; exactly at the threshold; below, though its posterior is certain.
  const ll = Float64Array.from([-300, -320, -120, -95, -200, -250, -210, -900]);
  const d = bayesClassify(ll, prior, -200);
  assert.deepEqual(Array.from(d.predicted), [-1, 1, 0, -1]);
  assert.deepEqual(Array.from(d.best), [0, 1, 0, 0], 'argmax p(y|x) is still there for refused inputs');
  assert.deepEqual(Array.from(d.maxLogLikelihood), [-300, -95, -200, -210]);
  // The last row's posterior is ~1 for class 0: a discriminative classifier would answer it with confidence.
  assert.ok(d.posterior[6] > 0.999999);
  // Control: without a threshold nothing is refused.
  assert.deepEqual(Array.from(bayesClassify(ll, prior).predicted), [0, 1, 0, 0]);
});

test('an input no class gives any probability falls back to the prior, and is refused by any finite threshold', () => {
  const d = bayesClassify(Float64Array.from([-Infinity, -Infinity, -Infinity]), [Math.log(0.2), Math.log(0.5), Math.log(0.3)], -1e9);
  assert.deepEqual(Array.from(d.posterior).map((p) => +p.toFixed(12)), [0.2, 0.5, 0.3]);
  assert.equal(d.best[0], 1);
  assert.equal(d.predicted[0], -1);
});

test('the q-quantile threshold refuses floor(q n) of the held-out values, none at q = 0', () => {
  // 1..100 shuffled: the threshold must not depend on the order.
  const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  const below = (t: number) => values.filter((v) => v < t).length;
  assert.equal(rejectionThreshold(values, 0.01), 2);
  assert.equal(below(rejectionThreshold(values, 0.01)), 1);
  assert.equal(below(rejectionThreshold(values, 0.05)), 5);
  assert.equal(below(rejectionThreshold(values, 0.5)), 50);
  assert.equal(rejectionThreshold(values, 0), 1, 'the minimum');
  assert.equal(below(rejectionThreshold(values, 0)), 0);
  assert.throws(() => rejectionThreshold(values, 1), /\[0, 1\)/);
  assert.throws(() => rejectionThreshold([], 0.01), /no held-out/);
});
