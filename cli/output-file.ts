import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { InsightGpuError } from '../src/core/errors.js';
import { makeFolder, systemReason, writeFileAtomic, writeTarget } from '../src/core/files-node.js';

/** An output file or folder a command was told to write cannot be written (a folder in its place, a parent that is a file, no permission). */
export class OutputFileError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'OutputFileError';
  readonly code = 'OUTPUT_FILE';
  constructor(readonly why: string, readonly file: string, options?: { cause?: unknown }) {
    super(`cannot write '${file}': ${why}`, options);
  }
}

/** The first line of a system error's message, without Node's "CODE: " prefix (libvips' messages run over several lines). */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}

/**
 * Checks, before any work, that `file` can be written later: its folder exists or is made now, and `file` is not a
 * folder. Nothing is created besides missing parent folders, so a run refused later leaves no empty file behind.
 * A symbolic link counts as the file it points to (writeFileAtomically writes there), a dangling one included.
 */
export async function prepareOutputFile(file: string): Promise<void> {
  const info = await statOrUndefined(file);
  if (info?.isDirectory()) throw new OutputFileError('it is a folder; give a file name', file);
  if (info !== undefined) return; // a file (or /dev/stdout, a FIFO) that exists: its folder does too
  let target: string;
  try {
    target = await writeTarget(file);
  } catch (error) {
    throw new OutputFileError(systemReason(error), file, { cause: error }); // a loop of links
  }
  await makeFolderFor(path.dirname(target), file);
}

/** Makes `dir` (and its parents) now, so an output folder that cannot exist fails before any work. */
export async function prepareOutputFolder(dir: string): Promise<void> {
  const info = await statOrUndefined(dir);
  if (info && !info.isDirectory()) throw new OutputFileError('it is a file, not a folder', dir);
  await makeFolderFor(path.resolve(dir), dir);
}

/**
 * Checks, without making anything, that the folder `dir` exists or can be made later: the nearest part of it that
 * exists is a folder this process may write into (not a file, not a read-only mount). A run that writes into
 * `dir` only when it has something for it (analyze --draw's subfolders) fails at once on one that cannot be, and
 * leaves no empty folder for images that fail. A folder that refuses children though it looks writable (/proc) is
 * only found when it is made; a caller checks such a root with prepareOutputFolder.
 */
export async function checkOutputFolder(dir: string): Promise<void> {
  const wanted = path.resolve(dir);
  for (let at = wanted; ; at = path.dirname(at)) {
    const info = await statOrUndefined(at); // missing, or under a file (ENOTDIR): look one level up
    if (info === undefined) {
      if (path.dirname(at) === at) return;
      continue;
    }
    if (!info.isDirectory()) {
      if (at === wanted) throw new OutputFileError('it is a file, not a folder', dir);
      throw new OutputFileError(`its folder cannot be made (ENOTDIR: not a directory, mkdir '${at}')`, dir);
    }
    try {
      await access(at, constants.W_OK | constants.X_OK);
    } catch (error) {
      throw new OutputFileError(`its folder cannot be made (${firstLine(error)})`, dir, { cause: error });
    }
    return;
  }
}

/**
 * Writes `text` (or bytes) to `file` atomically (writeFileAtomic: a temporary file beside it, fsync, a rename), so a
 * failed or interrupted write (a full disk, Ctrl-C) leaves an earlier file of that name as it was, never half
 * written. A symbolic link is followed (the file it points to is replaced or made, the link stays); a path that is
 * no regular file (/dev/stdout, a FIFO) is written in place; an existing file keeps its permissions.
 */
export async function writeFileAtomically(file: string, text: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (error) {
    // The system message may name the temporary file, which the user never asked for: the error names `file`.
    throw new OutputFileError(systemReason(error), file, { cause: error });
  }
}

/**
 * Whether two paths name one file (the same path, or a link, a hard link or another spelling of it): an output that
 * is one of a command's inputs would overwrite what the command reads.
 */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [sa, sb] = await Promise.all([statOrUndefined(a), statOrUndefined(b)]);
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Whether two outputs land on one file: sameFile, or the same place once links are followed (a dangling link to
 * the other's name included) and the folder's own links resolved, for files that do not exist yet.
 */
export async function sameOutputFile(a: string, b: string): Promise<boolean> {
  if (await sameFile(a, b)) return true;
  const place = async (file: string): Promise<string> => {
    const target = await writeTarget(file).catch(() => path.resolve(file));
    const folder = await realpath(path.dirname(target)).catch(() => path.dirname(target));
    return path.join(folder, path.basename(target));
  };
  return (await place(a)) === (await place(b));
}

/** The device and inode of an existing file ('dev:ino'), which every path to it shares; undefined when there is none. */
export async function fileIdentity(file: string): Promise<string | undefined> {
  const info = await statOrUndefined(file);
  return info === undefined ? undefined : `${info.dev}:${info.ino}`;
}

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  return stat(file).catch(() => undefined);
}

async function makeFolderFor(dir: string, given: string): Promise<void> {
  try {
    await makeFolder(dir);
  } catch (error) {
    throw new OutputFileError(`its folder cannot be made (${firstLine(error)})`, given, { cause: error });
  }
}
