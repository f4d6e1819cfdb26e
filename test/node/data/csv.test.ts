import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/core/errors.js';
import { CsvOptions, loadCsv } from '../../../src/node/data/csv.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-csv-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let count = 0;
function csv(text: string): string {
  const file = path.join(dir, `t${count++}.csv`);
  fs.writeFileSync(file, text);
  return file;
}

/** loadCsv must throw a UserError whose message names the file and every given fragment. */
function assertFails(text: string, opts: CsvOptions, ...fragments: string[]): void {
  const file = csv(text);
  assert.throws(
    () => loadCsv(file, opts),
    (e: Error) => {
      assert.ok(e instanceof UserError, `not a UserError: ${e}`);
      for (const f of [file, ...fragments]) assert.ok(e.message.includes(f), `'${e.message}' lacks '${f}'`);
      return true;
    },
  );
}

test('header detected, string labels mapped to sorted class names', () => {
  const d = loadCsv(csv('a,b,label\n0.1,0.2,dog\n0.3,0.4,cat\n0.5,0.6,dog\n'), { labelColumn: 'label' });
  assert.equal(d.n, 3);
  assert.deepEqual(d.shape, [2]);
  assert.deepEqual([...d.x], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map(Math.fround));
  assert.equal(d.kind, 'continuous');
  assert.deepEqual(d.classNames, ['cat', 'dog']);
  assert.deepEqual([...d.labels!], [1, 0, 1]);
  assert.match(d.name, /^csv:t\d+\.csv$/);
});

test('integer labels in the middle column are used as they are', () => {
  const d = loadCsv(csv('x,y,z\n1,3,0\n0,0,1\n1,1,1\n'), { labelColumn: 'y' });
  assert.deepEqual([...d.labels!], [3, 0, 1]);
  assert.equal(d.classNames, undefined);
  assert.deepEqual([...d.x], [1, 0, 0, 1, 1, 1]);
  assert.equal(d.kind, 'binary');
});

test('no header: every row is data, kind real', () => {
  const d = loadCsv(csv('1,-2.5,3e2\n4,5,.5\n'));
  assert.equal(d.n, 2);
  assert.deepEqual(d.shape, [3]);
  assert.deepEqual([...d.x], [1, -2.5, 300, 4, 5, 0.5]);
  assert.equal(d.kind, 'real');
  assert.equal(d.labels, undefined);
  assert.equal(loadCsv(csv('1,2\n3,4\n'), { header: false }).n, 2);
  assert.equal(loadCsv(csv('1,2\n3,4\n'), { header: true }).n, 1); // first row forced to be names
});

test('CRLF, blank lines, a byte-order mark, spaces and quoted cells', () => {
  const d = loadCsv(csv('\ufeff"a", b ,"the, label"\r\n\r\n 0 , 1 ,"x ""y"""\r\n1,0,z\r\n\r\n'), { labelColumn: 'the, label' });
  assert.deepEqual([...d.x], [0, 1, 1, 0]);
  assert.deepEqual(d.classNames, ['x "y"', 'z']);
});

test('errors name the file, the line, the column and what was expected', () => {
  assertFails('a,b\n1,2\n3,oops\n', {}, ':3:', "column 'b' (2)", 'expected a number', "'oops'");
  assertFails('1,2\n3,x\n', { header: false }, ':2:', 'column 2', "'x'");
  assertFails('a,b\n1,2\n\n3,4,5\n', {}, ':4:', 'expected 2 columns', 'got 3');
  assertFails('a,b\n1,2\n3\n', {}, ':3:', 'expected 2 columns', 'got 1');
  assertFails('', {}, 'empty file');
  assertFails('\n  \n', {}, 'empty file');
  assertFails('a,b,c\n1,2,3\n', { labelColumn: 'class' }, "no label column 'class'", 'a, b, c');
  assertFails('a,b\n1,NaN\n', {}, ':2:', "column 'b'", 'finite', 'NaN');
  assertFails('a,b\n-Infinity,1\n', {}, ':2:', "column 'a'", 'finite', 'Infinity');
  assertFails('a,b\n1e999,1\n', {}, ':2:', "column 'a'", 'finite');
  assertFails('a,b\n1,\n', {}, ':2:', "column 'b'", 'empty cell');
  assertFails('1,2\n3,4\n', { labelColumn: 'y' }, ':1:', 'header');
  assertFails('a,y\n1,2\n', { labelColumn: 'y', header: false }, 'header');
  assertFails('a,b\n', {}, 'no data rows');
  assertFails('y\n1\n', { labelColumn: 'y' }, 'no feature columns');
  assertFails('a,b\n1,"2\n', {}, ':2:', 'unterminated');
  assert.throws(() => loadCsv(path.join(dir, 'missing.csv')), (e: Error) => e instanceof UserError && e.message.includes('missing.csv'));
});
