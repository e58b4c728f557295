/** Node-only file I/O for the face index (loaded on demand by FaceIndex.save / FaceIndex.load). */
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { checkIndexHeader, INDEX_HEADER_BYTES } from './index-file.js';
import { IndexFormatError } from './errors.js';
import { randomBytes } from 'node:crypto';

/**
 * Write bytes to path atomically: a temp file beside it, fsync, then rename over the target. A symbolic link is
 * followed first, so the file it points to is replaced and the link stays (a rename over the link would replace
 * the link itself with a file, leaving its target stale).
 */
export async function writeFileAtomic(given: string, bytes: Uint8Array): Promise<void> {
  const path = await realpath(given).catch(() => given);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  // The new file keeps the old one's permissions: an index kept private (0600, faces are biometric data) must not
  // become readable by others through a save.
  const mode = await stat(path).then((s) => s.mode & 0o7777, () => undefined);
  const handle = await open(temp, 'wx', mode ?? 0o666);
  try {
    if (mode !== undefined) await handle.chmod(mode); // open's mode passes through the umask
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

/** Bytes one read asks for: readFile refuses files above 2 GiB, which an index of 1M × 512 with its ids can pass. */
const CHUNK = 1 << 28;

/**
 * An index file's bytes. Its header is checked against its size first (checkIndexHeader), so a file that is not an
 * index, or is truncated, is refused without reading it all; then it is read in chunks into one array (up to the
 * 4 GiB a Uint8Array holds). IndexFormatError for a bad header, the system error when the file cannot be read.
 */
export async function readIndexFileBytes(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
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

/** Fills `into` from the file at `position`; a file that shrank meanwhile is an error, not a short array. */
async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new IndexFormatError(`the file ended at byte ${position + done} while it was read (it changed meanwhile)`);
    done += bytesRead;
  }
}
