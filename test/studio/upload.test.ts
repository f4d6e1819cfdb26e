import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { Rng } from '../../src/core/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import { prepareData } from '../../src/data/prepare.js';
import { acceptedKinds } from '../../src/models/registry.js';
import { writePng } from '../../src/node/data/images.js';
import { loadDataSpec } from '../../src/node/data/spec.js';
import { cliRunner } from '../cli/genlab.js';
import { browserMissing, nonBlankFraction, openStudio, screenshot, startStudio, type Studio } from './harness.js';

const skip = browserMissing();

const state = (page: Page, wanted: string, timeout = 120_000) =>
  page.waitForFunction((s) => document.querySelector<HTMLElement>('#train-state')!.dataset.state === s, wanted, { timeout });

/** The current run's data section, and its data as the page's views load it (Studio.currentData). */
async function pageData(page: Page) {
  return page.evaluate(async () => {
    const studio = (window as any).studio;
    const d = await studio.currentData();
    const plain = (s: any) => ({ name: s.name, n: s.n, shape: s.shape, kind: s.kind, x: Array.from(s.x as Float32Array), labels: s.labels ? Array.from(s.labels as Int32Array) : undefined, classNames: s.classNames });
    return { config: studio.run.config.data, train: plain(d.train), test: plain(d.test) };
  });
}

/** A split as pageData returns it. */
function plain(s: Dataset) {
  return { name: s.name, n: s.n, shape: s.shape, kind: s.kind, x: Array.from(s.x), labels: s.labels ? Array.from(s.labels) : undefined, classNames: s.classNames };
}

describe('studio: training on a picked CSV file or folder of PNGs', { skip, timeout: 400_000 }, () => {
  let studio: Studio;
  const cli = cliRunner('genlab-studio-upload-');
  before(async () => {
    studio = await startStudio();
  });
  after(async () => {
    await studio?.close();
  });

  test('a CSV of 2-D points: read as the CLI reads it, realnvp trains and samples, and the exported run evaluates beside the file', async () => {
    // Two Gaussian blobs, 150 points each, at (-2, 0) and (2, 1), std 0.4.
    const rng = new Rng(5);
    const rows = Array.from({ length: 300 }, (_, i) => {
      const [cx, cy] = i % 2 ? [2, 1] : [-2, 0];
      return `${(cx + 0.4 * rng.normal()).toFixed(4)},${(cy + 0.4 * rng.normal()).toFixed(4)}`;
    });
    const file = path.join(cli.tmp, 'blobs.csv');
    fs.writeFileSync(file, `x,y\n${rows.join('\n')}\n`);

    const { page, errors } = await openStudio(studio);
    await page.selectOption('#train-data', 'pick:csv');
    await page.setInputFiles('#train-upload-csv', file);
    await page.waitForSelector('#train-upload-info[data-examples="300"]', { timeout: 30_000 });
    assert.match(await page.textContent('#train-upload-info') ?? '', /csv:blobs\.csv: 300 examples of shape 2 \(real\)\ncolumns x, y/);
    await page.selectOption('#train-model', 'realnvp');
    await page.fill('#opt-couplings', '4');
    await page.fill('#opt-hidden', '16,16');
    await page.fill('#train-epochs', '2');
    await page.fill('#train-batch', '30');
    await page.fill('#train-sample-every', '4');
    await page.click('#train-start');
    await state(page, 'done');
    assert.match(await page.textContent('#run-name') ?? '', /realnvp on csv:blobs\.csv, step 18/); // 2 epochs of 270 / 30
    assert.match(await page.textContent('#train-progress') ?? '', /epoch 2 done: /);
    const grid = await screenshot(page, 'upload-csv-samples', '#train-samples');
    assert.ok(nonBlankFraction(grid) > 0.01, 'the samples are drawn');

    // The run records what `genlab train realnvp --data csv:blobs.csv` records, and trained on the CLI's split.
    const { config, train, test: testSplit } = await pageData(page);
    assert.equal(config.spec, 'csv:blobs.csv');
    assert.deepEqual([config.trainExamples, config.testExamples, config.kind, config.featureNames], [270, 30, 'real', ['x', 'y']]);
    const cliSplits = loadDataSpec(`csv:${file}`);
    assert.deepEqual(train, plain(cliSplits.train));
    assert.deepEqual(testSplit, plain(cliSplits.test));

    // Exported, unpacked next to blobs.csv: the CLI reads, evaluates and samples it.
    await page.click('#tab-runs');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#runs-export')]);
    const tarFile = path.join(cli.tmp, 'csv-run.tar');
    await download.saveAs(tarFile);
    const untar = spawnSync('tar', ['xf', tarFile], { cwd: cli.tmp, encoding: 'utf8' });
    assert.equal(untar.status, 0, untar.stderr);
    const info = cli.genlab('info', 'realnvp-csv_blobs_csv');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /csv:blobs\.csv/);
    const evaluation = cli.json('eval', 'realnvp-csv_blobs_csv', '--json');
    assert.equal(evaluation.split ?? 'test', 'test');
    assert.deepEqual([evaluation.split, evaluation.n], ['test', 30], 'the 30 test rows are scored');
    assert.ok(Number.isFinite(evaluation.nll), `a finite test NLL: ${evaluation.nll}`);
    const sample = cli.genlab('sample', 'realnvp-csv_blobs_csv', '-n', '5', '--out', 'samples.csv');
    assert.equal(sample.code, 0, sample.stderr);
    assert.match(fs.readFileSync(path.join(cli.tmp, 'samples.csv'), 'utf8'), /^x,y\n/);
    await screenshot(page, 'upload-csv');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a folder of class subfolders of PNGs: the browser decodes them to the values the CLI reads; realnvp trains and samples', async () => {
    // 8 x 8 gray glyphs: dots and bars, 10 each, with noise; one bar has an alpha channel (composited over black).
    const dir = path.join(cli.tmp, 'glyphs');
    const rng = new Rng(9);
    for (const cls of ['dots', 'bars']) {
      fs.mkdirSync(path.join(dir, cls), { recursive: true });
      for (let i = 0; i < 10; i++) {
        const data = new Uint8Array(64);
        for (let p = 0; p < 64; p++) {
          const [y, x] = [p >> 3, p & 7];
          const on = cls === 'dots' ? (x - 2 - (i % 4)) ** 2 + (y - 3) ** 2 < 4 : x === 1 + (i % 6);
          data[p] = on ? 200 + rng.int(56) : rng.int(30);
        }
        if (cls === 'bars' && i === 0) {
          const rgba = new Uint8Array(256);
          data.forEach((v, p) => rgba.set([v, v, v, 64 + 3 * p], 4 * p));
          writePng(path.join(dir, cls, `${i}.png`), { width: 8, height: 8, channels: 4, data: rgba });
        } else {
          writePng(path.join(dir, cls, `${i}.png`), { width: 8, height: 8, channels: 1, data });
        }
      }
    }
    fs.writeFileSync(path.join(dir, '.DS_Store'), 'hidden: neither an image nor a class');

    const { page, errors } = await openStudio(studio);
    await page.selectOption('#train-data', 'pick:images');
    await page.fill('#train-upload-size', '6x6');
    await page.setInputFiles('#train-upload-images', dir);
    await page.waitForSelector('#train-upload-info[data-examples="20"]', { timeout: 30_000 });
    assert.match(await page.textContent('#train-upload-info') ?? '', /images:glyphs: 20 examples of shape 6x6x1 \(uint8\), 2 classes \(bars, dots\)/);
    await page.selectOption('#train-model', 'realnvp');
    await page.fill('#opt-couplings', '2');
    await page.fill('#opt-hidden', '16');
    await page.fill('#train-epochs', '2');
    await page.fill('#train-batch', '6');
    await page.fill('#train-sample-every', '3');
    await page.click('#train-start');
    await state(page, 'done');
    assert.match(await page.textContent('#run-name') ?? '', /realnvp on images:glyphs, step 6/); // 2 epochs of 18 / 6
    const grid = await screenshot(page, 'upload-images-samples', '#train-samples');
    assert.ok(nonBlankFraction(grid) > 0.05, 'the sample grid is not blank');

    const { config, train, test: testSplit } = await pageData(page);
    assert.equal(config.spec, 'images:glyphs');
    // A flow takes 8-bit images as intensities in [0, 1] (x / 255, one to one): compared after the same preparation.
    assert.deepEqual([config.size, config.shape, config.kind, config.trainExamples, config.testExamples], [[6, 6], [6, 6, 1], 'continuous', 18, 2]);
    const cliSplits = prepareData(loadDataSpec(`images:${dir}`, { size: [6, 6] }), acceptedKinds('realnvp', {}), { binarize: 'none', dataSeed: 0 });
    assert.deepEqual(train, plain(cliSplits.train));
    assert.deepEqual(testSplit, plain(cliSplits.test));
    assert.deepEqual(train.classNames, ['bars', 'dots']);
    await screenshot(page, 'upload-images');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a malformed CSV is reported with the file and line, and Start trains nothing', async () => {
    const file = path.join(cli.tmp, 'ragged.csv');
    fs.writeFileSync(file, 'x,y\n1,2\n3\n');
    const { page } = await openStudio(studio);
    await page.selectOption('#train-data', 'pick:csv');
    await page.setInputFiles('#train-upload-csv', file);
    await page.waitForFunction(() => document.getElementById('status')!.className === 'error', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#status') ?? '', /ragged\.csv:3: expected 2 columns/);
    await page.evaluate(() => (document.getElementById('status')!.className = ''));
    await page.click('#train-start');
    await page.waitForFunction(() => document.getElementById('status')!.className === 'error', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#status') ?? '', /ragged\.csv:3/);
    assert.equal(await page.$eval('#train-state', (e) => (e as HTMLElement).dataset.state), undefined, 'nothing was sent to train');
    await page.close();
  });
});
