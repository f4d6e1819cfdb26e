/**
 * Training speed in the studio page, per browser backend available here (wasm; webgl, which
 * headless Chromium runs on SwiftShader, a CPU rasterizer; webgpu where an adapter exists), in
 * Debian's chromium: the Train view's worker trains a model for a fixed wall time and the steps
 * per second are read from the progress it reports (whole steps over the measured window, after
 * warm-up steps). That overall rate includes each epoch's end (a test NLL on 500 examples and a grid
 * of 36 samples: MADE's sampler takes 784 passes), so a second figure, the training step alone, is
 * the median over half-second windows of the step counter (a window holding an epoch's end is an
 * outlier there). The same models' Node figures are in bench/results.md (`npm run bench`).
 * wasm also runs with 2 data-parallel Web Workers (the Train view's "workers"; the harness serves
 * the page cross-origin isolated, as `npm run studio` does).
 * Usage: npm run build && node dist/bench/studioSpeed.js [SECONDS] [BACKEND]   (default 40 s per row, every backend)
 */
import type { Page } from 'playwright-core';
import { openStudio, startStudio } from '../test/studio/harness.js';

const seconds = Number(process.argv[2] ?? 40);
const only = process.argv[3];
const SETTINGS = [
  { backend: 'wasm', workers: 1 },
  { backend: 'wasm', workers: 2 },
  { backend: 'webgl', workers: 1 },
  { backend: 'webgpu', workers: 1 },
].filter((c) => !only || c.backend === only);
const MODELS: { label: string; model: string; options: Record<string, string>; batch: number }[] = [
  { label: 'VAE MLP 784-500-20 (binarized MNIST)', model: 'vae', options: {}, batch: 128 },
  { label: 'MADE 784-500-500-784 (binarized MNIST)', model: 'made', options: {}, batch: 100 },
  { label: 'conv VAE (binarized MNIST)', model: 'vae', options: { '#opt-architecture': 'conv' }, batch: 64 },
];

const progressStep = (page: Page): Promise<number> => page.$eval('#train-progress', (e) => Number((e as HTMLElement).dataset.step ?? 0));

const studio = await startStudio();
const rows: string[] = ['| model | batch | backend | workers | steps/s | ms/step, overall | ms/step, training |', '|---|---|---|---|---|---|---|'];
try {
  for (const { backend, workers } of SETTINGS) {
    for (const m of MODELS) {
      const { page } = await openStudio(studio, `?backend=${backend}`);
      const actual = await page.evaluate(() => document.body.dataset.backend);
      if (actual !== backend) {
        rows.push(`| ${m.label} | ${m.batch} | ${backend} | ${workers} | not available here | |`);
        await page.close();
        continue;
      }
      await page.selectOption('#train-data', 'mnist');
      await page.selectOption('#train-model', m.model);
      for (const [selector, value] of Object.entries(m.options)) await page.selectOption(selector, value);
      await page.fill('#train-epochs', '100');
      await page.fill('#train-batch', String(m.batch));
      await page.fill('#train-sample-every', '0');
      await page.fill('#train-workers', String(workers));
      await page.click('#train-start');
      // Warm-up: the first steps compile shaders / grow the heap.
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#train-progress')!.dataset.step ?? 0) >= 5, undefined, { timeout: 300_000 });
      const s0 = await progressStep(page);
      const t0 = Date.now();
      // The step counter every half second: ms per step in each window that saw steps.
      const perWindow: number[] = [];
      let [lastStep, lastTime] = [s0, t0];
      while (Date.now() - t0 < seconds * 1000) {
        await new Promise((r) => setTimeout(r, 500));
        const [stepNow, timeNow] = [await progressStep(page), Date.now()];
        if (stepNow > lastStep) {
          perWindow.push((timeNow - lastTime) / (stepNow - lastStep));
          [lastStep, lastTime] = [stepNow, timeNow];
        }
      }
      const s1 = await progressStep(page);
      const elapsed = (Date.now() - t0) / 1000;
      const rate = (s1 - s0) / elapsed;
      const training = [...perWindow].sort((a, b) => a - b)[Math.floor(perWindow.length / 2)];
      rows.push(`| ${m.label} | ${m.batch} | ${actual} | ${workers} | ${rate.toFixed(2)} | ${(1000 / rate).toFixed(0)} | ${training?.toFixed(0) ?? '-'} |`);
      console.error(rows.at(-1));
      await page.close();
    }
  }
} finally {
  await studio.close();
}
console.log(rows.join('\n'));
