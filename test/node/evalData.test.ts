/**
 * loadEvaluationSet: other data, other splits and noise, prepared as a run's data are (its
 * binarization and data seed), and refused when their shape is not the run's. Runs are described
 * by their config alone (nothing is trained); the data are small PNG folders.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BinarizeOption } from '../../src/data/prepare.js';
import type { ValueKind } from '../../src/data/dataset.js';
import { writePng } from '../../src/node/data/images.js';
import { loadDataSpec } from '../../src/node/data/spec.js';
import { loadEvaluationSet, parseEvaluationSpec } from '../../src/node/evalData.js';
import { loadRunData, type RunConfig } from '../../src/node/run.js';
import { pngLengthBits } from '../../src/node/complexity.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-evaldata-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A folder of `n` gray H x W images with varied intensities (image i, pixel j: (37 i + 11 j) mod 256). */
function folder(name: string, n: number, H: number, W: number): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  for (let i = 0; i < n; i++) {
    const data = Uint8Array.from({ length: H * W }, (_, j) => (37 * i + 11 * j + (name === 'b' ? 90 : 0)) % 256);
    writePng(path.join(dir, `${String(i).padStart(3, '0')}.png`), { width: W, height: H, channels: 1, data });
  }
  return dir;
}
const a = folder('a', 40, 6, 5);
const b = folder('b', 30, 6, 5);
const small = folder('small', 10, 4, 4);

/** The config a run of `markov` on images:a would have (what loadEvaluationSet reads of it). */
function runConfig(binarize: BinarizeOption, dataSeed = 3, extra: Partial<RunConfig['data']> = {}, kind: ValueKind = 'binary'): RunConfig {
  return {
    format: 'genlab-run',
    version: 1,
    command: 'genlab train markov',
    createdAt: '',
    backend: 'cpu',
    model: { name: 'markov', config: {} },
    data: { spec: `images:${a}`, binarize, dataSeed, shape: [6, 5, 1], kind, trainExamples: 36, testExamples: 4, ...extra },
    train: { epochs: 1, batchSize: 10, seed: 1 },
  };
}

test('specs: NAME[:train|test] (default test), noise[:N]; malformed ones are refused', () => {
  assert.deepEqual(parseEvaluationSpec('mnist'), { kind: 'data', data: 'mnist', split: 'test' });
  assert.deepEqual(parseEvaluationSpec('fashion:train'), { kind: 'data', data: 'fashion', split: 'train' });
  assert.deepEqual(parseEvaluationSpec('csv:/x/y.csv:test'), { kind: 'data', data: 'csv:/x/y.csv', split: 'test' });
  assert.deepEqual(parseEvaluationSpec('noise'), { kind: 'noise', n: 10000 });
  assert.deepEqual(parseEvaluationSpec('noise:25'), { kind: 'noise', n: 25 });
  assert.throws(() => parseEvaluationSpec('noise:0'), /noise:N needs a number of images N >= 1/);
  assert.throws(() => parseEvaluationSpec(':test'), /names no data set/);
});

test('other data are thresholded as the run\'s: x = 1 exactly where the 8-bit value / 255 > 0.5', () => {
  const d = loadEvaluationSet(runConfig('threshold'), `images:${b}:test`);
  const rawTest = loadDataSpec(`images:${b}`).test;
  assert.equal(d.name, `images:${b}/test`);
  assert.deepEqual([d.n, d.kind, d.shape], [rawTest.n, 'binary', [6, 5, 1]]);
  assert.deepEqual(Array.from(d.x), Array.from(rawTest.x, (v) => (v / 255 > 0.5 ? 1 : 0)));
});

test("the run's own test split comes back exactly as the run sees it (stochastic and dynamic binarization)", () => {
  for (const binarize of ['stochastic', 'dynamic'] as const) {
    const config = runConfig(binarize);
    const own = loadRunData(config);
    const test = loadEvaluationSet(config, `images:${a}`);
    assert.deepEqual(test.x, own.test.x, binarize);
    // The train split too (the run kept it whole here): one fixed draw, not the raw intensities.
    const train = loadEvaluationSet(config, `images:${a}:train`);
    assert.deepEqual(train.x, own.train.x, `${binarize} train`);
    assert.ok(train.x.every((v) => v === 0 || v === 1));
  }
  // Another data seed, another draw of the same images.
  const reseeded = loadEvaluationSet(runConfig('stochastic', 4), `images:${a}`);
  assert.notDeepEqual(reseeded.x, loadEvaluationSet(runConfig('stochastic', 3), `images:${a}`).x);
  // The run's --train-limit chose what it trained on; the evaluation set is the whole split.
  const limited = runConfig('stochastic', 3, { trainLimit: 5 });
  assert.equal(loadRunData(limited).train.n, 5);
  assert.equal(loadEvaluationSet(limited, `images:${a}:train`).n, 36);
});

test('noise: N images of the run\'s shape from a fixed seed, prepared as its data', () => {
  const binary = loadEvaluationSet(runConfig('stochastic'), 'noise:40');
  assert.deepEqual([binary.name, binary.n, binary.shape, binary.kind], ['noise:40', 40, [6, 5, 1], 'binary']);
  const ones = binary.x.reduce((s, v) => s + v, 0);
  assert.ok(binary.x.every((v) => v === 0 || v === 1));
  // Uniform intensities binarized: fair coins, 1200 of them (sd of the count ~17).
  assert.ok(Math.abs(ones - 600) < 100, `${ones} ones of 1200`);
  assert.deepEqual(loadEvaluationSet(runConfig('stochastic'), 'noise:40').x, binary.x, 'the same noise every time');
  // An 8-bit run (tabular models counting 256 states) gets integers 0..255.
  const levels = loadEvaluationSet(runConfig('none', 3, {}, 'uint8'), 'noise:20');
  assert.equal(levels.kind, 'uint8');
  assert.ok(levels.x.every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
  assert.ok(new Set(levels.x).size > 200, 'spread over the 256 levels');
});

test('data of another shape is refused, naming both shapes', () => {
  assert.throws(
    () => loadEvaluationSet(runConfig('threshold'), `images:${small}`),
    (e: Error) => e.name === 'UserError' && /has examples of shape 4x4x1, but the run's model \(markov on images:.*\) takes 6x5x1/.test(e.message),
  );
});

test('L(x): PNG bits of each image; a binary image is compressed as the 0/255 picture, a plain one shorter than a busy one', () => {
  const shape = [6, 5, 1];
  const pattern = Float32Array.from({ length: 30 }, (_, j) => (j * 7) % 3 === 0 ? 1 : 0);
  const binary = pngLengthBits({ name: 'bin', n: 1, shape, kind: 'binary', x: pattern });
  const asLevels = pngLengthBits({ name: 'u8', n: 1, shape, kind: 'uint8', x: pattern.map((v) => 255 * v) });
  assert.equal(binary[0], asLevels[0]);
  assert.equal(binary[0] % 8, 0, 'whole bytes');
  const plain = pngLengthBits({ name: 'plain', n: 1, shape: [28, 28, 1], kind: 'uint8', x: new Float32Array(784).fill(0) });
  const busy = pngLengthBits({ name: 'busy', n: 1, shape: [28, 28, 1], kind: 'uint8', x: Float32Array.from({ length: 784 }, (_, j) => (j * 7919) % 251) });
  assert.ok(plain[0] < busy[0], `${plain[0]} < ${busy[0]}`);
  assert.throws(() => pngLengthBits({ name: 'toy', n: 1, shape: [2], kind: 'real', x: new Float32Array(2) }), /not images/);
});
