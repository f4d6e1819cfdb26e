/**
 * Shared pieces of the latent-variable models (AE, VAE, beta-VAE, CVAE, IWAE):
 * - the encoder and decoder networks, an MLP or a small convolutional net, optionally fed a
 *   one-hot class label (CVAE);
 * - the observation models p(x|z) the decoder parameterises (`Likelihood`): Bernoulli for binary
 *   data, diagonal Gaussian for real values, discretized logistic for 8-bit levels;
 * - the Gaussian algebra of q(z|x) = N(mu, diag sigma^2) against the prior p(z) = N(0, I)
 *   (Kingma & Welling 2014, Appendix B);
 * - standard normal noise from genlab's seeded Rng.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check, UserError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { ValueKind } from '../../data/dataset.js';
import type { Parameters } from '../../nn/parameters.js';
import { LEVELS, quantize } from '../../data/dequantize.js';
import { defaultsOf, defineOptions } from '../options.js';

export type Architecture = 'mlp' | 'conv';
export const ARCHITECTURES: readonly Architecture[] = ['mlp', 'conv'];

/**
 * The decoder's distribution p(x|z), factorised over the D values:
 * 'bernoulli' (binary data; the decoder outputs logits),
 * 'gaussian' (real values or [0, 1] intensities; the decoder outputs means, sigma per dimension),
 * 'logistic' (8-bit levels 0..255: a discretized logistic, Kingma et al. 2016 / Salimans et al.
 * 2017 with one component; the decoder outputs locations on [0, 1], scale per dimension).
 */
export type DecoderKind = 'bernoulli' | 'gaussian' | 'logistic';
export const DECODERS: readonly DecoderKind[] = ['bernoulli', 'gaussian', 'logistic'];

/** What `sample` returns: the decoder's mean E[x|z] (smooth images) or a draw x ~ p(x|z). */
export type SampleMode = 'mean' | 'sample';
export const SAMPLE_MODES: readonly SampleMode[] = ['mean', 'sample'];

/** The configuration every latent-variable model shares (networks, decoder, sampling, seed). */
export interface LatentNetConfig {
  /** 'mlp' on the flattened input, or 'conv' for [H, W, C] images (see `channels`). */
  architecture: Architecture;
  /**
   * Units of the encoder's hidden layers, first to last; the decoder mirrors them (last to first).
   * 500 is Kingma & Welling's MNIST network (one hidden layer of 500 per network, their Sec. 5);
   * [] gives linear networks. For 'conv', these dense layers follow the flattened convolutions.
   */
  hidden: number[];
  /**
   * 'conv' only: channels of the stride-2 4x4 convolutions of the encoder (the decoder mirrors them
   * with stride-2 4x4 transposed convolutions); H and W must be divisible by 2^channels.length.
   */
  channels: number[];
  /**
   * Size of z. 20, one of Kingma & Welling's MNIST sizes (their Fig. 2 tries 3 to 200): enough for
   * MNIST, and few unused dimensions for the importance estimate to integrate over. Burda et al.'s
   * one-layer models use 50.
   */
  latent: number;
  /** The observation model p(x|z); the registry picks it from the data's kind. */
  decoder: DecoderKind;
  /**
   * Gaussian sigma or logistic scale s of p(x|z): 'learned' (one log-value per dimension, starting
   * at 1) or a fixed positive number (e.g. 0.1; 1 makes the Gaussian AE a squared-error AE).
   */
  decoderStd: 'learned' | number;
  /** Floor added to a learned sigma / scale (sigma = minStd + exp(.)), so no dimension collapses. */
  minStd: number;
  /**
   * Gaussian decoder on [0, 1] 8-bit intensities: train on x + u / 256, u ~ U(0, 1), as RNADE does
   * (see src/models/autoregressive/rnade.ts), and map means / samples back to [0, 1] levels.
   */
  dequantize: boolean;
  /** 'mean': `sample` and `decode` return E[x|z] (Bernoulli: probabilities); 'sample': a draw. */
  sampleMode: SampleMode;
  /** Seed of the initial weights. */
  seed: number;
}

/** The options every latent model has; each model's declaration adds its own to these. */
export const LATENT_NET = defineOptions<LatentNetConfig>({
  architecture: { type: 'choice', default: 'mlp', choices: ARCHITECTURES, help: "'mlp' on the flattened input, or 'conv' for [H, W, C] images" },
  hidden: { type: 'int-list', default: [500], min: 1, help: 'units of the encoder\'s hidden layers (the decoder mirrors them); empty: linear networks' },
  channels: { type: 'int-list', default: [32, 64], min: 1, help: "'conv' only: channels of the stride-2 4x4 encoder convolutions" },
  latent: { type: 'int', default: 20, min: 1, help: 'size of z (20: one of Kingma & Welling\'s MNIST sizes)' },
  decoder: {
    type: 'choice',
    default: 'bernoulli',
    choices: DECODERS,
    help: 'the observation model p(x|z)',
    fromData: 'bernoulli for binary data, gaussian for real values and [0, 1] intensities, logistic for 8-bit',
  },
  decoderStd: { type: 'number', default: 'learned', min: 0, choices: ['learned'], help: "sigma / scale of a gaussian or logistic p(x|z): 'learned' or a fixed number > 0" },
  minStd: { type: 'number', default: 1e-3, min: 0, help: 'floor added to a learned sigma / scale, so no dimension collapses' },
  dequantize: {
    type: 'boolean',
    default: false,
    help: 'gaussian decoder on 8-bit intensities: train on x + u / 256, u ~ U(0, 1)',
    fromData: 'on for a gaussian decoder on [0, 1] intensities, else off',
  },
  sampleMode: { type: 'choice', default: 'mean', choices: SAMPLE_MODES, help: "'mean': sample and decode return E[x|z]; 'sample': a draw" },
  seed: { type: 'int', default: 0, help: 'seed of the initial weights' },
});

export const LATENT_NET_DEFAULTS: Readonly<LatentNetConfig> = defaultsOf(LATENT_NET);

/** Largest activation tensor (floats) one network pass builds while scoring: 2^22 = 16 MiB. */
export const MAX_ACTIVATIONS = 2 ** 22;

/** log(2 pi) */
const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The decoder and its data conventions for data of a given kind, unless the user chose them:
 * binary -> Bernoulli; [0, 1] intensities -> dequantized Gaussian; 8-bit levels -> discretized
 * logistic; other reals -> Gaussian. For the registry's `create`.
 */
export function withDataDefaults(kind: ValueKind, config: Record<string, unknown>): Record<string, unknown> {
  const byKind: Record<ValueKind, DecoderKind> = { binary: 'bernoulli', continuous: 'gaussian', uint8: 'logistic', real: 'gaussian' };
  const decoder = (config.decoder as DecoderKind | undefined) ?? byKind[kind];
  return { decoder, dequantize: decoder === 'gaussian' && kind === 'continuous', ...config };
}

/** Normalises list options given as one number (--hidden 500) and checks every field. */
export function validateNetConfig(model: string, config: LatentNetConfig, inputShape: number[]): void {
  if (typeof config.hidden === 'number') config.hidden = [config.hidden];
  if (typeof config.channels === 'number') config.channels = [config.channels];
  const { architecture, hidden, channels, latent, decoder, decoderStd, minStd, dequantize, sampleMode, seed } = config;
  const sizes = (v: unknown) => Array.isArray(v) && v.every((h) => Number.isInteger(h) && h >= 1);
  check(inputShape.length >= 1 && inputShape.every((d) => Number.isInteger(d) && d >= 1), `${model}: bad input shape [${inputShape.join(', ')}]`);
  check(ARCHITECTURES.includes(architecture), `${model}: architecture must be one of ${ARCHITECTURES.join(', ')}, got '${architecture}'`);
  check(sizes(hidden), `${model}: hidden must be a list of layer sizes >= 1, got ${JSON.stringify(hidden)}`);
  check(Number.isInteger(latent) && latent >= 1, `${model}: latent must be an integer >= 1, got ${latent}`);
  check(DECODERS.includes(decoder), `${model}: decoder must be one of ${DECODERS.join(', ')}, got '${decoder}'`);
  check(
    decoderStd === 'learned' || (typeof decoderStd === 'number' && Number.isFinite(decoderStd) && decoderStd > 0),
    `${model}: decoderStd must be 'learned' or a number > 0, got ${JSON.stringify(decoderStd)}`,
  );
  check(Number.isFinite(minStd) && minStd >= 0, `${model}: minStd must be a number >= 0, got ${minStd}`);
  check(typeof dequantize === 'boolean', `${model}: dequantize must be true or false, got ${dequantize}`);
  check(!dequantize || decoder === 'gaussian', `${model}: dequantize applies to the gaussian decoder only (decoder is '${decoder}')`);
  check(SAMPLE_MODES.includes(sampleMode), `${model}: sampleMode must be one of ${SAMPLE_MODES.join(', ')}, got '${sampleMode}'`);
  check(Number.isInteger(seed), `${model}: seed must be an integer, got ${seed}`);
  if (architecture === 'conv') {
    check(sizes(channels) && channels.length >= 1, `${model}: channels must be a non-empty list of sizes >= 1, got ${JSON.stringify(channels)}`);
    check(inputShape.length === 3, `${model}: architecture 'conv' needs images [H, W, C], got shape [${inputShape.join(', ')}]`);
    const f = 2 ** channels.length;
    check(
      inputShape[0] % f === 0 && inputShape[1] % f === 0,
      `${model}: ${channels.length} stride-2 convolutions need H and W divisible by ${f}, got ${inputShape[0]} x ${inputShape[1]}`,
    );
  }
}

/**
 * n standard normals from `rng`, as float32. An odd count draws one more and drops it, so the Rng
 * never holds a cached Box-Muller spare between steps (a checkpoint drops it: see Rng.getState)
 * and a resumed run draws the same noise.
 */
export function standardNormals(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  if (n % 2 === 1) rng.normal();
  return out;
}

/**
 * Class labels as a one-hot float matrix, [n] -> [n, K]; not on any gradient path. Built as int32
 * and cast: tfjs-backend-wasm 4.22's OneHot with dtype 'float32' writes the int32 bit pattern
 * (1 becomes 1.4e-45).
 */
export function oneHotLabels(labels: Int32Array, K: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), K), 'float32') as tf.Tensor2D);
}

// ---------------------------------------------------------------------------------------------
// Gaussian algebra of the posterior and the prior

/**
 * KL(N(mu, diag exp(logVar)) || N(0, I)) = -1/2 sum_j (1 + logVar_j - mu_j^2 - exp(logVar_j))
 * (Kingma & Welling 2014, Appendix B), [B, L] -> [B].
 */
export function gaussianKl(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), tf.add(logVar, 1)), 1), 0.5) as tf.Tensor1D);
}

/** z = mu + sigma * eps (the reparameterisation, Eq. 10): mu, logVar [B, L], eps [S, B, L] -> [S, B, L]. */
export function reparameterize(mu: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor3D);
}

/**
 * log p(z) - log q(z|x) at z = mu + sigma * eps: sum_j (eps_j^2 - z_j^2 + logVar_j) / 2 (the
 * log 2 pi terms cancel), [S, B, L] -> [S, B].
 */
export function logPriorRatio(z: tf.Tensor3D, eps: tf.Tensor3D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sum(tf.add(tf.sub(tf.square(eps), tf.square(z)), logVar), 2), 0.5) as tf.Tensor2D);
}

// ---------------------------------------------------------------------------------------------
// Networks

interface Dense {
  W: tf.Variable;
  b: tf.Variable;
}

interface Conv {
  filter: tf.Variable;
  bias: tf.Variable;
}

function dense(params: Parameters, name: string, fanIn: number, fanOut: number): Dense {
  return {
    W: params.add(`${name}/W`, [fanIn, fanOut], { type: 'glorot', fanIn, fanOut }),
    b: params.add(`${name}/b`, [fanOut], { type: 'zeros' }),
  };
}

function applyDense(h: tf.Tensor2D, { W, b }: Dense): tf.Tensor2D {
  return tf.add(tf.matMul(h, W), b) as tf.Tensor2D;
}

/** Kernel size and stride of every (transposed) convolution. */
const KERNEL = 4;
const STRIDE = 2;

/** What the encoder and decoder are built for. */
export interface NetSpec {
  inputShape: number[];
  architecture: Architecture;
  hidden: number[];
  channels: number[];
  latent: number;
  /** Classes of the one-hot label fed to the network; 0 = none. */
  classes: number;
}

/** Feature-map shapes [h, w, c] after each stride-2 convolution of the encoder. */
function convShapes(spec: NetSpec): [number, number, number][] {
  const [H, W] = spec.inputShape;
  return spec.channels.map((c, i) => [H / STRIDE ** (i + 1), W / STRIDE ** (i + 1), c]);
}

/** Floats per example in the largest activation of either network (for chunking). */
export function widestActivation(spec: NetSpec): number {
  const D = spec.inputShape.reduce((a, b) => a * b, 1);
  const widths = [D + spec.classes, ...spec.hidden];
  if (spec.architecture === 'conv') for (const [h, w, c] of convShapes(spec)) widths.push(h * w * c);
  if (spec.architecture === 'conv' && spec.classes > 0) widths.push((D / spec.inputShape[2]) * (spec.inputShape[2] + spec.classes));
  return Math.max(...widths);
}

/**
 * x [B, D] (and a one-hot label [B, K]) -> one [B, latent] output per head.
 * MLP: [x, y] -> ReLU dense layers -> linear heads.
 * Conv: [B, H, W, C] with the label broadcast as K extra constant channels -> ReLU stride-2 4x4
 * convolutions -> flatten -> ReLU dense layers -> linear heads.
 */
export class Encoder {
  private readonly convs: Conv[] = [];
  private readonly layers: Dense[] = [];
  private readonly heads: Dense[];

  constructor(params: Parameters, private readonly spec: NetSpec, headNames: string[]) {
    const D = spec.inputShape.reduce((a, b) => a * b, 1);
    let width = D + spec.classes;
    if (spec.architecture === 'conv') {
      let cin = spec.inputShape[2] + spec.classes;
      spec.channels.forEach((cout, i) => {
        const fanIn = KERNEL * KERNEL * cin;
        this.convs.push({
          filter: params.add(`encoder/conv${i}/filter`, [KERNEL, KERNEL, cin, cout], { type: 'glorot', fanIn, fanOut: KERNEL * KERNEL * cout }),
          bias: params.add(`encoder/conv${i}/bias`, [cout], { type: 'zeros' }),
        });
        cin = cout;
      });
      const [h, w, c] = convShapes(spec).at(-1)!;
      width = h * w * c;
    }
    spec.hidden.forEach((units, l) => {
      this.layers.push(dense(params, `encoder/dense${l}`, width, units));
      width = units;
    });
    this.heads = headNames.map((name) => dense(params, `encoder/${name}`, width, spec.latent));
  }

  apply(x: tf.Tensor2D, y: tf.Tensor2D | null): tf.Tensor2D[] {
    return tf.tidy(() => {
      const B = x.shape[0];
      let h: tf.Tensor2D;
      if (this.spec.architecture === 'conv') {
        const [H, W, C] = this.spec.inputShape;
        let maps: tf.Tensor4D = tf.reshape(x, [B, H, W, C]); // [B, H, W, C]
        if (y) {
          const K = this.spec.classes;
          const planes = tf.mul(tf.ones([B, H, W, 1]), tf.reshape(y, [B, 1, 1, K])); // [B, H, W, K]
          maps = tf.concat([maps, planes as tf.Tensor4D], 3); // [B, H, W, C + K]
        }
        for (const { filter, bias } of this.convs) maps = tf.relu(tf.add(tf.conv2d(maps, filter as tf.Tensor4D, STRIDE, 'same'), bias)) as tf.Tensor4D;
        h = tf.reshape(maps, [B, -1]); // [B, h * w * c]
      } else {
        h = y ? tf.concat([x, y], 1) : x; // [B, D + K]
      }
      for (const layer of this.layers) h = tf.relu(applyDense(h, layer));
      return this.heads.map((head) => applyDense(h, head));
    });
  }
}

/**
 * z [N, latent] (and a one-hot label [N, K]) -> [N, D] decoder outputs (Bernoulli logits, Gaussian
 * means or logistic locations), the mirror of the Encoder:
 * MLP: [z, y] -> ReLU dense layers (hidden reversed) -> linear output.
 * Conv: [z, y] -> ReLU dense layers -> ReLU dense to the last feature map -> ReLU stride-2 4x4
 * transposed convolutions -> a linear transposed convolution to C channels.
 */
export class Decoder {
  private readonly layers: Dense[] = [];
  private readonly deconvs: Conv[] = [];
  private readonly output: Dense;

  constructor(params: Parameters, private readonly spec: NetSpec) {
    const D = spec.inputShape.reduce((a, b) => a * b, 1);
    let width = spec.latent + spec.classes;
    [...spec.hidden].reverse().forEach((units, l) => {
      this.layers.push(dense(params, `decoder/dense${l}`, width, units));
      width = units;
    });
    if (spec.architecture === 'conv') {
      const shapes = convShapes(spec);
      const [h, w, c] = shapes.at(-1)!;
      this.output = dense(params, 'decoder/project', width, h * w * c);
      for (let i = shapes.length - 1; i >= 0; i--) {
        const cin = shapes[i][2];
        const cout = i > 0 ? shapes[i - 1][2] : spec.inputShape[2];
        // conv2dTranspose filters are [k, k, out, in].
        this.deconvs.push({
          filter: params.add(`decoder/deconv${i}/filter`, [KERNEL, KERNEL, cout, cin], {
            type: 'glorot',
            fanIn: KERNEL * KERNEL * cin,
            fanOut: KERNEL * KERNEL * cout,
          }),
          bias: params.add(`decoder/deconv${i}/bias`, [cout], { type: 'zeros' }),
        });
      }
    } else {
      this.output = dense(params, 'decoder/output', width, D);
    }
  }

  apply(z: tf.Tensor2D, y: tf.Tensor2D | null): tf.Tensor2D {
    return tf.tidy(() => {
      const N = z.shape[0];
      let h: tf.Tensor2D = y ? tf.concat([z, y], 1) : z; // [N, L + K]
      for (const layer of this.layers) h = tf.relu(applyDense(h, layer));
      if (this.spec.architecture !== 'conv') return applyDense(h, this.output); // [N, D]
      const shapes = convShapes(this.spec);
      const [fh, fw, fc] = shapes.at(-1)!;
      let maps: tf.Tensor4D = tf.reshape(tf.relu(applyDense(h, this.output)), [N, fh, fw, fc]); // [N, h, w, c]
      this.deconvs.forEach(({ filter, bias }, j) => {
        const i = shapes.length - 1 - j; // undoes encoder convolution i
        const [oh, ow] = i > 0 ? shapes[i - 1] : this.spec.inputShape;
        const oc = filter.shape[2]!;
        const out = tf.add(tf.conv2dTranspose(maps, filter as tf.Tensor4D, [N, oh, ow, oc], STRIDE, 'same'), bias) as tf.Tensor4D;
        maps = i > 0 ? tf.relu(out) : out;
      });
      return tf.reshape(maps, [N, -1]); // [N, H * W * C]
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Observation models p(x|z)

/**
 * log(1 - exp(-d)) for d > 0, as log 2 + log t - log(1 + t) with t = tanh(d / 2) (since
 * 1 - e^-d = 2t / (1 + t)): accurate for small d, where 1 - exp(-d) would cancel in float32.
 */
function log1mExp(d: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tanh(tf.mul(d, 0.5));
    return tf.add(tf.sub(tf.log(t), tf.log1p(t)), Math.LN2);
  });
}

/**
 * The decoder's distribution p(x|z), factorised over the D values, from decoder outputs `out`:
 *
 *   bernoulli:  log p = sum_d x_d out_d - softplus(out_d)                      (x in {0, 1})
 *   gaussian:   log p = sum_d log N(x_d; out_d, sigma_d^2)                    (x real)
 *   logistic:   P(x_d = k) = F((k + 1/2) / 255) - F((k - 1/2) / 255),  F the logistic CDF with
 *               location out_d and scale s_d, the two end bins taking the tails (x in 0..255;
 *               Salimans et al. 2017, Eq. 2, with one component).
 *
 * sigma_d / s_d is `decoderStd` (fixed) or minStd + exp(theta_d) with a learned theta_d (init 0).
 */
export class Likelihood {
  /** Learned log-spread theta [D]; absent for Bernoulli and fixed spreads. */
  private readonly theta?: tf.Variable;

  constructor(
    params: Parameters,
    readonly kind: DecoderKind,
    private readonly D: number,
    private readonly decoderStd: 'learned' | number,
    private readonly minStd: number,
    /** Gaussian on dequantized [0, 1] intensities: means clipped and samples quantized to levels. */
    private readonly dequantize: boolean,
  ) {
    if (kind !== 'bernoulli' && decoderStd === 'learned') this.theta = params.add('decoder/logStd', [D], { type: 'zeros' });
  }

  /** sigma (Gaussian) or s (logistic) per dimension, [D]. */
  spread(): tf.Tensor1D {
    return tf.tidy(() =>
      this.theta ? (tf.add(tf.exp(this.theta), this.minStd) as tf.Tensor1D) : tf.fill([this.D], this.decoderStd as number),
    );
  }

  /** Data as the encoder sees it: 8-bit levels scaled to [0, 1], other kinds as they are. */
  encoderInput(x: tf.Tensor2D): tf.Tensor2D {
    return this.kind === 'logistic' ? tf.div(x, LEVELS - 1) : x;
  }

  /** Rejects values the distribution cannot score (a silent wrong answer otherwise). */
  checkData(model: string, x: Float32Array): void {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const ok = this.kind === 'bernoulli' ? v === 0 || v === 1 : this.kind === 'logistic' ? Number.isInteger(v) && v >= 0 && v < LEVELS : Number.isFinite(v);
      if (!ok) {
        const want = this.kind === 'bernoulli' ? 'binary (0 or 1; binarize intensities with --binarize)' : this.kind === 'logistic' ? 'an integer in 0..255' : 'finite';
        throw new UserError(`${model}: value ${v} at index ${i} is not ${want} (decoder '${this.kind}')`);
      }
    }
  }

  /** log p(x|z) per sample and example: x [B, D], out [S, B, D] -> [S, B]. */
  logProb(x: tf.Tensor2D, out: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [S, B, D] = out.shape;
      const target = tf.reshape(x, [1, B, D]); // broadcast over the S samples
      if (this.kind === 'bernoulli') return tf.sum(tf.sub(tf.mul(target, out), tf.softplus(out)), 2) as tf.Tensor2D;
      const spread = this.spread(); // [D]
      const logSpread = tf.log(spread);
      if (this.kind === 'gaussian') {
        const zs = tf.div(tf.sub(target, out), spread); // [S, B, D]
        const quadratic = tf.mul(tf.sum(tf.square(zs), 2), -0.5); // [S, B]
        return tf.sub(quadratic, tf.add(tf.sum(logSpread), 0.5 * D * LOG_2PI)) as tf.Tensor2D;
      }
      // Discretized logistic on levels k / 255, bins of half-width h = 1/2 / 255:
      // a = (x + h - mu) / s, b = (x - h - mu) / s;  log F(a) = -softplus(-a), log(1 - F(b)) = -softplus(b),
      // log(F(a) - F(b)) = -softplus(-a) - softplus(b) + log(1 - exp(-(a - b))) with a - b = 2h / s.
      const h = 0.5 / (LEVELS - 1);
      const u = tf.div(target, LEVELS - 1); // [1, B, D], in [0, 1]
      const low = tf.cast(tf.equal(target, 0), 'float32'); // x = 0 takes (-inf, h]
      const high = tf.cast(tf.equal(target, LEVELS - 1), 'float32'); // x = 255 takes [1 - h, inf)
      const inverse = tf.reciprocal(spread);
      const centred = tf.sub(u, out); // [S, B, D]
      const a = tf.mul(tf.add(centred, h), inverse);
      const b = tf.mul(tf.sub(centred, h), inverse);
      const binWidth = log1mExp(tf.mul(inverse, 2 * h)); // [D]
      const logp = tf.add(
        tf.add(tf.mul(tf.softplus(tf.neg(a)), tf.sub(high, 1)), tf.mul(tf.softplus(b), tf.sub(low, 1))),
        tf.mul(tf.sub(tf.sub(1, low), high), binWidth),
      );
      return tf.sum(logp, 2) as tf.Tensor2D;
    });
  }

  /**
   * E[x|z] in data units, [N, D] -> [N, D]: Bernoulli probabilities; Gaussian means (clipped to
   * [0, 1] when dequantized); for the logistic, the location clipped to [0, 1] times 255 (its
   * mean up to the mass the end bins collect).
   */
  mean(out: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      if (this.kind === 'bernoulli') return tf.sigmoid(out);
      if (this.kind === 'logistic') return tf.mul(tf.clipByValue(out, 0, 1), LEVELS - 1);
      return this.dequantize ? tf.clipByValue(out, 0, 1) : out;
    });
  }

  /** x ~ p(x|z) from decoder outputs [N * D] (host arrays, in place of `out`). */
  sample(out: Float32Array, rng: Rng): Float32Array {
    const D = this.D;
    if (this.kind === 'bernoulli') {
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < 1 / (1 + Math.exp(-out[i])) ? 1 : 0;
      return out;
    }
    const spreadTensor = this.spread();
    const spread = spreadTensor.dataSync();
    spreadTensor.dispose();
    if (this.kind === 'gaussian') {
      const eps = standardNormals(rng, out.length);
      for (let i = 0; i < out.length; i++) {
        const v = out[i] + spread[i % D] * eps[i];
        out[i] = this.dequantize ? quantize(v) : v;
      }
      return out;
    }
    for (let i = 0; i < out.length; i++) {
      let p = rng.uniform();
      while (p === 0) p = rng.uniform();
      const v = out[i] + spread[i % D] * Math.log(p / (1 - p)); // logistic(mu, s)
      out[i] = Math.min(LEVELS - 1, Math.max(0, Math.round(v * (LEVELS - 1))));
    }
    return out;
  }
}
