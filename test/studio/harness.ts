/**
 * End-to-end tests of the studio in a real headless Chromium (Debian's `chromium` through
 * playwright-core; never a downloaded browser). The studio is built once with Vite into web/dist and
 * served by a small static server here. Without the browser the tests skip, saying so, unless
 * GENLAB_REQUIRE_BROWSER is set (CI sets it, after `.ci/run` installs chromium): there, a missing
 * browser fails.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'studio');
const CHROMIUM = process.env.GENLAB_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. A missing browser is a failure in CI. */
export function browserMissing(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined;
  const why = `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;
  if (process.env.GENLAB_REQUIRE_BROWSER) throw new Error(`GENLAB_REQUIRE_BROWSER is set but there is ${why}`);
  return why;
}

const MIME: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png',
};

export interface Studio {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

let built: Promise<string> | undefined;

/**
 * Builds the studio once per test process (vite build, about 10 s) into a folder of its own: test
 * files run in parallel processes, and one must not empty another's folder while serving it.
 */
export function buildStudio(): Promise<string> {
  return (built ??= (async () => {
    const { build } = await import('vite');
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-studio-'));
    process.on('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
    await build({ configFile: path.join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error', build: { outDir } });
    return outDir;
  })());
}

/** Serves the built studio and starts the browser. */
export async function startStudio(): Promise<Studio> {
  const dir = await buildStudio();
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const file = path.join(dir, url === '/' ? 'index.html' : url);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    // The headers web/vite.config.ts's servers send: a cross-origin-isolated page (shared memory for data-parallel workers).
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--enable-unsafe-swiftshader'] });
  return {
    url: `http://127.0.0.1:${port}/`,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A page of the studio whose console errors and uncaught exceptions are collected in `errors`.
 * `query` is what follows the address ('?backend=webgl', '#runs'). Without a backend in it the page
 * runs on wasm: headless Chromium's WebGL is SwiftShader, a CPU rasterizer several times slower
 * than wasm here; the train view's first test opens the page on its default choice instead.
 */
export async function openStudio(studio: Studio, query = ''): Promise<{ page: Page; errors: string[] }> {
  if (!query.includes('backend=')) query = `?backend=wasm${query}`;
  const page = await studio.browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker: ${m.text()}`)));
  await page.goto(`${studio.url}${query}`);
  await page.waitForFunction(() => document.body.dataset.backend, undefined, { timeout: 60_000 });
  return { page, errors };
}

/** The fraction of a PNG's pixels that differ from its most common colour (0: blank). */
export function nonBlankFraction(png: Buffer): number {
  const img = PNG.sync.read(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < img.width * img.height; i++) {
    const key = (img.data[4 * i] << 16) | (img.data[4 * i + 1] << 8) | img.data[4 * i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return 1 - Math.max(...counts.values()) / (img.width * img.height);
}

/** Saves a screenshot of `selector` (or the page) under test-artifacts/studio/NAME.png and returns it. */
export async function screenshot(page: Page, name: string, selector?: string): Promise<Buffer> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const target = selector ? page.locator(selector) : page;
  const png = await target.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  return png;
}

/** Trains `model` through the Train view with `options` (the form's ids without 'opt-') on `limit` MNIST examples until done. */
export async function trainInPage(page: Page, model: string, options: Record<string, string>, epochs: number, limit: number): Promise<void> {
  await page.selectOption('#train-data', 'mnist');
  await page.selectOption('#train-model', model);
  for (const [name, value] of Object.entries(options)) await page.fill(`#opt-${name}`, value);
  await page.fill('#train-epochs', String(epochs));
  await page.fill('#train-batch', '32');
  await page.fill('#train-limit', String(limit));
  await page.fill('#train-sample-every', '0');
  await page.fill('#train-workers', '1'); // tiny runs: a replica worker would cost more than it saves
  await page.click('#train-start');
  // Done, and the run handed to the views is this one (a page that trained before was already 'done').
  await page
    .waitForFunction(
      (name) => document.querySelector<HTMLElement>('#train-state')!.dataset.state === 'done' && document.getElementById('run-name')!.textContent!.includes(`(${name} on mnist`),
      model,
      { timeout: 120_000 },
    )
    .catch(async (e: Error) => {
      throw new Error(`training ${model} did not finish: ${await page.textContent('#train-state')} / ${await page.textContent('#status')} / ${await page.textContent('#run-name')} (${e.message})`);
    });
}

/** Tensors alive in the page's TF.js engine (the studio's own count), to check that a view leaks none. */
export const pageTensorCount = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { studio: { tensorCount(): number } }).studio.tensorCount());
