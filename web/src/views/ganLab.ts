/**
 * GAN lab: two-player games on 1-D and 2-D data, side by side, in the spirit of GAN Lab (Kahng et
 * al. 2018) and beyond it. Each chosen loss is a small MLP GAN from the registry (the model and
 * paper optimizer `genlab train` uses for it), all on the same data and seed, and gets a panel: the
 * frame of the CLI's `--snapshot-every` (src/io/ganLab.ts: D's heat map with real and generated
 * points, G's image of a z grid), its step, both players' losses, and for the Gaussian-mixture toys
 * the mode coverage of VEEGAN (src/eval/modeCoverage.ts).
 *
 * Training runs in the page, a few steps per animation frame (the Trainer owns every update; the
 * page yields between frames, so it stays responsive). "D only" and "G only" take one step with the
 * other player's parameter group frozen (Trainer.freeze): the frozen player does not move at all.
 * The data is a toy (the CLI's exact train split) or points drawn on a pad: each click drops a
 * small blob, a drag a trail of them, and the games see new points at their next batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  createModel,
  ganLabFrame,
  ganLabRange,
  ganLabSnapshot,
  getEntry,
  isAdversarial,
  modeCoverage,
  Rng,
  TOY_NAMES,
  TOYS,
  Trainer,
  type AdversarialModel,
  type Batch,
  type GanLabSnapshotOptions,
  type GenerativeModel,
} from '../../../src/index.js';
import { loadStudioData } from '../data.js';
import type { Studio, View } from '../studio.js';
import { button, drawImage, el, field } from '../ui.js';

/** A loss of the comparison: the registry model that plays it, and the options that select it. */
interface LabLoss {
  id: string;
  label: string;
  model: string;
  config: Record<string, unknown>;
  help: string;
}

export const LAB_LOSSES: readonly LabLoss[] = [
  { id: 'minimax', label: 'minimax', model: 'gan', config: { loss: 'minimax' }, help: 'Goodfellow et al. 2014, Eq. 1 as written: G minimises log(1 - D(G(z))), flat where D rejects confidently' },
  { id: 'nonsaturating', label: 'non-saturating', model: 'gan', config: { loss: 'nonsaturating' }, help: 'Goodfellow et al. 2014, Sec. 3: G maximises log D(G(z))' },
  { id: 'lsgan', label: 'LSGAN', model: 'gan', config: { loss: 'lsgan' }, help: 'Mao et al. 2017: least squares on the raw output' },
  { id: 'wgan', label: 'WGAN (clipping)', model: 'wgan', config: {}, help: 'Arjovsky et al. 2017: critic weights clipped to 0.01, 5 critic steps, RMSProp 5e-5' },
  { id: 'wgangp', label: 'WGAN-GP', model: 'wgangp', config: {}, help: 'Gulrajani et al. 2017: gradient penalty, 5 critic steps, Adam 1e-4 (0, 0.9)' },
  { id: 'sngan', label: 'hinge + SN', model: 'sngan', config: {}, help: 'Miyato et al. 2018: hinge loss, spectral normalisation in D' },
  { id: 'unrolled', label: 'Unrolled', model: 'unrolled', config: {}, help: "Metz et al. 2017: G's loss sees D unrolled 5 steps" },
];

/** Offered data: the toys (the 1-D one included: the frame draws it as histograms), then drawing. */
const DRAW = 'draw';
/** The drawing pad's view on both axes (the frames of drawn data use it too, so a point lands where it was drawn). */
const PAD_RANGE: [number, number] = [-3, 3];
const PAD_SIZE = 240;
/** Points per click, spread N(0, BRUSH_STD^2) around it: a click makes a small mode, not a single atom. */
const BRUSH_POINTS = 5;
const BRUSH_STD = 0.04;
/** Frame panels in pixels (two per frame): the renderer's own size, at which a critic's range fits its title line. */
const FRAME_SIZE = 256;
/** The CLI's lab: the first 2000 training points fix the view; the frames' noise comes from seed + 104729. */
const VIEW_POINTS = 2000;
const FRAME_NOISE_OFFSET = 104729;

/** The data every game trains on, as the frames show it. */
interface LabData {
  /** The points, [n * dim] (drawn data: re-read at every batch, so new points join the game). */
  points(): { x: Float32Array; n: number };
  dim: number;
  range: [number, number];
  /** The Gaussian mixture of a toy that has one (ring, grid, gmm1d): mode coverage is reported. */
  mixture?: Parameters<typeof modeCoverage>[2];
}

/** Minibatches drawn with replacement, so that a handful of drawn points still fill a batch. */
function batchStream(data: LabData, batchSize: number, rng: Rng): () => Batch {
  return () => {
    const { x, n } = data.points();
    const { dim } = data;
    const out = new Float32Array(batchSize * dim);
    for (let i = 0; i < batchSize; i++) {
      const j = rng.int(n);
      out.set(x.subarray(j * dim, (j + 1) * dim), i * dim);
    }
    return { x: out, n: batchSize };
  };
}

/** FNV-1a over the bytes of float arrays: a short fingerprint of what a player outputs, for the page's readers. */
function fingerprint(...arrays: Float32Array[]): string {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4));

/** One game: a model, its trainer, its batches and noise, and its panel. */
class Game {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private readonly coverage: HTMLElement;
  private step = 0;
  private readonly counts = { both: 0, discriminator: 0, generator: 0 };
  /** Each player's latest loss (a frozen player's is kept from its last update). */
  private readonly losses: { discriminator?: number; generator?: number } = {};
  private diverged?: string;
  private readonly nextBatch: () => Batch;
  private readonly noise: Rng;
  private readonly frameNoise: Rng;

  constructor(
    readonly loss: LabLoss,
    private readonly model: GenerativeModel & AdversarialModel,
    private readonly trainer: Trainer,
    private readonly data: LabData,
    batchSize: number,
    seed: number,
  ) {
    // The same seed for every game: the same batches and noise draws wherever the models draw alike.
    this.nextBatch = batchStream(data, batchSize, new Rng(seed));
    this.noise = new Rng(seed + 1);
    this.frameNoise = new Rng(seed + FRAME_NOISE_OFFSET);
    this.canvas = el('canvas', { id: `lab-frame-${loss.id}`, width: String(2 * FRAME_SIZE + 24), height: String(FRAME_SIZE + 64) });
    this.readout = el('div', { id: `lab-readout-${loss.id}`, class: 'readout' });
    this.coverage = el('div', { id: `lab-coverage-${loss.id}`, class: 'readout' });
    this.element = el(
      'div',
      { id: `lab-panel-${loss.id}`, class: 'panel lab-panel', 'data-step': '0' },
      el('h2', { title: loss.help }, `${loss.label} `, el('span', { class: 'model-name' }, `(${model.name})`)),
      this.canvas,
      this.readout,
      this.coverage,
    );
    this.showReadout();
  }

  /** `steps` training steps with the players in `frozen` held fixed. */
  async train(steps: number, frozen: ('discriminator' | 'generator')[]): Promise<void> {
    if (this.diverged) return;
    this.trainer.freeze(frozen);
    try {
      for (let s = 0; s < steps; s++) {
        const metrics = await this.trainer.step(this.nextBatch(), { rng: this.noise, step: this.step, nextBatch: this.nextBatch });
        this.step++;
        this.counts[frozen.length === 0 ? 'both' : frozen.includes('generator') ? 'discriminator' : 'generator']++;
        for (const player of ['discriminator', 'generator'] as const) {
          const value = metrics[`${player}Loss`];
          if (frozen.includes(player)) continue;
          if (!Number.isFinite(value)) {
            this.diverged = `${player === 'discriminator' ? 'D' : 'G'}'s loss is ${value} at step ${this.step}: stopped (try a smaller learning rate)`;
            return;
          }
          this.losses[player] = value;
        }
      }
    } finally {
      this.trainer.freeze([]);
      this.showReadout();
    }
  }

  /** Draws the frame of the players as they are now (nothing before there are points). */
  async draw(): Promise<void> {
    const { x, n } = this.data.points();
    if (n === 0) {
      this.canvas.getContext('2d')!.clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.coverage.textContent = 'no data yet: draw points on the pad';
      return;
    }
    const { dim } = this.data;
    const shown = x.subarray(0, Math.min(n, VIEW_POINTS) * dim);
    const opts: GanLabSnapshotOptions =
      dim === 2 ? { range: this.data.range, resolution: 100, generatedCount: 1000, realCount: Math.min(n, 500) } : { range: this.data.range, resolution: 200, generatedCount: 2000 };
    const input = await ganLabSnapshot(this.model, shown, dim, this.step, this.frameNoise, opts);
    drawImage(this.canvas, ganLabFrame(input, { size: FRAME_SIZE }));
    const panel = this.element.dataset;
    panel.gHash = fingerprint(input.generated, input.mesh.alongZ1, ...(input.mesh.alongZ2 ? [input.mesh.alongZ2] : []));
    panel.dHash = fingerprint(input.discriminator);
    panel.drawnStep = String(this.step);
    if (this.data.mixture) {
      const c = modeCoverage(input.generated, input.generated.length / dim, this.data.mixture);
      this.coverage.textContent =
        `modes covered ${c.covered} of ${c.modes} · high quality ${(100 * c.highQualityFraction).toFixed(1)}%` +
        `${c.klToWeights === undefined ? '' : ` · KL to weights ${c.klToWeights.toFixed(3)}`} (${c.samples} samples, within ${c.sigmas} sd)`;
      panel.covered = String(c.covered);
      panel.modes = String(c.modes);
      panel.highQuality = c.highQualityFraction.toFixed(4);
    } else {
      this.coverage.textContent = 'mode coverage: for the Gaussian-mixture toys (ring, grid, gmm1d)';
    }
  }

  private showReadout(): void {
    const { both, discriminator, generator } = this.counts;
    const alone = discriminator || generator ? ` (D only ${discriminator}, G only ${generator})` : '';
    this.readout.textContent = `step ${this.step}${alone}\nD loss ${fmt(this.losses.discriminator)}  G loss ${fmt(this.losses.generator)}${this.diverged ? `\n${this.diverged}` : ''}`;
    this.element.dataset.step = String(this.step);
    this.element.dataset.stepsBoth = String(both);
    if (this.diverged) this.element.dataset.diverged = 'true';
  }

  dispose(): void {
    this.trainer.dispose();
    this.model.dispose();
  }
}

/** The lab's settings as read from the form (a bad value throws with the field's name). */
interface LabSettings {
  data: string;
  losses: LabLoss[];
  seed: number;
  batchSize: number;
  hidden: number[];
  latent: number;
  learningRate?: number;
}

export const ganLabView: View = {
  id: 'lab',
  title: 'GAN lab',
  mount(root, studio) {
    // Controls.
    const dataSelect = el(
      'select',
      { id: 'lab-toy' },
      ...TOY_NAMES.map((t) => el('option', { value: t }, `${t}${TOYS[t].dim === 1 ? ' (1-D)' : ''}`)),
      el('option', { value: DRAW }, 'drawn points'),
    );
    const lossBoxes = LAB_LOSSES.map((loss) => {
      const box = el('input', { type: 'checkbox', id: `lab-loss-${loss.id}`, value: loss.id });
      box.checked = loss.id === 'nonsaturating' || loss.id === 'wgangp';
      return { loss, box };
    });
    const seed = el('input', { id: 'lab-seed', type: 'number', value: '1' });
    const batchSize = el('input', { id: 'lab-batch', type: 'number', value: '64', min: '1' });
    const hidden = el('input', { id: 'lab-hidden', type: 'text', value: '64,64' });
    const latent = el('input', { id: 'lab-latent', type: 'number', value: '2', min: '1' });
    const learningRate = el('input', { id: 'lab-lr', type: 'text', placeholder: "each model's paper default" });
    const stepsPerFrame = el('input', { id: 'lab-steps-per-frame', type: 'number', value: '5', min: '1' });
    const state = el('div', { id: 'lab-state', class: 'readout', 'data-state': 'idle' }, 'idle');
    const panels = el('div', { id: 'lab-panels', class: 'lab-panels' });

    // The drawing pad: points in PAD_RANGE, y up.
    const pad = el('canvas', { id: 'lab-draw', width: String(PAD_SIZE), height: String(PAD_SIZE), 'data-points': '0' });
    let drawn: number[] = [];
    let drawnArray = new Float32Array(0);
    const brush = new Rng(12345);
    const padBox = el('div', { id: 'lab-pad', class: 'lab-pad' }, pad, el('div', { class: 'buttons' }, button('Clear', 'lab-clear', () => setDrawn([]))));
    const toPad = (v: number) => ((v - PAD_RANGE[0]) / (PAD_RANGE[1] - PAD_RANGE[0])) * PAD_SIZE;
    const fromPad = (px: number) => PAD_RANGE[0] + (px / PAD_SIZE) * (PAD_RANGE[1] - PAD_RANGE[0]);
    const drawPad = (): void => {
      const ctx = pad.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, PAD_SIZE, PAD_SIZE);
      ctx.strokeStyle = '#e4e4e4';
      for (let v = Math.ceil(PAD_RANGE[0]); v <= PAD_RANGE[1]; v++) {
        ctx.beginPath();
        ctx.moveTo(toPad(v) + 0.5, 0);
        ctx.lineTo(toPad(v) + 0.5, PAD_SIZE);
        ctx.moveTo(0, PAD_SIZE - toPad(v) - 0.5);
        ctx.lineTo(PAD_SIZE, PAD_SIZE - toPad(v) - 0.5);
        ctx.stroke();
      }
      ctx.fillStyle = 'rgb(0, 104, 55)';
      for (let i = 0; i < drawn.length; i += 2) ctx.fillRect(toPad(drawn[i]) - 1.5, PAD_SIZE - toPad(drawn[i + 1]) - 1.5, 3, 3);
      if (drawn.length === 0) {
        ctx.fillStyle = '#888';
        ctx.font = '13px sans-serif';
        ctx.fillText('click or drag to add points', 40, PAD_SIZE / 2);
      }
      pad.dataset.points = String(drawn.length / 2);
    };
    const setDrawn = (values: number[]): void => {
      drawn = values;
      drawnArray = Float32Array.from(drawn);
      drawPad();
      if (dataSelect.value === DRAW) redrawSoon();
    };
    let lastBrush: [number, number] | undefined;
    const addAt = (e: PointerEvent): void => {
      const r = pad.getBoundingClientRect();
      const px = ((e.clientX - r.left) / r.width) * PAD_SIZE;
      const py = ((e.clientY - r.top) / r.height) * PAD_SIZE;
      // A drag adds a blob every few pixels, not one per event.
      if (lastBrush && Math.hypot(px - lastBrush[0], py - lastBrush[1]) < 8) return;
      lastBrush = [px, py];
      const x = fromPad(px);
      const y = fromPad(PAD_SIZE - py);
      const added: number[] = [];
      for (let k = 0; k < BRUSH_POINTS; k++) added.push(x + BRUSH_STD * brush.normal(), y + BRUSH_STD * brush.normal());
      setDrawn(drawn.concat(added));
    };
    pad.addEventListener('pointerdown', (e) => {
      lastBrush = undefined;
      pad.setPointerCapture(e.pointerId);
      addAt(e);
    });
    pad.addEventListener('pointermove', (e) => {
      if (e.buttons & 1) addAt(e);
    });
    drawPad();

    // The games, and one queue of jobs so that training, drawing and rebuilding never overlap.
    let games: Game[] = [];
    let data: LabData | undefined;
    let playing = false;
    let queue: Promise<void> = Promise.resolve();
    // Jobs queued or running, on the state readout as data-busy (tests wait for the lab to be idle).
    let pending = 0;
    /** The status line shows the lab's last failure (cleared by the next job that succeeds). */
    let failed = false;
    let summary = '';
    const enqueue = (job: () => Promise<void>): Promise<void> => {
      pending++;
      state.dataset.busy = 'true';
      return (queue = queue
        .then(job)
        .catch((e: Error) => {
          setPlaying(false);
          studio.status(e.message, true);
          failed = true;
        })
        .finally(() => {
          if (--pending === 0) state.dataset.busy = 'false';
        }));
    };

    const setState = (name: string): void => {
      state.dataset.state = name;
      state.dataset.tensors = String(tf.memory().numTensors);
      state.textContent = `${name} · ${games.length} game${games.length === 1 ? '' : 's'} · ${tf.memory().numTensors} tensors`;
    };
    const setPlaying = (on: boolean): void => {
      playing = on;
      setState(on ? 'playing' : 'paused');
    };

    const readSettings = (): LabSettings => {
      const losses = lossBoxes.filter((b) => b.box.checked).map((b) => b.loss);
      if (losses.length === 0) throw new Error('choose at least one loss to compare');
      const int = (input: HTMLInputElement, what: string, min: number): number => {
        const v = Number(input.value);
        if (!Number.isInteger(v) || v < min) throw new Error(`${what} must be an integer >= ${min}, got '${input.value}'`);
        return v;
      };
      const units = hidden.value.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
      if (units.length === 0 || !units.every((u) => Number.isInteger(u) && u >= 1)) throw new Error(`hidden units must be a list of integers >= 1, e.g. 64,64; got '${hidden.value}'`);
      const lr = learningRate.value.trim();
      if (lr && !(Number(lr) > 0)) throw new Error(`learning rate must be > 0, got '${lr}'`);
      return {
        data: dataSelect.value,
        losses,
        seed: int(seed, 'seed', 0),
        batchSize: int(batchSize, 'batch size', 1),
        hidden: units,
        latent: int(latent, 'latent size', 1),
        ...(lr && { learningRate: Number(lr) }),
      };
    };

    const loadData = async (name: string): Promise<LabData> => {
      if (name === DRAW) return { points: () => ({ x: drawnArray, n: drawnArray.length / 2 }), dim: 2, range: PAD_RANGE };
      const { train } = await loadStudioData(`toy:${name}`, studio.base);
      const dim = train.shape[0];
      const toy = TOYS[name as keyof typeof TOYS];
      const view = { x: train.x, n: train.n };
      return { points: () => view, dim, range: ganLabRange(train.x.subarray(0, Math.min(train.n, VIEW_POINTS) * dim)), ...('spec' in toy && { mixture: toy.spec as LabData['mixture'] }) };
    };

    /** Disposes the games and builds them afresh from the form: new models, same seed for all. */
    const rebuild = async (): Promise<void> => {
      for (const game of games) game.dispose();
      games = [];
      panels.replaceChildren();
      const settings = readSettings();
      data = await loadData(settings.data);
      for (const loss of settings.losses) {
        const model = createModel(
          loss.model,
          { ...loss.config, generatorHidden: settings.hidden, discriminatorHidden: settings.hidden, latent: settings.latent, seed: settings.seed },
          { shape: [data.dim], kind: 'real' },
        );
        let trainer: Trainer;
        try {
          if (!isAdversarial(model)) throw new Error(`${loss.model} is not an adversarial model`);
          // The paper's optimizer of the model, as `genlab train` uses it; a learning rate given here overrides its step size.
          const training = getEntry(loss.model).training;
          trainer = new Trainer(model, { optimizer: { ...training?.optimizer, learningRate: settings.learningRate ?? training?.learningRate ?? 1e-3 } });
        } catch (e) {
          model.dispose();
          throw e;
        }
        const game = new Game(loss, model as GenerativeModel & AdversarialModel, trainer, data, settings.batchSize, settings.seed);
        games.push(game);
        panels.append(game.element);
      }
      for (const game of games) await game.draw();
      summary = `GAN lab: ${games.map((g) => g.loss.label).join(', ')} on ${settings.data === DRAW ? 'drawn points' : `toy:${settings.data}`}`;
      studio.status(summary);
      failed = false;
      setState(playing ? 'playing' : 'ready');
    };

    /** Every game takes `steps` steps (the players in `frozen` held), then every frame is drawn. */
    const advance = async (steps: number, frozen: ('discriminator' | 'generator')[] = []): Promise<void> => {
      if (data && data.points().n === 0) throw new Error('no data yet: draw some points on the pad first');
      for (const game of games) await game.train(steps, frozen);
      for (const game of games) await game.draw();
      setState(playing ? 'playing' : 'paused');
      if (failed) studio.status(summary);
      failed = false;
    };

    const perFrame = (): number => Math.max(1, Math.floor(Number(stepsPerFrame.value) || 1));
    const loop = (): void => {
      if (!playing) return;
      void enqueue(() => advance(perFrame())).then(() => {
        if (playing) requestAnimationFrame(loop);
      });
    };
    let redrawPending = false;
    /** New drawn points show at the next animation frame (while playing, the loop draws them anyway). */
    const redrawSoon = (): void => {
      if (playing || redrawPending) return;
      redrawPending = true;
      requestAnimationFrame(() => {
        redrawPending = false;
        void enqueue(async () => {
          for (const game of games) await game.draw();
        });
      });
    };
    const stepOnce = (frozen: ('discriminator' | 'generator')[]) => () => {
      setPlaying(false);
      void enqueue(() => advance(1, frozen));
    };
    const settingsChanged = (): void => {
      padBox.hidden = dataSelect.value !== DRAW;
      void enqueue(rebuild);
    };

    dataSelect.addEventListener('change', settingsChanged);
    for (const input of [seed, batchSize, hidden, latent, learningRate, ...lossBoxes.map((b) => b.box)]) input.addEventListener('change', settingsChanged);

    root.append(
      el(
        'div',
        { class: 'panel' },
        el('h2', {}, 'Data and games'),
        field('data', dataSelect, 'a 2-D (or 1-D) toy, the CLI\'s train split; or points drawn on the pad'),
        padBox,
        el('div', { class: 'lab-losses', id: 'lab-losses' }, ...lossBoxes.map(({ loss, box }) => el('label', { title: loss.help }, box, ` ${loss.label}`))),
        field('seed', seed, 'weights, batches and noise of every game'),
        field('batch size', batchSize),
        field('hidden units', hidden, "units of G's and D's hidden layers, e.g. 64,64"),
        field('latent size', latent, 'size of z; the mesh maps the (z1, z2) grid, the rest of z at 0'),
        field('learning rate', learningRate, "empty: each model's paper default"),
        field('steps per frame', stepsPerFrame, 'training steps per game per animation frame while playing'),
        el(
          'div',
          { class: 'buttons' },
          button('Play', 'lab-play', () => {
            if (playing) return;
            setPlaying(true);
            loop();
          }),
          button('Pause', 'lab-pause', () => setPlaying(false)),
          button('Step', 'lab-step', stepOnce([])),
          button('D only', 'lab-step-d', stepOnce(['generator'])),
          button('G only', 'lab-step-g', stepOnce(['discriminator'])),
          button('Reset', 'lab-reset', () => {
            setPlaying(false);
            void enqueue(rebuild);
          }),
        ),
        state,
      ),
      panels,
    );
    padBox.hidden = true;
    void enqueue(rebuild);
  },
};
