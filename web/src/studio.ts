/**
 * What every view shares: the current run (trained here, opened from a CLI run folder, or shipped
 * with the studio), the model built from it in the page, its data as the run saw it, and the status
 * line. A view asks for these; none knows where the run came from, so each family appears in every
 * view its capabilities allow, without special cases.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  acceptedKinds,
  emaWeights,
  WEIGHTS_PART,
  createModel,
  prepareData,
  withShadow,
  type GenerativeModel,
  type PreparedData,
} from '../../src/index.js';
import { loadStudioData } from './data.js';
import { startEngine } from './engine.js';
import type { StudioRun } from './protocol.js';

export interface View {
  id: string;
  title: string;
  mount(root: HTMLElement, studio: Studio): void;
  /** The view's tab was opened. */
  shown?(): void;
}

export class Studio {
  readonly base = document.baseURI;
  run: StudioRun | null = null;
  private pageBackend?: Promise<string>;
  private model?: Promise<GenerativeModel>;
  private data?: Promise<PreparedData>;
  private readonly listeners = new Set<(run: StudioRun | null) => void>();

  /** Makes `run` the one every view uses. */
  setRun(run: StudioRun | null): void {
    void this.model?.then((m) => m.dispose(), () => {});
    this.model = undefined;
    this.data = undefined;
    this.run = run;
    document.getElementById('run-name')!.textContent = run ? `run: ${run.name} (${run.config.model.name} on ${run.config.data.spec}, step ${run.checkpoint.info.train.step})` : 'no run yet';
    for (const listener of this.listeners) listener(run);
  }

  onRun(listener: (run: StudioRun | null) => void): void {
    this.listeners.add(listener);
  }

  /** The backend asked for in the address (?backend=wasm), else the best available. */
  readonly requestedBackend = new URLSearchParams(location.search).get('backend') ?? undefined;

  /** The page's own TF.js engine (the views' forward passes; training has the worker's). */
  engine(): Promise<string> {
    return (this.pageBackend ??= startEngine(this.requestedBackend));
  }

  /** The current run's model with its weights (the EMA shadow when the run kept one, as the CLI uses). */
  currentModel(): Promise<GenerativeModel> {
    this.requireRun();
    return (this.model ??= this.buildModel());
  }

  /**
   * A model of the current run of its own, with some config fields replaced (e.g. a VAE's
   * `evalSamples`, which only changes how it scores): the caller disposes it.
   */
  async buildModel(overrides: Record<string, unknown> = {}): Promise<GenerativeModel> {
    const run = this.requireRun();
    await this.engine();
    const { info, parts } = run.checkpoint;
    const model = createModel(info.model.name, { ...info.model.config, ...overrides }, info.data as Parameters<typeof createModel>[2]);
    const weights = parts[WEIGHTS_PART];
    const ema = emaWeights({ parts });
    model.setWeights(ema.length ? withShadow(weights, ema) : weights);
    return model;
  }

  /** The current run's data (the studio's slice of it) as the model sees it. */
  currentData(): Promise<PreparedData> {
    const run = this.requireRun();
    return (this.data ??= loadStudioData(run.config.data.spec, this.base, run.config.data).then((raw) => {
      const d = run.config.data as { binarize?: string; dataSeed?: number };
      return prepareData(raw, acceptedKinds(run.config.model.name, run.config.model.config), { binarize: (d.binarize ?? 'none') as 'none', dataSeed: d.dataSeed ?? 0 });
    }));
  }

  requireRun(): StudioRun {
    if (!this.run) throw new Error('no run yet: train one, open a run folder, or pick a shipped run under Runs');
    return this.run;
  }

  /** Live tensors of the page's engine: end-to-end tests check that the views leak none. */
  tensorCount(): number {
    return tf.memory().numTensors;
  }

  status(message: string, error = false): void {
    const line = document.getElementById('status')!;
    line.textContent = message;
    line.className = error ? 'error' : '';
  }
}
