/** Node-only file I/O for the face index (loaded on demand by FaceIndex.save / FaceIndex.load). */
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
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

/** The file's bytes. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const b = await readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
