/**
 * Latent explorer: the codes of the run's test slice as a map coloured by class (the first two
 * principal components when the code has more than two dimensions, as `genlab latent-map` draws
 * it); a click on the map decodes the code drawn there (PCA inverse, the mean in the other
 * directions); an interpolation between two test images (`genlab interpolate`); sliders on the first
 * dimensions of the current code, or on an InfoGAN's codes, re-decoding as they move. The geometry
 * (plane, inverse, interpolation) is genlab's src/eval/latentSpace.ts, shared with the CLI.
 */
import {
  codeAtPoint,
  codePlane,
  colorScatterPlot,
  colorScatterPoint,
  colorScatterPixel,
  dataRange,
  encodeAll,
  hasCodes,
  interpolateCodes,
  isAdversarial,
  isConditional,
  isLatent,
  Rng,
  subset,
  type CodeModel,
  type CodePlane,
  type AdversarialModel,
  type Dataset,
  type GenerativeModel,
  type GridImage,
} from '../../../src/index.js';
import { examples } from '../data.js';
import type { Studio, View } from '../studio.js';
import { button, canvasPixel, drawImage, drawSamples, el, field, yieldToPage } from '../ui.js';

/** Encoding is deterministic for posterior means; a model whose encode draws gets this stream (as the CLI's). */
const ENCODE_SEED = 0;
/** Sliders for at most this many latent dimensions. */
const MAX_SLIDERS = 10;
/** Width and height of the map's plot area, canvas pixels. */
const MAP_SIZE = 360;
/** Examples encoded between two yields to the page. */
const ENCODE_CHUNK = 250;
/** InfoGAN: continuous codes slide over [-R, R] (Chen et al. Fig. 2 go to 2, as `genlab traverse`). */
const CODE_RANGE = 2;

type Coded = GenerativeModel & CodeModel & AdversarialModel;

let explorer: LatentExplorer | undefined;

export const latentView: View = {
  id: 'latent',
  title: 'Latent',
  mount(root, studio) {
    const view = (explorer = new LatentExplorer(root, studio));
    studio.onRun(() => view.runChanged());
  },
  shown() {
    explorer?.shown();
  },
};

class LatentExplorer {
  private readonly message = el('div', { id: 'latent-message', class: 'readout' });
  private readonly mapCount = el('input', { id: 'latent-map-n', type: 'number', value: '1000', min: '2' });
  private readonly mapCountRow = field('map examples', this.mapCount, 'the first N examples of the test slice');
  private readonly classSelect = el('select', { id: 'latent-class' });
  private readonly classRow = field('decode as class', this.classSelect, 'a conditional model decodes a code with a class');
  private readonly from = el('input', { id: 'latent-from', type: 'number', value: '0', min: '0' });
  private readonly to = el('input', { id: 'latent-to', type: 'number', value: '1', min: '0' });
  private readonly steps = el('input', { id: 'latent-steps', type: 'number', value: '8', min: '2', max: '64' });
  private readonly interpolation = el('div', {});
  private readonly sliders = el('div', { id: 'latent-sliders' });
  private readonly newZ = button('new z', 'latent-new-z', () => this.drawNoise(this.seed + 1));
  private readonly codeBox = el('div', {}, el('h2', {}, 'Current code'), this.sliders, el('div', { class: 'buttons' }, this.newZ));
  private readonly map = el('canvas', { id: 'latent-map', width: '1', height: '1' });
  private readonly mapNote = el('div', { id: 'latent-map-note', class: 'readout' });
  private readonly mapBox = el('div', {}, el('h2', {}, 'Codes of the test slice (click to decode)'), this.map, this.mapNote);
  private readonly decoded = el('canvas', { id: 'latent-decoded', width: '1', height: '1' });
  private readonly decodedNote = el('div', { id: 'latent-decoded-note', class: 'readout' });
  private readonly decodedBox = el('div', {}, el('h2', {}, 'Decoded'), this.decoded, this.decodedNote);
  private readonly row = el('canvas', { id: 'latent-interpolation', width: '1', height: '1' });
  private readonly rowBox = el('div', {}, el('h2', {}, 'Interpolation'), this.row);

  /** Bumped when the run changes: work begun for an older run stops at its next await. */
  private token = 0;
  private stale = true;
  private model?: GenerativeModel;
  private test?: Dataset;
  private plane?: CodePlane;
  private range: [number, number] = [0, 1];
  private mapImage?: GridImage;
  /** The code the decoded image shows: a latent code, or an InfoGAN's code values (category index, continuous values). */
  private current: Float32Array = new Float32Array(0);
  /** InfoGAN: the noise z held fixed while its codes move, and the seed it was drawn with. */
  private z: Float32Array = new Float32Array(0);
  private seed = 0;
  private decoding = false;
  private decodeWanted = false;
  private decodes = 0;

  constructor(private readonly root: HTMLElement, private readonly studio: Studio) {
    this.map.addEventListener('click', (e) => void this.guard(this.token, () => this.clickMap(e)));
    this.mapCount.addEventListener('change', () => void this.guard(this.token, () => this.drawMap(this.token)));
    this.classSelect.addEventListener('change', () => this.decodeCurrent());
    this.interpolation.append(
      el('h2', {}, 'Interpolate between test images'),
      field('from', this.from, 'index into the test slice'),
      field('to', this.to, 'index into the test slice'),
      field('steps', this.steps, 'decoded points from A to B, both included'),
      el('div', { class: 'buttons' }, button('Interpolate', 'latent-interpolate', () => void this.guard(this.token, () => this.interpolate(this.token)))),
    );
    root.append(
      el(
        'div',
        { class: 'panel' },
        el('h2', {}, 'Latent explorer'),
        this.message,
        this.mapCountRow,
        this.classRow,
        this.interpolation,
        this.codeBox,
      ),
      el('div', { class: 'figures' }, this.mapBox, this.decodedBox, this.rowBox),
    );
    this.show('empty');
  }

  shown(): void {
    if (this.stale) void this.guard(this.token, () => this.refresh(this.token));
  }

  runChanged(): void {
    this.token++;
    this.stale = true;
    // The studio disposes the run's model; this view forgets it and everything made from it.
    this.model = undefined;
    this.plane = undefined;
    this.mapImage = undefined;
    // Work for a hidden view waits until its tab is opened.
    if (this.root.classList.contains('active')) void this.guard(this.token, () => this.refresh(this.token));
  }

  /** Runs `work`; its errors go to the status line unless the run has changed since (then they are moot). */
  private async guard(token: number, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      if (token === this.token) this.studio.status(`latent explorer: ${(e as Error).message}`, true);
    }
  }

  /** Which parts of the view apply: 'latent' (encoder and decoder), 'codes' (InfoGAN), or none. */
  private show(mode: 'latent' | 'codes' | 'none' | 'empty'): void {
    this.message.dataset.mode = mode;
    const latent = mode === 'latent';
    this.mapBox.hidden = !latent;
    this.rowBox.hidden = !latent;
    this.interpolation.hidden = !latent;
    this.newZ.hidden = mode !== 'codes';
    this.decodedBox.hidden = this.codeBox.hidden = mode === 'none' || mode === 'empty';
    this.mapCountRow.hidden = !latent;
    this.classRow.hidden = !(latent && this.model && isConditional(this.model));
  }

  private async refresh(token: number): Promise<void> {
    this.stale = false;
    this.sliders.replaceChildren();
    const run = this.studio.run;
    if (!run) {
      this.message.textContent = 'No run yet: train one under Train, and its codes appear here.';
      this.show('empty');
      return;
    }
    const model = await this.studio.currentModel();
    if (token !== this.token) return;
    this.model = model;
    if (isLatent(model)) {
      const data = await this.studio.currentData();
      if (token !== this.token) return;
      this.test = data.test;
      const classes = data.test.classNames ?? [];
      this.classSelect.replaceChildren(...classes.map((c, k) => el('option', { value: String(k) }, `${k} ${c}`)));
      this.message.textContent = `${model.name}: codes of ${model.latentSize} dimension${model.latentSize === 1 ? '' : 's'}; a click on the map decodes the code there, the sliders move its first ${Math.min(MAX_SLIDERS, model.latentSize)}.`;
      this.show('latent');
      await this.drawMap(token);
    } else if (hasCodes(model) && isAdversarial(model)) {
      this.message.textContent =
        `${model.name} has no encoder (no map of the test codes, no interpolation between test images); ` +
        `its codes ${model.codes.map((c) => c.name).join(', ')} drive the generator with the noise z fixed.`;
      this.show('codes');
      this.codeSliders(model);
      this.drawNoise(0);
    } else {
      this.message.textContent =
        `${model.name} has no latent codes to explore: the explorer needs a model with an encoder and a decoder ` +
        `(vae, betavae, iwae, cvae, ae, aae, the flows) or an InfoGAN's structured codes.`;
      this.show('none');
    }
  }

  /** Encodes the first N test examples, chunk by chunk, and draws their plane. */
  private async drawMap(token: number): Promise<void> {
    const model = this.model;
    const test = this.test;
    if (!model || !isLatent(model) || !test) return;
    const L = model.latentSize;
    const n = Math.max(2, Math.min(test.n, Math.floor(Number(this.mapCount.value)) || 1000));
    const codes = new Float32Array(n * L);
    const rng = new Rng(ENCODE_SEED);
    for (let start = 0; start < n; start += ENCODE_CHUNK) {
      this.mapNote.textContent = `encoding test examples: ${start} / ${n}…`;
      codes.set(await encodeAll(model, examples(test, start, Math.min(ENCODE_CHUNK, n - start)), rng), start * L);
      await yieldToPage();
      if (token !== this.token) return;
    }
    if (L > 2) {
      this.mapNote.textContent = `principal components of ${n} codes of ${L} dimensions…`;
      await yieldToPage();
    }
    const plane = codePlane(codes, n, L);
    if (token !== this.token) return;
    this.plane = plane;
    this.range = dataRange(plane.points);
    this.mapImage = colorScatterPlot(plane.points, n, test.labels, { size: MAP_SIZE, range: this.range, classNames: test.classNames });
    this.drawMapImage();
    this.map.dataset.projection = plane.projection;
    this.map.dataset.points = String(n);
    if (plane.explained) this.map.dataset.explained = plane.explained.map((e) => e.toFixed(4)).join(',');
    else delete this.map.dataset.explained;
    this.mapNote.textContent = describePlane(plane, n);

    // The sliders span each dimension's codes, mean +- 3 standard deviations; the current code starts at the mean.
    const mean = new Float64Array(L);
    const sq = new Float64Array(L);
    for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) mean[j] += codes[i * L + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) sq[j] += (codes[i * L + j] - mean[j]) ** 2 / n;
    this.current = Float32Array.from(mean);
    this.sliders.replaceChildren();
    for (let j = 0; j < Math.min(MAX_SLIDERS, L); j++) {
      const sd = Math.sqrt(sq[j]) || 1;
      this.addSlider(`z${j}`, j, mean[j] - 3 * sd, mean[j] + 3 * sd, (6 * sd) / 200);
    }
    this.decodeCurrent();
  }

  private drawMapImage(mark?: [number, number]): void {
    if (!this.mapImage) return;
    drawImage(this.map, this.mapImage);
    if (!mark) return;
    const ctx = this.map.getContext('2d')!;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(mark[0] - 6, mark[1] + 1);
    ctx.lineTo(mark[0] + 8, mark[1] + 1);
    ctx.moveTo(mark[0] + 1, mark[1] - 6);
    ctx.lineTo(mark[0] + 1, mark[1] + 8);
    ctx.stroke();
  }

  private async clickMap(e: MouseEvent): Promise<void> {
    if (!this.plane) return;
    const [cx, cy] = canvasPixel(this.map, e);
    const [px, py] = [Math.floor(cx), Math.floor(cy)];
    if (px < 0 || py < 0 || px >= MAP_SIZE - 1 || py >= MAP_SIZE - 1) return; // the legend, or the edge
    const [x, y] = colorScatterPoint(px, py, MAP_SIZE, this.range);
    this.current = codeAtPoint(this.plane, x, y);
    this.drawMapImage(colorScatterPixel(x, y, MAP_SIZE, this.range));
    this.map.dataset.clicked = `${x.toFixed(4)},${y.toFixed(4)}`;
    this.syncSliders();
    this.decodeCurrent();
  }

  private addSlider(name: string, index: number, min: number, max: number, step: number): void {
    const input = el('input', { id: `latent-slider-${index}`, type: 'range', min: String(min), max: String(max), step: String(step), 'data-index': String(index) });
    const value = el('span', { class: 'readout' });
    input.value = String(this.current[index] ?? 0);
    value.textContent = sliderText(input);
    input.addEventListener('input', () => {
      this.current[index] = Number(input.value);
      value.textContent = sliderText(input);
      this.decodeCurrent();
    });
    this.sliders.append(field(name, el('span', { class: 'slider' }, input, value)));
  }

  private syncSliders(): void {
    for (const input of this.sliders.querySelectorAll<HTMLInputElement>('input[type=range]')) {
      input.value = String(this.current[Number(input.dataset.index)]);
      (input.nextElementSibling as HTMLElement).textContent = sliderText(input);
    }
  }

  /** InfoGAN: one slider per code, a category's index or a continuous value in [-R, R], all starting at 0. */
  private codeSliders(model: Coded): void {
    this.current = new Float32Array(model.codes.length);
    model.codes.forEach((code, i) => {
      if (code.kind === 'categorical') this.addSlider(`${code.name} (0..${code.size - 1})`, i, 0, code.size - 1, 1);
      else this.addSlider(code.name, i, -CODE_RANGE, CODE_RANGE, (2 * CODE_RANGE) / 200);
    });
  }

  /** InfoGAN: a new noise z ~ N(0, I) from `seed`, the codes kept. */
  private drawNoise(seed: number): void {
    const model = this.model as Coded;
    this.seed = seed;
    const rng = new Rng(seed);
    this.z = Float32Array.from({ length: model.latentSize }, () => rng.normal());
    this.decodeCurrent();
  }

  /** Decodes the current code; moves that arrive while decoding are merged into one more decode. */
  private decodeCurrent(): void {
    this.decodeWanted = true;
    if (this.decoding) return;
    this.decoding = true;
    void (async () => {
      try {
        while (this.decodeWanted) {
          this.decodeWanted = false;
          const token = this.token;
          await this.guard(token, async () => {
            const values = await this.decodeOne();
            if (token !== this.token || !values) return; // another run's request, if any, is the next round
            const info = this.studio.requireRun().checkpoint.info.data;
            drawSamples(this.decoded, values, 1, info.shape, info.kind, { cols: 1, scale: 8 });
            this.decoded.dataset.decodes = String(++this.decodes);
            this.decoded.dataset.code = Array.from(this.current.subarray(0, MAX_SLIDERS), (v) => v.toFixed(3)).join(',');
            const shown = Array.from(this.current.subarray(0, 6), (v) => v.toFixed(2)).join(', ');
            this.decodedNote.textContent = `${hasCodes(this.model!) ? 'codes' : 'z'} = (${shown}${this.current.length > 6 ? ', …' : ''})`;
          });
        }
      } finally {
        this.decoding = false;
      }
    })();
  }

  private async decodeOne(): Promise<Float32Array | undefined> {
    const model = this.model;
    if (!model) return undefined;
    if (isLatent(model)) return model.decode(this.current.slice(), 1, this.classLabels(model, 1));
    if (hasCodes(model) && isAdversarial(model)) return model.generateWithCodes(this.z, this.current.slice(), 1);
    return undefined;
  }

  private classLabels(model: GenerativeModel, n: number): Int32Array | undefined {
    return isConditional(model) ? new Int32Array(n).fill(Number(this.classSelect.value) || 0) : undefined;
  }

  /** A, the decoded points of the line from A's code to B's, B: one row (`genlab interpolate`). */
  private async interpolate(token: number): Promise<void> {
    const model = this.model;
    const test = this.test;
    if (!model || !isLatent(model) || !test) return;
    const index = (input: HTMLInputElement, what: string): number => {
      const i = Number(input.value);
      if (!Number.isInteger(i) || i < 0 || i >= test.n) throw new Error(`${what} must be a test-slice index in 0..${test.n - 1}, got '${input.value}'`);
      return i;
    };
    const [a, b] = [index(this.from, 'from'), index(this.to, 'to')];
    const steps = Math.floor(Number(this.steps.value));
    if (!(steps >= 2 && steps <= 64)) throw new Error(`steps must be an integer in 2..64, got '${this.steps.value}'`);
    const pair = subset(test, [a, b]);
    const L = model.latentSize;
    const codes = await model.encode({ x: pair.x, n: 2, labels: pair.labels }, new Rng(ENCODE_SEED));
    // A conditional model decodes the line with A's class, as the CLI does.
    const labels = isConditional(model) ? new Int32Array(steps).fill(pair.labels![0]) : undefined;
    const decoded = await model.decode(interpolateCodes(codes.subarray(0, L), codes.subarray(L, 2 * L), steps), steps, labels);
    if (token !== this.token) return;
    const D = decoded.length / steps;
    const cells = new Float32Array((steps + 2) * D);
    cells.set(pair.x.subarray(0, D), 0);
    cells.set(decoded, D);
    cells.set(pair.x.subarray(D, 2 * D), (steps + 1) * D);
    const info = this.studio.requireRun().checkpoint.info.data;
    drawSamples(this.row, cells, steps + 2, info.shape, info.kind, { cols: steps + 2, scale: 3 });
    this.row.dataset.steps = String(steps);
  }
}

/** A slider's value as shown beside it: a category's index whole, a continuous value to two decimals. */
function sliderText(input: HTMLInputElement): string {
  return Number(input.step) >= 1 ? input.value : Number(input.value).toFixed(2);
}

function describePlane(plane: CodePlane, n: number): string {
  switch (plane.projection) {
    case 'none':
      return `${n} codes (z0 across, z1 up), coloured by class`;
    case 'pad':
      return `${n} codes of one dimension, along the x axis`;
    case 'pca': {
      const [a, b] = plane.explained!;
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      return (
        `${n} codes of ${plane.latentSize} dimensions on their first two principal components, ` +
        `which keep ${pct(a)} and ${pct(b)} of the variance (${pct(a + b)} together); ` +
        `a click decodes the mean code moved along those two axes`
      );
    }
  }
}
