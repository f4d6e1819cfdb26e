/**
 * Writes genlab's binarized MNIST (stochastic, --data-seed 0: the exact draw every genlab run uses)
 * as raw bytes, so a reference implementation (bench/reference/*.py) trains and tests on the same bits.
 * Usage: node dist/bench/export-binarized-mnist.js OUT_DIR   -> OUT_DIR/{train,test}-x.u8, {train,test}-y.u8
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareData } from '../src/data/prepare.js';
import { loadMnist } from '../src/node/data/mnist.js';

const out = process.argv[2] ?? '.cache/genlab/binarized-mnist';
fs.mkdirSync(out, { recursive: true });
const data = prepareData(loadMnist(), ['binary'], { binarize: 'stochastic', dataSeed: 0 });
for (const split of ['train', 'test'] as const) {
  const d = data[split];
  fs.writeFileSync(path.join(out, `${split}-x.u8`), Uint8Array.from(d.x));
  fs.writeFileSync(path.join(out, `${split}-y.u8`), Uint8Array.from(d.labels ?? []));
  console.log(`${split}: ${d.n} x ${d.x.length / d.n}`);
}
