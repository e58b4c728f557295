/**
 * The forged models bench-swap keeps in .cache/replicas between runs. Forging the full-size INSwapper takes a while
 * (554 MB), so a cached file is reused; it is written atomically (a killed bench leaves no truncated file under the
 * cached name) and its SHA-256 is kept beside it in FILE.sha256, written after it: a file without its digest (left by
 * an older bench that wrote in place) or with another digest (truncated, changed) is forged again.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../src/core/files-node.js';

/** The digest file of cached model `file`. */
export function digestFile(file: string): string {
  return `${file}.sha256`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when `file` is there and its bytes match the digest written beside it. */
async function cachedFileIsWhole(file: string): Promise<boolean> {
  const expected = await readFile(digestFile(file), 'utf8').catch(() => undefined);
  if (expected === undefined) return false;
  const bytes = await readFile(file).catch(() => undefined);
  return bytes !== undefined && sha256(bytes) === expected.trim();
}

/**
 * `file`, forged by `forge` unless a whole copy is cached there already. Returns whether it was forged, for the
 * caller's log and the tests.
 */
export async function cachedForgedModel(file: string, forge: () => Uint8Array): Promise<{ readonly file: string; readonly forged: boolean }> {
  if (await cachedFileIsWhole(file)) return { file, forged: false };
  await mkdir(dirname(file), { recursive: true });
  const bytes = forge();
  await writeFileAtomic(file, bytes);
  // Written after the model: a bench killed between the two leaves a model with no digest, forged again next time.
  await writeFileAtomic(digestFile(file), `${sha256(bytes)}\n`);
  return { file, forged: true };
}
