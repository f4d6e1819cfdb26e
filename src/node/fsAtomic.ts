/**
 * Writes that survive a crash or power loss at any moment: the old file or the new one, never a
 * half-written one. The data goes to a temporary sibling, is fsynced, renamed over the target, and
 * the folder is fsynced so the rename itself is on disk. Every final file genlab writes (configs,
 * checkpoints, sample grids, CSVs) goes through `writeFileAtomic`; metrics.jsonl is an append log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Temporary files and folders carry this in their name, so readers and cleanups can tell them apart. */
export const TEMP_MARK = '.tmp-';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSynced(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncFolder(dir);
}

/** Writes `data` to `file` and fsyncs it before returning (not atomic: for files inside a temporary folder). */
export function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.byteLength) offset += fs.writeSync(fd, bytes, offset, bytes.byteLength - offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a folder's entries (files created, renamed or removed in it) durable. */
export function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    // Windows cannot open or fsync a folder; there the rename is as durable as the OS makes it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
