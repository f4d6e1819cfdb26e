/**
 * Runs: the current run's summary; open a run folder trained with the CLI (a folder picker, several
 * files, a .tar, or dropped onto the page) and use it in every view; export the current run (trained
 * here or opened) as a .tar of a run folder, which `tar xf` unpacks into a folder the CLI reads
 * (`genlab info`, `sample`, `eval`, `--resume`); and the small runs shipped with the studio, so every
 * view works before anything is trained.
 */
import { readRunFiles, readTar, runFolderFiles, writeTar, type RunFile } from '../../../src/index.js';
import type { StudioRun } from '../protocol.js';
import type { Studio, View } from '../studio.js';
import { button, el } from '../ui.js';

/** A shipped run: web/public/runs/FILE (a .tar of a CLI run folder), listed in web/public/runs/index.json. */
interface ShippedRun {
  file: string;
  title: string;
  /** The command that trained it (bench/studio-runs.sh). */
  command: string;
}

export const runsView: View = {
  id: 'runs',
  title: 'Runs',
  mount(root, studio) {
    const folderInput = el('input', { type: 'file', id: 'runs-open-folder', webkitdirectory: '', multiple: '' });
    const filesInput = el('input', { type: 'file', id: 'runs-open-files', multiple: '', accept: '.tar,.json,.jsonl,.bin' });
    const drop = el('div', { id: 'runs-drop', class: 'panel' }, 'or drop a run folder or .tar here');
    const shipped = el('div', { id: 'runs-shipped' });
    const summary = el('div', { id: 'runs-summary', class: 'readout' }, 'no run yet');

    const open = async (files: RunFile[], name?: string): Promise<void> => {
      try {
        const run = await runFromFiles(files, name);
        studio.setRun(run);
        studio.status(`opened ${run.name}: ${run.config.model.name} on ${run.config.data.spec}, step ${run.checkpoint.info.train.step}`);
      } catch (e) {
        studio.status(`cannot open ${name ?? 'the run'}: ${(e as Error).message}`, true);
      }
    };
    const openPicked = async (list: FileList | null): Promise<void> => {
      if (!list || list.length === 0) return;
      const files = await Promise.all([...list].map(async (f) => ({ path: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      // A folder picker names the folder; several picked files name nothing (the run's config will).
      const folder = list[0].webkitRelativePath.split('/')[0];
      await open(files, folder || (list.length === 1 ? list[0].name : undefined));
    };
    folderInput.addEventListener('change', () => void openPicked(folderInput.files));
    filesInput.addEventListener('change', () => void openPicked(filesInput.files));
    drop.addEventListener('dragover', (e) => e.preventDefault());
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      void droppedFiles(e.dataTransfer!).then((files) => open(files, files[0]?.path.split('/')[0] ?? 'dropped files'));
    });

    const exportRun = async (): Promise<void> => {
      const run = studio.requireRun();
      const bytes = writeTar(await runFolderFiles({ config: run.config, metrics: run.metrics, checkpoint: run.checkpoint }), run.name);
      const link = el('a', { href: URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/x-tar' })), download: `${run.name}.tar` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      studio.status(`exported ${run.name}.tar: unpack it with 'tar xf ${run.name}.tar', then e.g. 'npx genlab sample ${run.name} -n 64 --out samples.png'`);
    };

    void fetch(new URL('runs/index.json', studio.base))
      .then((r) => (r.ok ? (r.json() as Promise<ShippedRun[]>) : []))
      .then((list) => {
        shipped.replaceChildren(
          ...list.map((s) =>
            el('div', {}, button(s.title, `runs-shipped-${s.file.replace(/\.tar$/, '')}`, () => {
              void fetch(new URL(`runs/${s.file}`, studio.base))
                .then((r) => r.arrayBuffer())
                .then((buf) => open(readTar(new Uint8Array(buf)), s.file.replace(/\.tar$/, '')));
            }), el('div', { class: 'readout' }, s.command)),
          ),
        );
      });

    studio.onRun((run) => {
      summary.textContent = run ? describe(run) : 'no run yet';
    });

    root.append(
      el(
        'div',
        { class: 'panel' },
        el('h2', {}, 'Open a run'),
        el('p', {}, 'A run folder written by ', el('code', {}, 'genlab train'), ' (its config.json, metrics.jsonl and checkpoints/), or a .tar of one:'),
        el('label', {}, 'folder ', folderInput),
        el('br'),
        el('label', {}, 'files or .tar ', filesInput),
        drop,
        el('h2', {}, 'Shipped runs'),
        shipped,
      ),
      el(
        'div',
        { class: 'panel' },
        el('h2', {}, 'Current run'),
        el('div', { class: 'buttons' }, button('Export as run folder (.tar)', 'runs-export', () => void exportRun().catch((e: Error) => studio.status(e.message, true)))),
        summary,
      ),
    );
  },
};

/** A run from the files of a run folder, or from one .tar of it. */
export async function runFromFiles(files: RunFile[], name?: string): Promise<StudioRun> {
  const tar = files.length === 1 && files[0].path.endsWith('.tar') ? readTar(files[0].bytes) : undefined;
  const read = await readRunFiles(tar ?? files);
  const fallback = `${read.config.model.name}-${read.config.data.spec.replace(/[^A-Za-z0-9]+/g, '_')}`;
  return { name: name?.replace(/\.tar$/, '') ?? fallback, config: read.config, metrics: read.metrics, checkpoint: { info: read.checkpoint.manifest, parts: read.checkpoint.parts } };
}

/** The files of a drop: folders are walked (webkitGetAsEntry), paths kept relative to the drop. */
async function droppedFiles(transfer: DataTransfer): Promise<RunFile[]> {
  const out: RunFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path: prefix + entry.name, bytes: new Uint8Array(await file.arrayBuffer()) });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const item of [...transfer.items]) {
    const entry = item.webkitGetAsEntry();
    if (entry) await walk(entry, '');
  }
  return out;
}

function describe(run: StudioRun): string {
  const { config, checkpoint, metrics } = run;
  const last = [...metrics].reverse().find((m) => m.event === 'epoch');
  const figures = last ? Object.entries(last).filter(([k, v]) => typeof v === 'number' && k !== 'step' && k !== 'epoch').map(([k, v]) => `  ${k}: ${(v as number).toPrecision(5)}`) : [];
  return [
    `${run.name}`,
    `model  ${config.model.name} ${JSON.stringify(checkpoint.info.model.config)}`,
    `data   ${config.data.spec} (${config.data.kind}, shape ${config.data.shape.join('x')}, ${config.data.trainExamples} train examples, binarize ${config.data.binarize})`,
    `train  epoch ${checkpoint.info.train.epoch} of ${config.train.epochs}, step ${checkpoint.info.train.step}, backend ${checkpoint.info.backend}`,
    `command ${config.command}`,
    ...(figures.length ? ['last epoch:', ...figures] : []),
  ].join('\n');
}
