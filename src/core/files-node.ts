/**
 * Node-only file helpers shared by the face index's save (src/pipeline/identity/index-file-node.ts), the CLI's
 * outputs (cli/output-file.ts) and the model fetchers (models/fetch/fetch-common.ts): an atomic write, a folder
 * made level by level, and whether a process still runs. They throw Node's system errors; each caller wraps them
 * in its own typed error. Only Node-only modules import this one (browser code reaches none of it).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

/** Whether process `pid` still runs (a process of another user counts). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Creates `dir` and the folders above it that are missing, one level at a time. Node's recursive mkdir reports a
 * read-only file system (EROFS) as ENOENT, 'no such file or directory', and spins forever on a folder that refuses
 * children with ENOENT while its parent exists (procfs); made level by level, the error is the system's own.
 */
export async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    const info = await stat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info !== undefined) {
      // A file where a folder should be (dir itself, or one above it) is the error a mkdir under it would give.
      if (!info.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: at });
      break;
    }
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    await mkdir(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // another writer made it meanwhile
    });
  }
}

/** Symbolic links followed before a loop is assumed (Linux's own bound). */
const MAX_LINKS = 40;

/**
 * The path a write to `file` lands on: symbolic links followed, as `cp` and a shell redirection do, a dangling one
 * included (its target is the file to create, so the link stays a link). A path that does not exist is itself.
 * For a regular file only: a special file is written through the name given (writeFileAtomic).
 */
export async function writeTarget(file: string): Promise<string> {
  let at = resolve(file);
  for (let links = 0; links <= MAX_LINKS; links++) {
    try {
      return await realpath(at);
    } catch {
      // Missing: the name itself (a file to create), or a link whose target is missing or that loops. A path that
      // cannot be reached (ENOTDIR, EACCES) is given back as it is: the write then fails with the system's error.
    }
    const info = await lstat(at).catch(() => undefined);
    if (!info?.isSymbolicLink()) return at;
    // A relative target is relative to the link's real folder (lexical '..' would be wrong under a linked folder).
    at = resolve(await realpath(dirname(at)), await readlink(at));
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links encountered, open '${file}'`), { code: 'ELOOP', path: file });
}

/**
 * The temporary file of a write to `target` is `.<name>.<pid>.<hex>.tmp` beside it: hidden, named after the file
 * and the writing process, so the next write of that file can tell a killed writer's leftover from a live one's.
 */
const TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** The bytes a file name may have (NAME_MAX on Linux, macOS and Windows' NTFS alike). */
const NAME_MAX = 255;

/**
 * What stands for `name` in its temporaries' names: the name itself, or, where `.<name>.<pid>.<hex>.tmp` would pass
 * NAME_MAX (a long name, UTF-8 that is not ASCII), a prefix of it and a hash of the whole, so the temporary can be
 * made wherever the file can, and still tells which file it belongs to.
 */
export function tempStem(name: string): string {
  if (Buffer.byteLength(name) <= NAME_MAX - 26) return name; // '.' + '.' + a pid of up to 10 digits + '.' + 8 + '.tmp'
  let prefix = '';
  for (const char of name) {
    if (Buffer.byteLength(prefix + char) > 160) break;
    prefix += char;
  }
  return `${prefix}~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** The file and the process an atomic write's temporary belongs to, or undefined for any other name. */
export function atomicTempOwner(fileName: string): { readonly name: string; readonly pid: number } | undefined {
  const match = TEMP.exec(fileName);
  return match === null ? undefined : { name: match[1]!, pid: Number(match[2]) };
}

/** How writeFileAtomic treats a FIFO. */
export interface WriteAtomicOptions {
  /**
   * A FIFO with no reader now is an error at once (ENXIO), not a write that waits for one (the face index's save:
   * a library call must not hang on a pipe nobody reads). Default false: a FIFO is written as a shell's `>` does.
   */
  readonly fifoReaderNow?: boolean;
}

/**
 * Writes `data` to `file` so that a reader sees the old file or the new one, never half of one: a temporary file in
 * the same folder, fsynced, then renamed over the target; a failure at any step removes the temporary and leaves an
 * earlier file as it was. A symbolic link is followed (writeTarget: the file it points to is replaced or made, the
 * link stays). A path that is neither a file nor a folder (/dev/null, /dev/stdout, a FIFO) is written in place,
 * since a rename would replace the device node itself. The new file keeps an existing file's permissions (an index
 * kept private, 0600, since faces are biometric data, must not become readable by others through a save), and its
 * owner where this process may give it (a save run as root). After the rename, temporaries of the same file left
 * by writers that no longer run (killed mid-write) are removed. A FIFO waits for its reader unless
 * `options.fifoReaderNow`.
 * Throws the system error (its message may name the temporary file: callers name `file` instead).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteAtomicOptions = {}): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info !== undefined && !info.isFile()) {
    // Through the name given: the kernel follows /dev/stdout to /proc/self/fd/1 and on to a pipe, which no path
    // names. A folder fails here with EISDIR, before any temporary exists.
    if (!info.isFIFO() || options.fifoReaderNow !== true) {
      await writeFile(file, data);
      return;
    }
    // O_NONBLOCK: the open fails at once (ENXIO) when no process reads the FIFO, instead of waiting for one. While
    // this handle stays open the FIFO has a writer, so the blocking open of the write below finds the reader there.
    let probe;
    try {
      probe = await open(file, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      throw Object.assign(new Error(`ENXIO: a FIFO no process reads (start its reader first), open '${file}'`), { code: 'ENXIO', syscall: 'open', path: file, cause: error });
    }
    try {
      await writeFile(file, data);
    } finally {
      await probe.close();
    }
    return;
  }
  const target = info === undefined ? await writeTarget(file) : await realpath(file);
  const folder = dirname(target);
  const name = basename(target);
  const temp = join(folder, `.${tempStem(name)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = info === undefined ? undefined : info.mode & 0o7777;
  const handle = await open(temp, 'wx', mode ?? 0o666);
  let closed = false;
  try {
    if (info !== undefined && (info.uid !== process.getuid?.() || info.gid !== process.getgid?.())) {
      // The owner too, where this process may give it (root; a group of the user's own): a file root saved over
      // for its user (sudo) must stay theirs, or a private 0600 file locks them out. Otherwise as a new file's.
      await handle.chown(info.uid, info.gid).catch(() => handle.chown(-1, info.gid)).catch(() => undefined);
    }
    if (mode !== undefined) await handle.chmod(mode); // open's mode passes through the umask (and chown clears setuid)
    await handle.writeFile(data);
    await handle.sync();
    closed = true;
    await handle.close();
    await rename(temp, target);
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await removeStaleTemps(folder, tempStem(name));
}

/** A folder's temporaries whose writer was gone when it was last listed, by the file they belong to. */
const staleTemps = new Map<string, { readonly listedAt: number; readonly byName: Map<string, string[]> }>();
/**
 * How long a folder's listing serves later writes into it. Listing it at every write would make a run that writes
 * n files into one folder (analyze --draw) quadratic: a listing of 10,000 names took 7.6 ms, most of such a write.
 */
const RELIST_MS = 10_000;

/** Removes `folder`'s temporaries of the file `stem` stands for whose writer is gone; a live writer's (this process's too) stay. */
async function removeStaleTemps(folder: string, stem: string): Promise<void> {
  let listing = staleTemps.get(folder);
  if (listing === undefined || Date.now() - listing.listedAt > RELIST_MS) {
    const byName = new Map<string, string[]>();
    for (const entry of await readdir(folder).catch(() => [] as string[])) {
      const owner = atomicTempOwner(entry);
      if (owner === undefined || owner.pid === process.pid || processIsAlive(owner.pid)) continue;
      byName.set(owner.name, [...(byName.get(owner.name) ?? []), entry]);
    }
    if (staleTemps.size >= 1000) staleTemps.clear(); // many folders written once each: keep the memory bounded
    listing = { listedAt: Date.now(), byName };
    staleTemps.set(folder, listing);
  }
  for (const entry of listing.byName.get(stem) ?? []) await unlink(join(folder, entry)).catch(() => undefined); // gone meanwhile, or not ours
  listing.byName.delete(stem);
}

/** The first line of a system error's message without its ", syscall 'path'" tail, which may name a temporary file. */
export function systemReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim().replace(/, \w+ '.*$/, '');
}
