/**
 * fetchPack: make `<root>/models/<pack>/` hold the pack's verified files, downloading the release zip only
 * when they are not already there. Node only.
 *
 * Nothing half-written ever appears under the pack's name: the zip streams into a temp file beside the cache,
 * its digest is checked, it is extracted into a temp folder with every file checked, and only then is that
 * folder renamed into place. Any failure removes both temps and throws a typed error saying what happened.
 */
import { lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { ModelTask, PackSpec } from '../manifest.js';
import { packZipUrl } from '../manifest.js';
import { expectAnnouncedSize } from './digest.js';
import { ownEntry, readDigestRecord, recordPackDigests, type RecordedPack } from './digest-record.js';
import { FetchError, IntegrityError, PackContentError } from './errors.js';
import { checkAgainst, exists, hashFile, makeFolder, sweepStaleTemps, throwIfAborted, type DigestCheck } from './fetch-common.js';
import { modelsDirOf, resolveInsightFaceRoot } from './paths.js';
import { resolvePack } from './resolve-pack.js';
import { fetchWithFiles, mirrorBaseUrl } from './local-mirror.js';
import { checkStallTimeout, streamDownload } from './stream-download.js';
import { extractZipEntry, openZip, packRelativeNames } from './zip-extract.js';

export type { DigestCheck } from './fetch-common.js';

export type FetchPackEvent =
  | { readonly phase: 'verify-existing'; readonly file: string; readonly index: number; readonly count: number }
  | { readonly phase: 'download'; readonly url: string; readonly receivedBytes: number; readonly totalBytes: number | undefined }
  | { readonly phase: 'downloaded'; readonly url: string; readonly bytes: number; readonly sha256: string; readonly checkedAgainst: DigestCheck }
  | { readonly phase: 'extract'; readonly file: string; readonly index: number; readonly count: number; readonly bytes: number; readonly checkedAgainst: DigestCheck }
  | { readonly phase: 'installed'; readonly dir: string };

export interface FetchPackOptions {
  /** InsightFace root; default $INSIGHTFACE_HOME, else ~/.insightface. Files land in `<root>/models/<pack>/`. */
  readonly root?: string;
  /** Mirror (or test server) holding `<pack>.zip`: an http(s) or `file:` URL, or a folder path; default the official v0.7 release. */
  readonly baseUrl?: string;
  /** Download even when a verified copy is present. */
  readonly force?: boolean;
  /**
   * Told of each step: verifying an existing copy, bytes received, the digest checked, each file extracted,
   * installed.
   */
  readonly onProgress?: (event: FetchPackEvent) => void;
  /** Aborts the check of an installed copy or the download (FetchError 'aborted'); the temporary files are removed. */
  readonly signal?: AbortSignal;
  /** Longest silence tolerated from the server, in ms (default 30 s; 0: none); not a finite number ≥ 0: PipelineOptionError. */
  readonly stallTimeoutMs?: number;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof globalThis.fetch;
}

/** One file of an installed pack, with how its digest was checked. */
export interface FetchedFile {
  /** Its name in the pack folder. */
  readonly name: string;
  /** From the manifest; undefined for files the manifest does not list. */
  readonly task: ModelTask | undefined;
  /** Its size. */
  readonly bytes: number;
  /** Its sha256 (lower-case hex). */
  readonly sha256: string;
  /**
   * What the digest was held to: the manifest, the record of the first download, or nothing yet (recorded now).
   */
  readonly checkedAgainst: DigestCheck;
}

/** What fetchPack installed (or found already in place). */
export interface FetchPackResult {
  /** The pack's name. */
  readonly pack: string;
  /** The folder holding its files, `<root>/models/<pack>/`. */
  readonly dir: string;
  /** False when a verified copy was already in place. */
  readonly downloaded: boolean;
  /** Why an existing folder was replaced (missing or corrupt file), when it was. */
  readonly replacedBecause?: string;
  /** The zip that was downloaded, when one was: its URL, size, sha256 and what the digest was held to. */
  readonly zip?: { readonly url: string; readonly bytes: number; readonly sha256: string; readonly checkedAgainst: DigestCheck };
  /** The pack's files. */
  readonly files: readonly FetchedFile[];
}

type Inspection = { readonly ok: true; readonly files: FetchedFile[] } | { readonly ok: false; readonly reason: string };

/** Checks an existing pack folder against the manifest and the record; says why it is unusable if it is. */
async function inspectInstalled(
  spec: PackSpec,
  dir: string,
  recorded: RecordedPack | undefined,
  onProgress: FetchPackOptions['onProgress'],
  signal: AbortSignal | undefined,
): Promise<Inspection> {
  const recordedNames = Object.keys(recorded?.files ?? {});
  // An unconfirmed manifest list is only a guess; once a download was recorded, the record says what the pack holds.
  const names = spec.confirmed || recorded === undefined
    ? [...new Set([...spec.files.map((file) => file.name), ...recordedNames])]
    : recordedNames;
  const files: FetchedFile[] = [];
  for (const [index, name] of names.entries()) {
    onProgress?.({ phase: 'verify-existing', file: name, index, count: names.length });
    const path = join(dir, name);
    if (!(await exists(path))) return { ok: false, reason: `${name} is missing` };
    // A folder (or other non-file) under a model's name is no copy of it: hashing it threw a bare EISDIR naming no
    // path. It is replaced as a damaged file is; the fresh copy's file takes the name, so the folder is not kept.
    if (!(await stat(path)).isFile()) return { ok: false, reason: `${name} is not a file` };
    const actual = await hashFile(path, signal);
    const manifest = spec.files.find((file) => file.name === name);
    try {
      const checked = checkAgainst(`${spec.name}/${name}`, actual, manifest, ownEntry(recorded?.files, name));
      files.push({ name, task: manifest?.task, ...actual, checkedAgainst: checked === 'first-seen' ? 'unverified' : checked });
    } catch (error) {
      if (error instanceof IntegrityError) return { ok: false, reason: error.message };
      throw error;
    }
  }
  return { ok: true, files };
}

/** Codes of a rename refused because something already sits at the target. */
const TARGET_TAKEN = new Set(['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR']);
const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/**
 * Moves `staged` to `target`, swapping out an existing folder so `target` is never absent or mixed. Another fetch of
 * the same pack (another process, or a concurrent call) may move the old copy aside or put its own in place between
 * this one's two renames: the first shows as ENOENT and the swap is tried again; the second leaves that fetch's
 * verified copy in place (held to the same manifest and record as this one's), and this one's staged folder is
 * removed by the caller. `rename` is a parameter only so a test can interleave such a fetch deterministically.
 */
export async function installFolder(staged: string, target: string, tag: string, move: typeof rename = rename): Promise<void> {
  const old = join(dirname(target), `.${tag}.replaced`);
  for (let attempt = 0; ; attempt++) {
    try {
      await move(staged, target);
      return;
    } catch (error) {
      if (!TARGET_TAKEN.has(codeOf(error) ?? '')) throw error;
    }
    try {
      await move(target, old);
      break;
    } catch (error) {
      if (codeOf(error) !== 'ENOENT' || attempt >= 8) throw error;
    }
  }
  try {
    await move(staged, target);
  } catch (error) {
    if (!TARGET_TAKEN.has(codeOf(error) ?? '')) {
      await move(old, target).catch(() => undefined);
      throw error;
    }
  }
  // What the old copy held beside the pack's files (a model or notes the user put there) is theirs: it moves
  // into the new copy, as InsightFace Python's unzip over the folder would leave it, instead of being deleted.
  // A symlink to a folder elsewhere is only unlinked: what it points to stays where it is.
  if ((await lstat(old)).isDirectory()) {
    const fresh = new Set(await readdir(target));
    for (const name of await readdir(old)) {
      if (!fresh.has(name)) await move(join(old, name), join(target, name)).catch(() => undefined);
    }
  }
  await rm(old, { recursive: true, force: true });
}

/**
 * Ensures `<root>/models/<pack>/` holds the pack, verified; downloads and installs it when absent, incomplete,
 * corrupt or when `force` is set. `pack` is a manifest name or a caller's own PackSpec (mirrors, tests).
 */
export async function fetchPack(pack: string | PackSpec, options: FetchPackOptions = {}): Promise<FetchPackResult> {
  checkStallTimeout(options.stallTimeoutMs);
  const spec = resolvePack(pack);
  const root = resolveInsightFaceRoot(options.root);
  const modelsDir = modelsDirOf(root);
  const target = join(modelsDir, spec.name);
  const url = packZipUrl(spec, mirrorBaseUrl(options.baseUrl));
  // A signal aborted before the call stops it before anything is swept or made (<root>/models was, left empty).
  if (options.signal?.aborted) throw new FetchError(url, 'aborted', 'aborted by the caller before the fetch began', undefined, { cause: options.signal.reason });
  const record = await readDigestRecord(modelsDir);
  const recorded = ownEntry(record.packs, spec.name);
  // What a killed fetch of this name left (a 289 MB zip, a half-extracted folder) goes first, also when the copy
  // in place turns out fine and nothing is downloaded: a --force re-download killed mid-way leaves the old copy
  // whole, and only this run is there to remove its temps (doctor says the next fetch does).
  await sweepStaleTemps(modelsDir, spec.name);

  let replacedBecause: string | undefined;
  if (await exists(target)) {
    if (options.force) replacedBecause = 'forced';
    else {
      const inspection = await inspectInstalled(spec, target, recorded, options.onProgress, options.signal);
      if (inspection.ok) {
        // Unverified files are used as they are (InsightFace Python would too); `force` re-downloads them.
        return { pack: spec.name, dir: target, downloaded: false, files: inspection.files };
      }
      replacedBecause = inspection.reason;
    }
  }

  await makeFolder(modelsDir);
  const tag = `${spec.name}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const tempZip = join(modelsDir, `.${tag}.zip.part`);
  const tempDir = join(modelsDir, `.${tag}.partial`);
  try {
    const zip = await downloadZip(url, tempZip, spec, recorded, options);
    options.onProgress?.({ phase: 'downloaded', ...zip });
    const files = await extractPack(spec, url, tempZip, tempDir, recorded, options);
    throwIfAborted(options.signal, url, 'installation');
    // Recorded before the folder goes into place, as fetchModelFile does: a fetch killed in between, or a record
    // that cannot be written (a full disk), then leaves no pack nothing vouches for; the next fetch downloads
    // again and is held to what was first seen. Installed first, it would find a copy it can only call unverified.
    await recordPackDigests(modelsDir, spec.name, {
      zip: { bytes: zip.bytes, sha256: zip.sha256 },
      files: Object.fromEntries(files.map((file) => [file.name, { bytes: file.bytes, sha256: file.sha256 }])),
      recordedAt: new Date().toISOString(),
      source: url,
    });
    await installFolder(tempDir, target, tag);
    options.onProgress?.({ phase: 'installed', dir: target });
    return { pack: spec.name, dir: target, downloaded: true, replacedBecause, zip, files };
  } finally {
    await rm(tempZip, { force: true });
    await rm(tempDir, { recursive: true, force: true });
  }
}

async function downloadZip(
  url: string,
  tempZip: string,
  spec: PackSpec,
  recorded: RecordedPack | undefined,
  options: FetchPackOptions,
): Promise<NonNullable<FetchPackResult['zip']>> {
  const hash = createHash('sha256');
  const file = await open(tempZip, 'wx');
  let bytes = 0;
  try {
    await streamDownload(url, {
      expectedBytes: spec.zip.bytes ?? recorded?.zip?.bytes,
      signal: options.signal,
      stallTimeoutMs: options.stallTimeoutMs,
      fetch: fetchWithFiles(options.fetch),
      onStart: ({ announcedBytes }) => {
        expectAnnouncedSize(`${spec.name}.zip`, announcedBytes, spec.zip.bytes, 'manifest');
        expectAnnouncedSize(`${spec.name}.zip`, announcedBytes, recorded?.zip?.bytes, 'recorded');
      },
      onChunk: async (chunk) => {
        hash.update(chunk);
        bytes += chunk.byteLength;
        await file.write(chunk);
      },
      onProgress: (progress) => options.onProgress?.({ phase: 'download', ...progress }),
    });
  } finally {
    await file.close();
  }
  const actual = { bytes, sha256: hash.digest('hex') };
  const checkedAgainst = checkAgainst(`${spec.name}.zip`, actual, spec.zip, recorded?.zip);
  return { url, ...actual, checkedAgainst };
}

async function extractPack(
  spec: PackSpec,
  url: string,
  tempZip: string,
  tempDir: string,
  recorded: RecordedPack | undefined,
  options: FetchPackOptions,
): Promise<FetchedFile[]> {
  const archive = `${spec.name}.zip`;
  const { file, entries } = await openZip(tempZip, archive);
  try {
    const names = packRelativeNames(entries, archive);
    const present = new Set(names.values());
    const missing = spec.confirmed ? spec.files.map((f) => f.name).filter((name) => !present.has(name)) : [];
    if (missing.length > 0) throw new PackContentError(spec.name, missing, [...present]);
    // An unconfirmed pack (buffalo_m) is taken as the zip has it, but a zip with no model at all (a mirror's
    // placeholder, an error page zipped) is no pack: installed, it would read as present, and its digests, recorded
    // on first use, would then refuse the real zip. Only the folder's top level counts, as FaceAnalysis (and
    // InsightFace's glob of `<pack>/*.onnx`) reads no subfolder: models one folder deeper than the one stripped
    // wrapper would install a pack that no load can use.
    if (![...present].some((name) => name.endsWith('.onnx') && !name.includes('/'))) {
      throw new PackContentError(spec.name, ['an .onnx model at its top level'], [...present]);
    }

    await mkdir(tempDir);
    const fetched: FetchedFile[] = [];
    let index = 0;
    for (const [entry, name] of names) {
      throwIfAborted(options.signal, url, 'extraction');
      const destination = join(tempDir, name);
      await mkdir(dirname(destination), { recursive: true });
      const actual = await extractZipEntry(file, entry, destination, archive);
      const manifest = spec.files.find((f) => f.name === name);
      const checkedAgainst = checkAgainst(`${spec.name}/${name}`, actual, manifest, ownEntry(recorded?.files, name));
      fetched.push({ name, task: manifest?.task, ...actual, checkedAgainst });
      options.onProgress?.({ phase: 'extract', file: name, index, count: names.size, bytes: actual.bytes, checkedAgainst });
      index++;
    }
    return fetched;
  } finally {
    await file.close();
  }
}
