/**
 * Data in the studio: the bundled MNIST / Fashion-MNIST slices (web/slices.ts cuts them at build
 * time), the 2-D toys (generated as the CLI generates them), a CSV file or a folder of PNGs the user
 * picked (./upload.ts reads them as the CLI does), prepared for a model exactly as the CLI prepares
 * them (`prepareData`: the binarization a model needs, with the run's data seed).
 */
import { splitDeterministically, toySplits, TOY_NAMES, type DataSplits, type Dataset, type DataSpecOptions } from '../../src/index.js';

export interface SliceInfo {
  name: 'mnist' | 'fashion';
  split: 'train' | 'test';
  n: number;
  shape: number[];
  classNames: string[];
  /** Example i of the slice is example start + i * stride of the whole split. */
  start: number;
  stride: number;
}

/** The data sets the studio offers: the bundled slices present, then the toys. */
export async function dataChoices(base: string): Promise<string[]> {
  const index = await sliceIndex(base);
  const images = [...new Set(index.map((s) => s.name))];
  return [...images, ...TOY_NAMES.map((t) => `toy:${t}`)];
}

const indexCache = new Map<string, Promise<SliceInfo[]>>();

export function sliceIndex(base: string): Promise<SliceInfo[]> {
  let cached = indexCache.get(base);
  if (!cached) {
    cached = fetch(new URL('data/index.json', base)).then((r) => {
      if (!r.ok) throw new Error(`the bundled data index is missing (${r.status}); was the studio built with 'npm run studio:build'?`);
      return r.json() as Promise<SliceInfo[]>;
    });
    indexCache.set(base, cached);
  }
  return cached;
}

/** What a studio data set records in an exported run, so the CLI finds the same examples. */
export interface StudioDataSource {
  /** The CLI's --data spec. */
  spec: string;
  /** The slice holds the first trainLimit training examples (MNIST); absent for the toys. */
  trainLimit?: number;
  /** Fashion-MNIST slices take every k-th example (its splits are ordered by class). */
  stride?: number;
  /** A picked CSV file's column of class labels (--label-column). */
  labelColumn?: string;
  /** The size a picked folder's images were resized to (--size). */
  size?: [number, number];
}

/** A data set read from the user's files, whole (split when loaded, as the CLI splits csv: and images: data). */
export interface Upload {
  dataset: Dataset;
  source: StudioDataSource;
}

/** The files picked in this page (or sent to this worker), by spec: the newest pick of each name. */
const uploads = new Map<string, Upload>();

/** Makes a picked data set loadable by its spec ('csv:FILE', 'images:FOLDER'). */
export function addUpload(upload: Upload): void {
  uploads.set(upload.source.spec, upload);
}

/**
 * Both splits of a studio data set, as the CLI loads `--data spec` with `options` (a run config's
 * data section will do): 8-bit images (kind 'uint8'), real points, or a picked file's values.
 */
export async function loadStudioData(spec: string, base: string, options: DataSpecOptions = {}): Promise<DataSplits & { source: StudioDataSource }> {
  if (spec.startsWith('toy:')) return { ...toySplits(spec.slice(4), options.toyExamples ?? 10000), source: { spec } };
  if (spec.startsWith('csv:') || spec.startsWith('images:')) return { ...splitDeterministically(pickedData(spec, options)), source: uploads.get(spec)!.source };
  const index = await sliceIndex(base);
  const train = index.find((s) => s.name === spec && s.split === 'train');
  const test = index.find((s) => s.name === spec && s.split === 'test');
  if (!train || !test) throw new Error(`'${spec}' is not bundled with this studio (bundled: ${[...new Set(index.map((s) => s.name))].join(', ')})`);
  const [trainSet, testSet] = await Promise.all([loadSlice(train, base), loadSlice(test, base)]);
  const source: StudioDataSource = { spec, ...(train.stride === 1 ? { trainLimit: train.n } : { stride: train.stride }) };
  return { train: trainSet, test: testSet, source };
}

/** The picked data set `spec` names, read with `options`; one picked otherwise (or not at all) must be picked again. */
function pickedData(spec: string, options: DataSpecOptions): Dataset {
  const upload = uploads.get(spec);
  const again = `pick it again under Train (data: ${spec.startsWith('csv:') ? 'CSV file…' : 'folder of PNGs…'})`;
  if (!upload) throw new Error(`'${spec}' is a file of yours that this page has not read; ${again}`);
  const { labelColumn, size } = upload.source;
  if (labelColumn !== options.labelColumn || String(size) !== String(options.size)) {
    const as = (o: DataSpecOptions): string => (spec.startsWith('csv:') ? `label column ${o.labelColumn ?? 'none'}` : `size ${o.size?.join('x') ?? 'as stored'}`);
    throw new Error(`'${spec}' was read with ${as(upload.source)}, the run with ${as(options)}; ${again}`);
  }
  return upload.dataset;
}

async function loadSlice(info: SliceInfo, base: string): Promise<Dataset> {
  const bytes = async (file: string): Promise<Uint8Array> => {
    const r = await fetch(new URL(`data/${info.name}-${info.split}.${file}`, base));
    if (!r.ok) throw new Error(`cannot load data/${info.name}-${info.split}.${file} (${r.status})`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const [images, labels] = await Promise.all([bytes('u8'), bytes('labels')]);
  return {
    name: `${info.name}/${info.split}`,
    x: Float32Array.from(images),
    n: info.n,
    shape: info.shape,
    kind: 'uint8',
    labels: Int32Array.from(labels),
    classNames: info.classNames,
  };
}

/** Examples start .. start + n - 1 of a data set (views of its arrays, no copy). */
export function examples(d: Dataset, start: number, n: number): Dataset {
  const D = d.shape.reduce((a, b) => a * b, 1);
  const m = Math.max(0, Math.min(n, d.n - start));
  return { ...d, n: m, x: d.x.subarray(start * D, (start + m) * D), labels: d.labels?.subarray(start, start + m) };
}
