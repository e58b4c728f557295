/**
 * fetchModelFile: make `<root>/models/<file>` hold a verified copy of a model published as one bare .onnx
 * file (inswapper_128), the path InsightFace Python's `model_zoo.get_model('<file>', download=True)` uses.
 * Node only.
 *
 * The body streams into a temp file beside the target (`.<model>.<pid>.<hex>.onnx.part`) with its sha256
 * computed on the way; only once its size and digest agree with the manifest and digests.json is it renamed
 * over the final name. A killed or failed download therefore never leaves a partial file under that name.
 */
import { open, rename, rm, stat } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { modelFileUrl, type SingleModelSpec } from '../manifest.js';
import { expectAnnouncedSize } from './digest.js';
import { ownEntry, readDigestRecord, recordFileDigest, type RecordedFile } from './digest-record.js';
import { FetchError, IntegrityError } from './errors.js';
import { ModelPackError } from '../../src/pipeline/errors.js';
import { checkAgainst, exists, hashFile, makeFolder, sweepStaleTemps, throwIfAborted, type DigestCheck } from './fetch-common.js';
import type { FetchPackEvent, FetchPackOptions } from './fetch-pack.js';
import { modelFileOf, modelsDirOf, resolveInsightFaceRoot } from './paths.js';
import { resolveSingleModel } from './resolve-pack.js';
import { fetchWithFiles, mirrorBaseUrl } from './local-mirror.js';
import { checkStallTimeout, streamDownload } from './stream-download.js';

/** Progress of fetchModelFile: the pack fetcher's check and download events, then where the file landed. */
export type FetchModelFileEvent =
  | Extract<FetchPackEvent, { readonly phase: 'verify-existing' | 'download' | 'downloaded' }>
  | { readonly phase: 'installed-file'; readonly path: string };

/** How fetchModelFile downloads a single-file model (inswapper_128), and where it installs it. */
export interface FetchModelFileOptions extends Omit<FetchPackOptions, 'onProgress' | 'baseUrl'> {
  /** Mirror (or test server) holding `<file>`, e.g. `inswapper_128.onnx`: an http(s) or `file:` URL, or a folder path; default the official v0.7 release. */
  readonly baseUrl?: string;
  /** Told of each step: checking an existing copy, bytes received, installed. */
  readonly onProgress?: (event: FetchModelFileEvent) => void;
}

/** What fetchModelFile installed (or found already in place), and how its digest was checked. */
export interface FetchModelFileResult {
  /** The model's name (`inswapper_128`). */
  readonly model: string;
  /** `<root>/models/<file>`. */
  readonly path: string;
  /** Where the file was downloaded from, or would have been. */
  readonly url: string;
  /** False when a verified copy was already in place. */
  readonly downloaded: boolean;
  /** Why an existing file was replaced (forced, or its size or digest was wrong), when it was. */
  readonly replacedBecause?: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly checkedAgainst: DigestCheck;
}

/**
 * Ensures `<root>/models/<file>` holds the model, verified; downloads it when absent, wrong, or when `force`
 * is set. `model` is a manifest name (`inswapper_128`) or a caller's own SingleModelSpec (mirrors, tests).
 */
export async function fetchModelFile(model: string | SingleModelSpec, options: FetchModelFileOptions = {}): Promise<FetchModelFileResult> {
  checkStallTimeout(options.stallTimeoutMs);
  const spec = resolveSingleModel(model);
  const fileName = spec.file.name;
  const root = resolveInsightFaceRoot(options.root);
  const modelsDir = modelsDirOf(root);
  const target = modelFileOf(root, fileName);
  const url = modelFileUrl(spec, mirrorBaseUrl(options.baseUrl));
  // A signal aborted before the call stops it before anything is swept or made (<root>/models was, left empty).
  if (options.signal?.aborted) throw new FetchError(url, 'aborted', 'aborted by the caller before the fetch began', undefined, { cause: options.signal.reason });
  const recorded = ownEntry((await readDigestRecord(modelsDir)).files, fileName);
  await refuseNonFile(target);
  // What a killed fetch of this name left (up to 554 MB of .onnx.part) goes first, also when the copy in place
  // turns out fine and nothing is downloaded: a --force re-download killed mid-way leaves the old copy whole, and
  // only this run is there to remove its temp (doctor says the next fetch does).
  await sweepStaleTemps(modelsDir, spec.name);

  let replacedBecause: string | undefined;
  if (await exists(target)) {
    if (options.force) replacedBecause = 'forced';
    else {
      options.onProgress?.({ phase: 'verify-existing', file: fileName, index: 0, count: 1 });
      const actual = await hashFile(target, options.signal);
      try {
        const checked = checkAgainst(fileName, actual, spec.file, recorded);
        // A file found in place that nothing vouches for (e.g. downloaded by InsightFace Python) is used but
        // not recorded, as fetchPack does; `force` downloads and verifies it.
        return { model: spec.name, path: target, url, downloaded: false, ...actual, checkedAgainst: checked === 'first-seen' ? 'unverified' : checked };
      } catch (error) {
        if (!(error instanceof IntegrityError)) throw error;
        replacedBecause = error.message;
      }
    }
  }

  await makeFolder(modelsDir);
  const temp = join(modelsDir, `.${spec.name}.${process.pid}.${randomBytes(4).toString('hex')}.onnx.part`);
  try {
    const actual = await downloadTo(url, temp, spec, recorded, options);
    const checkedAgainst = checkAgainst(fileName, actual, spec.file, recorded, url);
    options.onProgress?.({ phase: 'downloaded', url, ...actual, checkedAgainst });
    throwIfAborted(options.signal, url, 'installation');
    // Recorded before the rename: a fetch killed in between then finds no file but a record, downloads
    // again and is held to what was first seen. Installed first, it would find a file nothing vouches for.
    const entry: RecordedFile = { ...actual, recordedAt: new Date().toISOString(), source: url };
    await recordFileDigest(modelsDir, fileName, entry);
    await rename(temp, target); // atomic on one filesystem, replacing an old copy in a single step
    options.onProgress?.({ phase: 'installed-file', path: target });
    return { model: spec.name, path: target, url, downloaded: true, ...(replacedBecause === undefined ? {} : { replacedBecause }), ...actual, checkedAgainst };
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Refuses a folder (or other non-file) at the model's path before anything is swept, downloaded or recorded. Hashing
 * it threw a bare EISDIR naming no path, and with `force` the download went through, recorded its digest, and only the
 * rename onto the folder failed. Unlike a pack's folder, which fetchPack owns and replaces, what sits under a bare
 * model's name is not the fetcher's to delete: it may be the user's.
 */
async function refuseNonFile(target: string): Promise<void> {
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined || info.isFile()) return;
  const kind = info.isDirectory() ? 'a folder' : 'something other than a file';
  throw new ModelPackError(`${kind} sits where the model file goes; move or remove it, then fetch again (nothing was changed)`, target);
}

async function downloadTo(
  url: string,
  temp: string,
  spec: SingleModelSpec,
  recorded: RecordedFile | undefined,
  options: FetchModelFileOptions,
): Promise<{ bytes: number; sha256: string }> {
  const fileName = spec.file.name;
  const hash = createHash('sha256');
  const file = await open(temp, 'wx');
  let bytes = 0;
  try {
    await streamDownload(url, {
      expectedBytes: spec.file.bytes ?? recorded?.bytes,
      signal: options.signal,
      stallTimeoutMs: options.stallTimeoutMs,
      fetch: fetchWithFiles(options.fetch),
      onStart: ({ announcedBytes }) => {
        expectAnnouncedSize(fileName, announcedBytes, spec.file.bytes, 'manifest', url);
        expectAnnouncedSize(fileName, announcedBytes, recorded?.bytes, 'recorded', url);
      },
      onChunk: async (chunk) => {
        hash.update(chunk);
        bytes += chunk.byteLength;
        await file.write(chunk);
      },
      onProgress: (progress) => options.onProgress?.({ phase: 'download', ...progress }),
    });
    await file.sync(); // on disk before the rename makes it visible under the final name
  } finally {
    await file.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
