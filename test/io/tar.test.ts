/**
 * The tar writer and reader against each other and against GNU/BSD tar: what writeTar makes, `tar`
 * lists and extracts byte for byte; what `tar cf` makes (long names included), readTar reads; a
 * header whose checksum does not add up is refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { readTar, writeTar, type TarFile } from '../../src/io/tar.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-tar-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + ((i * i) >> 3)) & 255);
const longFolder = 'a-folder-name-of-sixty-characters-to-push-the-path-past-100/' + 'x'.repeat(50);

/** Several files in nested folders: empty, under, at and over a block, a non-ASCII name, a path over 100 bytes. */
const FILES: TarFile[] = [
  { path: 'config.json', bytes: new TextEncoder().encode('{"format": "genlab-run"}\n') },
  { path: 'empty.txt', bytes: new Uint8Array(0) },
  { path: 'checkpoints/latest.json', bytes: new TextEncoder().encode('{"checkpoint":"step-00000002"}\n') },
  { path: 'checkpoints/step-00000002/weights.bin', bytes: bytes(1537, 1) },
  { path: 'checkpoints/step-00000002/block.bin', bytes: bytes(512, 2) },
  { path: 'samples/épreuve-π.png', bytes: bytes(77, 3) },
  { path: `${longFolder}/deep.bin`, bytes: bytes(700, 4) },
];

function files(list: TarFile[]): Record<string, number[]> {
  return Object.fromEntries(list.map((f) => [f.path, [...f.bytes]]));
}

test('writeTar then readTar gives back every file, byte for byte, under the root folder', () => {
  const archive = writeTar(FILES, 'myrun');
  assert.equal(archive.byteLength % 512, 0);
  assert.deepEqual([...archive.subarray(-1024)], new Array(1024).fill(0), 'two zero blocks end the archive');
  const back = readTar(archive);
  assert.deepEqual(files(back), files(FILES.map((f) => ({ ...f, path: `myrun/${f.path}` }))));
  assert.deepEqual(files(readTar(writeTar(FILES, ''))), files(FILES), 'no root folder');
});

test('the system tar lists the folders and files writeTar wrote, and extracts them byte for byte', () => {
  const archive = path.join(tmp, 'run.tar');
  fs.writeFileSync(archive, writeTar(FILES, 'myrun', { mtime: new Date('2024-05-01T12:00:00Z') }));
  const listed = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n');
  for (const f of FILES) assert.ok(listed.includes(`myrun/${f.path}`), `tar -t lists myrun/${f.path}:\n${listed.join('\n')}`);
  for (const folder of ['myrun/', 'myrun/checkpoints/', 'myrun/checkpoints/step-00000002/', 'myrun/samples/']) assert.ok(listed.includes(folder), folder);
  const out = fs.mkdtempSync(path.join(tmp, 'x-'));
  // tar reports a bad checksum or a short archive on stderr and exits non-zero: execFileSync would throw.
  execFileSync('tar', ['-xf', archive, '-C', out]);
  for (const f of FILES) assert.deepEqual([...fs.readFileSync(path.join(out, 'myrun', f.path))], [...f.bytes], f.path);
  assert.equal(fs.statSync(path.join(out, 'myrun', 'config.json')).mtime.toISOString(), '2024-05-01T12:00:00.000Z');
});

test('readTar reads what the system tar packs, long names included', () => {
  const src = fs.mkdtempSync(path.join(tmp, 'src-'));
  for (const f of FILES) {
    fs.mkdirSync(path.dirname(path.join(src, 'run', f.path)), { recursive: true });
    fs.writeFileSync(path.join(src, 'run', f.path), f.bytes);
  }
  // GNU tar's own format writes a name over 100 bytes as a separate 'L' entry, pax as an 'x' header.
  for (const format of ['gnu', 'pax', 'ustar']) {
    const archive = path.join(src, `${format}.tar`);
    execFileSync('tar', ['-cf', archive, `--format=${format}`, '-C', src, 'run']);
    assert.deepEqual(files(readTar(fs.readFileSync(archive))), files(FILES.map((f) => ({ ...f, path: `run/${f.path}` }))), format);
  }
});

test('readTar refuses a header whose checksum does not add up, gzip data and an archive cut short', () => {
  const archive = writeTar(FILES, 'myrun');
  const damaged = archive.slice();
  damaged[512 * 1 + 10] ^= 0x01; // a name byte of the second header (myrun/config.json)
  assert.throws(() => readTar(damaged), (e: unknown) => e instanceof UserError && /header at byte 512 fails its checksum/.test(e.message));
  assert.throws(() => readTar(Uint8Array.of(0x1f, 0x8b, 8, 0)), /gzip/);
  assert.throws(() => readTar(archive.subarray(0, 512 * 4 + 100)), (e: unknown) => e instanceof UserError && /cut short/.test(e.message));
});

test('writeTar refuses a name that fits no ustar header, a path with .., and one file twice', () => {
  assert.throws(() => writeTar([{ path: 'n'.repeat(101), bytes: new Uint8Array(1) }], ''), (e: unknown) => e instanceof UserError && /too long/.test(e.message));
  assert.throws(() => writeTar([{ path: '../escape', bytes: new Uint8Array(1) }], 'run'), /'\.\.'/);
  assert.throws(() => writeTar([FILES[0], FILES[0]], 'run'), /two files are named run\/config\.json/);
});
