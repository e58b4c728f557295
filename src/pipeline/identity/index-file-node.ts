/** Node-only file I/O for the face index (loaded on demand by FaceIndex.save / FaceIndex.load). */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { systemReason, writeFileAtomic } from '../../core/files-node.js';
import { checkIndexHeader, INDEX_HEADER_BYTES } from './index-file.js';
import { FaceIndexError, IndexFormatError } from './errors.js';

/**
 * Writes an index file atomically (writeFileAtomic: temp file, fsync, rename; a link followed, the old file's
 * permissions kept, a device node written in place). FaceIndexError naming `given` when it cannot be written,
 * with the system error as its cause; an earlier file there stays as it was.
 */
export async function saveIndexFile(given: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(given, bytes);
  } catch (error) {
    throw new FaceIndexError(`cannot write '${given}': ${systemReason(error)}`, { cause: error });
  }
}

/** Bytes one read asks for: readFile refuses files above 2 GiB, which an index of 1M × 512 with its ids can pass. */
const CHUNK = 1 << 28;

/**
 * An index file's bytes. Its header is checked against its size first (checkIndexHeader), so a file that is not an
 * index, or is truncated, is refused without reading it all; then it is read in chunks into one array (up to the
 * 4 GiB a Uint8Array holds). IndexFormatError for a bad header, the system error when the file cannot be read,
 * FaceIndexError for a path that is no regular file (after links): a FIFO, socket, device or folder.
 */
export async function readIndexFileBytes(path: string): Promise<Uint8Array> {
  // O_NONBLOCK: a FIFO's open otherwise waits for a writer that may never come; it changes nothing for a regular
  // file, and the check on the open handle (not a stat before it) sees the very file that is read.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FaceIndexError(`cannot read '${path}': ${specialKind(info)}, not a regular file, so it cannot be an index file`);
    const { size } = info;
    const head = new Uint8Array(Math.min(size, INDEX_HEADER_BYTES));
    await readFully(handle, head, 0);
    checkIndexHeader(head, size);
    const bytes = new Uint8Array(size);
    for (let at = 0; at < size; at += CHUNK) await readFully(handle, bytes.subarray(at, Math.min(size, at + CHUNK)), at);
    return bytes;
  } finally {
    await handle.close();
  }
}

/** What a path that is no regular file is, in words, for the error that refuses it. */
function specialKind(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isDirectory()) return 'it is a folder';
  if (info.isFIFO()) return 'it is a FIFO or pipe';
  if (info.isSocket()) return 'it is a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'it is a device';
  return 'it is a special file';
}

/** Fills `into` from the file at `position`; a file that shrank meanwhile is an error, not a short array. */
async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new IndexFormatError(`the file ended at byte ${position + done} while it was read (it changed meanwhile)`);
    done += bytesRead;
  }
}
