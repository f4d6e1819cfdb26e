/**
 * The data slices the studio bundles (see vite.config.ts): the first TRAIN / TEST examples of MNIST;
 * for Fashion-MNIST, whose splits are ordered by class, every k-th example so that all ten classes
 * are present. web/src/data.ts records which examples a slice holds in the runs it exports.
 */
import type { Dataset } from '../dist/src/node/index.js';
import type { SliceInfo } from './src/data';

/** genlab's compiled Node entry, loaded at run time (not bundled into the Vite config). */
async function genlabNode(): Promise<typeof import('../dist/src/node/index.js')> {
  return import(new URL('../dist/src/node/index.js', import.meta.url).href);
}

export const SLICE_SIZES = { train: 10000, test: 2000 } as const;


export async function studioSlices(): Promise<Map<string, Uint8Array>> {
  const { loadMnist, loadFashionMnist } = await genlabNode();
  const files = new Map<string, Uint8Array>();
  const index: SliceInfo[] = [];
  const sets: [SliceInfo['name'], () => { train: Dataset; test: Dataset }][] = [['mnist', loadMnist], ['fashion', () => loadFashionMnist({ say: () => {} })]];
  for (const [name, load] of sets) {
    let splits: { train: Dataset; test: Dataset };
    try {
      splits = load();
    } catch {
      continue; // fashion-mnist is an optional dependency
    }
    for (const split of ['train', 'test'] as const) {
      const d = splits[split];
      const n = Math.min(SLICE_SIZES[split], d.n);
      const stride = name === 'fashion' ? Math.floor(d.n / n) : 1;
      const D = d.shape.reduce((a, b) => a * b, 1);
      const images = new Uint8Array(n * D);
      const labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const j = i * stride;
        for (let k = 0; k < D; k++) images[i * D + k] = d.x[j * D + k];
        labels[i] = d.labels![j];
      }
      files.set(`data/${name}-${split}.u8`, images);
      files.set(`data/${name}-${split}.labels`, labels);
      index.push({ name, split, n, shape: d.shape, classNames: d.classNames ?? [], start: 0, stride });
    }
  }
  files.set('data/index.json', new TextEncoder().encode(JSON.stringify(index)));
  return files;
}
