/** Node-only file I/O for the face index (loaded on demand by FaceIndex.save / FaceIndex.load). */
import { AsyncLocalStorage } from 'node:async_hooks';
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemReason, tempStem, writeFileAtomic, writeTarget } from '../../core/files-node.js';
import { FileLockHeld, withLockFile } from '../../core/file-lock.js';
import { checkIndexHeader, INDEX_HEADER_BYTES } from './index-file.js';
import { FaceIndexConflictError, FaceIndexError, IndexFormatError } from './errors.js';

/**
 * What a save checks the file against: the version (indexFileVersion) this index last read or wrote at each file
 * (after links), updated by the save, and whether to replace a file of another version anyway.
 */
export interface SaveIndexFileOptions {
  readonly known: Map<string, string>;
  readonly overwrite: boolean;
}

/**
 * Writes an index file atomically (writeFileAtomic: temp file, fsync, rename; a link followed, the old file's
 * permissions kept, a device node written in place, a FIFO only when a process reads it now), holding the file's
 * lock (withIndexFileLock), so a save never lands inside another process's locked read-and-replace of the file
 * (`insightgpu index add`). Under the lock, an existing regular file whose version is not the one `known` holds
 * for it (changed since, or never read by this index) is a FaceIndexConflictError unless `overwrite`: a save from
 * an older copy never replaces rows another writer added. FaceIndexError naming `given` when it cannot be written
 * or locked, with the system error as its cause; an earlier file stays as it was.
 */
export async function saveIndexFile(given: string, bytes: Uint8Array, options: SaveIndexFileOptions): Promise<void> {
  await withIndexFileLock(given, async () => {
    let target: string | undefined;
    try {
      target = await writeTarget(given);
      const now = await indexFileVersion(target);
      if (now !== undefined && !options.overwrite && options.known.get(target) !== now) {
        throw new FaceIndexConflictError(given, target, options.known.has(target) ? 'changed' : 'unread');
      }
      await writeFileAtomic(given, bytes, { fifoReaderNow: true }); // a FIFO nobody reads fails at once, as load's does
    } catch (error) {
      if (error instanceof FaceIndexError) throw error;
      throw new FaceIndexError(`cannot write '${given}': ${systemReason(error)}`, { cause: error });
    }
    // Still under the lock: the version read back is this save's own file.
    const written = await indexFileVersion(target).catch(() => undefined);
    if (written !== undefined) options.known.set(target, written);
  });
}

/**
 * The version of the regular file `target` (undefined when it is missing or no regular file): its device, inode,
 * size, modification time in ns, and its last 4 bytes (an index file's CRC-32), so a file replaced by
 * any writer (a rename makes a new inode; a write in place changes the time) and one of other content reads as
 * another version, even where timestamps are coarse and an inode number is reused.
 */
export async function indexFileVersion(target: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(target, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return await versionOfHandle(handle);
  } finally {
    await handle.close();
  }
}

async function versionOfHandle(handle: FileHandle): Promise<string | undefined> {
  const info = await handle.stat({ bigint: true });
  if (!info.isFile()) return undefined;
  const tail = Buffer.alloc(4);
  if (info.size >= 4n) await handle.read(tail, 0, 4, Number(info.size - 4n));
  // Not ctime: a chmod or chown (a private index made 0600) changes no entry, and must not read as another version.
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${tail.toString('hex')}`;
}

/** The lock of index file `target`: `TARGET.lock`, or, where that name would pass 255 bytes, `TEMPSTEM.lock` (tempStem). */
export function indexLockPath(target: string): string {
  const name = path.basename(target);
  return path.join(path.dirname(target), `${Buffer.byteLength(`${name}.lock`) <= 255 ? name : tempStem(name)}.lock`);
}

/** The locks the current async call chain holds: a save inside a caller's locked work takes no second lock. */
const heldLocks = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Runs `work` holding the lock (indexLockPath) beside the file `file` names (through links: every name of one file
 * reaches one lock), made with O_EXCL and holding this process's id, so two processes never read and replace the
 * same index file at once. A lock whose process is gone (killed) is taken over; one held by a live process is waited
 * for, up to `waitMs`, then a FaceIndexError. Inside `work`, a lock of the same file (a `save` of it) is already held.
 * A path that is no regular file (a FIFO, a device) is written in place by save and takes no lock.
 */
export async function withIndexFileLock<T>(file: string, work: () => Promise<T>, waitMs = 120_000): Promise<T> {
  let target: string;
  try {
    target = await writeTarget(file);
  } catch (error) {
    // A loop of links: the file cannot be written, and the loop is what to mend (the lock is a detail).
    const loop = (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'its symbolic links loop (too many levels of symbolic links)' : systemReason(error);
    throw new FaceIndexError(`cannot write '${file}': ${loop}`, { cause: error });
  }
  const info = await stat(target).catch(() => undefined);
  if (info !== undefined && !info.isFile()) return work(); // no lock file beside /dev/null or a FIFO
  const lock = indexLockPath(target);
  const outer = heldLocks.getStore();
  if (outer?.has(lock)) return work();
  let locked = false;
  try {
    return await withLockFile(lock, () => {
      locked = true;
      return heldLocks.run(new Set([...(outer ?? []), lock]), work);
    }, waitMs);
  } catch (error) {
    if (locked) throw error; // work's own failure
    if (error instanceof FileLockHeld) {
      throw new FaceIndexError(`'${file}' stays locked by process ${error.holder ?? '?'} (${lock}); remove the lock if no save of it runs`, { cause: error });
    }
    // The lock's folder is the file's: a lock that cannot be made (no folder, no permission) is a file that cannot be written.
    throw new FaceIndexError(`cannot write '${file}': ${systemReason(error)}`, { cause: error });
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
  return (await readIndexFile(path)).bytes;
}

/**
 * readIndexFileBytes, with the file's version (indexFileVersion, of the very file read) and its path after links
 * (writeTarget's, the key save looks it up by), so a later save can tell whether another writer replaced it.
 */
export async function readIndexFile(path: string): Promise<{ bytes: Uint8Array; target: string; version: string | undefined }> {
  const target = await writeTarget(path);
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
    return { bytes, target, version: await versionOfHandle(handle) };
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
