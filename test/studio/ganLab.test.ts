import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserMissing, nonBlankFraction, openStudio, screenshot, startStudio, type Studio } from './harness.js';

const skip = browserMissing();

/** Opens the GAN lab tab and waits for its first games. */
async function openLab(studio: Studio): Promise<{ page: Page; errors: string[] }> {
  const opened = await openStudio(studio);
  await opened.page.click('#tab-lab');
  await idle(opened.page);
  return opened;
}

/** Waits until no training, drawing or rebuilding is queued. */
async function idle(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector<HTMLElement>('#lab-state')!.dataset.busy === 'false', undefined, { timeout: 60_000 });
}

/** Chooses the data and exactly the losses `losses`, and waits for their panels. */
async function setUp(page: Page, data: string, losses: string[]): Promise<void> {
  await page.selectOption('#lab-toy', data);
  for (const box of await page.$$('#lab-losses input[type=checkbox]')) {
    const id = await box.getAttribute('value');
    if ((await box.isChecked()) !== losses.includes(id!)) await box.click();
  }
  await idle(page);
  const shown = await page.$$eval('.lab-panel', (ps) => ps.map((p) => p.id));
  assert.deepEqual(shown, losses.map((l) => `lab-panel-${l}`));
}

const panel = (page: Page, loss: string): Promise<Record<string, string>> =>
  page.$eval(`#lab-panel-${loss}`, (e) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>);
const tensors = (page: Page) => page.$eval('#lab-state', (e) => Number((e as HTMLElement).dataset.tensors));

/** The RGB bytes of the frame's left (D heat map and points) and right (G's mesh) panels, from the canvas itself. */
async function framePanels(page: Page, loss: string): Promise<{ left: number[]; right: number[] }> {
  return page.$eval(`#lab-frame-${loss}`, (c) => {
    const canvas = c as HTMLCanvasElement;
    // ganLabFrame's layout (src/io/ganLab.ts): panels of S pixels at (8, 40) and (S + 16, 40), width 2S + 24.
    const S = (canvas.width - 24) / 2;
    const ctx = canvas.getContext('2d')!;
    const rgb = (x: number) => Array.from(ctx.getImageData(x, 40, S, S).data).filter((_, i) => i % 4 !== 3);
    return { left: rgb(8), right: rgb(S + 16) };
  });
}

const differing = (a: number[], b: number[]) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);

/** Clicks a button that takes one step in every game and waits for it. */
async function stepWith(page: Page, id: string, losses: string[]): Promise<void> {
  const before = await Promise.all(losses.map(async (l) => Number((await panel(page, l)).step)));
  await page.click(id);
  await idle(page);
  for (const [i, l] of losses.entries()) assert.equal(Number((await panel(page, l)).drawnStep), before[i] + 1, `${l}: one step, drawn`);
}

describe('studio: GAN lab view', { skip, timeout: 300_000 }, () => {
  let studio: Studio;
  before(async () => {
    studio = await startStudio();
  });
  after(async () => {
    await studio?.close();
  });

  test('two losses play on the ring: frames drawn, mode coverage read out; D only moves D alone, G only G alone; nothing leaks', async () => {
    const { page, errors } = await openLab(studio);
    const losses = ['nonsaturating', 'lsgan'];
    await setUp(page, 'ring', losses);
    const fresh = await tensors(page);

    // Play until every game has done 30 steps.
    await page.fill('#lab-steps-per-frame', '5');
    await page.click('#lab-play');
    await page.waitForFunction(
      (ls) => ls.every((l) => Number(document.querySelector<HTMLElement>(`#lab-panel-${l}`)!.dataset.drawnStep) >= 30),
      losses,
      { timeout: 120_000 },
    );
    await page.click('#lab-pause');
    await idle(page);
    assert.equal(await page.$eval('#lab-state', (e) => (e as HTMLElement).dataset.state), 'paused');
    for (const loss of losses) {
      const p = await panel(page, loss);
      assert.ok(Number(p.step) >= 30 && p.step === p.drawnStep, `${loss}: ${p.step} steps, the frame of the last drawn`);
      const frame = await screenshot(page, `lab-frame-${loss}`, `#lab-frame-${loss}`);
      assert.ok(nonBlankFraction(frame) > 0.2, `${loss}: the frame is not blank`);
      assert.match(await page.textContent(`#lab-coverage-${loss}`) ?? '', /modes covered \d+ of 8 · high quality \d+\.\d% /);
      assert.equal(p.modes, '8');
      assert.ok(Number(p.covered) >= 0 && Number(p.covered) <= 8 && Number(p.highQuality) >= 0 && Number(p.highQuality) <= 1);
      assert.match(await page.textContent(`#lab-readout-${loss}`) ?? '', /D loss -?\d+\.\d{4} {2}G loss -?\d+\.\d{4}/);
    }

    // A step once the optimizers have their state leaves the tensor count as it was.
    const trained = await tensors(page);
    await stepWith(page, '#lab-step', losses);
    assert.equal(await tensors(page), trained, 'no tensors left behind by a step and its frames');

    // D only: D's values and heat map change; G's output, and so the mesh panel, not a pixel.
    const snapshot = (loss: string) => Promise.all([panel(page, loss), framePanels(page, loss)]).then(([data, pixels]) => ({ data, ...pixels }));
    const beforeD = await Promise.all(losses.map(snapshot));
    await stepWith(page, '#lab-step-d', losses);
    for (const [i, loss] of losses.entries()) {
      const [before, after] = [beforeD[i], await snapshot(loss)];
      assert.equal(after.data.gHash, before.data.gHash, `${loss}: D only leaves G's points and mesh as they were`);
      assert.notEqual(after.data.dHash, before.data.dHash, `${loss}: D only moves D`);
      assert.ok(differing(after.left, before.left) > 0, `${loss}: the heat map's pixels changed`);
      assert.equal(differing(after.right, before.right), 0, `${loss}: the mesh panel is pixel for pixel the same`);
    }
    assert.match(await page.textContent('#lab-readout-lsgan') ?? '', /D only 1, G only 0/);
    const beforeG = await panel(page, 'lsgan');
    await stepWith(page, '#lab-step-g', losses);
    const afterG = await panel(page, 'lsgan');
    assert.equal(afterG.dHash, beforeG.dHash, 'G only leaves D as it was');
    assert.notEqual(afterG.gHash, beforeG.gHash, 'G only moves G');
    await screenshot(page, 'lab');

    // A new seed rebuilds the games: the old models, trainers and optimizer state are all disposed.
    await page.fill('#lab-seed', '2');
    await page.dispatchEvent('#lab-seed', 'change');
    await idle(page);
    assert.equal((await panel(page, 'lsgan')).step, '0');
    assert.equal(await tensors(page), fresh, 'as many tensors as two fresh games hold');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('drawn data: clicks on the pad become the data, and the games train on them', async () => {
    const { page, errors } = await openLab(studio);
    await setUp(page, 'draw', ['minimax', 'sngan']);
    assert.match(await page.textContent('#lab-coverage-minimax') ?? '', /no data yet/);
    // With no points a step is refused, said in the status line, not thrown.
    await page.click('#lab-step');
    await idle(page);
    assert.match(await page.textContent('#status') ?? '', /draw some points/);

    const pad = (await page.$('#lab-draw'))!;
    for (const [x, y] of [[60, 60], [180, 60], [120, 190]]) await pad.click({ position: { x, y } });
    await idle(page);
    assert.equal(await pad.getAttribute('data-points'), '15', 'three clicks, five points each');
    const padPng = await screenshot(page, 'lab-pad', '#lab-draw');
    assert.ok(nonBlankFraction(padPng) > 0.005, 'the pad shows the points');
    for (let i = 0; i < 3; i++) await stepWith(page, '#lab-step', ['minimax', 'sngan']);
    for (const loss of ['minimax', 'sngan']) {
      assert.equal((await panel(page, loss)).step, '3');
      const frame = await screenshot(page, `lab-drawn-${loss}`, `#lab-frame-${loss}`);
      assert.ok(nonBlankFraction(frame) > 0.2, `${loss}: the frame is not blank`);
      assert.match(await page.textContent(`#lab-coverage-${loss}`) ?? '', /mode coverage: for the Gaussian-mixture toys/);
    }
    assert.doesNotMatch(await page.textContent('#status') ?? '', /draw some points/, 'the refusal is cleared once steps succeed');
    await screenshot(page, 'lab-drawn');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('every loss of the comparison builds and steps (on the 5 x 5 grid), and the 1-D toy draws with its coverage', async () => {
    const { page, errors } = await openLab(studio);
    const all = await page.$$eval('#lab-losses input[type=checkbox]', (bs) => bs.map((b) => (b as HTMLInputElement).value));
    assert.deepEqual(all, ['minimax', 'nonsaturating', 'lsgan', 'wgan', 'wgangp', 'sngan', 'unrolled']);
    await page.fill('#lab-hidden', '16');
    await page.dispatchEvent('#lab-hidden', 'change');
    await setUp(page, 'grid', all);
    await stepWith(page, '#lab-step', all);
    for (const loss of all) {
      const p = await panel(page, loss);
      assert.equal(p.modes, '25', `${loss}: coverage of the grid's 25 modes`);
      assert.doesNotMatch(await page.textContent(`#lab-readout-${loss}`) ?? '', /stopped/, `${loss} did not diverge`);
    }
    await screenshot(page, 'lab-all-losses');

    await setUp(page, 'gmm1d', ['nonsaturating']);
    await stepWith(page, '#lab-step', ['nonsaturating']);
    const frame = await screenshot(page, 'lab-gmm1d', '#lab-frame-nonsaturating');
    assert.ok(nonBlankFraction(frame) > 0.2, 'the 1-D frame is not blank');
    assert.equal((await panel(page, 'nonsaturating')).modes, '3');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
