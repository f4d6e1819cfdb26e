import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliRunner } from '../cli/genlab.js';
import { browserMissing, nonBlankFraction, ROOT, openStudio, screenshot, startStudio, trainInPage, type Studio } from './harness.js';

const skip = browserMissing();

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('studio: runs', { skip, timeout: 300_000 }, () => {
  let studio: Studio;
  const cli = cliRunner('genlab-studio-runs-');
  before(async () => {
    studio = await startStudio();
  });
  after(async () => {
    await studio?.close();
  });

  test('a run trained with the CLI opens in the page with the same weights', async () => {
    const r = cli.genlab('train', 'vae', '--data', 'mnist', '--train-limit', '200', '--epochs', '1', '--batch-size', '50', '--hidden', '16', '--latent', '2', '--eval-examples', '0', '--sample-count', '4', '--out', 'cli-run');
    assert.equal(r.code, 0, r.stderr);
    const dir = path.join(cli.tmp, 'cli-run');
    const { page, errors } = await openStudio(studio, '#runs');
    // The files of the folder, chosen in a file picker (flat: names only, as several picked files arrive).
    await page.setInputFiles('#runs-open-files', filesUnder(dir).filter((f) => !f.endsWith('.png')));
    await page.waitForFunction(() => /vae on mnist, step 4/.test(document.getElementById('run-name')!.textContent!), undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#runs-summary') ?? '', /command genlab train vae --data mnist/);
    // The model the page builds holds the checkpoint's weights.
    const pageSums = await page.evaluate(async () => {
      const model = await (window as any).studio.currentModel();
      return model.getWeights().map((w: { name: string; data: Float32Array }) => [w.name, w.data.reduce((a: number, b: number) => a + b, 0)]);
    });
    const info = cli.json('info', 'cli-run', '--json');
    assert.ok(info, 'genlab info reads the CLI run');
    const { loadLatestCheckpoint } = await import('../../src/node/index.js');
    const ckpt = loadLatestCheckpoint(dir)!;
    const nodeSums = ckpt.weights.map((w) => [w.name, Array.from(w.data as ArrayLike<number>).reduce((a, b) => a + b, 0)]);
    assert.equal(pageSums.length, nodeSums.length);
    for (let i = 0; i < nodeSums.length; i++) {
      assert.equal(pageSums[i][0], nodeSums[i][0]);
      assert.ok(Math.abs(pageSums[i][1] - (nodeSums[i][1] as number)) <= 1e-3 * (1 + Math.abs(nodeSums[i][1] as number)), `${nodeSums[i][0]}`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the shipped runs are listed and each opens', async () => {
    const { page, errors } = await openStudio(studio, '#runs');
    const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'web', 'public', 'runs', 'index.json'), 'utf8')) as { file: string }[];
    assert.ok(shipped.length >= 3, `${shipped.length} shipped runs`);
    for (const { file } of shipped) {
      const name = file.replace(/\.tar$/, '');
      await page.click(`#runs-shipped-${name}`);
      await page.waitForFunction((n) => document.getElementById('run-name')!.textContent!.startsWith(`run: ${n} `), name, { timeout: 30_000 });
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a damaged run folder is refused with the file named', async () => {
    const dir = path.join(cli.tmp, 'cli-run');
    const { page } = await openStudio(studio, '#runs');
    const files = filesUnder(dir).filter((f) => !f.endsWith('.png'));
    const weights = files.find((f) => f.endsWith('weights.bin'))!;
    const bytes = fs.readFileSync(weights);
    bytes[10] ^= 0xff;
    const payload = files.map((f) => ({ name: path.basename(f), mimeType: 'application/octet-stream', buffer: f === weights ? bytes : fs.readFileSync(f) }));
    await page.setInputFiles('#runs-open-files', payload);
    await page.waitForFunction(() => document.getElementById('status')!.className === 'error', undefined, { timeout: 30_000 });
    assert.match(await page.textContent('#status') ?? '', /weights\.bin/);
    await page.close();
  });

  test('a run trained in the page exports a run folder that genlab info and genlab sample read', async () => {
    const { page, errors } = await openStudio(studio);
    await trainInPage(page, 'vae', { hidden: '16', latent: '2' }, 1, 128);
    await page.click('#tab-runs');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#runs-export')]);
    const tarFile = path.join(cli.tmp, 'studio-run.tar');
    await download.saveAs(tarFile);
    const untar = spawnSync('tar', ['xf', tarFile], { cwd: cli.tmp, encoding: 'utf8' });
    assert.equal(untar.status, 0, untar.stderr);
    const info = cli.genlab('info', 'vae-mnist');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /vae/);
    assert.match(info.stdout, /step 4|4 steps|"step": 4/);
    const sample = cli.genlab('sample', 'vae-mnist', '-n', '16', '--out', 'from-studio.png');
    assert.equal(sample.code, 0, sample.stderr);
    assert.ok(nonBlankFraction(fs.readFileSync(path.join(cli.tmp, 'from-studio.png'))) > 0.05, 'the CLI draws samples from the exported run');
    // The CLI can continue it: one more epoch from the browser's checkpoint.
    const resumed = cli.genlab('train', 'vae', '--resume', '--out', 'vae-mnist', '--epochs', '2', '--eval-examples', '0');
    assert.equal(resumed.code, 0, resumed.stderr);
    await screenshot(page, 'runs', '#view-runs');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
