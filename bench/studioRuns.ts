/**
 * The small runs shipped with the studio (web/public/runs/), so every view works before anything is
 * trained: each is trained by the CLI, then packed as a .tar of its run folder with the weights and
 * the EMA shadow only (no optimizer state: the shipped files stay small; `genlab train --resume` on
 * an unpacked one starts a fresh optimizer and says so).
 * Usage: npm run build && node dist/bench/studioRuns.js [NAME...]   (all, or the named ones; ~25 min on one core)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emaWeights, EMA_PART, loadLatestCheckpoint, MetricsLog, readRunConfig, runFolderFiles, WEIGHTS_PART, writeTar } from '../src/node/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = path.join(root, 'web', 'public', 'runs');

const RUNS: { name: string; title: string; args: string[] }[] = [
  { name: 'vae-mnist', title: 'VAE, 2-D latent, binarized MNIST', args: ['vae', '--data', 'mnist', '--hidden', '64', '--latent', '2', '--epochs', '10', '--batch-size', '100', '--eval-samples', '200'] },
  { name: 'nade-mnist', title: 'NADE, 50 hidden units, binarized MNIST', args: ['nade', '--data', 'mnist', '--hidden', '50', '--epochs', '5', '--batch-size', '100'] },
  {
    name: 'gan-ring',
    title: 'GAN (non-saturating), ring of 8 Gaussians',
    args: ['gan', '--data', 'toy:ring', '--loss', 'nonsaturating', '--latent', '2', '--generator-hidden', '128,128', '--discriminator-hidden', '128,128', '--epochs', '30', '--batch-size', '100'],
  },
];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-studio-runs-'));
const only = process.argv.slice(2);
const indexFile = path.join(out, 'index.json');
type Shipped = { file: string; title: string; command: string };
// Runs not rebuilt keep their entries.
const index: Shipped[] = only.length && fs.existsSync(indexFile) ? (JSON.parse(fs.readFileSync(indexFile, 'utf8')) as Shipped[]) : [];
fs.mkdirSync(out, { recursive: true });
for (const run of RUNS.filter((r) => only.length === 0 || only.includes(r.name))) {
  const dir = path.join(work, run.name);
  const started = Date.now();
  // The shipped runs were trained on one thread (the default before --workers auto); GENLAB_WORKERS overrides.
  const env = { ...process.env, GENLAB_WORKERS: process.env.GENLAB_WORKERS ?? '1' };
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'genlab.js'), 'train', ...run.args, '--out', dir], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`training ${run.name} failed (exit ${r.status})`);
  const config = readRunConfig(dir);
  const checkpoint = loadLatestCheckpoint(dir)!;
  const ema = emaWeights(checkpoint);
  const files = await runFolderFiles({
    config,
    metrics: new MetricsLog(dir).read(),
    checkpoint: { info: checkpoint.manifest, parts: { [WEIGHTS_PART]: checkpoint.weights, ...(ema.length > 0 && { [EMA_PART]: ema }) } },
  });
  const tar = writeTar(files, run.name);
  fs.writeFileSync(path.join(out, `${run.name}.tar`), tar);
  const entry = { file: `${run.name}.tar`, title: run.title, command: `npx genlab train ${run.args.join(' ')}` };
  const at = index.findIndex((e) => e.file === entry.file);
  if (at >= 0) index[at] = entry;
  else index.push(entry);
  console.log(`${run.name}: ${((Date.now() - started) / 1000).toFixed(0)} s, ${(tar.byteLength / 1024).toFixed(0)} KiB`);
}
fs.writeFileSync(indexFile, JSON.stringify(index, null, 2) + '\n');
fs.rmSync(work, { recursive: true, force: true });
