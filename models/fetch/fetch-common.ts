/**
 * What the Node fetchers (fetchPack for zip packs, fetchModelFile for single .onnx files) share: checking a
 * digest against the manifest and digests.json, hashing a file on disk, and sweeping the temps a killed
 * fetch left in `<root>/models/`. Node only.
 */
import { readdir, rm } from 'node:fs/promises';
import { processIsAlive } from '../../src/core/files-node.js';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { KnownDigest } from '../manifest.js';
import { expectDigest } from './digest.js';
import type { RecordedDigest } from './digest-record.js';
import { FetchError } from './errors.js';

/**
 * What a file's digest was checked against: the manifest; digests.json; nothing yet, so it was recorded
 * now ('first-seen', downloads only); or nothing at all ('unverified': a file found in place that neither
 * source knows, e.g. unpacked by InsightFace Python, which extracts in place and could have been cut short,
 * so it is not trusted enough to be recorded).
 */
export type DigestCheck = 'manifest' | 'recorded' | 'first-seen' | 'unverified';

/** Throws IntegrityError on a contradiction; otherwise says what the digest was checked against. */
export function checkAgainst(
  subject: string,
  actual: RecordedDigest,
  manifest: KnownDigest | undefined,
  recorded: RecordedDigest | undefined,
  source?: string,
): DigestCheck {
  expectDigest(subject, actual, manifest, 'manifest', source);
  expectDigest(subject, actual, recorded, 'recorded', source);
  return manifest?.sha256 !== undefined ? 'manifest' : recorded !== undefined ? 'recorded' : 'first-seen';
}

/**
 * Size and sha256 of the file at `path`. With a signal, an abort (Ctrl-C while a 300 MB pack is checked) stops
 * the read between chunks and throws FetchError 'aborted', naming `path`.
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<RecordedDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    throwIfAborted(signal, path, 'the check of the installed copy');
    bytes += (chunk as Buffer).byteLength;
    hash.update(chunk as Buffer);
  }
  throwIfAborted(signal, path, 'the check of the installed copy');
  return { bytes, sha256: hash.digest('hex') };
}

// Shared with the face index's save and the CLI's outputs (one copy, in the library's Node-only core).
export { exists, makeFolder, processIsAlive } from '../../src/core/files-node.js';

/**
 * The pack or model and the process a fetch temporary in `<root>/models/` belongs to
 * (`.<name>.<pid>.<hex>.zip.part | .partial | .replaced | .onnx.part`), or undefined for any other name.
 */
export function fetchTempOwner(fileName: string): { readonly name: string; readonly pid: number } | undefined {
  const match = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.(zip\.part|partial|replaced|onnx\.part)$/.exec(fileName);
  return match === null ? undefined : { name: match[1]!, pid: Number(match[2]) };
}

/**
 * Removes temps a killed fetch of `name` left behind (`.<name>.<pid>.<hex>.zip.part|.partial|.replaced` of a
 * pack, `.<name>.<pid>.<hex>.onnx.part` of a single-file model): only those whose process no longer runs, so
 * a concurrent fetch keeps its own.
 */
export async function sweepStaleTemps(modelsDir: string, name: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(modelsDir);
  } catch {
    return; // no models folder yet: nothing to sweep
  }
  for (const entry of names) {
    const owner = fetchTempOwner(entry);
    if (owner?.name === name && !processIsAlive(owner.pid)) await rm(join(modelsDir, entry), { recursive: true, force: true });
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, url: string, stage: string): void {
  if (signal?.aborted) throw new FetchError(url, 'aborted', `aborted by the caller during ${stage}`, undefined, { cause: signal.reason });
}

