/**
 * RNADE: the real-valued neural autoregressive density estimator (Uria, Murray & Larochelle 2013,
 * NIPS, Sec. 2, Eqs. 5-8). NADE's shared hidden layer, with a mixture of C univariate Gaussians
 * as the conditional of every step t of the ordering o:
 *
 *   a_1 = c,  a_{t+1} = a_t + x_{o(t)} W_t                 (NADE's running pre-activation, O(DH))
 *   h_t = sigma(rho_t a_t)                                 (rho_t: the paper's per-step rescaling)
 *   p(x_{o(t)} | x_{o(<t)}) = sum_k pi_tk N(x_{o(t)}; mu_tk, sd_tk^2)
 *   pi_t = softmax(V^alpha_t h_t + b^alpha_t),  mu_t = V^mu_t h_t + b^mu_t,
 *   sd_t = minStd + exp(V^sigma_t h_t + b^sigma_t)
 *
 * The paper's sd_t is the exp alone; the floor `minStd` keeps a component from collapsing onto one
 * training point (a log-density that grows without bound). rho_t starts at 1 and is learned.
 *
 * Initialisation (changed from Glorot W, c = 0, b^mu = 0: test 'approaches the true entropy').
 * 1. W ~ N(0, 4 / D), c ~ N(0, 1). With c = 0, h_t - 1/2 = sigma(rho_t x W_t) - 1/2 is odd in the
 *    inputs, so on zero-centred symmetric data whose conditionals depend on |x| (the ring:
 *    p(x_2 | x_1) = p(x_2 | -x_1)) W's gradient vanishes by symmetry and only c moves, at second
 *    order. Glorot's bound sqrt(6 / (D + H)) is set by H when D is small (0.24 for D = 2, H = 100):
 *    a_t stays in sigma's linear range and no conditional can switch sharply between nearby values
 *    of x_{o(<t)}. On toy:ring (defaults, 8 epochs of 79 steps) the old initialisation stalled at a
 *    test NLL of -0.87 nats, p(x_2 | x_1) equal to x_2's marginal for every x_1, |c| <= 0.06. With
 *    unit-scale inputs a_D now has std about 2 (sigmoids neither linear nor saturated); on MNIST
 *    (D = 784) W's std is 0.071 against Glorot's 0.047.
 * 2. b^mu_tk = -2 + 4k / (C - 1): component means spread over [-2, 2], the bulk of standardised
 *    data. The first conditional is a plain mixture fitted by gradient; from means bunched near 0
 *    (std ~0.7, from V^mu h) it often settled with one wide component over two neighbouring modes
 *    (sd 0.26 over the ring's x_1 = -2 and -1.41) while the spare components' weights died. For
 *    [0, 1] intensities some components start outside the data.
 * As in NADE, parameters are stored by step t (W column t, V^._t and b^._t belong to step t), so no
 * gather sits on a gradient path, and t is the last axis of the running sum because tfjs 4.22's
 * Cumsum gradient mis-shapes any other axis.
 *
 * Cost. The D output layers are a batched matmul [D, B, H] x [D, H, C] per head, 3 D B H C
 * multiply-adds: 3C times NADE's. On wasm, whose BatchMatMul has no fast path for a batch of small
 * matrices, a 784-pixel step at batch 100 with H = 100, C = 10 takes ~0.8 s (NADE, same H: ~0.25 s).
 *
 * Units. logProb is an exact log-DENSITY in nats (it can be positive and is not invariant to
 * rescaling the data); it is not comparable with the NLLs of binary models, which are log-
 * probabilities of discrete values.
 *
 * Dequantization (`dequantize`, for 'continuous' 8-bit intensities k / 255). A density fitted to
 * 256 discrete levels can put unbounded density on them. With `dequantize`, training sees
 * y = x + u / 256, u ~ U(0, 1), which spreads each level over [k/255, k/255 + 1/256) (disjoint
 * intervals of width 1/256). Then P(x) = the integral of p over x's box is a discrete model (sub-
 * normalised: the boxes leave thin gaps) and, by Jensen, for every pixel vector
 *   log P(x) >= E_u[log p(x + u / 256)] - D log 256,
 * so E_u[logProb(dequantize(x))] - D log 256 (nats; minus it over D ln 2 is bits per dimension) is a
 * lower bound on a discrete log-likelihood (Theis, van den Oord & Bethge 2016, Sec. 3.1). logProb
 * itself adds no noise and no correction: on raw levels it returns the density at the interval's
 * lower edge, which is neither; `genlab eval` (evaluateSplit, src/eval/likelihood.ts) therefore
 * scores one seeded draw of x + u / 256 and subtracts D log 256. The noise and the levels live in
 * src/data/dequantize.ts, shared with the Gaussian-decoder VAEs. Samples are mapped back to the
 * levels (k = floor(255 y)).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import { dequantize, quantize } from '../../data/dequantize.js';
import { Rng } from '../../core/rng.js';
import { perExampleInChunks } from '../../nn/chunks.js';
import { defaultsOf, defineOptions } from '../options.js';
import { ORDERING_OPTION, Ordering, type OrderingSpec } from '../ordering.js';
import { NeuralModel } from '../neuralModel.js';
import type { CompletionModel, DensityModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, TrainContext } from '../model.js';

export interface RnadeConfig {
  /** Hidden units H of the shared layer. */
  hidden: number;
  /** Gaussian components C per conditional (10 in most of the paper's experiments is a fair default). */
  components: number;
  /** Floor on every component's standard deviation, in data units. */
  minStd: number;
  /**
   * Train on x + u / 256, u ~ U(0, 1): for [0, 1] data with 256 levels (8-bit intensities). Leave it
   * off for genuinely real-valued data (toy points, CSV features).
   */
  dequantize: boolean;
  /** The order in which variables are chained. */
  ordering: OrderingSpec;
  /** Seed of the initial weights. */
  seed: number;
}

export const RNADE_OPTIONS = defineOptions<RnadeConfig>({
  hidden: { type: 'int', default: 100, min: 1, help: 'hidden units H of the shared layer' },
  components: { type: 'int', default: 10, min: 1, help: 'Gaussian components C per conditional' },
  minStd: { type: 'number', default: 1e-3, min: 0, help: 'floor on every component\'s standard deviation, in data units (> 0)' },
  dequantize: {
    type: 'boolean',
    default: false,
    help: 'train on x + u / 256, u ~ U(0, 1), for [0, 1] data with 256 levels; off for real-valued data',
    fromData: 'on for [0, 1] intensities, off for real values',
  },
  ordering: ORDERING_OPTION,
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const RNADE_DEFAULTS: Readonly<RnadeConfig> = defaultsOf(RNADE_OPTIONS);

/** log N(x; mu, sd) = LOG_NORM - log sd - z^2 / 2. */
const LOG_NORM = -0.5 * Math.log(2 * Math.PI);

/** Largest activation tensor built for scoring (2^24 floats = 64 MiB). */
const MAX_ACTIVATIONS = 2 ** 24;

/** The parameters of the D conditionals of a batch, step-major: entry [t, b, k] is component k of step t. */
export interface MixtureParams {
  /** log pi, [D, B, C]. */
  logWeights: tf.Tensor3D;
  /** mu, [D, B, C]. */
  means: tf.Tensor3D;
  /** sd, [D, B, C]. */
  stds: tf.Tensor3D;
}

export class Rnade extends NeuralModel<RnadeConfig> implements GenerativeModel, DensityModel, CompletionModel {
  readonly name = 'rnade';
  readonly densityKind = 'exact';
  readonly ordering: Ordering;
  /** [H, D], column t: input weights of variable o(t). */
  private readonly W: tf.Variable;
  /** [H, 1] */
  private readonly c: tf.Variable;
  /** [1, D], rho_t. */
  private readonly rho: tf.Variable;
  /** [D, H, C], slice t: output weights of step t (mixing logits, means, log-std pre-activations). */
  private readonly Valpha: tf.Variable;
  private readonly Vmu: tf.Variable;
  private readonly Vsigma: tf.Variable;
  /** [D, 1, C] */
  private readonly balpha: tf.Variable;
  private readonly bmu: tf.Variable;
  private readonly bsigma: tf.Variable;
  /** order as an int32 tensor, to permute inputs into ordering space. */
  private readonly orderIndex: tf.Tensor1D;

  constructor(config: Partial<RnadeConfig>, readonly inputShape: number[]) {
    super({ ...RNADE_DEFAULTS, ...config });
    const { hidden: H, components: C, minStd, dequantize } = this.config;
    check(Number.isInteger(H) && H >= 1, `rnade: hidden must be an integer >= 1, got ${H}`);
    check(Number.isInteger(C) && C >= 1, `rnade: components must be an integer >= 1, got ${C}`);
    check(Number.isFinite(minStd) && minStd > 0, `rnade: minStd must be a number > 0, got ${minStd}`);
    check(typeof dequantize === 'boolean', `rnade: dequantize must be true or false, got ${dequantize}`);
    this.ordering = new Ordering(this.config.ordering, inputShape);
    const D = this.ordering.size;
    this.orderIndex = tf.tensor1d(this.ordering.order, 'int32');
    // Not Glorot and zeros: see the header (odd features at c = 0, linear ones at Glorot's scale when D << H).
    this.W = this.params.add('W', [H, D], { type: 'normal', std: 2 / Math.sqrt(D) });
    this.c = this.params.add('c', [H, 1], { type: 'normal', std: 1 });
    this.rho = this.params.add('rho', [1, D], { type: 'constant', value: 1 });
    this.Valpha = this.params.add('Valpha', [D, H, C], { type: 'glorot', fanIn: H, fanOut: C });
    this.Vmu = this.params.add('Vmu', [D, H, C], { type: 'glorot', fanIn: H, fanOut: C });
    this.Vsigma = this.params.add('Vsigma', [D, H, C], { type: 'glorot', fanIn: H, fanOut: C });
    this.balpha = this.params.add('balpha', [D, 1, C], { type: 'zeros' });
    this.bmu = this.params.add('bmu', [D, 1, C], { type: 'zeros' });
    // Component k's mean starts at -2 + 4k / (C - 1) for every step (see the header).
    tf.tidy(() => this.bmu.assign(tf.tile(tf.reshape(tf.linspace(C > 1 ? -2 : 0, C > 1 ? 2 : 0, C), [1, 1, C]), [D, 1, 1])));
    this.bsigma = this.params.add('bsigma', [D, 1, C], { type: 'zeros' });
  }

  /** Inputs [B, D] in input order -> [B, D] in ordering order. */
  private toOrdered(x: tf.Tensor2D): tf.Tensor2D {
    return tf.gather(x, this.orderIndex, 1);
  }

  /** [B, D] ordered inputs -> the mixture of every conditional (Eqs. 5-8), step-major. */
  conditionals(xo: tf.Tensor2D): MixtureParams {
    return tf.tidy(() => {
      const [B, D] = xo.shape;
      const contributions = tf.mul(tf.reshape(xo, [B, 1, D]), this.W); // [B, H, D]: x_{o(t)} W_t
      const a = tf.add(tf.cumsum(contributions, 2, true), this.c); // [B, H, D]: a_t = c + sum_{s<t}
      const h = tf.transpose(tf.sigmoid(tf.mul(a, this.rho)), [2, 0, 1]) as tf.Tensor3D; // [D, B, H]
      const logits = tf.add(tf.matMul(h, this.Valpha), this.balpha); // [D, B, C]
      const logStdPre = tf.add(tf.matMul(h, this.Vsigma), this.bsigma); // [D, B, C]
      return {
        logWeights: tf.logSoftmax(logits) as tf.Tensor3D,
        means: tf.add(tf.matMul(h, this.Vmu), this.bmu) as tf.Tensor3D,
        stds: tf.add(tf.exp(logStdPre), this.config.minStd) as tf.Tensor3D,
      };
    }) as MixtureParams;
  }

  /** [B, D] inputs in input order -> [B] log p(x) = sum_t log sum_k pi_tk N(x_{o(t)}; mu_tk, sd_tk). */
  private logProbTensor(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const xo = this.toOrdered(x);
      const [B, D] = xo.shape;
      const { logWeights, means, stds } = this.conditionals(xo);
      const target = tf.reshape(tf.transpose(xo), [D, B, 1]); // [D, B, 1]: x_{o(t)} of example b
      const z = tf.div(tf.sub(target, means), stds);
      const joint = tf.sub(tf.sub(logWeights, tf.log(stds)), tf.mul(tf.square(z), 0.5)); // [D, B, C]
      const perStep = tf.add(tf.logSumExp(joint, 2), LOG_NORM); // [D, B]
      return tf.sum(perStep, 0) as tf.Tensor1D;
    });
  }

  loss(batch: Batch, ctx: TrainContext): LossTerms {
    const values = this.config.dequantize ? dequantize(batch.x, ctx.rng) : batch.x;
    return {
      loss: tf.neg(tf.mean(this.logProbTensor(tf.tensor2d(values, [batch.n, this.ordering.size])))) as tf.Scalar,
    };
  }

  /** Exact log-density in nats per example, at the given points (no dequantization noise, no correction). */
  async logProb(batch: Batch): Promise<Float64Array> {
    const D = this.ordering.size;
    const { hidden: H, components: C } = this.config;
    // [B, H, D] hidden layers plus a few [D, B, C] mixture tensors: score in chunks that fit wasm's memory.
    const chunk = Math.max(1, Math.floor(MAX_ACTIVATIONS / (D * (H + 4 * C))));
    return perExampleInChunks(batch.x, batch.n, D, chunk, (x) => this.logProbTensor(x));
  }

  async sample(n: number, rng: Rng): Promise<Float32Array> {
    const D = this.ordering.size;
    return this.fill(new Float32Array(n * D), n, new Uint8Array(D).fill(1), rng);
  }

  /** Missing variables drawn in the ordering given all earlier ones (later observed ones are not looked ahead to). */
  async complete(batch: Batch, missing: Uint8Array, rng: Rng): Promise<Float32Array> {
    check(missing.length === this.ordering.size, `mask has ${missing.length} entries, the model expects ${this.ordering.size}`);
    return this.fill(Float32Array.from(batch.x), batch.n, missing, rng);
  }

  /** Ancestral sampling with the running pre-activation: O(DH) per example, plus O(DHC) for the mixtures. */
  private fill(x: Float32Array, n: number, missing: Uint8Array, rng: Rng): Float32Array {
    const D = this.ordering.size;
    const C = this.config.components;
    const order = this.ordering.order;
    const H = this.config.hidden;
    // Per-step weights, read once (wasm's Slice and Unpack cost ~0.3 ms a call): W_t [H],
    // [V^alpha_t | V^mu_t | V^sigma_t] [H, 3C] and its biases [3C], each block contiguous by t.
    const read = (f: () => tf.Tensor): Float32Array => {
      const t = tf.tidy(f);
      const values = t.dataSync() as Float32Array;
      t.dispose();
      return values;
    };
    const inputWeights = read(() => tf.transpose(this.W)); // [D, H]
    const heads = read(() => tf.concat([this.Valpha, this.Vmu, this.Vsigma], 2)); // [D, H, 3C]
    const biases = read(() => tf.concat([this.balpha, this.bmu, this.bsigma], 2)); // [D, 1, 3C]
    const rho = this.rho.dataSync();
    let a = tf.tidy(() => tf.tile(tf.reshape(this.c, [1, -1]), [n, 1])); // [n, H]
    const column = new Float32Array(n);
    for (let t = 0; t < D; t++) {
      const i = order[t];
      if (missing[i]) {
        // 1. The mixture of step t for every example: [n, 3C] = [logits | means | log-sd pre-activations].
        const mixture = tf.tidy(() => tf.matMul(tf.sigmoid(tf.mul(a, rho[t])), tf.tensor2d(heads.subarray(t * H * 3 * C, (t + 1) * H * 3 * C), [H, 3 * C])));
        const m = mixture.dataSync() as Float32Array;
        mixture.dispose();
        for (let b = 0; b < n; b++) for (let j = 0; j < 3 * C; j++) m[b * 3 * C + j] += biases[t * 3 * C + j];
        // 2. k ~ softmax(logits), then x ~ N(mu_k, sd_k^2).
        for (let b = 0; b < n; b++) {
          const row = b * 3 * C;
          let max = -Infinity;
          for (let k = 0; k < C; k++) max = Math.max(max, m[row + k]);
          let total = 0;
          for (let k = 0; k < C; k++) total += Math.exp(m[row + k] - max);
          let u = rng.uniform() * total;
          let k = 0;
          for (; k < C - 1; k++) {
            u -= Math.exp(m[row + k] - max);
            if (u < 0) break;
          }
          const sd = this.config.minStd + Math.exp(m[row + 2 * C + k]);
          x[b * D + i] = m[row + C + k] + sd * rng.normal();
        }
      }
      // 3. a_{t+1} = a_t + x_{o(t)} W_t, with the value just drawn or observed.
      for (let b = 0; b < n; b++) column[b] = x[b * D + i];
      const next = tf.tidy(() => tf.add(a, tf.mul(tf.tensor2d(column, [n, 1]), tf.tensor2d(inputWeights.subarray(t * H, (t + 1) * H), [1, H]))));
      a.dispose();
      a = next;
    }
    a.dispose();
    if (this.config.dequantize) {
      // Drawn values go back to the 256 levels the data came from; observed ones stay as given.
      for (let b = 0; b < n; b++) for (let i = 0; i < D; i++) if (missing[i]) x[b * D + i] = quantize(x[b * D + i]);
    }
    return x;
  }

  override dispose(): void {
    super.dispose();
    this.orderIndex.dispose();
  }
}
