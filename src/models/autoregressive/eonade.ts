/**
 * Order-agnostic NADE, "DeepNADE", and its ensembles over orderings, EoNADE (Uria, Murray &
 * Larochelle 2014, "A Deep and Tractable Density Estimator", ICML, Secs. 2-3).
 *
 * One network predicts every variable from ANY observed subset: its input is [x ⊙ m, m] (m_i = 1
 * where x_i is observed; the mask tells an observed 0 from a missing one), ReLU hidden layers, and
 * sigmoid outputs p(x_i = 1 | x_obs), of which only the unobserved ones are used.
 *
 * Training (Eq. 8): per example, a random ordering o and a split d ~ U{0, ..., D-1}; x_{o(<d)} is
 * observed and the loss is
 *   D / (D - d) * sum_{t >= d} -log p(x_{o(t)} | x_{o(<d)}),
 * an unbiased estimate of the NLL averaged over all D! orderings. Only the SET o(<d) matters, so it
 * is drawn directly as a uniform subset of size d.
 *
 * Exact log p(x) under one ordering o is sum_t log p(x_{o(t)} | x_{o(<t)}): D network passes, pass t
 * observing o(<t). Two savings keep it exact but cheaper than D full passes:
 *  - the first layer's pre-activation of pass t + 1 is that of pass t plus x_{o(t)} W_{o(t)} +
 *    M_{o(t)} (one more observed variable, value and mask weights), so all D first layers are one
 *    exclusive running sum, NADE's trick (Larochelle & Murray 2011, Eq. 4): O(D H_1), not O(D^2 H_1);
 *  - pass t needs only output o(t): O(H_L) instead of O(D H_L).
 * Layers above the first stay D separate passes, O(D H_l H_{l+1}) per example. For 784-pixel MNIST,
 * per example and ordering: hidden [500] costs about 0.8M multiply-adds (like NADE; D full passes
 * would cost 920M), [500, 500] about 200M (D full passes: 1.1G). Measured on wasm (2 shared cores),
 * 100 examples take ~0.35 s per ordering with [500] and ~1.2 s with [500, 500], so the 10,000 MNIST
 * test images with 2 orderings take ~1 and ~4 minutes. Examples are scored in chunks
 * ([chunk, H_1, D] activations).
 * The ensemble over `evalOrderings` fixed orderings (Sec. 3, EoNADE) is
 *   log p(x) = log (1/K) sum_k p_{o_k}(x),
 * still exactly normalised; it costs K times one ordering.
 *
 * Completion conditions on any mask: the missing variables are drawn one at a time in a random
 * order, each from p(x_i | observed and already drawn), with the same running first layer. Sampling
 * is completion with everything missing: a fresh random ordering per sample, i.e. a draw from the
 * model averaged over all orderings (of which the K-ordering ensemble that logProb scores is a
 * Monte-Carlo estimate).
 *
 * No gather sits on a gradient path: training masks inputs; only scoring and sampling (which take no
 * gradients) permute weights into an ordering.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { perExampleInChunks } from '../../nn/chunks.js';
import { applyDense, Mlp, type Dense } from '../../nn/dense.js';
import { defaultsOf, defineOptions } from '../options.js';
import { Ordering } from '../ordering.js';
import { NeuralModel } from '../neuralModel.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, TrainContext } from '../model.js';
import { bernoulliLogProb, checkBinary } from './binary.js';

export interface EonadeConfig {
  /** Units of each ReLU hidden layer (the paper's MNIST models have 1 to 4 layers of 500). */
  hidden: number[];
  /** Orderings K whose models logProb averages (EoNADE); 1 = a single ordering. */
  evalOrderings: number;
  /** Seed of the initial weights and of the evaluation orderings. */
  seed: number;
}

export const EONADE_OPTIONS = defineOptions<EonadeConfig>({
  hidden: { type: 'int-list', default: [500], min: 1, help: 'units of each ReLU hidden layer (the paper: 1 to 4 layers of 500)' },
  evalOrderings: { type: 'int', default: 2, min: 1, max: 1024, help: 'orderings K whose models logProb averages (EoNADE); 1: a single ordering' },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights and of the evaluation orderings' },
});

export const EONADE_DEFAULTS: Readonly<EonadeConfig> = defaultsOf(EONADE_OPTIONS);

/** Largest activation tensor built for scoring (2^24 floats = 64 MiB). */
const MAX_ACTIVATIONS = 2 ** 24;

/** The network's weights in an ordering's step order. */
interface OrderedWeights {
  /** The ordering o as int32, [D]. */
  index: tf.Tensor1D;
  /** [H_1, D], column t: first-layer weights of the value of x_{o(t)}. */
  valueWeights: tf.Tensor2D;
  /** [H_1, D], column t: first-layer weights of the mask bit of x_{o(t)}. */
  maskWeights: tf.Tensor2D;
  /** [D, H_L], row t: output weights of x_{o(t)}. */
  outWeights: tf.Tensor2D;
  /** [D] */
  outBias: tf.Tensor1D;
}

/** The values of a tensor computed by `f`, which is then freed. */
function read(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

export class Eonade extends NeuralModel<EonadeConfig> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'eonade';
  readonly densityKind = 'exact';
  /** The K orderings of the evaluation ensemble, drawn from the seed. */
  readonly orderings: Ordering[] = [];
  /** Layer 0: W [2D, H_1], rows 0..D-1 take x ⊙ m, rows D..2D-1 take m; the last layer outputs D logits. */
  private readonly layers: readonly Dense[];
  /** The whole network, [x ⊙ m, m] -> logits, made of `layers` (ReLU between them, linear output). */
  private readonly net: Mlp;
  private readonly D: number;

  constructor(config: Partial<EonadeConfig>, readonly inputShape: number[]) {
    super({ ...EONADE_DEFAULTS, ...config });
    // One layer may be given as a plain number (--hidden 500).
    if (typeof this.config.hidden === 'number') this.config.hidden = [this.config.hidden];
    const { hidden, evalOrderings: K, seed } = this.config;
    check(Array.isArray(hidden) && hidden.length >= 1 && hidden.every((h) => Number.isInteger(h) && h >= 1), `eonade: hidden must be a list of layer sizes >= 1, got ${JSON.stringify(hidden)}`);
    check(Number.isInteger(K) && K >= 1 && K <= 1024, `eonade: evalOrderings must be an integer in 1..1024, got ${K}`);
    this.D = inputShape.reduce((a, b) => a * b, 1);
    check(this.D >= 1, 'eonade needs at least 1 variable');
    const sizes = [2 * this.D, ...hidden, this.D];
    this.net = new Mlp(this.params, sizes.slice(1).map((_, l) => ({ W: `W${l}`, b: `b${l}` })), sizes);
    this.layers = this.net.layers;
    for (let k = 0; k < K; k++) this.orderings.push(new Ordering({ type: 'random', seed: seed * 7919 + k }, inputShape));
  }

  /** [B, D] values and [B, D] masks (1 = observed) -> [B, D] logits of p(x_i = 1 | x_obs), used where m_i = 0. */
  logits(x: tf.Tensor2D, m: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.net.apply(tf.concat([tf.mul(x, m), m], 1) as tf.Tensor2D)); // [B, 2D] -> [B, D]
  }

  /** Hidden layers 2..L on [N, H_1] first-layer pre-activations -> [N, H_L]. */
  private upperLayers(a1: tf.Tensor2D): tf.Tensor2D {
    let h = tf.relu(a1);
    for (let l = 1; l + 1 < this.layers.length; l++) h = tf.relu(applyDense(h, this.layers[l]));
    return h;
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    checkBinary('eonade', batch);
    const { D } = this;
    const { n } = batch;
    // 1. Per example: d ~ U{0..D-1}, and a uniform d-subset observed (the first d of a random ordering).
    const mask = new Float32Array(n * D);
    const weight = new Float32Array(n);
    const perm = Int32Array.from({ length: D }, (_, i) => i);
    for (let b = 0; b < n; b++) {
      const d = ctx.rng.int(D);
      for (let j = 0; j < d; j++) {
        const r = j + ctx.rng.int(D - j); // partial Fisher-Yates
        [perm[j], perm[r]] = [perm[r], perm[j]];
        mask[b * D + perm[j]] = 1;
      }
      weight[b] = D / (D - d);
    }
    // 2. Eq. 8: D / (D - d) * the NLL of the unobserved variables, averaged over the batch.
    const x = tf.tensor2d(batch.x, [n, D]);
    const m = tf.tensor2d(mask, [n, D]);
    const logits = this.logits(x, m);
    const perVariable = tf.sub(tf.mul(x, logits), tf.softplus(logits)); // [n, D]: log p(x_i | x_obs)
    const unobserved = tf.sum(tf.mul(perVariable, tf.sub(1, m)), 1); // [n]
    return { loss: tf.neg(tf.mean(tf.mul(unobserved, tf.tensor1d(weight)))) as tf.Scalar };
  }

  /** [n, D] inputs -> [n] exact log p_o(x) under ordering `order` (D passes, first layer as a running sum). */
  orderedLogProb(x: tf.Tensor2D, order: Int32Array): tf.Tensor1D {
    const weights = this.orderedWeights(order);
    const logp = this.scoreOrdered(x, weights);
    tf.dispose(Object.values(weights));
    return logp;
  }

  /** The weights permuted into ordering `order` (scoring only: no gradient flows through the gathers). */
  private orderedWeights(order: Int32Array): OrderedWeights {
    return tf.tidy(() => {
      const { D } = this;
      const H1 = this.config.hidden[0];
      const index = tf.tensor1d(order, 'int32');
      const { W: W0 } = this.layers[0];
      const { W: Wout, b: bout } = this.layers[this.layers.length - 1];
      return {
        index,
        valueWeights: tf.transpose(tf.gather(tf.slice(W0, [0, 0], [D, H1]), index)) as tf.Tensor2D,
        maskWeights: tf.transpose(tf.gather(tf.slice(W0, [D, 0], [D, H1]), index)) as tf.Tensor2D,
        outWeights: tf.gather(tf.transpose(Wout), index) as tf.Tensor2D,
        outBias: tf.gather(bout, index) as tf.Tensor1D,
      };
    });
  }

  private scoreOrdered(x: tf.Tensor2D, w: OrderedWeights): tf.Tensor1D {
    return tf.tidy(() => {
      const { D } = this;
      const n = x.shape[0];
      const { hidden } = this.config;
      const H1 = hidden[0];
      const xo = tf.gather(x, w.index, 1); // [n, D], column t = x_{o(t)}
      const contributions = tf.add(tf.mul(tf.reshape(xo, [n, 1, D]), w.valueWeights), w.maskWeights); // [n, H_1, D]
      const a1 = tf.add(tf.cumsum(contributions, 2, true), tf.reshape(this.layers[0].b, [H1, 1])); // [n, H_1, D]: pass t observes o(<t)
      const passes = tf.reshape(tf.transpose(a1, [0, 2, 1]), [n * D, H1]) as tf.Tensor2D; // [n * D, H_1]
      const top = tf.reshape(this.upperLayers(passes), [n, D, hidden[hidden.length - 1]]); // [n, D, H_L]
      const logits = tf.add(tf.sum(tf.mul(top, w.outWeights), 2), w.outBias) as tf.Tensor2D; // [n, D]: only output o(t) of pass t
      return bernoulliLogProb(xo, logits);
    });
  }

  /** log p(x) of the ensemble, log (1/K) sum_k p_{o_k}(x), in chunks of examples. */
  async logProb(batch: Batch): Promise<Float64Array> {
    checkBinary('eonade', batch);
    const { D } = this;
    const K = this.orderings.length;
    const { hidden } = this.config;
    const chunk = Math.max(1, Math.floor(MAX_ACTIVATIONS / (D * (2 * hidden[0] + Math.max(...hidden)))));
    const perOrdering = new Float64Array(K * batch.n); // [K, n]
    for (let k = 0; k < K; k++) {
      const weights = this.orderedWeights(this.orderings[k].order);
      perOrdering.set(await perExampleInChunks(batch.x, batch.n, D, chunk, (x) => this.scoreOrdered(x, weights)), k * batch.n);
      tf.dispose(Object.values(weights));
    }
    const out = new Float64Array(batch.n);
    for (let b = 0; b < batch.n; b++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, perOrdering[k * batch.n + b]);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(perOrdering[k * batch.n + b] - max);
      out[b] = max + Math.log(s / K);
    }
    return out;
  }

  async sample(n: number, rng: Rng): Promise<Float32Array> {
    return this.complete({ x: new Float32Array(n * this.D), n }, new Uint8Array(this.D).fill(1), rng);
  }

  /**
   * Fills the entries where `missing` is 1 given ALL observed ones, wherever they are: missing
   * variables are drawn one at a time, in a random order per example, each from
   * p(x_i | observed and already drawn). O(H_1 + sum_l H_l H_{l+1}) per drawn variable and example.
   */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    const { D } = this;
    const { n } = batch;
    check(missing.length === D, `mask has ${missing.length} entries, the model expects ${D}`);
    check(batch.x.length === n * D, `expected ${n} x ${D} values, got ${batch.x.length}`);
    const x = Float32Array.from(batch.x);
    const observed = Float32Array.from(missing, (v) => (v ? 0 : 1));
    const holes = Int32Array.from([...missing.keys()].filter((i) => missing[i]));
    const M = holes.length;
    // 1. Each example's drawing order: step s draws variable steps[s * n + b] of example b.
    const steps = new Int32Array(M * n);
    for (let b = 0; b < n; b++) rng.shuffle(holes).forEach((i, s) => (steps[s * n + b] = i));
    const { hidden } = this.config;
    const H1 = hidden[0];
    const HL = hidden[hidden.length - 1];
    const { W: W0, b: b0 } = this.layers[0];
    const { W: Wout, b: bout } = this.layers[this.layers.length - 1];
    // Weights read once and picked per example in plain arrays (wasm's GatherV2 costs ~0.3 ms a call).
    const inputWeights = W0.dataSync() as Float32Array; // [2D, H_1]: row i values, row D + i mask of x_i
    const outWeights = read(() => tf.transpose(Wout)); // [D, H_L], row i: output weights of x_i
    const outBias = bout.dataSync() as Float32Array; // [D]
    // 2. First-layer pre-activation given the observed entries: b_0 + [x ⊙ m, m] W_0, [n, H_1].
    let a1 = tf.tidy(() => {
      const m = tf.tile(tf.tensor2d(observed, [1, D]), [n, 1]);
      return tf.add(tf.matMul(tf.concat([tf.mul(tf.tensor2d(x, [n, D]), m), m], 1), W0), b0) as tf.Tensor2D;
    });
    const rows = new Float32Array(n * HL);
    const bias = new Float32Array(n);
    const update = new Float32Array(n * H1);
    for (let s = 0; s < M; s++) {
      const which = steps.subarray(s * n, (s + 1) * n);
      // 3. p(x_i = 1 | observed and drawn so far), for each example's own next variable i.
      for (let b = 0; b < n; b++) {
        rows.set(outWeights.subarray(which[b] * HL, (which[b] + 1) * HL), b * HL);
        bias[b] = outBias[which[b]];
      }
      const probs = tf.tidy(() => tf.sigmoid(tf.add(tf.sum(tf.mul(this.upperLayers(a1), tf.tensor2d(rows, [n, HL])), 1), tf.tensor1d(bias))));
      const p = probs.dataSync();
      probs.dispose();
      // 4. Draw, and the variable becomes observed: add its value and mask weights to the first layer.
      for (let b = 0; b < n; b++) {
        const i = which[b];
        const v = (x[b * D + i] = rng.uniform() < p[b] ? 1 : 0);
        for (let k = 0; k < H1; k++) update[b * H1 + k] = v * inputWeights[i * H1 + k] + inputWeights[(D + i) * H1 + k];
      }
      const next = tf.tidy(() => tf.add(a1, tf.tensor2d(update, [n, H1])) as tf.Tensor2D);
      a1.dispose();
      a1 = next;
    }
    a1.dispose();
    return x;
  }

}
