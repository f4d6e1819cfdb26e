/**
 * How an AAE's match to its prior evolves during training, for one model config and one set of
 * per-optimizer Adam settings: after every epoch, MMD^2 between the codes of the first 2,000 test
 * images and 2,000 prior draws (median bandwidth and bandwidth 0.3, as ./aae-prior-match.ts), the
 * epoch's reconstruction cost and the discriminator's accuracy. One JSON line per epoch, so runs
 * of different settings can be compared trajectory against trajectory, not just where they stop.
 * Data: MNIST as `genlab train aae --data mnist` prepares it (stochastic binarization, data seed 0),
 * the first TRAIN_LIMIT training images.
 * Usage: node dist/bench/aae-schedule.js '{"epochs":10,"trainLimit":20000,"model":{...},"seed":0}'
 */
import { Rng } from '../src/core/rng.js';
import { exampleSize } from '../src/data/dataset.js';
import { prepareData } from '../src/data/prepare.js';
import { mmd } from '../src/eval/mmd.js';
import { Aae, type AaeConfig } from '../src/models/latent/aae.js';
import { samplePrior } from '../src/models/latent/priors.js';
import { colorScatterPlot } from '../src/io/scatter.js';
import { writePng } from '../src/node/data/images.js';
import { loadMnist } from '../src/node/data/mnist.js';
import { initNodeBackend } from '../src/node/engine.js';
import type { OptimizerSettings } from '../src/train/optimizers.js';
import type { LearningRateDecay } from '../src/train/schedule.js';
import { fit } from '../src/train/fit.js';

interface Spec {
  epochs: number;
  trainLimit?: number;
  batchSize?: number;
  learningRate?: number;
  learningRateDecay?: LearningRateDecay;
  seed?: number;
  model: Partial<AaeConfig>;
  /** Optimizer settings per parameter group (autoencoder, discriminator, generator), overriding the model's own; learningRate is absolute. */
  groups?: Record<string, Partial<OptimizerSettings>>;
  /** When set, a scatter of the test codes after every epoch: PREFIX-EPOCH.png. */
  pngPrefix?: string;
}

const spec = JSON.parse(process.argv[2]) as Spec;
await initNodeBackend();
const { train: data, test } = prepareData(loadMnist(), ['binary'], { binarize: 'stochastic', dataSeed: 0, trainLimit: spec.trainLimit });
const model = new Aae({ ...spec.model, numClasses: 10 }, data.shape);
const learningRate = spec.learningRate ?? 1e-3;
const n = 2000;
const D = exampleSize(test);
const labels = test.labels!.subarray(0, n);
const { prior, components, conditionalPrior } = model.config;
const draws = samplePrior(prior, n, model.latentSize, new Rng(1), { components, labels: conditionalPrior ? labels : undefined });
const start = Date.now();
await fit(
  model,
  data,
  { epochs: spec.epochs, batchSize: spec.batchSize ?? 100, learningRate, seed: spec.seed ?? 0, groups: spec.groups, learningRateDecay: spec.learningRateDecay },
  {
    async onEpoch({ epoch, metrics }) {
      const codes = await model.encode({ x: test.x.subarray(0, n * D), n, labels });
      const median = mmd(codes, draws, model.latentSize);
      const narrow = mmd(codes, draws, model.latentSize, { bandwidth: 0.3 });
      if (spec.pngPrefix) writePng(`${spec.pngPrefix}-${epoch}.png`, colorScatterPlot(codes, n, labels, { size: 256, range: [-3, 3] }));
      const round = (v: number) => Number(v.toFixed(4));
      console.log(
        JSON.stringify({
          epoch,
          seconds: Math.round((Date.now() - start) / 1000),
          mmd2Median: round(median.mmd2),
          mmd2Narrow: round(narrow.mmd2),
          reconstruction: round(-metrics.reconstruction),
          dAccuracy: round(metrics.dAccuracy),
        }),
      );
    },
  },
);
