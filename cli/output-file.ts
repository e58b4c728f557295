import { mkdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InsightGpuError } from '../src/core/errors.js';

/** An output file or folder a command was told to write cannot be written (a folder in its place, a parent that is a file, no permission). */
export class OutputFileError extends InsightGpuError {
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
 */
export function prepareOutputFile(file: string): void {
  const info = statOrUndefined(file);
  if (info?.isDirectory()) throw new OutputFileError('it is a folder; give a file name', file);
  makeFolder(path.dirname(path.resolve(file)), file);
}

/** Makes `dir` (and its parents) now, so an output folder that cannot exist fails before any work. */
export function prepareOutputFolder(dir: string): void {
  const info = statOrUndefined(dir);
  if (info && !info.isDirectory()) throw new OutputFileError('it is a file, not a folder', dir);
  makeFolder(path.resolve(dir), dir);
}

/**
 * Writes `text` (or bytes) to `file` through a temporary file beside it and a rename, so a failed or interrupted
 * write (a full disk, Ctrl-C) leaves an earlier file of that name as it was, never half written. A symbolic link is
 * followed (the file it names is replaced, the link stays); a path that is no regular file (/dev/stdout, a FIFO) is
 * written in place, since a rename would replace the device node itself.
 */
export function writeFileAtomically(file: string, text: string | Uint8Array): void {
  const info = statOrUndefined(file);
  try {
    if (info && !info.isFile()) {
      writeFileSync(file, text);
      return;
    }
  } catch (error) {
    throw new OutputFileError(firstLine(error), file, { cause: error });
  }
  const target = info ? realpathSync(file) : path.resolve(file);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, target);
  } catch (error) {
    try { unlinkSync(temporary); } catch { /* the temporary file was never made */ }
    // The system message names the temporary file, which the user never asked for: the error names `file` already.
    // Node's "ENOENT: no such file or directory, open '…'" is cut before the call and the path.
    throw new OutputFileError(firstLine(error).replace(/, \w+ '.*$/, ''), file, { cause: error });
  }
}

function statOrUndefined(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function makeFolder(dir: string, given: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new OutputFileError(`its folder cannot be made (${firstLine(error)})`, given, { cause: error });
  }
}
