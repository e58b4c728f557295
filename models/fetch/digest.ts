/**
 * Checking bytes against a known digest, shared by the Node fetcher and the browser loader. Uses Web Crypto,
 * which both runtimes have (Node ≥ 20 as globalThis.crypto); the Node fetcher hashes incrementally with
 * node:crypto instead and only uses `expectDigest` from here.
 */
import { IntegrityError } from './errors.js';
import type { KnownDigest } from '../manifest.js';

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** sha256 of `bytes` as lower-case hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Copy into a plain ArrayBuffer-backed view: subtle.digest rejects SharedArrayBuffer views.
  const view = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  return toHex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', view)));
}

/** Throws IntegrityError when `actual` contradicts any field of `expected` that is known. */
export function expectDigest(
  subject: string,
  actual: { readonly bytes: number; readonly sha256: string },
  expected: KnownDigest | undefined,
  expectedFrom: 'manifest' | 'recorded',
  source?: string,
): void {
  if (expected === undefined) return;
  if (expected.bytes !== undefined && expected.bytes !== actual.bytes) {
    throw new IntegrityError(subject, 'bytes', String(expected.bytes), String(actual.bytes), expectedFrom, source);
  }
  if (expected.sha256 !== undefined && expected.sha256.toLowerCase() !== actual.sha256) {
    throw new IntegrityError(subject, 'sha256', expected.sha256.toLowerCase(), actual.sha256, expectedFrom, source);
  }
}

/** Refuses a body before it is read when the server's Content-Length contradicts the known size. */
export function expectAnnouncedSize(
  subject: string,
  announcedBytes: number | undefined,
  expectedBytes: number | undefined,
  expectedFrom: 'manifest' | 'recorded',
  source?: string,
): void {
  if (announcedBytes === undefined || expectedBytes === undefined || announcedBytes === expectedBytes) return;
  throw new IntegrityError(subject, 'bytes', String(expectedBytes), `${announcedBytes} (Content-Length)`, expectedFrom, source);
}
