/**
 * Writes chosen test-split examples of a run, as its model sees them (binarized as it was trained),
 * to a CSV, one example per row: input for `genlab complete` or `genlab score`.
 * Usage: node dist/bench/export-test-examples.js RUN OUT.csv INDEX...
 */
import * as fs from 'node:fs';
import { exampleSize } from '../src/data/dataset.js';
import { loadRunData, readRunConfig } from '../src/node/run.js';

const [runDir, out, ...indices] = process.argv.slice(2);
if (!runDir || !out || indices.length === 0) {
  console.error('usage: node dist/bench/export-test-examples.js RUN OUT.csv INDEX...');
  process.exit(2);
}
const test = loadRunData(readRunConfig(runDir)).test;
const D = exampleSize(test);
const rows = indices.map(Number).map((i) => {
  if (!Number.isInteger(i) || i < 0 || i >= test.n) throw new Error(`index ${i}: the test split has ${test.n} examples`);
  return Array.from(test.x.subarray(i * D, (i + 1) * D)).join(',');
});
fs.writeFileSync(out, rows.join('\n') + '\n');
console.log(`wrote ${rows.length} test examples of ${runDir} to ${out}`);
