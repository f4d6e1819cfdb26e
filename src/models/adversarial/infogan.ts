/**
 * InfoGAN (Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information
 * Maximizing Generative Adversarial Nets", NeurIPS). G's input is noise z and a structured code c
 * (here one `categories`-way categorical code and `continuousCodes` codes ~ U(-1, 1), their MNIST
 * setting, Sec. 7.1); the game is played with a mutual-information regulariser
 *
 *   min_{G,Q} max_D V(D, G) - lambda L_I(G, Q),                                           (Eq. 6)
 *   L_I(G, Q) = E_{c ~ p(c), x ~ G(z, c)}[log Q(c | x)] + H(c) <= I(c; G(z, c)),           (Eq. 5)
 *
 * a variational lower bound whose Q shares D's body and adds one head (Sec. 6): softmax logits for
 * the categorical code, and the means of a unit-variance Gaussian for each continuous code. G and
 * Q (D's group holds the Q head and the shared body) both minimise -L_I, with the categorical term
 * weighted by `infoWeight` and the continuous ones by `infoWeight * continuousWeight` (the paper
 * uses a smaller lambda for continuous codes, Sec. 7). The logged `mutualInformationBound` is the
 * categorical part of L_I in nats, log(categories) minus the cross-entropy (at most log 10 = 2.30).
 *
 * `genlab traverse RUN` varies one code at a time with z and the other codes fixed (their Fig. 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { CodeModel, LatentCode } from '../capabilities.js';
import { defaultsOf, defineOptions } from '../options.js';
import { labelsOrUniform } from './conditioning.js';
import { Gan, GAN_OPTIONS, type Conditions, type DiscriminatorOutputs, type GanConfig } from './gan.js';

export interface InfoganConfig extends GanConfig {
  /** Categories of the categorical code (10, one per MNIST digit in the paper). */
  categories: number;
  /** Continuous codes ~ U(-1, 1) (2: width and rotation on MNIST in the paper). */
  continuousCodes: number;
  /** lambda of Eq. 6 for the categorical code (1, the paper's for discrete codes). */
  infoWeight: number;
  /** The continuous codes' lambda as a fraction of `infoWeight` (0.1). */
  continuousWeight: number;
}

export const INFOGAN_OPTIONS = defineOptions<InfoganConfig>({
  ...GAN_OPTIONS,
  categories: { type: 'int', default: 10, min: 2, help: 'categories of the categorical code' },
  continuousCodes: { type: 'int', default: 2, min: 0, help: 'continuous codes ~ U(-1, 1)' },
  infoWeight: { type: 'number', default: 1, min: 0, help: 'lambda of the mutual-information bound (categorical code)' },
  continuousWeight: { type: 'number', default: 0.1, min: 0, help: "the continuous codes' lambda, as a fraction of infoWeight" },
});

export const INFOGAN_DEFAULTS: Readonly<InfoganConfig> = defaultsOf(INFOGAN_OPTIONS);

export class Infogan extends Gan<InfoganConfig> implements CodeModel {
  readonly codes: readonly LatentCode[];

  constructor(config: InfoganConfig, inputShape: number[]) {
    const { categories: K, continuousCodes: C } = config;
    check(Number.isInteger(K) && K >= 2 && Number.isInteger(C) && C >= 0, () => `infogan: categories must be an integer >= 2 and continuousCodes >= 0, got ${K}, ${C}`);
    super('infogan', config, inputShape, { generatorCondition: K + C, discriminatorCondition: 0, heads: { q: K + C } });
    this.codes = [
      { name: 'category', kind: 'categorical', size: K },
      ...Array.from({ length: C }, (_, i) => ({ name: `continuous${i + 1}`, kind: 'continuous' as const, size: 1 })),
    ];
  }

  /** c = [one-hot category, continuous codes]; `labels`, when given, fix the category. */
  protected override drawConditions(n: number, rng: Rng, labels?: Int32Array): Conditions {
    const { categories: K, continuousCodes: C } = this.config;
    const category = labelsOrUniform(n, K, rng, labels);
    const codes = new Float32Array(n * (K + C));
    for (let i = 0; i < n; i++) {
      codes[i * (K + C) + category[i]] = 1;
      for (let j = 0; j < C; j++) codes[i * (K + C) + K + j] = 2 * rng.uniform() - 1;
    }
    return { generator: codes, codes, labels: category };
  }

  /** -lambda L_I (without the constant H(c)) for both players: Q reads the code back from G's sample. */
  protected override extraTerms(player: 'discriminator' | 'generator', fake: DiscriminatorOutputs, fakeConditions: Conditions): Record<string, tf.Scalar> {
    const { categories: K, continuousCodes: C, infoWeight, continuousWeight } = this.config;
    return tf.tidy(() => {
      const n = fakeConditions.labels!.length;
      const codes = tf.tensor2d(fakeConditions.codes!, [n, K + C]);
      const q = fake.heads.q; // [B, K + C]
      const categorical = tf.neg(tf.mean(tf.sum(tf.mul(tf.slice(codes, [0, 0], [n, K]), tf.logSoftmax(tf.slice(q, [0, 0], [n, K]))), 1))) as tf.Scalar;
      const terms: Record<string, tf.Scalar> = { [`${player}InfoCategorical`]: tf.mul(categorical, infoWeight) as tf.Scalar };
      if (C > 0) {
        // -log N(c; mu, 1) up to a constant: 1/2 (c - mu)^2 per code, summed.
        const continuous = tf.mean(tf.sum(tf.mul(0.5, tf.square(tf.sub(tf.slice(codes, [0, K], [n, C]), tf.slice(q, [0, K], [n, C])))), 1)) as tf.Scalar;
        terms[`${player}InfoContinuous`] = tf.mul(continuous, infoWeight * continuousWeight) as tf.Scalar;
      }
      return terms;
    });
  }

  /** The categorical part of L_I in nats, H(c) - cross-entropy, from the generator's last minibatch. */
  override async trainStep(...args: Parameters<Gan<InfoganConfig>['trainStep']>) {
    const metrics = await super.trainStep(...args);
    const ce = metrics.generatorInfoCategorical;
    if (ce !== undefined && this.config.infoWeight > 0) metrics.mutualInformationBound = Math.log(this.config.categories) - ce / this.config.infoWeight;
    return metrics;
  }

  async generateWithCodes(z: Float32Array, values: Float32Array, n: number): Promise<Float32Array> {
    const { categories: K, continuousCodes: C, latent } = this.config;
    check(z.length === n * latent && values.length === n * (1 + C), () => `infogan.generateWithCodes: ${n} samples need ${n * latent} noise values and ${n * (1 + C)} code values, got ${z.length} and ${values.length}`);
    // c = [one-hot category, continuous codes], as drawConditions builds it.
    const codes = new Float32Array(n * (K + C));
    for (let i = 0; i < n; i++) {
      const category = values[i * (1 + C)];
      check(Number.isInteger(category) && category >= 0 && category < K, () => `infogan: category must be an integer in 0..${K - 1}, got ${category}`);
      codes[i * (K + C) + category] = 1;
      for (let j = 0; j < C; j++) codes[i * (K + C) + K + j] = values[i * (1 + C) + 1 + j];
    }
    const x = this.generateTensor(z, { generator: codes }, n, 'eval');
    const out = (await x.data()) as Float32Array;
    x.dispose();
    return out;
  }

  async traverseCode(code: string, rows: number, values: number, rng: Rng, range = 2): Promise<Float32Array> {
    const index = this.codes.findIndex((c) => c.name === code);
    check(index >= 0, () => `infogan has no code '${code}'; its codes: ${this.codes.map((c) => c.name).join(', ')}`);
    const { categories: K, continuousCodes: C, latent } = this.config;
    const categorical = this.codes[index].kind === 'categorical';
    const steps = categorical ? K : values;
    const n = rows * steps;
    const z = new Float32Array(n * latent);
    const base = this.drawConditions(rows, rng);
    const codes = new Float32Array(n * (K + C));
    for (let r = 0; r < rows; r++) {
      const zRow = this.drawNoise(1, rng);
      for (let v = 0; v < steps; v++) {
        const i = r * steps + v;
        z.set(zRow, i * latent);
        const row = codes.subarray(i * (K + C), (i + 1) * (K + C));
        row.set(base.codes!.subarray(r * (K + C), (r + 1) * (K + C)));
        if (categorical) {
          row.fill(0, 0, K);
          row[v] = 1;
        } else {
          row[K + index - 1] = steps === 1 ? 0 : -range + (2 * range * v) / (steps - 1);
        }
      }
    }
    const x = this.generateTensor(z, { generator: codes }, n, 'eval');
    const out = (await x.data()) as Float32Array;
    x.dispose();
    return out;
  }
}
