import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserMissing, nonBlankFraction, openStudio, screenshot, startStudio, type Studio } from './harness.js';

const skip = browserMissing();

/** Sets the train form for a small VAE on `limit` MNIST examples. */
async function smallVae(page: Page, epochs: number, limit = 256): Promise<void> {
  await page.selectOption('#train-data', 'mnist');
  await page.selectOption('#train-model', 'vae');
  await page.fill('#opt-hidden', '32');
  await page.fill('#opt-latent', '2');
  await page.fill('#train-epochs', String(epochs));
  await page.fill('#train-batch', '32');
  await page.fill('#train-limit', String(limit));
  await page.fill('#train-sample-every', '4');
  await page.fill('#train-workers', '1'); // the workers' own test is below
}

const step = (page: Page): Promise<number> => page.$eval('#train-progress', (e) => Number((e as HTMLElement).dataset.step ?? 0));
const trainerState = (page: Page): Promise<string | undefined> => page.$eval('#train-state', (e) => (e as HTMLElement).dataset.state);

describe('studio: train view', { skip, timeout: 240_000 }, () => {
  let studio: Studio;
  before(async () => {
    studio = await startStudio();
  });
  after(async () => {
    await studio?.close();
  });

  test('the page loads on its own choice of backend with no console errors', async () => {
    // An empty ?backend= leaves the choice to the studio (webgpu > webgl > wasm).
    const { page, errors } = await openStudio(studio, '?backend=');
    const backend = await page.evaluate(() => document.body.dataset.backend);
    assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(backend!), `backend ${backend}`);
    assert.match(await page.textContent('#backend') ?? '', new RegExp(backend!));
    // Every registered model is offered, with its options as a form.
    const models = await page.$$eval('#train-model option', (o) => o.map((x) => (x as HTMLOptionElement).value));
    for (const name of ['vae', 'made', 'pixelcnn', 'gan', 'dcgan', 'realnvp', 'glow', 'ddpm']) assert.ok(models.includes(name), `${name} offered`);
    assert.ok(await page.$('#opt-latent'), 'the vae form has its latent size');
    const png = await screenshot(page, 'loaded');
    assert.ok(nonBlankFraction(png) > 0.05, 'the page screenshot is not blank');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a small VAE trains in the worker, renders samples, pauses and steps exactly one step', async () => {
    const { page, errors } = await openStudio(studio);
    await smallVae(page, 20);
    await page.click('#train-start');
    // Samples every 4 steps: a grid appears while training.
    await page.waitForFunction(() => Number(document.querySelector<HTMLCanvasElement>('#train-samples')!.dataset.step) >= 4, undefined, { timeout: 60_000 });
    await page.click('#train-pause');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#train-state')!.dataset.state === 'paused', undefined, { timeout: 30_000 });
    const paused = await step(page);
    assert.ok(paused >= 4, `trained ${paused} steps`);
    // The paused run is handed to the other views.
    assert.match(await page.textContent('#run-name') ?? '', new RegExp(`vae on mnist, step ${paused}`));

    await page.click('#train-step');
    await page.waitForFunction((s) => document.querySelector<HTMLElement>('#train-state')!.dataset.state === 'paused' && Number(document.querySelector<HTMLElement>('#train-progress')!.dataset.step) > s, paused, { timeout: 30_000 });
    assert.equal(await step(page), paused + 1, 'Step trains one step');
    assert.equal(await trainerState(page), 'paused');

    // The loss is finite and drawn; the sample grid is not blank.
    const loss = await page.textContent('#train-progress');
    assert.match(loss ?? '', /loss \d+\.\d+/);
    const grid = await screenshot(page, 'train-samples', '#train-samples');
    assert.ok(nonBlankFraction(grid) > 0.05, 'the sample grid is not blank');
    const chart = await screenshot(page, 'train-chart', '#train-chart');
    assert.ok(nonBlankFraction(chart) > 0.005, 'the loss chart is drawn');
    await screenshot(page, 'train');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('two data-parallel Web Workers train MADE to where one does (the page is cross-origin isolated)', async () => {
    const { page, errors } = await openStudio(studio);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'served with COOP / COEP');
    assert.equal(await page.$eval('#train-workers', (e) => (e as HTMLInputElement).disabled), false, 'the workers option is offered');
    // How many replicas the training worker reports as started (Playwright does not reliably
    // report a worker started by a worker, so the page says it).
    const replicas = (): Promise<string | undefined> => page.$eval('#backend', (e) => (e as HTMLElement).dataset.replicas);
    /** Trains a small MADE for one epoch on `workers` replicas ('': the field's default, auto); returns the epoch's test NLL. */
    const train = async (workers: string): Promise<number> => {
      await page.selectOption('#train-data', 'mnist');
      await page.selectOption('#train-model', 'made');
      await page.fill('#opt-hidden', '32');
      await page.fill('#train-epochs', '1');
      await page.fill('#train-batch', '32');
      await page.fill('#train-limit', '192');
      await page.fill('#train-sample-every', '0');
      await page.fill('#train-workers', workers);
      await page.click('#train-start');
      await page.waitForFunction(() => /epoch 1 done/.test(document.querySelector('#train-progress')!.textContent ?? ''), undefined, { timeout: 90_000 });
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#train-state')!.dataset.state === 'done', undefined, { timeout: 30_000 });
      const line = (await page.textContent('#train-progress'))!.split('\n').find((l) => l.startsWith('epoch 1 done'))!;
      const nll = Number(/testNll (-?\d+\.\d+)/.exec(line)?.[1]);
      assert.ok(Number.isFinite(nll), `a test NLL in '${line}'`);
      return nll;
    };
    const one = await train('1');
    assert.equal(await replicas(), '1', 'one replica starts no replica worker');
    // The field starts empty: auto, one replica per core on wasm (batch 32: at most 2 shards of 16).
    assert.equal(await page.$eval('#train-workers', (e) => (e as HTMLInputElement).placeholder), 'auto');
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.ok(cores >= 2, `this test needs 2 cores in the browser (navigator.hardwareConcurrency ${cores})`);
    const two = await train('');
    // The run cannot finish unless the replica Web Worker built its model and joined every exchange.
    assert.equal(await replicas(), '2', 'auto on 2+ cores: the training worker and one replica Web Worker');
    assert.match(await page.textContent('#backend') ?? '', /on 2 workers/);
    // The same 6 updates on the whole batch's gradient, summed in another order: equal to float precision.
    assert.ok(Math.abs(one - two) < 0.01, `test NLL after one epoch: 1 worker ${one}, 2 workers ${two}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a refused option is reported, not thrown', async () => {
    const { page, errors } = await openStudio(studio);
    await smallVae(page, 1);
    await page.fill('#opt-latent', '-3');
    await page.click('#train-start');
    await page.waitForFunction(() => document.getElementById('status')!.className === 'error');
    assert.match(await page.textContent('#status') ?? '', /latent/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
