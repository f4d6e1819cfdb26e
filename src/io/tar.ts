/**
 * Tar archives (POSIX ustar, IEEE Std 1003.1-2001 "pax" interchange format), small enough to read
 * here, so that a browser can hand over a whole run folder as one download that `tar xf` unpacks,
 * and open one a user packed with `tar cf`.
 *
 * An archive is a sequence of 512-byte blocks: for each entry a header block (name, mode, size,
 * mtime, type, ... as NUL-terminated ASCII and octal fields, and a checksum: the sum of the header's
 * bytes with the checksum field counted as spaces), then its data padded to whole blocks; two zero
 * blocks end it. Names over 100 bytes are split at a '/' into the 155-byte prefix field and the name.
 * Written: folders and regular files. Read: those, plus the long names of pax ('x') and GNU ('L')
 * headers; links and devices are skipped.
 */
import { UserError } from '../core/errors.js';

const BLOCK = 512;
/** Octal digits of the size field: files up to 8 GiB - 1. */
const MAX_SIZE = 8 ** 11 - 1;

/** A file in an archive: its '/'-separated path and contents. */
export interface TarFile {
  path: string;
  bytes: Uint8Array;
}

export interface WriteTarOptions {
  /** Modification time of every entry (default: now). */
  mtime?: Date;
}

/**
 * A ustar archive of `files` under the folder `rootFolder` ('' for none), with an entry for every
 * folder before the files in it: `tar xf` recreates rootFolder/<path> for each file. Refuses paths
 * with '..' and names that do not fit the ustar name and prefix fields.
 */
export function writeTar(files: TarFile[], rootFolder: string, options: WriteTarOptions = {}): Uint8Array {
  const mtime = Math.floor((options.mtime ?? new Date()).getTime() / 1000);
  const root = splitPath(rootFolder, 'the root folder');
  const blocks: Uint8Array[] = [];
  const folders = new Set<string>();
  const written = new Set<string>();
  for (const file of files) {
    const parts = [...root, ...splitPath(file.path, 'a file path')];
    if (parts.length === root.length) throw new UserError(`tar: a file has an empty path`);
    if (written.has(parts.join('/'))) throw new UserError(`tar: two files are named ${parts.join('/')}`);
    written.add(parts.join('/'));
    // 1. Every folder on the way, once, before the first file in it.
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/') + '/';
      if (folders.has(folder)) continue;
      folders.add(folder);
      blocks.push(header(folder, 0o755, 0, mtime, '5'));
    }
    // 2. The file: its header, then its bytes padded to whole blocks.
    if (file.bytes.byteLength > MAX_SIZE) throw new UserError(`tar: ${file.path} is over 8 GiB, more than a ustar size field holds`);
    blocks.push(header(parts.join('/'), 0o644, file.bytes.byteLength, mtime, '0'), file.bytes, new Uint8Array(padding(file.bytes.byteLength)));
  }
  // 3. The end of the archive: two zero blocks.
  blocks.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(blocks.reduce((s, b) => s + b.byteLength, 0));
  let offset = 0;
  for (const b of blocks) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out;
}

/**
 * The regular files of a tar archive (ustar, pax or GNU), paths as stored; folders are implied by
 * the paths. A UserError for gzip-compressed data, a header that fails its checksum, or an archive
 * cut short.
 */
export function readTar(bytes: Uint8Array): TarFile[] {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) throw new UserError('this is a gzip-compressed file (.tar.gz); unpack it with `gunzip`, or choose the .tar or the run folder');
  const files: TarFile[] = [];
  /** A long name from a pax or GNU header, for the entry that follows it. */
  let longName: string | undefined;
  let paxSize: number | undefined;
  let offset = 0;
  while (offset + BLOCK <= bytes.byteLength) {
    const h = bytes.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) return files;
    checkHeader(h, offset);
    const type = String.fromCharCode(h[156]);
    const size = paxSize ?? field(h, 124, 12, offset);
    const start = offset + BLOCK;
    if (start + size > bytes.byteLength) throw new UserError(`tar: the archive is cut short (an entry at byte ${offset} needs ${size} bytes of data)`);
    const data = bytes.subarray(start, start + size);
    offset = start + size + padding(size);
    if (type === 'x') {
      const pax = paxRecords(data);
      longName = pax.path ?? longName;
      paxSize = pax.size !== undefined ? Number(pax.size) : undefined;
      continue;
    }
    if (type === 'L') {
      longName = text(data);
      continue;
    }
    if (type === 'g') continue;
    const magic = text(h.subarray(257, 263));
    const name = longName ?? (magic === 'ustar' && h[345] !== 0 ? `${text(h.subarray(345, 500))}/${text(h.subarray(0, 100))}` : text(h.subarray(0, 100)));
    longName = undefined;
    paxSize = undefined;
    // Regular files ('0', old '\0', contiguous '7'); folders, links and devices carry no data to keep.
    if (type === '0' || type === '\0' || type === '7') files.push({ path: name, bytes: data.slice() });
  }
  if (offset !== bytes.byteLength) throw new UserError(`tar: the archive is cut short (${bytes.byteLength} bytes is not a whole number of 512-byte blocks)`);
  // No end-of-archive blocks: some writers stop at the last entry; every entry was whole.
  return files;
}

/** The components of a '/'-separated path; refuses '..' (tar xf would write outside the folder). */
function splitPath(path: string, what: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UserError(`tar: ${what} '${path}' goes up a folder ('..')`);
  return parts;
}

function header(name: string, mode: number, size: number, mtime: number, type: '0' | '5'): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const [prefix, rest] = splitName(new TextEncoder().encode(name), name);
  h.set(rest, 0);
  putOctal(h, 100, 8, mode);
  putOctal(h, 108, 8, 0); // uid
  putOctal(h, 116, 8, 0); // gid
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, mtime);
  h[156] = type.charCodeAt(0);
  h.set(ascii('ustar\0' + '00'), 257);
  putOctal(h, 329, 8, 0); // devmajor
  putOctal(h, 337, 8, 0); // devminor
  h.set(prefix, 345);
  // The checksum counts its own field as eight spaces; stored as six octal digits, NUL, space.
  h.fill(0x20, 148, 156);
  const sum = h.reduce((s, b) => s + b, 0);
  h.set(ascii(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  return h;
}

/** [prefix, name]: the whole name when it fits 100 bytes, else split at a '/' into at most 155 + 100 bytes. */
function splitName(bytes: Uint8Array, name: string): [Uint8Array, Uint8Array] {
  if (bytes.byteLength <= 100) return [new Uint8Array(0), bytes];
  // '/' (0x2f) never occurs inside a multi-byte UTF-8 character, so a split there keeps characters whole.
  for (let i = Math.min(155, bytes.byteLength - 2); i > 0; i--) {
    if (bytes[i] === 0x2f && bytes.byteLength - i - 1 <= 100) return [bytes.subarray(0, i), bytes.subarray(i + 1)];
  }
  throw new UserError(`tar: the path '${name}' is too long for a ustar archive (a name of at most 100 bytes after a folder path of at most 155)`);
}

function putOctal(h: Uint8Array, at: number, width: number, value: number): void {
  h.set(ascii(value.toString(8).padStart(width - 1, '0') + '\0'), at);
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** UTF-8 text up to the first NUL. */
function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** A numeric field: octal ASCII (NUL- or space-terminated), or GNU's base-256 for large values. */
function field(h: Uint8Array, at: number, width: number, offset: number): number {
  const f = h.subarray(at, at + width);
  if (f[0] & 0x80) return f.subarray(1).reduce((v, b) => v * 256 + b, f[0] & 0x7f);
  const digits = text(f).trim();
  if (!/^[0-7]*$/.test(digits)) throw new UserError(`tar: the header at byte ${offset} holds '${digits}' where a number belongs`);
  return digits ? parseInt(digits, 8) : 0;
}

/** Refuses a block that is not a tar header: its checksum (unsigned, or signed as some old writers made it) must match. */
function checkHeader(h: Uint8Array, offset: number): void {
  const stored = text(h.subarray(148, 156)).trim();
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (!/^[0-7]+$/.test(stored) || (parseInt(stored, 8) !== unsigned && parseInt(stored, 8) !== signed)) {
    throw new UserError(`tar: the header at byte ${offset} fails its checksum: not a tar archive, or a damaged one`);
  }
}

/** A pax extended header's records, "<length> <key>=<value>\n" each. */
function paxRecords(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.byteLength) {
    const space = data.indexOf(0x20, at);
    const length = parseInt(new TextDecoder().decode(data.subarray(at, space)), 10);
    if (space < 0 || !(length > 0)) break;
    const record = new TextDecoder().decode(data.subarray(space + 1, at + length - 1));
    const eq = record.indexOf('=');
    records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
