/**
 * How well an AAE's codes match its prior: MMD^2 (unbiased, Gaussian kernel) between the encoded
 * codes of the first N test images and N prior draws, at the median-heuristic bandwidth and at a
 * narrow one (0.3) that resolves the mixture's petals; a plain run of the same command on an
 * `ae` run dir gives the unregularised baseline. With the label-conditioned prior, draw i comes
 * from the component of test image i's class (the pooled draws then follow the test labels'
 * frequencies; MMD itself ignores which code goes with which label, so `ownPetal` reports the
 * fraction of codes whose nearest mixture centre is their own class's).
 * With OUT.png, writes the picture: the codes (coloured by digit) beside the prior draws, on the
 * same axes.
 * Usage: node dist/bench/aae-prior-match.js RUN [N=2000] [PRIOR] [OUT.png]
 */
import { UserError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { exampleSize } from '../src/data/dataset.js';
import { mmd } from '../src/eval/mmd.js';
import { fitPca } from '../src/eval/pca.js';
import type { GridImage } from '../src/io/grid.js';
import { colorScatterPlot } from '../src/io/scatter.js';
import { isLatent } from '../src/models/capabilities.js';
import { nearestMixtureComponent, samplePrior, type PriorName } from '../src/models/latent/priors.js';
import { writePng } from '../src/node/data/images.js';
import { initNodeBackend } from '../src/node/engine.js';
import { loadRunData, openRun } from '../src/node/run.js';

const [runDir, nArg, priorArg, outPng] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
await initNodeBackend();
const run = openRun(runDir);
if (!isLatent(run.model)) throw new UserError(`${run.model.name} has no latent codes to compare with a prior`);
const config = run.model.getConfig() as { prior?: PriorName; components?: number; conditionalPrior?: boolean };
const prior = (priorArg ?? config.prior ?? 'gaussian') as PriorName;
const test = loadRunData(run.config).test;
const D = exampleSize(test);
const labels = test.labels?.subarray(0, n);
const codes = await run.model.encode({ x: test.x.subarray(0, n * D), n, labels }, new Rng(0));
const dim = run.model.latentSize;
const conditional = config.conditionalPrior === true && prior === 'mixture';
const priorOptions = { components: config.components, labels: conditional ? labels : undefined };
const draws = samplePrior(prior, n, dim, new Rng(1), priorOptions);
const median = mmd(codes, draws, dim);
const narrow = mmd(codes, draws, dim, { bandwidth: 0.3 });
// The yardstick for shape: a Gaussian with the prior's own mean and covariance scores this against
// the prior. Codes below it have matched more than the first two moments.
const blob = momentMatchedGaussian(samplePrior(prior, n, dim, new Rng(2), priorOptions), dim, new Rng(3));
const yardstick = { mmd2Median: mmd(blob, draws, dim).mmd2, mmd2Narrow: mmd(blob, draws, dim, { bandwidth: 0.3 }).mmd2 };
const ownPetal = conditional ? nearestMixtureComponent(codes, config.components ?? 10).filter((k, i) => k === labels![i]).length / n : undefined;
console.log(
  JSON.stringify({ run: runDir, model: run.model.name, prior, conditional, n, dim, mmd2Median: median.mmd2, bandwidthMedian: median.bandwidth, mmd2Narrow: narrow.mmd2, momentMatchedGaussian: yardstick, ownPetal }),
);

if (outPng && dim === 2) {
  // One range for both panels, from the codes and the draws together.
  const range = robustRange(Float32Array.from([...draws, ...codes]));
  const left = colorScatterPlot(codes, n, labels, { size: 256, range, classNames: test.classNames });
  const right = colorScatterPlot(draws, n, conditional ? labels : undefined, { size: 256, range });
  writePng(outPng, sideBySide(left, right));
}

/** As many Gaussian draws as `z` has rows, with their mean and covariance: mean + sum_k sqrt(lambda_k) e_k u_k over all principal axes. */
function momentMatchedGaussian(z: Float32Array, dim: number, rng: Rng): Float32Array {
  const count = z.length / dim;
  const { mean, components, variances } = fitPca(z, count, dim, dim);
  const out = new Float32Array(z.length);
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < dim; a++) out[i * dim + a] = mean[a];
    for (let c = 0; c < dim; c++) {
      const step = Math.sqrt(variances[c]) * rng.normal();
      for (let a = 0; a < dim; a++) out[i * dim + a] += step * components[c * dim + a];
    }
  }
  return out;
}

/** The 1st to 99th percentile of all coordinates, with a 10% margin: a few far codes do not squash the plot. */
function robustRange(values: Float32Array): [number, number] {
  const sorted = Float32Array.from(values).sort();
  const lo = sorted[Math.floor(0.01 * sorted.length)];
  const hi = sorted[Math.floor(0.99 * sorted.length)];
  const margin = 0.1 * (hi - lo);
  return [lo - margin, hi + margin];
}

function sideBySide(a: GridImage, b: GridImage): GridImage {
  const gap = 8;
  const width = a.width + gap + b.width;
  const height = Math.max(a.height, b.height);
  const data = new Uint8Array(width * height * 3).fill(255);
  for (const [img, x0] of [[a, 0], [b, a.width + gap]] as const) {
    for (let y = 0; y < img.height; y++) data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), (y * width + x0) * 3);
  }
  return { width, height, channels: 3, data };
}
