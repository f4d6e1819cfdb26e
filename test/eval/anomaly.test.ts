/**
 * Anomaly metrics against hand-computed values (ties, perfect and reversed separation), against a
 * brute-force count over all pairs and thresholds, and the scoring of inputs by -log p(x) from
 * each kind of model (exact, bound, conditional marginal, dequantized) on stubs with known values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import { anomalyReport, auroc, averagePrecision, complexityCorrected, fprAtTpr, negativeLogLikelihoods, percentileRank } from '../../src/eval/anomaly.js';
import { histogramPanels } from '../../src/io/histograms.js';
import { PALETTE } from '../../src/io/scatter.js';
import type { Batch, GenerativeModel } from '../../src/models/model.js';

const close = (a: number, b: number, what = '') => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

test('perfect separation: AUROC 1, AUPRC 1, no false positive at 95% TPR', () => {
  // Every out score (4, 5) is above every in score (1, 2, 3).
  const r = anomalyReport([1, 2, 3], [4, 5]);
  assert.deepEqual(r, { auroc: 1, auprc: 1, fprAt95Tpr: 0, meanIn: 2, meanOut: 4.5, nIn: 3, nOut: 2 });
});

test('reversed separation: AUROC 0, and the precision of each out input once all in inputs are flagged', () => {
  // Descending: 5 in, 4 in, 3 out, 2 out, 1 out. The out inputs enter at ranks 3, 4, 5 with
  // precision 1/3, 2/4, 3/5, each adding recall 1/3: AP = (1/3 + 1/2 + 3/5) / 3 = 43/90.
  close(auroc([4, 5], [1, 2, 3]), 0, 'auroc');
  close(averagePrecision([4, 5], [1, 2, 3]), 43 / 90, 'ap');
  // 95% of 3 out inputs is ceil(2.85) = 3: the threshold is the lowest out score, 1, which flags both in inputs.
  close(fprAtTpr([4, 5], [1, 2, 3], 0.95), 1, 'fpr');
});

test('ties count one half in AUROC and enter AP at one threshold', () => {
  const inScores = [1, 2, 2, 3];
  const outScores = [2, 4];
  // Out 2 beats in 1, ties the two 2s (1/2 each), loses to 3: 2; out 4 beats all four: 4. (2 + 4) / 8.
  close(auroc(inScores, outScores), 0.75, 'auroc');
  // Thresholds 4: 1 out flagged, P = 1, R = 1/2; 3: adds an in, R unchanged; 2: adds 1 out and 2 in,
  // P = 2/5, R = 1. AP = 1/2 * 1 + 1/2 * 2/5 = 0.7.
  close(averagePrecision(inScores, outScores), 0.7, 'ap');
  // 95% of 2 is both: threshold 2, which flags in 2, 2 and 3.
  close(fprAtTpr(inScores, outScores), 0.75, 'fpr');
  // All scores equal: chance AUROC, AP the share of out inputs (3 of 5), everything flagged.
  close(auroc([1, 1], [1, 1, 1]), 0.5, 'auroc, all tied');
  close(averagePrecision([1, 1], [1, 1, 1]), 3 / 5, 'ap, all tied');
  close(fprAtTpr([1, 1], [1, 1, 1]), 1, 'fpr, all tied');
});

test('a mixed ranking, and FPR at other true-positive rates', () => {
  const inScores = [1, 3, 5, 7];
  const outScores = [2, 6, 8];
  // Out 2 beats 1; 6 beats 1, 3, 5; 8 beats all 4: 8 of 12 pairs.
  close(auroc(inScores, outScores), 8 / 12, 'auroc');
  // Descending: 8 out (P 1), 7 in, 6 out (P 2/3), 5 in, 3 in, 2 out (P 3/6): AP = (1 + 2/3 + 1/2) / 3 = 13/18.
  close(averagePrecision(inScores, outScores), 13 / 18, 'ap');
  close(fprAtTpr(inScores, outScores, 0.95), 3 / 4, 'fpr@95: threshold 2 flags 3, 5, 7');
  close(fprAtTpr(inScores, outScores, 2 / 3), 1 / 4, 'fpr@67: threshold 6 flags 7');
  close(fprAtTpr(inScores, outScores, 1 / 3), 0, 'fpr@33: threshold 8 flags none');
  // 20 out inputs 1..20: 95% is 19 of them, down to the score 2; in 18.5, 19.5, 30 are at or above it.
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  close(fprAtTpr([1.5, 18.5, 19.5, 30], twenty, 0.95), 3 / 4, 'fpr@95 of 20');
});

test('AUROC and AUPRC equal brute-force counts over all pairs and thresholds, with many ties', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const inScores = Array.from({ length: 1 + rng.int(30) }, () => rng.int(8));
    const outScores = Array.from({ length: 1 + rng.int(30) }, () => rng.int(8) + 1);
    let pairs = 0;
    for (const o of outScores) for (const i of inScores) pairs += o > i ? 1 : o === i ? 0.5 : 0;
    close(auroc(inScores, outScores), pairs / (inScores.length * outScores.length), `auroc, trial ${trial}`);
    close(auroc(inScores, outScores) + auroc(outScores, inScores), 1, 'swapping the sets mirrors AUROC');
    // AP by its definition: every distinct score t, from the top, flags the scores >= t.
    const thresholds = [...new Set([...inScores, ...outScores])].sort((a, b) => b - a);
    let ap = 0;
    let recallBefore = 0;
    for (const t of thresholds) {
      const tp = outScores.filter((s) => s >= t).length;
      const fp = inScores.filter((s) => s >= t).length;
      ap += (tp / outScores.length - recallBefore) * (tp + fp > 0 ? tp / (tp + fp) : 0);
      recallBefore = tp / outScores.length;
    }
    close(averagePrecision(inScores, outScores), ap, `ap, trial ${trial}`);
  }
});

test('metrics refuse NaN scores and empty sets', () => {
  assert.throws(() => auroc([1, NaN], [2]), /NaN/);
  assert.throws(() => averagePrecision([], [2]), /no scores/);
  assert.throws(() => fprAtTpr([1], [2], 0), /true-positive rate/);
  // Infinite scores are ranks like any other (a zero-probability input is the most anomalous).
  assert.equal(auroc([1, 2], [Infinity]), 1);
});

test('the complexity-corrected score is -log2 p(x) - L(x), bits', () => {
  const s = complexityCorrected([10 * Math.LN2, 0, 3 * Math.LN2], [3, 5, 3]);
  assert.deepEqual(Array.from(s, (v) => Math.round(v * 1e12) / 1e12), [7, -5, 0]);
  assert.throws(() => complexityCorrected([1], [1, 2]), /1 scores but 2 lengths/);
});

// --- Scoring inputs by -log p(x) -------------------------------------------------------------

const two: Dataset = { name: 'two', n: 2, shape: [4], kind: 'continuous', x: Float32Array.from([0, 0.2, 0.4, 1, 1, 0.6, 0, 0]) };

/** A conditional stub: log p(x_i | k) = log q[k][i]; records which classes it was asked about. */
function conditionalStub(q: number[][], asked: number[]): GenerativeModel {
  return {
    name: 'stub-cvae',
    numClasses: q.length,
    densityKind: 'exact',
    getConfig: () => ({}),
    logProb: async (batch: Batch) => {
      const k = batch.labels![0];
      asked.push(k);
      return Float64Array.from({ length: batch.n }, (_, i) => Math.log(q[k][i]));
    },
  } as unknown as GenerativeModel;
}

test('a conditional model is scored by its marginal sum_k p(k) p(x | k); classes of prior 0 are skipped', async () => {
  const asked: number[] = [];
  const model = conditionalStub([[0.2, 0.01], [0.4, 0.03], [0.9, 0.9]], asked);
  const r = await negativeLogLikelihoods(model, two, { seed: 0, classPrior: [0.5, 0.5, 0] });
  // p(x_0) = (0.2 + 0.4) / 2 = 0.3, p(x_1) = (0.01 + 0.03) / 2 = 0.02.
  close(r.values[0], -Math.log(0.3), 'x0');
  close(r.values[1], -Math.log(0.02), 'x1');
  assert.deepEqual(asked, [0, 1]);
  assert.equal(r.marginalClasses, 2);
  assert.equal(r.kind, 'exact');
  await assert.rejects(negativeLogLikelihoods(model, two, { seed: 0 }), /prior of its 3 classes/);
});

test('models with a bound only, with --bound, without either, and dequantized ones', async () => {
  const boundOnly = {
    name: 'stub-bound',
    termKinds: { reconstruction: 'logLikelihood', kl: 'divergence' },
    getConfig: () => ({}),
    bound: async (batch: Batch) => ({ bound: new Float64Array(batch.n).fill(-7), terms: { reconstruction: new Float64Array(batch.n).fill(-5), kl: new Float64Array(batch.n).fill(2) } }),
  } as unknown as GenerativeModel;
  const b = await negativeLogLikelihoods(boundOnly, two, { seed: 0 });
  assert.deepEqual([b.kind, Array.from(b.values)], ['bound', [7, 7]]);

  const exact = { name: 'stub-exact', densityKind: 'exact', getConfig: () => ({}), logProb: async (batch: Batch) => new Float64Array(batch.n).fill(-3) } as unknown as GenerativeModel;
  assert.deepEqual(Array.from((await negativeLogLikelihoods(exact, two, { seed: 0 })).values), [3, 3]);
  await assert.rejects(negativeLogLikelihoods(exact, two, { seed: 0, bound: true }), /stub-exact has no variational bound/);
  const implicit = { name: 'stub-ae', getConfig: () => ({}) } as unknown as GenerativeModel;
  await assert.rejects(negativeLogLikelihoods(implicit, two, { seed: 0 }), /implicit model: it has neither a density nor a bound/);

  // Dequantized: log p of x + u/256 (here 2 nats) becomes -log P(8-bit x) = D log 256 - 2, a bound.
  const dequantized = { name: 'stub-flow', densityKind: 'exact', getConfig: () => ({ dequantize: true }), logProb: async (batch: Batch) => new Float64Array(batch.n).fill(2) } as unknown as GenerativeModel;
  const d = await negativeLogLikelihoods(dequantized, two, { seed: 0 });
  assert.deepEqual([d.kind, d.dequantized], ['bound', true]);
  close(d.values[0], 4 * Math.log(256) - 2, 'dequantized');
});

test('the histogram draws the lower-scoring set left of the higher one, with a panel per score', () => {
  const low = Array.from({ length: 50 }, (_, i) => i / 50);
  const high = Array.from({ length: 80 }, (_, i) => 10 + i / 80);
  const series = [{ name: 'in: a', values: low }, { name: 'out: b', values: high }];
  const img = histogramPanels([{ title: 'raw', series }, { title: 'corrected', series }], { width: 200, height: 100, scale: 1 });
  assert.deepEqual([img.width, img.height, img.channels], [2 * 200 + 8, 100, 3]);
  // The bars' fill: each set's colour at 45% over white.
  const fill = (rgb: readonly number[]) => rgb.map((c) => Math.round(0.55 * 255 + 0.45 * c));
  const columns = (rgb: number[]) => {
    const xs: number[] = [];
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < 200; x++) {
        const at = (y * img.width + x) * 3;
        if (img.data[at] === rgb[0] && img.data[at + 1] === rgb[1] && img.data[at + 2] === rgb[2]) xs.push(x);
      }
    }
    return xs;
  };
  const inColumns = columns(fill(PALETTE[0]));
  const outColumns = columns(fill(PALETTE[1]));
  assert.ok(inColumns.length > 100 && outColumns.length > 100, 'both sets have bars');
  assert.ok(Math.max(...inColumns) < Math.min(...outColumns), 'the low scores lie left of the high ones');
  assert.equal(histogramPanels([{ title: 't', series }]).width, 2 * 240, 'magnified 2x by default');
});

test('percentileRank: share of reference values below, ties counting one half', () => {
  const reference = [-300, -200, -200, -100];
  assert.equal(percentileRank(-400, reference), 0);
  assert.equal(percentileRank(-50, reference), 100);
  assert.equal(percentileRank(-150, reference), 75);
  assert.equal(percentileRank(-200, reference), 50); // one below, two equal
  assert.equal(percentileRank(7, [7, 7, 7]), 50);
  assert.throws(() => percentileRank(Number.NaN, reference), /NaN/);
  assert.throws(() => percentileRank(0, []), /no reference/);
});
