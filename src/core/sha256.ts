/**
 * SHA-256 through the Web Crypto API, which browsers and Node (20+, `globalThis.crypto`) both
 * provide, so code outside src/node can check a checkpoint's checksums. Browsers offer it only in
 * secure contexts (https, localhost). Node's own code hashes synchronously with node:crypto.
 */

/** Hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('SHA-256 needs the Web Crypto API (crypto.subtle), which browsers offer only on https or localhost pages');
  // digest takes an ArrayBuffer-backed view; a copy when the bytes sit in a SharedArrayBuffer.
  const view = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = new Uint8Array(await subtle.digest('SHA-256', view));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
