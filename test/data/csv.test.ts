import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { parseCsv } from '../../src/data/csv.js';
import { splitDeterministically } from '../../src/data/split.js';
import { loadCsv } from '../../src/node/data/csv.js';
import { loadDataSpec } from '../../src/node/data/spec.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-parsecsv-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// A byte-order mark, CRLF and blank lines, a quoted header cell, string labels, real values.
const TEXT = '\ufeffx,"y, scaled",kind\r\n0.5,-3,dog\r\n\r\n1e2,.25,cat\r\n-7,4,"dog"\r\n2,2,bird\r\n0,1,cat\r\n';

test('parseCsv on a file\'s text is the Dataset loadCsv reads from the file, named by the file', () => {
  const file = path.join(dir, 'pets.csv');
  fs.writeFileSync(file, TEXT);
  const fromFile = loadCsv(file, { labelColumn: 'kind' });
  assert.deepEqual(parseCsv(TEXT, file, { labelColumn: 'kind' }), fromFile);
  // The studio names the picked file only; the Dataset is the same.
  assert.deepEqual(parseCsv(TEXT, 'pets.csv', { labelColumn: 'kind' }), fromFile);
  assert.equal(fromFile.name, 'csv:pets.csv');
  assert.deepEqual(fromFile.featureNames, ['x', 'y, scaled']);
  assert.deepEqual(fromFile.classNames, ['bird', 'cat', 'dog']);
  assert.deepEqual([...fromFile.labels!], [2, 1, 2, 0, 1]);
  assert.equal(fromFile.kind, 'real');
  // Without the label column its strings are features: both refuse them with the same message.
  const refused = /pets\.csv:2: column 'kind' \(3\): expected a number, got 'dog'/;
  assert.throws(() => loadCsv(file), refused);
  assert.throws(() => parseCsv(TEXT, file), refused);
});

test('the CLI\'s csv:PATH splits are splitDeterministically of the parsed text', () => {
  const rows = Array.from({ length: 57 }, (_, i) => `${i},${(i * 7) % 11}`).join('\n');
  const file = path.join(dir, 'points.csv');
  fs.writeFileSync(file, `a,b\n${rows}\n`);
  const cli = loadDataSpec(`csv:${file}`);
  const studio = splitDeterministically(parseCsv(`a,b\n${rows}\n`, 'points.csv'));
  assert.deepEqual(studio, cli);
  assert.equal(cli.test.n, 6); // round(5.7)
  // The split is a permutation of the rows, not the first or last tenth.
  const firstColumn = (x: Float32Array) => [...x].filter((_, i) => i % 2 === 0);
  const testRows = firstColumn(cli.test.x);
  assert.notDeepEqual(testRows, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...firstColumn(cli.train.x), ...testRows].sort((a, b) => a - b), Array.from({ length: 57 }, (_, i) => i));
});

test('parseCsv errors are UserErrors naming the name it was given', () => {
  for (const [text, fragment] of [
    ['', 'picked.csv: empty file'],
    ['a,b\n1,2\n3\n', 'picked.csv:3: expected 2 columns'],
    ['a,b\n1,nan\n', "picked.csv:2: column 'b' (2): expected a finite number"],
  ]) {
    assert.throws(() => parseCsv(text, 'picked.csv'), (e: Error) => e instanceof UserError && e.message.includes(fragment), fragment);
  }
});
