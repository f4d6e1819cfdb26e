import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserMissing, nonBlankFraction, openStudio, pageTensorCount, screenshot, startStudio, trainInPage, type Studio } from './harness.js';

const skip = browserMissing();

/** The drawing canvas's top-left corner on the page (inside its 1-pixel border); it is drawn at 10 screen pixels per image pixel. */
async function canvasOrigin(page: Page): Promise<{ x: number; y: number }> {
  const box = (await page.locator('#density-canvas').boundingBox())!;
  return { x: box.x + 1, y: box.y + 1 };
}

/** A stroke through image-pixel points (x, y in 0..28). */
async function stroke(page: Page, points: [number, number][]): Promise<void> {
  const o = await canvasOrigin(page);
  await page.mouse.move(o.x + points[0][0] * 10, o.y + points[0][1] * 10);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await page.mouse.move(o.x + x * 10, o.y + y * 10, { steps: 8 });
  await page.mouse.up();
}

interface Score {
  logp: number;
  bpd: number;
  text: string;
  percentile: number;
}

/** Presses Score and reads the readout once the percentile is in. */
async function score(page: Page): Promise<Score> {
  await page.$eval('#density-percentile', (e) => delete (e as HTMLElement).dataset.percentile);
  await page.click('#density-score-button');
  await page.waitForFunction(() => document.querySelector<HTMLElement>('#density-percentile')!.dataset.percentile !== undefined, undefined, { timeout: 120_000 });
  const data = await page.$eval('#density-score', (e) => ({ logp: (e as HTMLElement).dataset.logp, bpd: (e as HTMLElement).dataset.bpd, text: e.textContent ?? '' }));
  const percentile = Number(await page.$eval('#density-percentile', (e) => (e as HTMLElement).dataset.percentile));
  return { logp: Number(data.logp), bpd: Number(data.bpd), text: data.text, percentile };
}

const tensors = pageTensorCount;

describe('studio: density view', { skip, timeout: 360_000 }, () => {
  let studio: Studio;
  before(async () => {
    studio = await startStudio();
  });
  after(async () => {
    await studio?.close();
  });

  test('a MADE scores a drawn digit (nats, bits/dim, percentile), ranks a test image above noise, and completes an erased half', async () => {
    const { page, errors } = await openStudio(studio);
    await trainInPage(page, 'made', { hidden: '64' }, 3, 256);
    await page.click('#tab-density');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#density-info')!.dataset.kind === 'exact', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#density-info') ?? '', /kind exact, exact log p\(x\)/);
    // The test slice is scored once, with a progress note, while the user draws.
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#density-reference')!.dataset.n === '500', undefined, { timeout: 120_000 });
    assert.match(await page.textContent('#density-reference') ?? '', /reference: 500 test examples, log p\(x\) median -\d+\.\d\d nats/);

    // 1. A drawn "7": a finite log p(x), bits/dim = -log p / (784 ln 2) as printed, a percentile in [0, 100].
    await stroke(page, [[6, 6], [22, 6], [13, 24]]);
    const drawn = await screenshot(page, 'density-drawing', '#density-canvas');
    assert.ok(nonBlankFraction(drawn) > 0.05, 'the stroke is drawn');
    const seven = await score(page);
    assert.ok(Number.isFinite(seven.logp) && seven.logp < 0, `log p(x) = ${seven.logp}`);
    const [, logpText, bpdText] = seven.text.match(/log p\(x\) = (-?\d+\.\d\d) nats\s+(\d+\.\d{4}) bits\/dim/)!;
    assert.equal(Number(logpText), Number(seven.logp.toFixed(2)));
    assert.ok(Math.abs(Number(bpdText) - -seven.logp / (784 * Math.LN2)) <= 5e-5, `${bpdText} bits/dim printed for log p ${seven.logp}`);
    assert.equal(seven.bpd, -seven.logp / (784 * Math.LN2));
    assert.match(seven.text, /kind: exact/);
    assert.ok(seven.percentile >= 0 && seven.percentile <= 100, `percentile ${seven.percentile}`);

    // 2. A test image scores higher than random noise drawn on the canvas; scoring leaks no tensors.
    await page.fill('#density-index', '0');
    await page.click('#density-load');
    const live = await tensors(page);
    const digit = await score(page);
    assert.equal(await tensors(page), live, 'no tensor leaks from scoring');
    await page.click('#density-clear');
    const o = await canvasOrigin(page);
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 120; i++) await page.mouse.click(o.x + 10 + random() * 260, o.y + 10 + random() * 260);
    const noisy = await screenshot(page, 'density-noise', '#density-canvas');
    assert.ok(nonBlankFraction(noisy) > 0.1, 'the noise is drawn');
    const noise = await score(page);
    assert.ok(digit.logp > noise.logp + 50, `test image ${digit.logp} vs noise ${noise.logp}`);
    assert.ok(digit.percentile > noise.percentile, `percentiles ${digit.percentile} vs ${noise.percentile}`);
    assert.ok(noise.percentile < 5, `noise is an anomaly: percentile ${noise.percentile}`);

    // 3. Completion: erase the bottom half of test image 1, K = 4 completions keep the observed top half.
    await page.fill('#density-index', '1');
    await page.click('#density-load');
    await page.click('#density-erase-bottom');
    await page.click('#density-complete');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#density-completions')!.dataset.k === '4', undefined, { timeout: 60_000 });
    const out = await page.$eval('#density-completions', (e) => ({ ...(e as HTMLElement).dataset }));
    const input = out.input!.split(',').map(Number);
    const missing = out.missing!;
    const completions = out.completions!.split(';').map((c) => c.split(',').map(Number));
    assert.equal(completions.length, 4);
    assert.equal(missing, '0'.repeat(392) + '1'.repeat(392), 'the bottom half is missing');
    for (const [j, c] of completions.entries()) {
      assert.equal(c.length, 784);
      for (let i = 0; i < 392; i++) assert.equal(c[i], input[i], `completion ${j}, observed pixel ${i}`);
      assert.ok(c.every((v) => v === 0 || v === 1), 'binary values');
      assert.ok(c.slice(392).some((v) => v === 1), `completion ${j} draws ink in the missing half`);
    }
    assert.ok(new Set(completions.map((c) => c.join(''))).size > 1, 'the completions are draws, not all alike');
    const grid = await screenshot(page, 'density-completions', '#density-completions');
    assert.ok(nonBlankFraction(grid) > 0.05, 'the completions are drawn');
    await screenshot(page, 'density');
    assert.notEqual(await page.$eval('#status', (e) => e.className), 'error', await page.textContent('#status') ?? '');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("a VAE is scored by an affordable estimate, or by its bound, saying which; an implicit model gets a message", async () => {
    const { page, errors } = await openStudio(studio);
    await trainInPage(page, 'vae', { hidden: '32', latent: '2' }, 1, 64);
    await page.click('#tab-density');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#density-info')!.dataset.kind === 'estimate', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#density-info') ?? '', /k = 100 importance samples \(the run's 5000/);
    await page.fill('#density-reference-n', '40');
    await page.fill('#density-index', '2');
    await page.click('#density-load');
    const estimate = await score(page);
    assert.match(estimate.text, /kind: estimate/);
    await page.selectOption('#density-score-by', 'bound');
    const bound = await score(page);
    assert.match(bound.text, /kind: bound/);
    assert.ok(Number.isFinite(estimate.logp) && Number.isFinite(bound.logp) && bound.logp !== estimate.logp, `estimate ${estimate.logp}, ELBO ${bound.logp}`);
    assert.equal(await page.$eval('#density-reference', (e) => (e as HTMLElement).dataset.n), '40');

    await page.click('#tab-train');
    await trainInPage(page, 'ae', { hidden: '16', latent: '2' }, 1, 64);
    await page.click('#tab-density');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#density-info')!.dataset.kind === 'none', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#density-info') ?? '', /ae is an implicit model/);
    assert.notEqual(await page.$eval('#status', (e) => e.className), 'error');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
