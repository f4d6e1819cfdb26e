/**
 * Writes genlab's binarized MNIST as raw bytes, so a reference implementation (bench/reference/*.py)
 * trains and tests on the same bits genlab does (--data-seed 0):
 *  - stochastic (default): both splits drawn once, the exact bits of every `--binarize stochastic` run;
 *  - dynamic: train as its 8-bit intensities (the reference redraws every batch, as genlab does) and
 *    test as the fixed draw of every `--binarize dynamic` run.
 * Usage: node dist/bench/export-binarized-mnist.js OUT_DIR [stochastic|dynamic]
 *   -> OUT_DIR/{train,test}-x.u8 (0/1 bits, or 0..255 intensities for dynamic train), {train,test}-y.u8
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareData } from '../src/data/prepare.js';
import { loadMnist } from '../src/node/data/mnist.js';

const out = process.argv[2] ?? '.cache/genlab/binarized-mnist';
const mode = process.argv[3] ?? 'stochastic';
if (mode !== 'stochastic' && mode !== 'dynamic') throw new Error(`binarization '${mode}': expected stochastic or dynamic`);
fs.mkdirSync(out, { recursive: true });
const data = prepareData(loadMnist(), ['binary'], { binarize: mode, dataSeed: 0 });
for (const split of ['train', 'test'] as const) {
  const d = data[split];
  // Dynamic train holds intensities k/255 (toContinuous of the 8-bit pixels): write k back.
  const bytes = d.kind === 'binary' ? Uint8Array.from(d.x) : Uint8Array.from(d.x, (v) => Math.round(v * 255));
  fs.writeFileSync(path.join(out, `${split}-x.u8`), bytes);
  fs.writeFileSync(path.join(out, `${split}-y.u8`), Uint8Array.from(d.labels ?? []));
  console.log(`${split}: ${d.n} x ${d.x.length / d.n} (${d.kind})`);
}
