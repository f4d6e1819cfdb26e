/**
 * How well an AAE's codes match its prior: MMD^2 (unbiased, Gaussian kernel) between the encoded
 * codes of the first N test images and N prior draws, at the median-heuristic bandwidth and at a
 * narrow one (0.3) that resolves the mixture's petals; a plain run of the same command on an
 * `ae` run dir gives the unregularised baseline.
 * Usage: node dist/bench/aae-prior-match.js RUN [N=2000] [PRIOR]
 */
import { Rng } from '../src/core/rng.js';
import { exampleSize } from '../src/data/dataset.js';
import { mmd } from '../src/eval/mmd.js';
import { samplePrior, type PriorName } from '../src/models/latent/priors.js';
import { initNodeBackend } from '../src/node/engine.js';
import { loadRunData, openRun } from '../src/node/run.js';

const [runDir, nArg, priorArg] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
await initNodeBackend();
const run = openRun(runDir);
const prior = (priorArg ?? run.model.getConfig().prior ?? 'gaussian') as PriorName;
const test = loadRunData(run.config).test;
const D = exampleSize(test);
const codes = await run.model.encode!({ x: test.x.subarray(0, n * D), n, labels: test.labels?.subarray(0, n) }, new Rng(0));
const dim = run.model.latentSize!;
const draws = samplePrior(prior, n, dim, new Rng(1));
const median = mmd(codes, draws, dim);
const narrow = mmd(codes, draws, dim, { bandwidth: 0.3 });
console.log(JSON.stringify({ run: runDir, model: run.model.name, prior, n, dim, mmd2Median: median.mmd2, bandwidthMedian: median.bandwidth, mmd2Narrow: narrow.mmd2 }));
