/**
 * Train: choose data, a model and its options (a form generated from the model's option
 * declaration), then start, pause, step or resume. Training runs in a Web Worker (../worker.ts) with
 * genlab's `fit`; the page draws the loss curves and the newest sample grid, and the header shows
 * the worker's backend and its steps per second. Every pause and the run's end hand the run to the
 * other views.
 */
import { getEntry, listModels } from '../../../src/index.js';
import { dataChoices } from '../data.js';
import type { FromWorker, ToWorker, TrainRequest } from '../protocol.js';
import type { Studio, View } from '../studio.js';
import { button, drawSamples, el, field, LineChart, optionsForm } from '../ui.js';

export const trainView: View = {
  id: 'train',
  title: 'Train',
  mount(root, studio) {
    const worker = new Worker(new URL('../worker.ts', import.meta.url), { type: 'module' });
    const send = (msg: ToWorker): void => worker.postMessage(msg);
    send({ type: 'init', base: studio.base, backend: studio.requestedBackend });

    // Controls.
    const dataSelect = el('select', { id: 'train-data' });
    const modelSelect = el('select', { id: 'train-model' }, ...listModels().map((m) => el('option', { value: m.name }, `${m.name} (${m.family})`)));
    const epochs = el('input', { id: 'train-epochs', type: 'number', value: '1', min: '1' });
    const batchSize = el('input', { id: 'train-batch', type: 'number', value: '64', min: '1' });
    const learningRate = el('input', { id: 'train-lr', type: 'text', placeholder: "the model's default" });
    const seed = el('input', { id: 'train-seed', type: 'number', value: '1' });
    const sampleEvery = el('input', { id: 'train-sample-every', type: 'number', value: '50', min: '0' });
    const trainLimit = el('input', { id: 'train-limit', type: 'text', placeholder: 'the whole slice' });
    const optionsBox = el('div', { id: 'train-options' });
    let form = optionsForm('vae', {});
    const showOptions = (): void => {
      form = optionsForm(modelSelect.value, listModels().find((m) => m.name === modelSelect.value)!.options);
      optionsBox.replaceChildren(el('h2', {}, `${modelSelect.value} options`), form.element);
      const defaults = getEntry(modelSelect.value).training;
      learningRate.placeholder = `default ${defaults?.learningRate ?? 1e-3}`;
    };
    modelSelect.value = 'vae';
    modelSelect.addEventListener('change', showOptions);
    showOptions();
    void dataChoices(studio.base).then(
      (choices) => dataSelect.replaceChildren(...choices.map((c) => el('option', { value: c }, c))),
      (e: Error) => studio.status(e.message, true),
    );

    const state = el('div', { id: 'train-state', class: 'readout' }, 'idle');
    const progress = el('div', { id: 'train-progress', class: 'readout' });
    const chart = new LineChart('train-chart');
    const samples = el('canvas', { id: 'train-samples', width: '1', height: '1' });
    const samplesNote = el('div', { class: 'readout', id: 'train-samples-note' });

    const start = (): void => {
      let request: TrainRequest;
      try {
        request = {
          model: modelSelect.value,
          modelConfig: form.read(),
          data: dataSelect.value,
          epochs: positiveInt(epochs.value, 'epochs'),
          batchSize: positiveInt(batchSize.value, 'batch size'),
          ...(learningRate.value.trim() && { learningRate: Number(learningRate.value) }),
          seed: Number(seed.value) || 0,
          sampleEvery: Math.max(0, Math.floor(Number(sampleEvery.value) || 0)),
          sampleCount: 36,
          ...(trainLimit.value.trim() && { trainLimit: positiveInt(trainLimit.value, 'train limit') }),
        };
      } catch (e) {
        studio.status((e as Error).message, true);
        return;
      }
      chart.clear();
      studio.status(`training ${request.model} on ${request.data}…`);
      send({ type: 'train', request });
    };

    root.append(
      el(
        'div',
        { class: 'panel' },
        el('h2', {}, 'Data and model'),
        field('data', dataSelect),
        field('model', modelSelect),
        field('epochs', epochs),
        field('batch size', batchSize),
        field('learning rate', learningRate),
        field('seed', seed),
        field('train examples', trainLimit, 'use the first N examples of the slice'),
        field('samples every', sampleEvery, 'steps between live sample grids (0: epoch ends)'),
        el(
          'div',
          { class: 'buttons' },
          button('Start', 'train-start', start),
          button('Pause', 'train-pause', () => send({ type: 'pause' })),
          button('Resume', 'train-resume', () => send({ type: 'resume' })),
          button('Step', 'train-step', () => send({ type: 'resume', steps: 1 })),
          button('10 steps', 'train-step10', () => send({ type: 'resume', steps: 10 })),
        ),
        state,
        optionsBox,
      ),
      el('div', { class: 'figures' }, el('div', {}, el('h2', {}, 'Loss'), chart.canvas, progress), el('div', {}, el('h2', {}, 'Samples'), samples, samplesNote)),
    );

    worker.onmessage = (e: MessageEvent<FromWorker>) => handle(e.data);
    worker.onerror = (e) => studio.status(`training worker failed: ${e.message}`, true);
    let backend = '';

    function handle(msg: FromWorker): void {
      switch (msg.type) {
        case 'ready':
          backend = msg.backend;
          document.getElementById('backend')!.textContent = `backend: ${backend}`;
          document.body.dataset.backend = backend;
          break;
        case 'state':
          state.textContent = msg.message ? `${msg.state}: ${msg.message}` : msg.state;
          state.dataset.state = msg.state;
          if (msg.state === 'error') studio.status(msg.message ?? 'training failed', true);
          else if (msg.state === 'done') studio.status('training done; the run is in every view, and Runs exports it');
          break;
        case 'progress': {
          const terms = Object.entries(msg.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ');
          progress.textContent = `epoch ${msg.epoch + 1} batch ${msg.batch}/${msg.batchesPerEpoch} step ${msg.step}\n${terms}`;
          progress.dataset.step = String(msg.step);
          chart.add(msg.step, { loss: msg.metrics.loss });
          const indicator = document.getElementById('backend')!;
          indicator.textContent = `backend: ${backend} · ${msg.stepsPerSecond.toFixed(1)} steps/s`;
          indicator.dataset.stepsPerSecond = String(msg.stepsPerSecond);
          break;
        }
        case 'epoch':
          progress.textContent += `\nepoch ${msg.epoch} done${msg.evaluation ? ': ' + Object.entries(msg.evaluation).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ') : ''}`;
          break;
        case 'samples':
          drawSamples(samples, msg.values, msg.count, msg.shape, msg.kind, { cols: 6, scale: msg.shape.length === 3 ? 2 : 1 });
          samples.dataset.step = String(msg.step);
          samplesNote.textContent = `samples at step ${msg.step}`;
          break;
        case 'run':
          studio.setRun(msg.run);
          break;
      }
    }
  },
};

function positiveInt(text: string, what: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be an integer >= 1, got '${text}'`);
  return v;
}
