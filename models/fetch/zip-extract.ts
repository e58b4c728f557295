/**
 * Streaming extraction of a zip on disk (Node). The central directory is read first, so every entry's sizes,
 * CRC and offset come from the one authoritative place (no guessing from local headers or data descriptors),
 * and a truncated download fails up front because its end record is missing. Entry data is then read in
 * slices and inflated with fflate's streaming Inflate, so a 300 MB pack never sits in memory whole.
 * Format reference: PKWARE APPNOTE 6.3 (sections 4.3.7, 4.3.12, 4.3.14-16, 4.5.3).
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Inflate } from 'fflate';
import { ArchiveError } from './errors.js';

export interface ZipEntry {
  /** Name as stored, '/'-separated. */
  readonly name: string;
  readonly isDirectory: boolean;
  /** 0 = stored, 8 = deflate; anything else is rejected at extraction. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
const READ_SLICE = 1 << 20;

async function readAt(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

function u64(view: DataView, offset: number, archive: string): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArchiveError(archive, `64-bit field at ${offset} is too large`);
  return Number(value);
}

interface DirectoryLocation {
  readonly entries: number;
  readonly size: number;
  readonly offset: number;
}

async function locateCentralDirectory(file: FileHandle, fileSize: number, archive: string): Promise<DirectoryLocation> {
  if (fileSize < EOCD_MIN) throw new ArchiveError(archive, `only ${fileSize} bytes, too short to be a zip`);
  const tailLength = Math.min(fileSize, EOCD_MIN + MAX_COMMENT);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(file, tailStart, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  // Scan backwards: the record sits right before an optional comment of up to 64 KiB.
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE && i + EOCD_MIN + view.getUint16(i + 20, true) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveError(archive, 'no end-of-central-directory record (not a zip, or the file is truncated)');
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) {
    throw new ArchiveError(archive, 'multi-disk archives are not supported');
  }
  let entries = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);

  const locator = eocd - 20;
  if ((entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) && locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64At = u64(view, locator + 8, archive);
    const record = await readAt(file, zip64At, 56);
    const z = new DataView(record.buffer, record.byteOffset, record.byteLength);
    if (record.length < 56 || z.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new ArchiveError(archive, `zip64 end record missing at offset ${zip64At}`);
    }
    entries = u64(z, 32, archive);
    size = u64(z, 40, archive);
    offset = u64(z, 48, archive);
  }
  if (offset + size > tailStart + eocd) {
    throw new ArchiveError(archive, `central directory (${size} bytes at ${offset}) overlaps its end record or lies past the file end`);
  }
  return { entries, size, offset };
}

/** Applies the zip64 extended-information extra field (id 1) to the 32-bit fields that overflowed. */
function applyZip64Extra(
  extra: DataView,
  fields: { size: number; compressedSize: number; localHeaderOffset: number },
  archive: string,
  name: string,
): void {
  for (let at = 0; at + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(at, true);
    const length = extra.getUint16(at + 2, true);
    if (id === 0x0001) {
      let field = at + 4;
      const take = (): number => {
        if (field + 8 > at + 4 + length) throw new ArchiveError(archive, 'zip64 extra field too short', name);
        const value = u64(extra, field, archive);
        field += 8;
        return value;
      };
      // Only the overflowed fields are present, in this fixed order.
      if (fields.size === 0xffffffff) fields.size = take();
      if (fields.compressedSize === 0xffffffff) fields.compressedSize = take();
      if (fields.localHeaderOffset === 0xffffffff) fields.localHeaderOffset = take();
      return;
    }
    at += 4 + length;
  }
}

/** Reads the central directory: the list of entries with their authoritative sizes, CRCs and offsets. */
export async function readZipDirectory(file: FileHandle, archive: string): Promise<ZipEntry[]> {
  const fileSize = (await file.stat()).size;
  const location = await locateCentralDirectory(file, fileSize, archive);
  const directory = await readAt(file, location.offset, location.size);
  const view = new DataView(directory.buffer, directory.byteOffset, directory.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let index = 0; index < location.entries; index++) {
    if (at + 46 > directory.length || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new ArchiveError(archive, `central directory entry ${index} of ${location.entries} is corrupt`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength + extraLength + commentLength > directory.length) {
      throw new ArchiveError(archive, `central directory entry ${index} runs past the directory`);
    }
    const name = decoder.decode(directory.subarray(at + 46, at + 46 + nameLength));
    const fields = {
      size: view.getUint32(at + 24, true),
      compressedSize: view.getUint32(at + 20, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    applyZip64Extra(new DataView(directory.buffer, directory.byteOffset + at + 46 + nameLength, extraLength), fields, archive, name);
    entries.push({
      name,
      isDirectory: name.endsWith('/'),
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      ...fields,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Opens `path` and reads its central directory; the caller closes the handle. */
export async function openZip(path: string, archive: string): Promise<{ file: FileHandle; entries: ZipEntry[] }> {
  const file = await open(path, 'r');
  try {
    return { file, entries: await readZipDirectory(file, archive) };
  } catch (error) {
    await file.close();
    throw error;
  }
}

export interface ExtractedFile {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Writes one entry's data to `destination` (which must not exist), checking its length and CRC-32 against
 * the central directory, and returns its size and sha256.
 */
export async function extractZipEntry(
  file: FileHandle,
  entry: ZipEntry,
  destination: string,
  archive: string,
  onBytes?: (written: number) => void,
): Promise<ExtractedFile> {
  if (entry.flags & 0x1) throw new ArchiveError(archive, 'encrypted entries are not supported', entry.name);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ArchiveError(archive, `compression method ${entry.method} is not supported (only stored and deflate)`, entry.name);
  }
  const header = await readAt(file, entry.localHeaderOffset, 30);
  const headerView = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < 30 || headerView.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw new ArchiveError(archive, `no local file header at offset ${entry.localHeaderOffset}`, entry.name);
  }
  const dataStart = entry.localHeaderOffset + 30 + headerView.getUint16(26, true) + headerView.getUint16(28, true);

  const output = await open(destination, 'wx');
  const hash = createHash('sha256');
  let written = 0;
  let crc = 0;
  let pending: Uint8Array[] = [];
  const inflater = entry.method === 8 ? new Inflate((chunk) => void pending.push(chunk)) : undefined;
  const flush = async (): Promise<void> => {
    for (const chunk of pending) {
      written += chunk.byteLength;
      // A deflate stream that expands past the declared size is corrupt (or a zip bomb): stop early.
      if (written > entry.size) throw new ArchiveError(archive, `inflates past its declared ${entry.size} bytes`, entry.name);
      crc = crc32(chunk, crc);
      hash.update(chunk);
      await output.write(chunk);
    }
    pending = [];
    onBytes?.(written);
  };
  try {
    for (let offset = 0; offset < entry.compressedSize || (offset === 0 && inflater !== undefined); ) {
      const length = Math.min(READ_SLICE, entry.compressedSize - offset);
      const slice = await readAt(file, dataStart + offset, length);
      if (slice.length < length) throw new ArchiveError(archive, `data ends ${length - slice.length} bytes early`, entry.name);
      offset += length;
      const last = offset >= entry.compressedSize;
      if (inflater === undefined) pending.push(slice);
      else {
        try {
          inflater.push(slice, last);
        } catch (cause) {
          throw new ArchiveError(archive, `deflate data is corrupt: ${cause instanceof Error ? cause.message : String(cause)}`, entry.name, { cause });
        }
      }
      await flush();
      if (last) break;
    }
    if (written !== entry.size) throw new ArchiveError(archive, `holds ${written} bytes, the directory says ${entry.size}`, entry.name);
    if (crc >>> 0 !== entry.crc32 >>> 0) {
      throw new ArchiveError(archive, `CRC-32 ${(crc >>> 0).toString(16)} does not match the directory's ${(entry.crc32 >>> 0).toString(16)}`, entry.name);
    }
    return { bytes: written, sha256: hash.digest('hex') };
  } finally {
    await output.close();
  }
}

/**
 * Maps entry names to paths relative to the pack folder: rejects anything that could escape it, drops
 * macOS resource-fork litter, and strips a single folder that wraps every file (antelopev2's zip does this).
 */
export function packRelativeNames(entries: readonly ZipEntry[], archive: string): Map<ZipEntry, string> {
  const files = entries.filter((entry) => !entry.isDirectory && !isLitter(entry.name));
  for (const entry of files) {
    const parts = entry.name.split('/');
    if (entry.name.includes('\\') || entry.name.startsWith('/') || /^[A-Za-z]:/.test(entry.name) || parts.some((p) => p === '..' || p === '.' || p === '')) {
      throw new ArchiveError(archive, 'unsafe path (absolute, backslash, empty or parent segment)', entry.name);
    }
  }
  const tops = new Set(files.map((entry) => entry.name.split('/')[0]));
  const wrapped = files.length > 0 && tops.size === 1 && files.every((entry) => entry.name.includes('/'));
  const names = new Map<ZipEntry, string>();
  const seen = new Set<string>();
  for (const entry of files) {
    const relative = wrapped ? entry.name.slice(entry.name.indexOf('/') + 1) : entry.name;
    if (seen.has(relative)) throw new ArchiveError(archive, 'duplicate entry name', entry.name);
    seen.add(relative);
    names.set(entry, relative);
  }
  // A name that is a file and also another file's folder ('extra' and 'extra/b.onnx') cannot be extracted: it failed
  // half-way with the system's EEXIST, naming the temporary folder rather than the archive's entry.
  const folders = new Set([...seen].flatMap((name) => name.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  for (const [entry, relative] of names) {
    if (folders.has(relative)) throw new ArchiveError(archive, 'is a file and also the folder of another entry', entry.name);
  }
  return names;
}

function isLitter(name: string): boolean {
  return name.startsWith('__MACOSX/') || name.split('/').some((part) => part === '.DS_Store');
}
