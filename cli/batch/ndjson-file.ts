import { closeSync, existsSync, fdatasyncSync, fstatSync, openSync, readFileSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import { prepareOutputFile } from '../output-file.js';
import { ResultsFileError } from './errors.js';
import { isErrorRecord, looksLikeResultLine, type ErrorRecord, type ResultLine, type RunHeader } from './records.js';

/**
 * An NDJSON results file: a header line with the run's settings, then one line per image. Each line goes out in
 * whole-line writes followed by fdatasync before the next image's, so a run killed at any moment leaves complete
 * lines that are all valid and at most one torn line at the end, which `open` with resume cuts off.
 */
export class NdjsonResultsFile {
  /**
   * Whether the lines are synced to the disk: a regular file's are. /dev/null, a FIFO or a pipe (`--ndjson
   * /dev/stdout | jq`) has no disk behind it, and fdatasync there fails with EINVAL; each write reaches the reader as it is.
   */
  private readonly durable: boolean;

  private constructor(private fd: number | undefined, readonly file: string) {
    this.durable = fd !== undefined && fstatSync(fd).isFile();
  }

  /**
   * Opens `file` for a run with these settings. Without `resume` the file must not exist or be empty. With `resume`
   * an existing file is checked (header equal to `header`, every complete line a result line), its torn last line
   * (bytes after the last newline) is cut off, and the names of the images it holds are returned so the run skips
   * them, with the error lines among them. Throws ResultsFileError, changing nothing in the file, when it cannot be continued.
   * A new file's folder is made as every output's is (prepareOutputFile: level by level, through a symbolic link;
   * OutputFileError when it cannot be).
   */
  static async open(file: string, header: RunHeader, resume: boolean): Promise<{ out: NdjsonResultsFile; done: Set<string>; failed: ErrorRecord[] }> {
    const done = new Set<string>();
    const failed: ErrorRecord[] = [];
    NdjsonResultsFile.checkNew(file, resume);
    const size = existsSync(file) ? statSync(file).size : 0;
    let keep = 0;
    if (size > 0) {
      keep = forEachCompleteLine(file, (line, number) => {
        const value = parseLine(line, number, file);
        if (number === 1) {
          if (JSON.stringify(value) !== JSON.stringify(header)) {
            throw new ResultsFileError(`was written with other settings (${settingsDifference(value, header)}); resume it with the same --models, --det-size, --det-thresh, --max-num and --metric`, file);
          }
        } else if (looksLikeResultLine(value)) {
          done.add(value.image);
          if (isErrorRecord(value)) failed.push(value);
        } else {
          throw new ResultsFileError(`line ${number} is not an image's result line`, file);
        }
      });
    } else {
      await prepareOutputFile(file);
    }
    // No complete line: only the start of this run's own header may be cut off as torn. Anything else (a --json
    // results file, which ends without a newline) is another file, and resuming must not destroy it.
    const headerLine = `${JSON.stringify(header)}\n`;
    if (keep === 0 && size > 0 && (size > Buffer.byteLength(headerLine) || !headerLine.startsWith(readAll(file)))) {
      throw new ResultsFileError('is not an NDJSON results file of analyze (its first line is not a complete settings line); give another --ndjson file', file);
    }
    if (keep < size) truncateSync(file, keep);
    const out = new NdjsonResultsFile(openSync(file, 'a'), file);
    if (keep === 0) out.appendLine(JSON.stringify(header));
    return { out, done, failed };
  }

  /** Refuses early (before models load) a file that `open` without resume would refuse. */
  static checkNew(file: string, resume: boolean): void {
    if (existsSync(file) && statSync(file).isDirectory()) throw new ResultsFileError('is a folder; give a file name', file);
    if (!resume && existsSync(file) && statSync(file).size > 0) throw new ResultsFileError('exists; pass --resume to continue it, or remove it', file);
  }

  /** Appends one image's line and flushes it to the disk before returning. */
  append(line: ResultLine): void {
    this.appendLine(JSON.stringify(line));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private appendLine(text: string): void {
    if (this.fd === undefined) throw new ResultsFileError('is closed', this.file);
    const bytes = Buffer.from(`${text}\n`, 'utf8');
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at);
    if (this.durable) fdatasyncSync(this.fd);
  }
}

/**
 * Calls `visit` with each newline-terminated line of the file (1-based numbers) and returns the byte length of
 * those lines, i.e. where a torn last line starts. Reads in chunks: a results file of many photos can be larger
 * than one JavaScript string may be.
 */
function forEachCompleteLine(file: string, visit: (line: string, number: number) => void): number {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let pending: Buffer[] = [];
    let position = 0;
    let complete = 0;
    let number = 0;
    for (let read; (read = readSync(fd, chunk, 0, chunk.length, position)) > 0; position += read) {
      let start = 0;
      for (let nl = chunk.indexOf(10, 0); nl >= 0 && nl < read; nl = chunk.indexOf(10, start)) {
        pending.push(chunk.subarray(start, nl));
        visit(Buffer.concat(pending).toString('utf8'), ++number);
        pending = [];
        start = nl + 1;
        complete = position + start;
      }
      if (start < read) pending.push(Buffer.from(chunk.subarray(start, read)));
    }
    return complete;
  } finally {
    closeSync(fd);
  }
}

/** The whole file as text (called only for a file no longer than a header line). */
function readAll(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Which settings of the file's first line differ from this run's, e.g. `det_size: [160,160] in the file, [320,320] now`. */
function settingsDifference(written: unknown, header: RunHeader): string {
  if (!written || typeof written !== 'object' || Array.isArray(written)) return 'its first line is not a settings line';
  const before = written as Record<string, unknown>;
  const now = header as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(now), ...Object.keys(before)])];
  const differing = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]));
  const shown = (v: unknown): string => (v === undefined ? 'none' : clip(JSON.stringify(v)));
  return differing.map((k) => `${k}: ${shown(before[k])} in the file, ${shown(now[k])} now`).join('; ');
}

const clip = (text: string): string => (text.length > 160 ? `${text.slice(0, 160)}…` : text);

function parseLine(line: string, number: number, file: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (error) {
    throw new ResultsFileError(`line ${number} is not JSON (only a torn last line, without its newline, is repaired)`, file, { cause: error });
  }
}
