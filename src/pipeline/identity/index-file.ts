/**
 * The single-file face-index format (README.md in this folder). Browser-safe: no node: imports.
 * All integers little-endian.
 *
 *   0  magic  "IGFX" (4 bytes)
 *   4  u32    version (1)
 *   8  u32    dim
 *  12  u32    rows (entries)
 *  16  u32    identities
 *  20  u32    JSON byte length J
 *  24  J      UTF-8 JSON {"ids": string[], "meta": (JSON | null)[]}, then zero padding to a multiple of 4
 *   …  u32 × rows        owner (identity number) of each row
 *   …  f32 × rows × dim  the normed embeddings, row after row
 *   …  u32    CRC-32 (IEEE, as zlib) of every byte before it
 */
import { IndexFormatError } from './errors.js';

/** A JSON value, the type of the metadata an identity carries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The index's content, as written to and read from a file. */
export interface IndexSnapshot {
  dim: number;
  ids: string[];
  meta: (JsonValue | undefined)[];
  owner: Int32Array;
  rows: Float32Array;
}

/** The file's first four bytes. */
export const INDEX_MAGIC = 'IGFX';
/** The format version this code writes and reads. */
export const INDEX_VERSION = 1;
const HEADER = 24;

let table: Uint32Array | undefined;
/** CRC-32 (IEEE 802.3 polynomial, reflected, as zlib's crc32) of bytes. */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** n rounded up to a multiple of 4 (arithmetic, not bitwise: a u32 length above 2^31 must not wrap negative). */
const pad4 = (n: number): number => Math.ceil(n / 4) * 4;
/** Whether this platform's typed arrays are little-endian (then floats are copied as bytes, not one by one). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encode a snapshot into the file format. */
export function encodeIndex(s: IndexSnapshot): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ ids: s.ids, meta: s.meta.map((m) => (m === undefined ? null : m)) }));
  const count = s.owner.length;
  const jsonEnd = HEADER + pad4(json.length);
  const ownerEnd = jsonEnd + 4 * count;
  const rowsEnd = ownerEnd + 4 * count * s.dim;
  const out = new Uint8Array(rowsEnd + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(INDEX_MAGIC), 0);
  view.setUint32(4, INDEX_VERSION, true);
  view.setUint32(8, s.dim, true);
  view.setUint32(12, count, true);
  view.setUint32(16, s.ids.length, true);
  view.setUint32(20, json.length, true);
  out.set(json, HEADER);
  for (let r = 0; r < count; r++) view.setUint32(jsonEnd + 4 * r, s.owner[r]!, true);
  const n = count * s.dim;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(s.rows.buffer, s.rows.byteOffset, 4 * n), ownerEnd);
  else for (let i = 0; i < n; i++) view.setFloat32(ownerEnd + 4 * i, s.rows[i]!, true);
  view.setUint32(rowsEnd, crc32(out.subarray(0, rowsEnd)), true);
  return out;
}

/** Where an index file's blocks lie, from its header. */
interface IndexLayout {
  dim: number;
  count: number;
  identities: number;
  jsonLength: number;
  jsonEnd: number;
  ownerEnd: number;
  rowsEnd: number;
}

/** Bytes of the header that `checkIndexHeader` reads. */
export const INDEX_HEADER_BYTES = HEADER;

/**
 * Checks an index file's first bytes against the file's size (magic, version, the size the header describes), so a
 * reader can refuse a file that is not an index, or is truncated, before reading all of it; IndexFormatError else.
 */
export function checkIndexHeader(head: Uint8Array, size: number): IndexLayout {
  if (size < HEADER + 4 || head.length < HEADER) throw new IndexFormatError(`${size} bytes, shorter than the ${HEADER + 4}-byte minimum (truncated)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = String.fromCharCode(head[0]!, head[1]!, head[2]!, head[3]!);
  if (magic !== INDEX_MAGIC) throw new IndexFormatError(`magic is ${JSON.stringify(magic)}, expected "${INDEX_MAGIC}"`, 0);
  const version = view.getUint32(4, true);
  if (version !== INDEX_VERSION) throw new IndexFormatError(`version ${version}, this reader knows ${INDEX_VERSION}`, 4);
  const dim = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  const identities = view.getUint32(16, true);
  const jsonLength = view.getUint32(20, true);
  const jsonEnd = HEADER + pad4(jsonLength);
  const ownerEnd = jsonEnd + 4 * count;
  const rowsEnd = ownerEnd + 4 * count * dim;
  if (rowsEnd + 4 !== size) {
    throw new IndexFormatError(`header describes ${rowsEnd + 4} bytes, the file has ${size}${size < rowsEnd + 4 ? ' (truncated)' : ''}`);
  }
  return { dim, count, identities, jsonLength, jsonEnd, ownerEnd, rowsEnd };
}

/** Decode the file format; IndexFormatError for anything truncated, corrupted or inconsistent. */
export function decodeIndex(bytes: Uint8Array): IndexSnapshot {
  const { dim, count, identities, jsonLength, jsonEnd, ownerEnd, rowsEnd } = checkIndexHeader(bytes.subarray(0, HEADER), bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stored = view.getUint32(rowsEnd, true);
  const actual = crc32(bytes.subarray(0, rowsEnd));
  if (stored !== actual) throw new IndexFormatError(`checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): the file is corrupted`, rowsEnd);
  if (dim === 0) throw new IndexFormatError('dim is 0', 8);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + jsonLength)));
  } catch (cause) {
    throw new IndexFormatError('ids/meta block is not UTF-8 JSON', HEADER, { cause });
  }
  const p = parsed as { ids?: unknown; meta?: unknown };
  if (!p || typeof p !== 'object' || !Array.isArray(p.ids) || !Array.isArray(p.meta) || !p.ids.every((x) => typeof x === 'string')
    || p.ids.length !== identities || p.meta.length !== identities || new Set(p.ids).size !== identities) {
    throw new IndexFormatError(`ids/meta block does not hold ${identities} distinct ids and their meta`, HEADER);
  }
  const owner = new Int32Array(count);
  const used = new Uint8Array(identities);
  for (let r = 0; r < count; r++) {
    const o = view.getUint32(jsonEnd + 4 * r, true);
    if (o >= identities) throw new IndexFormatError(`row ${r} belongs to identity ${o} of ${identities}`, jsonEnd + 4 * r);
    owner[r] = o;
    used[o] = 1;
  }
  if (used.includes(0)) throw new IndexFormatError('an identity has no rows', jsonEnd);
  const rows = new Float32Array(count * dim);
  if (LITTLE_ENDIAN) new Uint8Array(rows.buffer).set(bytes.subarray(ownerEnd, rowsEnd));
  else for (let i = 0; i < rows.length; i++) rows[i] = view.getFloat32(ownerEnd + 4 * i, true);
  for (let i = 0; i < rows.length; i++) {
    if (!Number.isFinite(rows[i]!)) throw new IndexFormatError('an embedding value is not finite', ownerEnd + 4 * i);
  }
  return { dim, ids: p.ids as string[], meta: (p.meta as JsonValue[]).map((m) => (m === null ? undefined : m)), owner, rows };
}
