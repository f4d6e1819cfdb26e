/**
 * Observation models p(x|z) of a decoder network: the distribution of the data given the decoder's
 * outputs, factorised over the D values, as the latent-variable models (../models/latent) use it:
 *
 *   'bernoulli' for binary data, the decoder outputting logits;
 *   'gaussian'  for real values or [0, 1] intensities, the decoder outputting means, one sigma per
 *               dimension (fixed or learned);
 *   'logistic'  for 8-bit levels 0..255, a discretized logistic (Kingma et al. 2016, "Improved
 *               Variational Inference with Inverse Autoregressive Flow"; Salimans et al.
 *               2017, "PixelCNN++", Eq. 2, with one mixture component), the decoder outputting
 *               locations on [0, 1], one scale per dimension.
 *
 * The learned spread is a variable named 'decoder/logStd' (a checkpoint key: do not rename it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../core/errors.js';
import { standardNormals, type Rng } from '../core/rng.js';
import type { Parameters } from '../nn/parameters.js';
import { LEVELS, quantize } from '../data/dequantize.js';
import { LOG_2PI } from './math.js';

/** The observation model of the header: 'bernoulli', 'gaussian' or 'logistic'. */
export type DecoderKind = 'bernoulli' | 'gaussian' | 'logistic';
export const DECODERS: readonly DecoderKind[] = ['bernoulli', 'gaussian', 'logistic'];

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
