import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserMissing, nonBlankFraction, openStudio, pageTensorCount, screenshot, startStudio, trainInPage, type Studio } from './harness.js';

const skip = browserMissing();

const decodes = (page: Page): Promise<number> => page.$eval('#latent-decoded', (e) => Number((e as HTMLElement).dataset.decodes ?? 0));
const decodedImage = (page: Page): Promise<string> => page.$eval('#latent-decoded', (e) => (e as HTMLCanvasElement).toDataURL());
const tensors = pageTensorCount;

/** Clicks the map at (x, y) canvas pixels and waits for the decode it starts. */
async function clickMap(page: Page, x: number, y: number): Promise<string> {
  const before = await decodes(page);
  await page.click('#latent-map', { position: { x: x + 1, y: y + 1 } }); // + the 1-pixel border
  await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>('#latent-decoded')!.dataset.decodes) > n, before, { timeout: 30_000 });
  return decodedImage(page);
}

describe('studio: latent explorer', { skip, timeout: 360_000 }, () => {
  let studio: Studio;
  before(async () => {
    studio = await startStudio();
  });
  after(async () => {
    await studio?.close();
  });

  test("a VAE's test codes are mapped; clicks decode distinct images, sliders re-decode, and two test images interpolate", async () => {
    const { page, errors } = await openStudio(studio);
    await trainInPage(page, 'vae', { hidden: '32', latent: '2' }, 3, 256);
    await page.click('#tab-latent');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#latent-map')!.dataset.projection, undefined, { timeout: 60_000 });
    assert.equal(await page.$eval('#latent-map', (e) => (e as HTMLElement).dataset.projection), 'none', 'latent size 2: the codes as they are');
    assert.equal(await page.$eval('#latent-map', (e) => (e as HTMLElement).dataset.points), '1000');
    assert.equal(await page.$eval('#latent-message', (e) => (e as HTMLElement).dataset.mode), 'latent');
    const map = await screenshot(page, 'latent-map', '#latent-map');
    assert.ok(nonBlankFraction(map) > 0.03, `the map shows its points (${nonBlankFraction(map)})`);
    // The map is coloured by class: more than 5 distinct colours among its pixels (10 classes and the legend).
    const colours = await page.$eval('#latent-map', (e) => {
      const c = e as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) if (!(d[i] === d[i + 1] && d[i] === d[i + 2])) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return seen.size;
    });
    assert.ok(colours >= 5, `${colours} class colours`);
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#latent-decoded')!.dataset.decodes) >= 1, undefined, { timeout: 30_000 });

    // Two clicks far apart on the map decode two different, non-blank images.
    const a = await clickMap(page, 60, 80);
    const codeA = await page.$eval('#latent-decoded', (e) => (e as HTMLElement).dataset.code);
    const shotA = await screenshot(page, 'latent-decoded-a', '#latent-decoded');
    assert.ok(nonBlankFraction(shotA) > 0.05, 'the decoded image is not blank');
    const b = await clickMap(page, 300, 290);
    const codeB = await page.$eval('#latent-decoded', (e) => (e as HTMLElement).dataset.code);
    assert.notEqual(codeA, codeB, 'the clicks map to different codes');
    assert.notEqual(a, b, 'and decode to different images');
    // The click's code is where it was drawn: the first click is left of and above the second (z0 across, z1 up).
    const [xa, ya] = codeA!.split(',').map(Number);
    const [xb, yb] = codeB!.split(',').map(Number);
    assert.ok(xa < xb && ya > yb, `codes (${xa}, ${ya}) and (${xb}, ${yb})`);

    // Moving a slider re-decodes; repeated decodes leave no tensors behind.
    const live = await tensors(page);
    const beforeSlide = await decodes(page);
    let last = '';
    for (const f of [0, 0.25, 0.5, 0.9]) {
      // A fraction f of the slider's range (mean +- 3 sd of the codes), as the browser snaps it to a step.
      last = await page.$eval('#latent-slider-1', (e, fraction) => {
        const input = e as HTMLInputElement;
        input.value = String(Number(input.min) + fraction * (Number(input.max) - Number(input.min)));
        input.dispatchEvent(new Event('input'));
        return input.value;
      }, f);
    }
    await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>('#latent-decoded')!.dataset.decodes) > n, beforeSlide, { timeout: 30_000 });
    // Moves that arrive during a decode are merged: the last one is decoded.
    await page.waitForFunction((v) => document.querySelector<HTMLElement>('#latent-decoded')!.dataset.code!.split(',')[1] === Number(v).toFixed(3), last, { timeout: 30_000 });
    assert.notEqual(await decodedImage(page), b, 'the slider changed the image');
    assert.equal(await tensors(page), live, 'no tensor leaks from decoding');

    // Interpolation: A, 6 decoded points, B in one row.
    await page.fill('#latent-from', '3');
    await page.fill('#latent-to', '7');
    await page.fill('#latent-steps', '6');
    await page.click('#latent-interpolate');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#latent-interpolation')!.dataset.steps === '6', undefined, { timeout: 30_000 });
    const size = await page.$eval('#latent-interpolation', (e) => [(e as HTMLCanvasElement).width, (e as HTMLCanvasElement).height]);
    assert.ok(size[0] > 7 * size[1], `one row of 8 images, ${size[0]} x ${size[1]}`);
    const row = await screenshot(page, 'latent-interpolation', '#latent-interpolation');
    assert.ok(nonBlankFraction(row) > 0.05);
    await screenshot(page, 'latent');
    assert.notEqual(await page.$eval('#status', (e) => e.className), 'error', await page.textContent('#status') ?? '');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('codes of more than two dimensions are drawn on their principal components; a model without codes gets a message', async () => {
    const { page, errors } = await openStudio(studio);
    await trainInPage(page, 'vae', { hidden: '32', latent: '5' }, 1, 64);
    await page.click('#tab-latent');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#latent-map')!.dataset.projection, undefined, { timeout: 60_000 });
    assert.equal(await page.$eval('#latent-map', (e) => (e as HTMLElement).dataset.projection), 'pca');
    const explained = (await page.$eval('#latent-map', (e) => (e as HTMLElement).dataset.explained))!.split(',').map(Number);
    assert.ok(explained[0] >= explained[1] && explained[1] > 0 && explained[0] + explained[1] < 1, `variance kept ${explained}`);
    assert.match(await page.textContent('#latent-map-note') ?? '', new RegExp(`keep ${(100 * explained[0]).toFixed(1)}% and ${(100 * explained[1]).toFixed(1)}%`));
    const a = await clickMap(page, 40, 40);
    const b = await clickMap(page, 320, 320);
    assert.notEqual(a, b);
    assert.equal((await page.$eval('#latent-decoded', (e) => (e as HTMLElement).dataset.code))!.split(',').length, 5, 'a click gives a whole 5-dimensional code');
    assert.equal(await page.$$eval('#latent-sliders input[type=range]', (s) => s.length), 5);

    // A model without codes: a message, the map hidden, nothing in the status line's error style.
    await page.click('#tab-train');
    await trainInPage(page, 'made', { hidden: '16' }, 1, 64);
    await page.click('#tab-latent');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#latent-message')!.dataset.mode === 'none', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#latent-message') ?? '', /made has no latent codes/);
    assert.ok(await page.$eval('#latent-map', (e) => (e.parentElement as HTMLElement).hidden));
    assert.notEqual(await page.$eval('#status', (e) => e.className), 'error');

    // An InfoGAN has no encoder: no map, but a slider per code drives its generator, z fixed until 'new z'.
    await page.click('#tab-train');
    await page.selectOption('#train-model', 'infogan');
    await page.selectOption('#opt-architecture', 'mlp');
    await trainInPage(page, 'infogan', { latent: '8', generatorHidden: '32', discriminatorHidden: '32' }, 1, 64);
    await page.click('#tab-latent');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#latent-message')!.dataset.mode === 'codes', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#latent-message') ?? '', /infogan has no encoder.*category, continuous1, continuous2/);
    assert.ok(await page.$eval('#latent-map', (e) => (e.parentElement as HTMLElement).hidden), 'no map');
    assert.equal(await page.$$eval('#latent-sliders input[type=range]', (s) => s.length), 3);
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#latent-decoded')!.dataset.decodes) >= 1, undefined, { timeout: 30_000 });
    const first = await page.$eval('#latent-decoded', (e) => (e as HTMLCanvasElement).toDataURL());
    let n = await decodes(page);
    await page.$eval('#latent-slider-0', (e) => {
      (e as HTMLInputElement).value = '5';
      e.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction((k) => Number(document.querySelector<HTMLElement>('#latent-decoded')!.dataset.decodes) > k, n, { timeout: 30_000 });
    assert.equal((await page.$eval('#latent-decoded', (e) => (e as HTMLElement).dataset.code))!.split(',')[0], '5.000', 'category 5');
    const five = await decodedImage(page);
    assert.notEqual(five, first, 'another category, another image');
    n = await decodes(page);
    await page.click('#latent-new-z');
    await page.waitForFunction((k) => Number(document.querySelector<HTMLElement>('#latent-decoded')!.dataset.decodes) > k, n, { timeout: 30_000 });
    assert.notEqual(await decodedImage(page), five, 'another z, another image');
    await screenshot(page, 'latent-infogan');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
