import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the library core bundles for the browser with no Node built-ins', async () => {
  // platform 'browser' makes any import of fs, path, worker_threads, ... a build error.
  const result = await esbuild.build({
    entryPoints: [`${root}/dist/src/index.js`],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  const ours = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('dist/src/'));
  assert.ok(ours.length > 20, `bundled ${ours.length} genlab modules`);
  assert.deepEqual(ours.filter((f) => /dist\/src\/(node|cli)\//.test(f)), [], 'Node-only modules reached the browser bundle');
  const code = result.outputFiles[0].text;
  assert.doesNotMatch(code, /from\s*["']node:/, 'a node: import survived');
});

test('a Node-only module does not bundle for the browser (the check above can fail)', async () => {
  await assert.rejects(
    esbuild.build({ entryPoints: [`${root}/dist/src/node/index.js`], bundle: true, platform: 'browser', write: false, logLevel: 'silent' }),
  );
});
