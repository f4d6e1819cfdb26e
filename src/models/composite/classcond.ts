/**
 * The generative classifier: one density model per class and the class prior, combined by Bayes'
 * rule (Ng & Jordan 2001, "On Discriminative vs. Generative Classifiers"; Bishop 2006, Sec. 4.2,
 * Eq. 4.57; with an `independent` base it is naive Bayes, Bishop Sec. 8.2.2):
 *
 *   p(y | x) = p(x | y) p(y) / sum_y' p(x | y') p(y')
 *   log p(x) = logsumexp_y [log p(x | y) + log p(y)]
 *
 * Any registered model with a density (or a bound on one) is the base: K copies of it, one per
 * class, each fit to its class's examples only, and the prior p(y) estimated from the training label
 * counts with one pseudo-count per class (Laplace), so a class absent from the data keeps a finite
 * log-prior. Unlike a discriminative classifier, the model also says how probable x is at all, so it
 * may refuse to answer: `bayesClassify` (src/eval/bayes.ts) rejects an input whose best class
 * likelihood max_y log p(x | y) falls below a threshold (`genlab classify`).
 *
 * Training: the classes' parameters are disjoint, so one loss
 *   loss(batch) = sum_c (n_c / n) * loss_c(examples of class c in the batch)
 * over one parameter group is the sum of K independent problems, each weighted by its share of the
 * batch: the gradient for class c's parameters is that of its own loss on its own examples. Counting
 * bases (tabular) get their class's examples in `trainStep` instead.
 *
 * As a conditional model (`ConditionalModel`), a batch with labels is scored by log p(x | y) (as
 * `genlab eval` scores cvae) and `sample` draws the classes asked for; without labels `logProb` is the
 * marginal log p(x) above and `sample` draws y from the prior first (ancestral sampling). Cost: K
 * base models' parameters; scoring the marginal or classifying runs every base on every input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check, UserError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { subset, type Dataset } from '../../data/dataset.js';
import { logSumExp } from '../../distributions/math.js';
import { hasBound, hasDensity, isConditional, type ConditionalModel, type DensityKind, type DensityModel } from '../capabilities.js';
import type { Batch, GenerativeModel, LossTerms, NamedArray, ParameterGroup, SampleOptions, StepContext, StepMetrics, TrainContext } from '../model.js';
import { defineOptions, type OptionDeclaration } from '../options.js';

export interface ClassCondConfig {
  /** The registry name of the per-class model p(x | y): one with a density or a bound on one. */
  base: string;
  /** The base model's options (a partial config, checked against the base's own declaration). */
  baseConfig: Record<string, unknown>;
  /** Classes K: one base model each. */
  numClasses: number;
}

/**
 * The declaration, given the registry's model names (the choices of `base`; which of them have a
 * density is checked when the model is built, by the capability guards).
 */
export function classCondOptions(bases: readonly string[]): OptionDeclaration<ClassCondConfig> {
  return defineOptions<ClassCondConfig>({
    base: {
      type: 'choice',
      default: 'made',
      choices: bases,
      help: 'the model p(x|y) fit to each class: any model with a density or a bound (independent: naive Bayes)',
    },
    baseConfig: { type: 'object', default: {}, help: 'the base model\'s options as JSON, e.g. {"hidden": [500]} (checked against its own options)' },
    numClasses: { type: 'int', default: 10, min: 2, help: 'classes K, one base model each', fromData: 'the classes of the labels' },
  });
}

/**
 * log p(y) from label counts with one pseudo-count per class: log((n_y + 1) / (n + K)). Labels
 * outside 0..K-1 are a user error.
 */
export function logClassPrior(labels: ArrayLike<number>, numClasses: number): Float64Array {
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < numClasses)) throw new UserError(`label ${y} of example ${i} is not a class 0..${numClasses - 1}`);
    counts[y]++;
  }
  return counts.map((c) => Math.log((c + 1) / (labels.length + numClasses)));
}

/** A batch's examples of each class: `index[c]` their positions in the batch, `batch[c]` them. */
interface ClassParts {
  index: Int32Array[];
  batch: (Batch | undefined)[];
}

export class ClassCond implements GenerativeModel, DensityModel, ConditionalModel {
  readonly name = 'classcond';
  readonly numClasses: number;
  readonly densityKind: DensityKind;
  readonly config: ClassCondConfig;
  /** log p(y), [K]: uniform until `beginTraining` counts the labels; a checkpoint keeps it. */
  readonly logPrior: Float64Array;
  /** One base model per class, class c's variables named `class{c}/...` in checkpoints. */
  private readonly models: GenerativeModel[] = [];
  /** Whether the bases score with `bound` (bound-only bases) rather than `logProb`. */
  private readonly scoresWithBound: boolean;

  // Exactly one of `loss` (gradient bases) and `trainStep` (counting bases) is set, as the trainer requires.
  loss?: (batch: Batch, ctx: TrainContext) => LossTerms;
  trainStep?: (batch: Batch, ctx: StepContext) => Promise<StepMetrics>;
  parameterGroups?: () => Record<string, ParameterGroup>;

  /** `createBase` builds one unconditional base model (the registry's, with `config.baseConfig`). */
  constructor(
    config: ClassCondConfig,
    readonly inputShape: number[],
    createBase: () => GenerativeModel,
  ) {
    const K = config.numClasses;
    check(Number.isInteger(K) && K >= 2, `classcond: numClasses must be an integer >= 2, got ${K}`);
    this.config = { ...config, baseConfig: structuredClone(config.baseConfig) };
    this.numClasses = K;
    this.logPrior = new Float64Array(K).fill(-Math.log(K));
    try {
      // The first copy is checked before the others are built (a refused base costs one instance).
      const first = createBase();
      this.models.push(first);
      this.scoresWithBound = checkBase(config.base, first);
      for (let c = 1; c < K; c++) this.models.push(createBase());
      this.densityKind = this.scoresWithBound ? 'bound' : (first as GenerativeModel & DensityModel).densityKind;
      if (first.loss) {
        this.loss = (batch, ctx) => this.weightedLoss(batch, ctx);
        this.parameterGroups = () => this.mergedGroup();
      } else {
        this.trainStep = (batch, ctx) => this.countStep(batch, ctx);
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** The prior from the training labels, then each base's own start on its class's examples. */
  beginTraining(data: Dataset, rng: Rng): void {
    if (!data.labels) throw new UserError(`classcond fits one model per class and needs class labels; '${data.name}' has none`);
    this.logPrior.set(logClassPrior(data.labels, this.numClasses));
    const members: number[][] = Array.from({ length: this.numClasses }, () => []);
    data.labels.forEach((y, i) => members[y].push(i));
    this.models.forEach((m, c) => m.beginTraining?.(subset(data, members[c]), rng));
  }

  /** log p(x | y = c) for every example and class, [n * K] example-major. */
  async classLogLikelihoods(batch: Batch, rng: Rng): Promise<Float64Array> {
    const K = this.numClasses;
    const out = new Float64Array(batch.n * K);
    for (let c = 0; c < K; c++) {
      const scores = await this.score(c, { x: batch.x, n: batch.n }, rng);
      for (let i = 0; i < batch.n; i++) out[i * K + c] = scores[i];
    }
    return out;
  }

  /** With labels: log p(x | y) per example; without: log p(x) = logsumexp_y [log p(x|y) + log p(y)]. */
  async logProb(batch: Batch, rng: Rng): Promise<Float64Array> {
    const out = new Float64Array(batch.n);
    if (batch.labels) {
      const parts = this.byClass(batch);
      for (let c = 0; c < this.numClasses; c++) {
        const part = parts.batch[c];
        if (!part) continue;
        const scores = await this.score(c, part, rng);
        parts.index[c].forEach((i, j) => (out[i] = scores[j]));
      }
      return out;
    }
    const K = this.numClasses;
    const joint = await this.classLogLikelihoods(batch, rng);
    for (let i = 0; i < batch.n; i++) {
      for (let c = 0; c < K; c++) joint[i * K + c] += this.logPrior[c];
      out[i] = logSumExp(joint, i * K, (i + 1) * K);
    }
    return out;
  }

  /** Class y's model for each sample: `options.labels`, else y drawn from the prior. */
  async sample(n: number, rng: Rng, options: SampleOptions = {}): Promise<Float32Array> {
    const labels = options.labels ?? this.drawClasses(n, rng);
    check(labels.length === n, () => `classcond: ${labels.length} labels for ${n} samples`);
    const D = this.inputShape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n * D);
    const parts = this.byClass({ x: new Float32Array(0), n, labels }, false);
    const { labels: _, ...baseOptions } = options;
    for (let c = 0; c < this.numClasses; c++) {
      const index = parts.index[c];
      if (index.length === 0) continue;
      const drawn = await this.models[c].sample(index.length, rng, baseOptions);
      index.forEach((i, j) => out.set(drawn.subarray(j * D, (j + 1) * D), i * D));
    }
    return out;
  }

  getConfig(): Record<string, unknown> {
    return structuredClone(this.config) as unknown as Record<string, unknown>;
  }

  getWeights(): NamedArray[] {
    const prior: NamedArray = { name: 'logPrior', shape: [this.numClasses], dtype: 'float32', data: Float32Array.from(this.logPrior) };
    return [...this.models.flatMap((m, c) => m.getWeights().map((w) => ({ ...w, name: `class${c}/${w.name}` }))), prior];
  }

  setWeights(weights: NamedArray[]): void {
    const prior = weights.find((w) => w.name === 'logPrior');
    if (!prior || prior.data.length !== this.numClasses) throw new Error(`classcond: checkpoint has no logPrior of ${this.numClasses} classes`);
    this.models.forEach((m, c) => {
      const prefix = `class${c}/`;
      m.setWeights(weights.filter((w) => w.name.startsWith(prefix)).map((w) => ({ ...w, name: w.name.slice(prefix.length) })));
    });
    this.logPrior.set(prior.data);
  }

  dispose(): void {
    for (const m of this.models) m.dispose();
  }

  /** Class c's model's score of a batch: its log p(x), or its bound for a bound-only base. */
  private async score(c: number, batch: Batch, rng: Rng): Promise<Float64Array> {
    const model = this.models[c];
    if (this.scoresWithBound && hasBound(model)) return (await model.bound(batch, rng)).bound;
    if (hasDensity(model)) return model.logProb(batch, rng);
    throw new Error('classcond: the base lost its density');
  }

  /** sum_c (n_c / n) loss_c over the batch's classes: the mean of every example's own class loss. */
  private weightedLoss(batch: Batch, ctx: TrainContext): LossTerms {
    const parts = this.byClass(batch);
    const sums: Record<string, tf.Scalar> = {};
    for (let c = 0; c < this.numClasses; c++) {
      const part = parts.batch[c];
      if (!part) continue;
      const terms = this.models[c].loss!(part, ctx);
      for (const [name, value] of Object.entries(terms)) {
        const term = tf.mul(value, part.n / batch.n) as tf.Scalar;
        sums[name] = sums[name] ? (tf.add(sums[name], term) as tf.Scalar) : term;
      }
    }
    return sums as LossTerms;
  }

  /** Counting bases: each class's model counts its class's examples; the loss is their weighted mean. */
  private async countStep(batch: Batch, ctx: StepContext): Promise<StepMetrics> {
    const parts = this.byClass(batch);
    const metrics: Record<string, number> = {};
    for (let c = 0; c < this.numClasses; c++) {
      const part = parts.batch[c];
      if (!part) continue;
      const m = await this.models[c].trainStep!(part, ctx);
      for (const [name, value] of Object.entries(m)) metrics[name] = (metrics[name] ?? 0) + (value * part.n) / batch.n;
    }
    return metrics as StepMetrics;
  }

  /** The bases' one group each, merged (names prefixed by class), with the base's own settings. */
  private mergedGroup(): Record<string, ParameterGroup> {
    const variables = new Map<string, tf.Variable>();
    let settings: Omit<ParameterGroup, 'variables'> = {};
    this.models.forEach((m, c) => {
      const [group] = Object.values(m.parameterGroups!());
      const { variables: own, ...rest } = group;
      settings = rest;
      for (const [name, v] of own) variables.set(`class${c}/${name}`, v);
    });
    return { main: { variables, ...settings } };
  }

  /** Splits a batch by label; `withValues` false when only the positions are needed (sampling). */
  private byClass(batch: Batch, withValues = true): ClassParts {
    const K = this.numClasses;
    const labels = batch.labels;
    if (!labels) throw new UserError('classcond is conditional: it needs class labels (the data set has none)');
    check(labels.length === batch.n, () => `classcond: ${labels.length} labels for ${batch.n} examples`);
    const members: number[][] = Array.from({ length: K }, () => []);
    for (let i = 0; i < batch.n; i++) {
      const y = labels[i];
      if (!(Number.isInteger(y) && y >= 0 && y < K)) throw new UserError(`classcond: label ${y} is not a class 0..${K - 1}`);
      members[y].push(i);
    }
    const D = batch.x.length / Math.max(1, batch.n);
    const index = members.map((m) => Int32Array.from(m));
    const parts = index.map((idx): Batch | undefined => {
      if (!withValues || idx.length === 0) return undefined;
      const x = new Float32Array(idx.length * D);
      idx.forEach((i, j) => x.set(batch.x.subarray(i * D, (i + 1) * D), j * D));
      return { x, n: idx.length };
    });
    return { index, batch: parts };
  }

  /** n classes drawn from the prior p(y). */
  private drawClasses(n: number, rng: Rng): Int32Array {
    const p = Array.from(this.logPrior, Math.exp);
    const total = p.reduce((a, b) => a + b, 0);
    return Int32Array.from({ length: n }, () => {
      let u = rng.uniform() * total;
      for (let c = 0; c < p.length - 1; c++) if ((u -= p[c]) < 0) return c;
      return p.length - 1;
    });
  }
}

/**
 * Refuses a base that cannot be a class density: implicit models, conditional ones, those scored
 * in other units (dequantized) and multi-phase ones. Returns whether it scores with its bound.
 */
function checkBase(base: string, model: GenerativeModel): boolean {
  if (!hasDensity(model) && !hasBound(model)) {
    throw new UserError(`classcond: base ${base} has no density or bound to score p(x|y) with; choose a model with a likelihood (e.g. made, nade, independent)`);
  }
  if (isConditional(model)) throw new UserError(`classcond: base ${base} is itself conditional; choose an unconditional model, one is fit per class`);
  if ((model.getConfig() as { dequantize?: unknown }).dequantize === true) {
    throw new UserError(`classcond: base ${base} is trained on dequantized data, whose densities need a shift to compare; use --binarize or a binary model`);
  }
  if (model.trainStep && model.parameterGroups) {
    throw new UserError(`classcond: base ${base} trains in several phases (its own trainStep); choose a single-loss or counting model`);
  }
  if (model.loss && Object.keys(model.parameterGroups?.() ?? {}).length !== 1) {
    throw new UserError(`classcond: base ${base} has several parameter groups; choose a model with one`);
  }
  return !hasDensity(model);
}
