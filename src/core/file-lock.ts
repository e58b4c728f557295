/**
 * A lock file beside a file that is read, changed and replaced (`FILE.lock`): made with O_EXCL and holding the
 * locking process's id, so two processes never read and replace that file at once. Shared by the face index's
 * saves (src/pipeline/identity/index-file-node.ts: FaceIndex.save and the CLI's index add and remove) and the model
 * fetchers' digests.json (models/fetch/digest-record.ts). Node-only, as files-node.ts is; it throws Node's system
 * errors and FileLockHeld, and each caller wraps them in its own typed error.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { processIsAlive } from './files-node.js';

/** Thrown when a live process holds `lock` for longer than the wait allowed. */
export class FileLockHeld extends Error {
  override readonly name = 'FileLockHeld';
  constructor(
    /** The lock file. */
    readonly lock: string,
    /** The holder's process id, when the lock file names one. */
    readonly holder: number | undefined,
  ) {
    super(`${lock} stays held by process ${holder ?? '?'}`);
  }
}

/** How often a held lock is tried again. */
const RETRY_MS = 50;

/**
 * Runs `work` holding the lock file `lock`. A lock whose process is gone (killed) is taken over; one held by a live
 * process is waited for, up to `waitMs`, then FileLockHeld. The lock is removed when `work` ends, thrown or not.
 */
export async function withLockFile<T>(lock: string, work: () => Promise<T>, waitMs = 120_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
    const named = Number.isInteger(holder) && holder > 0;
    if (named && !processIsAlive(holder)) {
      await unlink(lock).catch(() => undefined); // left by a killed run
      continue;
    }
    if (Date.now() - started > waitMs) throw new FileLockHeld(lock, named ? holder : undefined);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
