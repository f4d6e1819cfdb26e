/**
 * Train: choose data, a model and its options (a form generated from the model's option
 * declaration), then start, pause, step or resume. Training runs in a Web Worker (../worker.ts) with
 * genlab's `fit`; the page draws the loss curves and the newest sample grid, and the header shows
 * the worker's backend and its steps per second. Every pause and the run's end hand the run to the
 * other views.
 *
 * Data: the bundled slices, the toys, or the user's own CSV file or folder of PNGs, which the page
 * reads as `genlab train --data csv:FILE` / `images:DIR` would (../upload.ts) and hands to the worker;
 * the run records that spec, so the CLI reads the run (and evaluates it beside the same file).
 *
 * Workers: more than one trains data-parallel, the training worker being replica 0 and each other
 * replica a Web Worker of its own (../replicas.ts), when the page is cross-origin isolated.
 */
import { listModels, getEntry, MIN_AUTO_SHARD, parseImageSize } from '../../../src/index.js';
import { addUpload, dataChoices, type Upload } from '../data.js';
import type { FromWorker, ToWorker, TrainRequest } from '../protocol.js';
import { canShareMemory } from '../replicas.js';
import type { Studio, View } from '../studio.js';
import { button, drawSamples, el, field, LineChart, optionsForm } from '../ui.js';
import { readCsvFile, readImageFolder } from '../upload.js';

/** The data choices that read the user's files. */
const PICK_CSV = 'pick:csv';
const PICK_IMAGES = 'pick:images';

export const trainView: View = {
  id: 'train',
  title: 'Train',
  mount(root, studio) {
    const worker = new Worker(new URL('../worker.ts', import.meta.url), { type: 'module' });
    const send = (msg: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(msg, transfer);
    send({ type: 'init', base: studio.base, backend: studio.requestedBackend });

    // Controls.
    const dataSelect = el('select', { id: 'train-data' });
    const modelSelect = el('select', { id: 'train-model' }, ...listModels().map((m) => el('option', { value: m.name }, `${m.name} (${m.family})`)));
    const epochs = el('input', { id: 'train-epochs', type: 'number', value: '1', min: '1' });
    const batchSize = el('input', { id: 'train-batch', type: 'number', value: '64', min: '1' });
    const learningRate = el('input', { id: 'train-lr', type: 'text', placeholder: "the model's default" });
    const seed = el('input', { id: 'train-seed', type: 'number', value: '1' });
    const sampleEvery = el('input', { id: 'train-sample-every', type: 'number', value: '50', min: '0' });
    const trainLimit = el('input', { id: 'train-limit', type: 'text', placeholder: 'all of them' });
    // Data-parallel Web Workers need shared memory, which only a cross-origin-isolated page has.
    const cores = navigator.hardwareConcurrency || 1;
    // Empty: auto, as genlab train's default (one replica per core on wasm / cpu; the worker decides).
    const workers = el('input', { id: 'train-workers', type: 'number', value: '', placeholder: 'auto', min: '1', max: String(Math.max(cores, 1)) });
    if (!canShareMemory()) workers.disabled = true;
    const workersHint = canShareMemory()
      ? `data-parallel replicas, one Web Worker each; empty: auto, one per core (this machine has ${cores}) on wasm, one on a GPU backend, shards of at least ${MIN_AUTO_SHARD} examples`
      : 'needs a cross-origin-isolated page (served with COOP / COEP headers, as npm run studio does)';
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
    // The bundled data and the toys, then the user's own files (offered even when the bundle is missing).
    const pickChoices = (): HTMLOptionElement[] => [el('option', { value: PICK_CSV }, 'CSV file…'), el('option', { value: PICK_IMAGES }, 'folder of PNGs…')];
    void dataChoices(studio.base).then(
      (choices) => {
        dataSelect.replaceChildren(...choices.map((c) => el('option', { value: c }, c)), ...pickChoices());
        showPick();
      },
      (e: Error) => {
        dataSelect.replaceChildren(...pickChoices());
        showPick();
        studio.status(e.message, true);
      },
    );

    // The user's own data: read when picked (or its options change), so mistakes show at once.
    const csvFile = el('input', { type: 'file', id: 'train-upload-csv', accept: '.csv' });
    const labelColumn = el('input', { type: 'text', id: 'train-upload-label', placeholder: 'none' });
    const imageFolder = el('input', { type: 'file', id: 'train-upload-images', webkitdirectory: '', multiple: '' });
    const imageSize = el('input', { type: 'text', id: 'train-upload-size', placeholder: "the first image's" });
    const pickInfo = el('div', { id: 'train-upload-info', class: 'readout' });
    const csvBox = el('div', { id: 'train-upload-csv-box' }, field('CSV file', csvFile), field('label column', labelColumn, 'the column of class labels, as --label-column (needs a header row)'));
    const imagesBox = el('div', { id: 'train-upload-images-box' }, field('folder', imageFolder), field('size HxW', imageSize, 'resize every image, as --size (e.g. 28x28)'));
    let picked: Promise<Upload> | undefined;
    const readPicked = (): Promise<Upload> => {
      if (dataSelect.value === PICK_CSV) {
        const file = csvFile.files?.[0];
        if (!file) return Promise.reject(new Error('choose a CSV file'));
        return readCsvFile(file, labelColumn.value.trim() || undefined);
      }
      const files = [...(imageFolder.files ?? [])];
      if (files.length === 0) return Promise.reject(new Error('choose a folder of PNG files'));
      const size = imageSize.value.trim();
      try {
        return readImageFolder(files, size ? parseImageSize(size, 'size') : undefined);
      } catch (e) {
        return Promise.reject(e);
      }
    };
    const showPick = (): void => {
      const picking = dataSelect.value === PICK_CSV || dataSelect.value === PICK_IMAGES;
      csvBox.hidden = dataSelect.value !== PICK_CSV;
      imagesBox.hidden = dataSelect.value !== PICK_IMAGES;
      pickInfo.hidden = !picking;
      picked = undefined;
      pickInfo.textContent = '';
      delete pickInfo.dataset.examples;
      const chosen = dataSelect.value === PICK_CSV ? csvFile.files?.length : imageFolder.files?.length;
      if (!picking || !chosen) return;
      const reading = (picked = readPicked());
      pickInfo.textContent = 'reading…';
      reading.then(
        (upload) => {
          if (picked !== reading) return;
          pickInfo.textContent = describePick(upload);
          pickInfo.dataset.examples = String(upload.dataset.n);
        },
        (e: Error) => {
          if (picked !== reading) return;
          pickInfo.textContent = e.message;
          studio.status(e.message, true);
        },
      );
    };
    for (const input of [dataSelect, csvFile, labelColumn, imageFolder, imageSize]) input.addEventListener('change', showPick);
    showPick();

    const state = el('div', { id: 'train-state', class: 'readout' }, 'idle');
    const progress = el('div', { id: 'train-progress', class: 'readout' });
    const chart = new LineChart('train-chart');
    const samples = el('canvas', { id: 'train-samples', width: '1', height: '1' });
    const samplesNote = el('div', { class: 'readout', id: 'train-samples-note' });

    const start = async (): Promise<void> => {
      let request: TrainRequest;
      const transfer: Transferable[] = [];
      try {
        const modelConfig = form.read();
        let upload: Upload | undefined;
        if (dataSelect.value === PICK_CSV || dataSelect.value === PICK_IMAGES) {
          upload = await (picked ??= readPicked());
          // The page's own views load it by its spec too (Studio.currentData).
          addUpload(upload);
          // The worker gets a copy: the page keeps its arrays.
          const { dataset } = upload;
          const x = dataset.x.slice();
          const labels = dataset.labels?.slice();
          transfer.push(x.buffer, ...(labels ? [labels.buffer] : []));
          upload = { source: upload.source, dataset: { ...dataset, x, labels } };
        }
        request = {
          model: modelSelect.value,
          modelConfig,
          data: upload?.source.spec ?? dataSelect.value,
          ...(upload && { upload }),
          epochs: positiveInt(epochs.value, 'epochs'),
          batchSize: positiveInt(batchSize.value, 'batch size'),
          ...(learningRate.value.trim() && { learningRate: Number(learningRate.value) }),
          seed: Number(seed.value) || 0,
          sampleEvery: Math.max(0, Math.floor(Number(sampleEvery.value) || 0)),
          sampleCount: 36,
          ...(trainLimit.value.trim() && { trainLimit: positiveInt(trainLimit.value, 'train limit') }),
          ...(canShareMemory() && { workers: workers.value.trim() === '' ? 'auto' : positiveInt(workers.value, 'workers') }),
        };
      } catch (e) {
        studio.status((e as Error).message, true);
        return;
      }
      chart.clear();
      current = '';
      epochLines.length = 0;
      studio.status(`training ${request.model} on ${request.data}…`);
      send({ type: 'train', request }, transfer);
    };

    root.append(
      el(
        'div',
        { class: 'panel' },
        el('h2', {}, 'Data and model'),
        field('data', dataSelect),
        csvBox,
        imagesBox,
        pickInfo,
        field('model', modelSelect),
        field('epochs', epochs),
        field('batch size', batchSize),
        field('learning rate', learningRate),
        field('seed', seed),
        field('train examples', trainLimit, 'use the first N training examples'),
        field('samples every', sampleEvery, 'steps between live sample grids (0: epoch ends)'),
        field('workers', workers, workersHint),
        el(
          'div',
          { class: 'buttons' },
          button('Start', 'train-start', () => void start()),
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
    /** The progress readout: the newest step's line, then one line per finished epoch. */
    let current = '';
    const epochLines: string[] = [];

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
          current = `epoch ${msg.epoch + 1} batch ${msg.batch}/${msg.batchesPerEpoch} step ${msg.step}\n${terms}`;
          progress.textContent = [current, ...epochLines].join('\n');
          progress.dataset.step = String(msg.step);
          chart.add(msg.step, { loss: msg.metrics.loss });
          const indicator = document.getElementById('backend')!;
          const onWorkers = msg.replicas > 1 ? ` on ${msg.replicas} workers` : '';
          indicator.textContent = `backend: ${backend} · ${msg.stepsPerSecond.toFixed(1)} steps/s${onWorkers}`;
          indicator.dataset.stepsPerSecond = String(msg.stepsPerSecond);
          indicator.dataset.replicas = String(msg.replicas);
          break;
        }
        case 'epoch':
          epochLines.push(`epoch ${msg.epoch} done${msg.evaluation ? ': ' + Object.entries(msg.evaluation).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ') : ''}`);
          progress.textContent = [current, ...epochLines].join('\n');
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

/** What a picked data set holds, as a line under the inputs. */
function describePick(upload: Upload): string {
  const d = upload.dataset;
  const classes = d.classNames ? `, ${d.classNames.length} classes (${d.classNames.join(', ')})` : d.labels ? ', labelled' : '';
  const features = d.featureNames ? `\ncolumns ${d.featureNames.join(', ')}` : '';
  return `${upload.source.spec}: ${d.n} examples of shape ${d.shape.join('x')} (${d.kind})${classes}${features}`;
}
