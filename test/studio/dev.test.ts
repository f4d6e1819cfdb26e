import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { browserMissing, ROOT } from './harness.js';

const skip = browserMissing();

// `npm run studio` serves the sources through Vite's dev server (modules transformed on request,
// dependencies pre-bundled), which fails in ways the production build does not: the wasm backend's
// worker module once did not load there.
test('the dev server (npm run studio) serves a page that starts its engine with no console errors', { skip, timeout: 180_000 }, async () => {
  const { createServer } = await import('vite');
  const server = await createServer({ configFile: path.join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
  await server.listen();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.GENLAB_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.resolvedUrls!.local[0]}?backend=wasm`);
    await page.waitForFunction(() => document.body.dataset.backend, undefined, { timeout: 120_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.backend), 'wasm');
    assert.ok((await page.$$('#train-model option')).length > 20, 'the train view lists the models');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
