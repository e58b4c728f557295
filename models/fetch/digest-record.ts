/**
 * digests.json: sizes and sha256 digests learned on the first download of a pack or single-file model whose
 * manifest entry has none (trust on first use). It lives in `<root>/models/`, beside the pack folders and
 * model files, so it survives them being deleted and re-fetched: a later download that differs from what was
 * first seen is refused.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { systemReason as writeReason, writeFileAtomic } from '../../src/core/files-node.js';
import { FileLockHeld, withLockFile } from '../../src/core/file-lock.js';
import { DigestRecordError } from './errors.js';

/** A size and sha256 seen on a first download. */
export interface RecordedDigest {
  /** Size in bytes. */
  readonly bytes: number;
  /** sha256, lower-case hex. */
  readonly sha256: string;
}

/** What the first download of a pack was: its zip, its files, when, and from where. */
export interface RecordedPack {
  /** The zip, as first downloaded. */
  readonly zip?: RecordedDigest;
  /** Its files by name, as first extracted. */
  readonly files: Readonly<Record<string, RecordedDigest>>;
  /** When it was recorded (ISO 8601). */
  readonly recordedAt: string;
  /** URL the pack was first downloaded from. */
  readonly source: string;
}

/** A single model file installed directly in `<root>/models/` (inswapper_128.onnx). */
export interface RecordedFile extends RecordedDigest {
  /** When it was recorded (ISO 8601). */
  readonly recordedAt: string;
  /** URL the file was first downloaded from. */
  readonly source: string;
}

/**
 * The contents of `<root>/models/digests.json`: what each pack and single file was when first downloaded.
 */
export interface DigestRecord {
  /** The record's format and version. */
  readonly format: 'insightgpu-digests/1';
  /** Packs by name. */
  readonly packs: Readonly<Record<string, RecordedPack>>;
  /** Single model files, keyed by file name; absent in records written before any was fetched. */
  readonly files?: Readonly<Record<string, RecordedFile>>;
}

/**
 * What `entries` holds under `key` as its own: a record (or its `files`) is a plain object from JSON.parse, whose
 * lookup of a pack or file named after an Object member ('constructor', 'toString') finds the prototype's function.
 */
export function ownEntry<T>(entries: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return entries !== undefined && Object.hasOwn(entries, key) ? entries[key] : undefined;
}

/** The record's file name in `<root>/models/`. */
export const DIGEST_RECORD_FILE = 'digests.json';

export function digestRecordPath(modelsDir: string): string {
  return join(modelsDir, DIGEST_RECORD_FILE);
}

/** A system error's first line ('ENOTDIR: not a directory, open …'), or what else was thrown. */
export function systemReason(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

function isDigest(value: unknown): value is RecordedDigest {
  if (typeof value !== 'object' || value === null) return false;
  const { bytes, sha256 } = value as Record<string, unknown>;
  return typeof bytes === 'number' && Number.isInteger(bytes) && bytes >= 0 && typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256);
}

function validate(path: string, parsed: unknown): DigestRecord {
  if (typeof parsed !== 'object' || parsed === null) throw new DigestRecordError(path, 'not a JSON object');
  const { format, packs, files: singleFiles } = parsed as Record<string, unknown>;
  if (format !== 'insightgpu-digests/1') throw new DigestRecordError(path, `unknown format ${JSON.stringify(format)}`);
  if (typeof packs !== 'object' || packs === null) throw new DigestRecordError(path, '"packs" is not an object');
  if (singleFiles !== undefined) {
    if (typeof singleFiles !== 'object' || singleFiles === null) throw new DigestRecordError(path, '"files" is not an object');
    for (const [name, file] of Object.entries(singleFiles)) {
      if (!isDigest(file)) throw new DigestRecordError(path, `file ${name}: bad digest`);
    }
  }
  for (const [name, pack] of Object.entries(packs)) {
    const { zip, files } = (pack ?? {}) as Record<string, unknown>;
    if (zip !== undefined && !isDigest(zip)) throw new DigestRecordError(path, `pack ${name}: bad zip digest`);
    if (typeof files !== 'object' || files === null || !Object.values(files).every(isDigest)) {
      throw new DigestRecordError(path, `pack ${name}: bad file digests`);
    }
  }
  return parsed as DigestRecord;
}

/** The record in `modelsDir`, or an empty one when none was written yet. A damaged record is an error, not ignored. */
export async function readDigestRecord(modelsDir: string): Promise<DigestRecord> {
  const path = digestRecordPath(modelsDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: 'insightgpu-digests/1', packs: {} };
    // The system's reason says what to fix: ENOTDIR (the root or its models/ is a file), EACCES, EISDIR.
    throw new DigestRecordError(path, `cannot be read (${systemReason(error)})`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DigestRecordError(path, 'is not valid JSON', { cause: error });
  }
  return validate(path, parsed);
}

/**
 * Writes `record` atomically (writeFileAtomic: a fsynced temporary beside it renamed over it, so a reader or a crash
 * never leaves half a file; a killed writer's temporary is swept by the next write; a symbolic link is written
 * through, and an existing record keeps its permissions).
 */
async function writeDigestRecord(modelsDir: string, record: DigestRecord): Promise<void> {
  const path = digestRecordPath(modelsDir);
  try {
    await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    // writeReason drops the system message's path, which may be the temporary's: the error names the record.
    throw new DigestRecordError(path, `cannot be written (${writeReason(error)})`, { cause: error });
  }
}

/**
 * Temporaries of the record written by older versions: `digests.json.<hex>.tmp`, with no writer's pid in the name,
 * so whether their writer still runs cannot be told. One older than an hour (by mtime) is swept: a record is a few
 * kilobytes, written in well under a second, so no live writer's temporary is that old.
 */
const OLD_TEMP = /^digests\.json\.[0-9a-f]+\.tmp$/;
export const OLD_TEMP_AGE_MS = 60 * 60 * 1000;

async function sweepOldTemps(modelsDir: string): Promise<void> {
  const now = Date.now();
  for (const entry of await readdir(modelsDir).catch(() => [] as string[])) {
    if (!OLD_TEMP.test(entry)) continue;
    const path = join(modelsDir, entry);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile() === true && now - info.mtimeMs > OLD_TEMP_AGE_MS) await unlink(path).catch(() => undefined); // gone meanwhile
  }
}

/**
 * Runs the read-modify-write `change` holding `digests.json.lock` (withLockFile), so two fetches of different packs
 * into one root at once each keep the other's first-seen digests, then sweeps older versions' temporaries.
 */
async function updateDigestRecord(modelsDir: string, change: (current: DigestRecord) => DigestRecord | undefined): Promise<void> {
  const path = digestRecordPath(modelsDir);
  try {
    await withLockFile(`${path}.lock`, async () => {
      const next = change(await readDigestRecord(modelsDir));
      if (next !== undefined) await writeDigestRecord(modelsDir, next);
    });
  } catch (error) {
    if (error instanceof DigestRecordError) throw error;
    const reason = error instanceof FileLockHeld
      ? `stays locked by process ${error.holder ?? '?'} (${error.lock}); remove the lock if no fetch runs`
      : `cannot be locked (${writeReason(error)})`;
    throw new DigestRecordError(path, reason, { cause: error });
  }
  await sweepOldTemps(modelsDir);
}

/**
 * Adds what is new in `pack` to the record and writes it. Digests already recorded are kept: the caller has
 * verified against them, so they agree.
 */
export async function recordPackDigests(modelsDir: string, name: string, pack: RecordedPack): Promise<void> {
  await updateDigestRecord(modelsDir, (current) => {
    const previous = ownEntry(current.packs, name);
    const merged: RecordedPack = previous === undefined
      ? pack
      : { ...previous, zip: previous.zip ?? pack.zip, files: { ...pack.files, ...previous.files } };
    return { ...current, packs: { ...current.packs, [name]: merged } };
  });
}

/**
 * Records the digest of the single model file `fileName` unless one is recorded already (the caller has
 * verified against it, so they agree).
 */
export async function recordFileDigest(modelsDir: string, fileName: string, file: RecordedFile): Promise<void> {
  await updateDigestRecord(modelsDir, (current) => ownEntry(current.files, fileName) !== undefined
    ? undefined
    : { ...current, files: { ...current.files, [fileName]: file } });
}
