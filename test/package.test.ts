/**
 * Another project depends on genlab as README says (`npm install ../genlab`, which links
 * node_modules/genlab to the folder): its ES modules import 'genlab' and 'genlab/node' through the
 * package's `exports` map, not through paths inside this repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const SCRIPT = `
import { createModel, Rng } from 'genlab';
import { initNodeBackend, loadMnist } from 'genlab/node';

const backend = await initNodeBackend();
const model = createModel('made', { hidden: [16] }, { shape: [4, 4, 1], kind: 'binary' });
const x = await model.sample(3, new Rng(0));
console.log(JSON.stringify({
  backend,
  loadMnist: typeof loadMnist,
  resolved: [import.meta.resolve('genlab'), import.meta.resolve('genlab/node')],
  values: x.length,
  binary: x.every((v) => v === 0 || v === 1),
}));
`;

test("a scratch project that links genlab imports 'genlab' and 'genlab/node' and builds a model", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const entry of Object.values(pkg.exports) as { types: string; default: string }[]) {
    assert.ok(fs.existsSync(path.join(root, entry.default)) && fs.existsSync(path.join(root, entry.types)), JSON.stringify(entry));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-consumer-'));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { genlab: `file:${root}` } }));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'genlab'), 'dir'); // what `npm install <path>` makes
    fs.writeFileSync(path.join(dir, 'main.js'), SCRIPT);
    const run = spawnSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
    assert.equal(out.loadMnist, 'function');
    assert.deepEqual([out.values, out.binary], [48, true]);
    // The link resolves (as Node follows symlinks) to this build, through the exports map.
    const real = fs.realpathSync(root);
    assert.deepEqual(
      out.resolved.map((u: string) => fileURLToPath(u)),
      [path.join(real, 'dist', 'src', 'index.js'), path.join(real, 'dist', 'src', 'node', 'index.js')],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
