/**
 * Density: draw a digit (or load a test image), score it by the run's model, and see where its
 * log p(x) falls among the test slice's: a percentile near 0 marks an input the model finds less
 * likely than almost every test example, an anomaly. The drawing is brought to the run's values as
 * `genlab score` brings a PNG (`prepareInput`: binary models threshold the intensity at 0.5, 8-bit
 * models take 0..255), and scored as `genlab anomaly` scores (`negativeLogLikelihoods`: exact,
 * estimate or bound as the model has, dequantized models in 8-bit units, conditional models by their
 * marginal over the training classes). Models that complete (`CompletionModel`) fill in what the
 * eraser marks, K completions side by side, as `genlab complete` does.
 */
import {
  bitsPerDim,
  canComplete,
  completeEach,
  hasBound,
  hasDensity,
  isConditional,
  negativeLogLikelihoods,
  percentileRank,
  prepareInput,
  regionMask,
  Rng,
  type Dataset,
  type DensityKind,
  type GenerativeModel,
} from '../../../src/index.js';
import { examples } from '../data.js';
import type { StudioRun } from '../protocol.js';
import type { Studio, View } from '../studio.js';
import { button, canvasPixel, drawSamples, el, field, yieldToPage } from '../ui.js';

/** Screen pixels per image pixel on the drawing canvas. */
const ZOOM = 10;
/** Importance samples of a VAE's log p(x) estimate in the page (the run's default, 5000, takes minutes here). */
const PAGE_EVAL_SAMPLES = 100;
/** Test examples scored between two yields to the page. */
const SCORE_CHUNK = 50;

/** What each density kind means, in the words `genlab score` prints beside it. */
const KIND_TEXT: Record<DensityKind, string> = {
  exact: 'exact log p(x)',
  estimate: 'an importance-sampled estimate of log p(x)',
  bound: 'a lower bound on log p(x)',
};

type ScoreBy = 'density' | 'bound';

let density: DensityView | undefined;

export const densityView: View = {
  id: 'density',
  title: 'Density',
  mount(root, studio) {
    const view = (density = new DensityView(root, studio));
    studio.onRun(() => view.runChanged());
  },
  shown() {
    density?.shown();
  },
};

interface Scorer {
  model: GenerativeModel;
  /** Whether this view built the model (a cheaper estimate's copy) and must dispose it. */
  owned: boolean;
  /** How the scores are computed, for the readout. */
  how: string;
  /** For conditional models: p(k), the training labels' frequencies. */
  classPrior?: Float64Array;
}

class DensityView {
  private readonly info = el('div', { id: 'density-info', class: 'readout' });
  private readonly scoreBy = el('select', { id: 'density-score-by' }, el('option', { value: 'density' }, 'log p(x) estimate'), el('option', { value: 'bound' }, 'bound (ELBO)'));
  private readonly scoreByRow = field('score by', this.scoreBy, 'a VAE scores by its importance-sampled estimate, or by its ELBO (one pass, a lower bound)');
  private readonly canvas = el('canvas', { id: 'density-canvas', width: '280', height: '280' });
  private readonly brush = el('select', { id: 'density-brush' }, el('option', { value: 'ink' }, 'ink'), el('option', { value: 'erase' }, 'erase (mark missing)'));
  private readonly brushRow = field('brush', this.brush, 'ink draws; erase marks pixels for the model to complete');
  private readonly index = el('input', { id: 'density-index', type: 'number', value: '0', min: '0' });
  private readonly referenceCount = el('input', { id: 'density-reference-n', type: 'number', value: '500', min: '1' });
  private readonly completions = el('input', { id: 'density-k', type: 'number', value: '4', min: '1', max: '16' });
  private readonly score = el('div', { id: 'density-score', class: 'readout' });
  private readonly percentile = el('div', { id: 'density-percentile', class: 'readout' });
  private readonly reference = el('div', { id: 'density-reference', class: 'readout' });
  private readonly completed = el('canvas', { id: 'density-completions', width: '1', height: '1' });
  private readonly completionBox = el('div', {});
  private readonly controls = el('div', {});
  private readonly figures = el('div', { class: 'figures' });

  /** Bumped when the run changes: work begun for an older run stops at its next await. */
  private token = 0;
  private stale = true;
  private shape: [number, number] = [28, 28];
  /** The drawing: intensities 0..255, [H * W]. */
  private ink = new Float32Array(28 * 28);
  /** 1 where the eraser marked a pixel missing, [H * W]. */
  private missing = new Uint8Array(28 * 28);
  private scorer?: Promise<Scorer>;
  private referenceScores?: Reference;
  private pen?: [number, number];
  private completionSeed = 0;

  constructor(private readonly root: HTMLElement, private readonly studio: Studio) {
    this.scoreBy.addEventListener('change', () => {
      this.referenceScores = undefined;
      void this.guard(this.token, () => this.describe(this.token));
    });
    this.canvas.addEventListener('mousedown', (e) => {
      this.pen = this.gridPoint(e);
      this.paint(this.pen, this.pen);
    });
    window.addEventListener('mousemove', (e) => {
      if (!this.pen) return;
      const next = this.gridPoint(e);
      this.paint(this.pen, next);
      this.pen = next;
    });
    window.addEventListener('mouseup', () => (this.pen = undefined));

    this.completionBox.append(
      el('h2', {}, 'Completion'),
      this.brushRow,
      field('completions', this.completions, 'K completions of the erased pixels'),
      el(
        'div',
        { class: 'buttons' },
        button('Erase top half', 'density-erase-top', () => this.eraseHalf('top')),
        button('Erase bottom half', 'density-erase-bottom', () => this.eraseHalf('bottom')),
        button('Complete', 'density-complete', () => void this.guard(this.token, () => this.complete(this.token))),
      ),
    );
    this.controls.append(
      this.scoreByRow,
      el('div', { class: 'buttons' }, button('Clear', 'density-clear', () => this.clear()), button('Load test image', 'density-load', () => void this.guard(this.token, () => this.load()))),
      field('test image k', this.index, 'index into the test slice'),
      field('reference', this.referenceCount, 'percentiles against the first N test examples'),
      el('div', { class: 'buttons' }, button('Score', 'density-score-button', () => void this.guard(this.token, () => this.scoreDrawing(this.token)))),
      this.completionBox,
    );
    this.figures.append(
      el('div', {}, el('h2', {}, 'Draw here'), this.canvas),
      el('div', {}, el('h2', {}, 'Score'), this.score, this.percentile, this.reference),
      el('div', {}, el('h2', {}, 'Completions'), this.completed),
    );
    root.append(el('div', { class: 'panel' }, el('h2', {}, 'Density'), this.info, this.controls), this.figures);
    this.redraw();
  }

  shown(): void {
    if (this.stale) void this.guard(this.token, () => this.refresh(this.token));
  }

  runChanged(): void {
    this.token++;
    this.stale = true;
    const old = this.scorer;
    this.scorer = undefined;
    this.referenceScores = undefined;
    void old?.then((s) => s.owned && s.model.dispose(), () => {});
    // Work for a hidden view waits until its tab is opened.
    if (this.root.classList.contains('active')) void this.guard(this.token, () => this.refresh(this.token));
  }

  private async guard(token: number, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      // A superseded computation (another run, another reference) is not an error.
      if (token === this.token && !(e instanceof Stale)) this.studio.status(`density: ${(e as Error).message}`, true);
    }
  }

  private async refresh(token: number): Promise<void> {
    this.stale = false;
    for (const node of [this.score, this.percentile, this.reference]) {
      node.textContent = '';
      for (const key of Object.keys(node.dataset)) delete node.dataset[key];
    }
    const run = this.studio.run;
    this.controls.hidden = true;
    this.figures.hidden = true;
    if (!run) {
      this.setInfo('none', 'No run yet: train one under Train, and score drawings by its model here.');
      return;
    }
    const { shape } = run.checkpoint.info.data;
    if (shape.length !== 3 || shape[2] !== 1) {
      this.setInfo('none', `The density view draws gray images; ${run.config.data.spec}'s examples have shape [${shape.join(', ')}].`);
      return;
    }
    const model = await this.studio.currentModel();
    if (token !== this.token) return;
    if (!hasDensity(model) && !hasBound(model)) {
      this.setInfo('none', `${model.name} is an implicit model: it samples, but has no log p(x) to score a drawing by (the density models show 'exact', 'estimate' or 'bound' under 'genlab models').`);
      return;
    }
    if (shape[0] !== this.shape[0] || shape[1] !== this.shape[1]) {
      this.shape = [shape[0], shape[1]];
      this.ink = new Float32Array(shape[0] * shape[1]);
      this.missing = new Uint8Array(shape[0] * shape[1]);
      this.canvas.width = shape[1] * ZOOM;
      this.canvas.height = shape[0] * ZOOM;
    }
    this.controls.hidden = false;
    this.figures.hidden = false;
    this.scoreByRow.hidden = !(hasDensity(model) && model.densityKind === 'estimate' && hasBound(model));
    this.completionBox.hidden = !canComplete(model) || isConditional(model);
    this.redraw();
    await this.describe(token);
    // The test slice's scores are computed once per run (and per way of scoring), ready for the first score.
    void this.guard(token, async () => void (await this.referenceFor(token)));
  }

  private setInfo(kind: DensityKind | 'none', text: string): void {
    this.info.dataset.kind = kind;
    this.info.textContent = text;
  }

  private async describe(token: number): Promise<void> {
    const scorer = await this.getScorer();
    if (token !== this.token) return;
    const completes = canComplete(scorer.model) ? (isConditional(scorer.model) ? ' It completes, but needs a class to, which this view does not ask for.' : ' It completes: erase part of the drawing and press Complete.') : '';
    const kind = this.kindOf(scorer.model);
    this.setInfo(kind, `${scorer.model.name}: kind ${kind}, ${scorer.how}.${completes}`);
  }

  /** The kind a score will have: the model's own, or 'bound' when scoring by the ELBO or on dequantized data. */
  private kindOf(model: GenerativeModel): DensityKind {
    if (this.by(model) === 'bound' || (model.getConfig() as { dequantize?: boolean }).dequantize) return 'bound';
    return hasDensity(model) ? model.densityKind : 'bound';
  }

  private by(model: GenerativeModel): ScoreBy {
    return !hasDensity(model) || (!this.scoreByRow.hidden && this.scoreBy.value === 'bound') ? 'bound' : 'density';
  }

  /** The model that scores: the run's, or for an importance-sampled estimate a copy with fewer samples. */
  private getScorer(): Promise<Scorer> {
    return (this.scorer ??= (async () => {
      const run = this.studio.requireRun();
      const model = await this.studio.currentModel();
      const classPrior = isConditional(model) ? await this.trainClassPrior(model.numClasses) : undefined;
      const overrides = cheaperEstimate(run);
      if (!hasDensity(model) || model.densityKind !== 'estimate' || !overrides) {
        const how = !hasDensity(model)
          ? `${KIND_TEXT.bound} (its ELBO)`
          : `${KIND_TEXT[model.densityKind]}${(model.getConfig() as { dequantize?: boolean }).dequantize ? ', scored on dequantized values and shifted to 8-bit units (a bound)' : ''}`;
        return { model, owned: false, how: how + (classPrior ? ', marginal over the training classes' : ''), classPrior };
      }
      const copy = await this.studio.buildModel(overrides.config);
      return {
        model: copy,
        owned: true,
        how: `${KIND_TEXT.estimate} with k = ${PAGE_EVAL_SAMPLES} importance samples (the run's ${overrides.runSamples} would take minutes in a page), or its ELBO`,
        classPrior,
      };
    })());
  }

  private async trainClassPrior(K: number): Promise<Float64Array> {
    const labels = (await this.studio.currentData()).train.labels;
    const prior = new Float64Array(K).fill(1 / K);
    if (!labels?.length) return prior;
    prior.fill(0);
    for (const y of labels) prior[y] += 1 / labels.length;
    return prior;
  }

  /** -log p(x) of `data` as `genlab anomaly` scores it, in chunks that let the page breathe. */
  private async negLogLik(scorer: Scorer, data: Dataset, seed: number, live: () => boolean, progress?: (done: number) => void): Promise<Scores> {
    const out = new Float64Array(data.n);
    let kind: DensityKind = 'exact';
    for (let start = 0; start < data.n; start += SCORE_CHUNK) {
      const part = examples(data, start, SCORE_CHUNK);
      const r = await negativeLogLikelihoods(scorer.model, part, { seed: seed + start, bound: this.by(scorer.model) === 'bound', ...(scorer.classPrior && { classPrior: scorer.classPrior }) });
      if (!live()) throw new Stale();
      out.set(r.values, start);
      kind = r.kind;
      progress?.(start + part.n);
      if (start + SCORE_CHUNK < data.n) await yieldToPage();
    }
    return { values: out, kind };
  }

  /** log p(x) of the first N test examples, computed once per run and way of scoring. */
  private referenceFor(token: number): Promise<Scores> {
    const n = Math.max(1, Math.floor(Number(this.referenceCount.value)) || 500);
    const by = this.scoreBy.value as ScoreBy;
    if (this.referenceScores && this.referenceScores.by === by && this.referenceScores.n === n) return this.referenceScores.scores;
    // Another N or way of scoring supersedes a computation under way: it stops at its next chunk.
    const entry: Reference = { by, n, scores: Promise.resolve({ values: new Float64Array(0), kind: 'exact' }) };
    const live = (): boolean => token === this.token && this.referenceScores === entry;
    const scores = (async () => {
      const [scorer, data] = await Promise.all([this.getScorer(), this.studio.currentData()]);
      const test = examples(data.test, 0, n);
      this.reference.dataset.done = '0';
      const r = await this.negLogLik(scorer, test, 1, live, (done) => {
        this.reference.textContent = `scoring the first ${test.n} test examples: ${done} / ${test.n}…`;
        this.reference.dataset.done = String(done);
      });
      const logp = Float64Array.from(r.values, (v) => -v);
      const sorted = Float64Array.from(logp).sort();
      this.reference.textContent = `reference: ${test.n} test examples, log p(x) median ${sorted[Math.floor(test.n / 2)].toFixed(2)} nats (5%: ${sorted[Math.floor(0.05 * test.n)].toFixed(2)}, 95%: ${sorted[Math.min(test.n - 1, Math.floor(0.95 * test.n))].toFixed(2)})`;
      this.reference.dataset.n = String(test.n);
      return { values: logp, kind: r.kind };
    })();
    entry.scores = scores;
    this.referenceScores = entry;
    // A failed computation is not kept: the next score tries again.
    scores.catch(() => {
      if (this.referenceScores === entry) this.referenceScores = undefined;
    });
    return scores;
  }

  /** The drawing as the run's values: intensities thresholded at 0.5 for binary models, 0..255 for 8-bit ones. */
  private drawing(): Dataset {
    const info = this.studio.requireRun().checkpoint.info.data;
    return prepareInput({ name: 'drawing', x: this.ink.slice(), n: 1, shape: info.shape, kind: 'uint8' }, info.kind as Dataset['kind']);
  }

  private async scoreDrawing(token: number): Promise<void> {
    const scorer = await this.getScorer();
    const input = this.drawing();
    const D = input.x.length;
    const own = await this.negLogLik(scorer, input, 0, () => token === this.token);
    const logp = -own.values[0];
    const bpd = bitsPerDim(-logp, D);
    this.score.textContent = `log p(x) = ${logp.toFixed(2)} nats\n${bpd.toFixed(4)} bits/dim\nkind: ${own.kind}`;
    Object.assign(this.score.dataset, { logp: String(logp), bpd: String(bpd), kind: own.kind });
    this.percentile.textContent = 'percentile: waiting for the test scores…';
    let reference: Scores;
    for (;;) {
      try {
        reference = await this.referenceFor(token);
        break;
      } catch (e) {
        // Superseded while waiting (the reference N changed): wait for the new one.
        if (!(e instanceof Stale) || token !== this.token) throw e;
      }
    }
    if (token !== this.token) return;
    const pct = percentileRank(logp, reference.values);
    this.percentile.textContent = `percentile ${pct.toFixed(1)}: ${pct.toFixed(1)}% of the first ${reference.values.length} test examples have a lower log p(x)${pct < 1 ? ' (an anomaly to this model)' : ''}`;
    this.percentile.dataset.percentile = String(pct);
  }

  /** K completions of the erased pixels, side by side (`genlab complete`). */
  private async complete(token: number): Promise<void> {
    const { model } = await this.getScorer();
    if (!canComplete(model)) return;
    if (!this.missing.includes(1)) throw new Error('nothing to complete: erase part of the drawing first (the eraser brush, or Erase top / bottom half)');
    const k = Math.floor(Number(this.completions.value));
    if (!(k >= 1 && k <= 16)) throw new Error(`completions must be an integer in 1..16, got '${this.completions.value}'`);
    const input = this.drawing();
    const missing = this.missing.slice();
    const out = await completeEach(model, input.x, 1, missing, k, new Rng(this.completionSeed++));
    if (token !== this.token) return;
    const info = this.studio.requireRun().checkpoint.info.data;
    drawSamples(this.completed, out, k, info.shape, info.kind, { cols: k, scale: 4 });
    const text = (v: ArrayLike<number>) => Array.from(v, (x) => String(Math.round(x * 1e4) / 1e4)).join(',');
    const D = input.x.length;
    Object.assign(this.completed.dataset, {
      k: String(k),
      input: text(input.x),
      missing: Array.from(missing).join(''),
      completions: Array.from({ length: k }, (_, j) => text(out.subarray(j * D, (j + 1) * D))).join(';'),
    });
  }

  private async load(): Promise<void> {
    const data = await this.studio.currentData();
    const k = Number(this.index.value);
    if (!Number.isInteger(k) || k < 0 || k >= data.test.n) throw new Error(`test image k must be an index in 0..${data.test.n - 1}, got '${this.index.value}'`);
    const D = this.ink.length;
    // Back to intensities 0..255, which `drawing` brings to the run's values again unchanged.
    const unit = data.test.kind === 'uint8' ? 1 : 255;
    for (let i = 0; i < D; i++) this.ink[i] = data.test.x[k * D + i] * unit;
    this.missing.fill(0);
    this.redraw();
  }

  private clear(): void {
    this.ink.fill(0);
    this.missing.fill(0);
    this.redraw();
  }

  private eraseHalf(region: 'top' | 'bottom'): void {
    this.missing.set(regionMask(region, [this.shape[0], this.shape[1], 1]));
    this.redraw();
  }

  private gridPoint(e: MouseEvent): [number, number] {
    const [x, y] = canvasPixel(this.canvas, e);
    return [x / ZOOM, y / ZOOM];
  }

  /**
   * A stroke from a to b (image pixels): ink of full intensity within half a pixel of the pen,
   * fading to nothing 1.5 pixels away, about MNIST's stroke width; the eraser marks pixels within
   * one pixel missing.
   */
  private paint(a: [number, number], b: [number, number]): void {
    const [H, W] = this.shape;
    const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) * 4));
    const erase = this.brush.value === 'erase' && !this.completionBox.hidden;
    for (let s = 0; s <= steps; s++) {
      const px = a[0] + ((b[0] - a[0]) * s) / steps;
      const py = a[1] + ((b[1] - a[1]) * s) / steps;
      for (let r = Math.max(0, Math.floor(py - 2)); r <= Math.min(H - 1, Math.floor(py + 2)); r++) {
        for (let c = Math.max(0, Math.floor(px - 2)); c <= Math.min(W - 1, Math.floor(px + 2)); c++) {
          const d = Math.hypot(c + 0.5 - px, r + 0.5 - py);
          if (erase) {
            if (d <= 1) this.missing[r * W + c] = 1;
          } else {
            this.ink[r * W + c] = Math.max(this.ink[r * W + c], 255 * Math.min(1, Math.max(0, 1.5 - d)));
          }
        }
      }
    }
    this.redraw();
  }

  /** The drawing as the model sees it (binary models: thresholded), missing pixels tinted red. */
  private redraw(): void {
    const [H, W] = this.shape;
    const run = this.studio.run;
    const seen = run ? this.drawing() : { x: this.ink, kind: 'uint8' };
    const unit = seen.kind === 'uint8' ? 1 : 255;
    const ctx = this.canvas.getContext('2d')!;
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const v = Math.round(seen.x[r * W + c] * unit);
        ctx.fillStyle = this.missing[r * W + c] ? `rgb(${Math.max(v, 150)}, ${Math.round(v * 0.4)}, ${Math.round(v * 0.4)})` : `rgb(${v}, ${v}, ${v})`;
        ctx.fillRect(c * ZOOM, r * ZOOM, ZOOM, ZOOM);
      }
    }
  }
}

/** Scoring overtaken by a run change or a new reference. */
class Stale extends Error {
  constructor() {
    super('superseded');
  }
}

/** Per-example values in nats and their kind: -log p(x) from `negLogLik`, log p(x) from `referenceFor`. */
interface Scores {
  values: Float64Array;
  kind: DensityKind;
}

/** The test slice's log p(x), for one N and one way of scoring. */
interface Reference {
  by: ScoreBy;
  n: number;
  scores: Promise<Scores>;
}

/**
 * Overrides that make an importance-sampled estimate affordable in a page: `evalSamples` (the VAE
 * family's k, on the model or, for classcond, on its base) capped at PAGE_EVAL_SAMPLES.
 */
function cheaperEstimate(run: StudioRun): { config: Record<string, unknown>; runSamples: number } | undefined {
  const config = run.checkpoint.info.model.config as { evalSamples?: number; baseConfig?: { evalSamples?: number } };
  if (typeof config.evalSamples === 'number' && config.evalSamples > PAGE_EVAL_SAMPLES) {
    return { config: { evalSamples: PAGE_EVAL_SAMPLES }, runSamples: config.evalSamples };
  }
  const base = config.baseConfig;
  if (base && typeof base.evalSamples === 'number' && base.evalSamples > PAGE_EVAL_SAMPLES) {
    return { config: { baseConfig: { ...base, evalSamples: PAGE_EVAL_SAMPLES } }, runSamples: base.evalSamples };
  }
  return undefined;
}
