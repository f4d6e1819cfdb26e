/**
 * How well an AAE's codes match its prior: MMD^2 (unbiased, Gaussian kernel) between the encoded
 * codes of the first N test images and N prior draws, at the median-heuristic bandwidth and at a
 * narrow one (0.3) that resolves the mixture's petals; a plain run of the same command on an
 * `ae` run dir gives the unregularised baseline. With the label-conditioned prior, draw i comes
 * from the component of test image i's class, so the statistic also checks that classes land on
 * their own petals.
 * With OUT.png, writes the picture: the codes (coloured by digit) beside the prior draws, on the
 * same axes.
 * Usage: node dist/bench/aae-prior-match.js RUN [N=2000] [PRIOR] [OUT.png]
 */
import { Rng } from '../src/core/rng.js';
import { exampleSize } from '../src/data/dataset.js';
import { mmd } from '../src/eval/mmd.js';
import type { GridImage } from '../src/io/grid.js';
import { colorScatterPlot } from '../src/io/scatter.js';
import { samplePrior, type PriorName } from '../src/models/latent/priors.js';
import { writePng } from '../src/node/data/images.js';
import { initNodeBackend } from '../src/node/engine.js';
import { loadRunData, openRun } from '../src/node/run.js';

const [runDir, nArg, priorArg, outPng] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
await initNodeBackend();
const run = openRun(runDir);
const config = run.model.getConfig() as { prior?: PriorName; components?: number; conditionalPrior?: boolean };
const prior = (priorArg ?? config.prior ?? 'gaussian') as PriorName;
const test = loadRunData(run.config).test;
const D = exampleSize(test);
const labels = test.labels?.subarray(0, n);
const codes = await run.model.encode!({ x: test.x.subarray(0, n * D), n, labels }, new Rng(0));
const dim = run.model.latentSize!;
const conditional = config.conditionalPrior === true && prior === 'mixture';
const draws = samplePrior(prior, n, dim, new Rng(1), { components: config.components, labels: conditional ? labels : undefined });
const median = mmd(codes, draws, dim);
const narrow = mmd(codes, draws, dim, { bandwidth: 0.3 });
console.log(JSON.stringify({ run: runDir, model: run.model.name, prior, conditional, n, dim, mmd2Median: median.mmd2, bandwidthMedian: median.bandwidth, mmd2Narrow: narrow.mmd2 }));

if (outPng && dim === 2) {
  // One range for both panels, from the codes and the draws together.
  const range = robustRange(Float32Array.from([...draws, ...codes]));
  const left = colorScatterPlot(codes, n, labels, { size: 256, range, classNames: test.classNames });
  const right = colorScatterPlot(draws, n, conditional ? labels : undefined, { size: 256, range });
  writePng(outPng, sideBySide(left, right));
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
