/**
 * Turning a pack name, or a manifest supplied by the user (a mirror with its own packs), into a validated
 * PackSpec. Pack and file names become path segments in the cache, so they are checked here. Browser-safe.
 */
import { PACKS, type ModelTask, type PackFile, type PackSpec, type KnownDigest } from '../manifest.js';
import { ManifestError } from './errors.js';

const TASKS: readonly ModelTask[] = ['detection', 'recognition', 'landmark_2d_106', 'landmark_3d_68', 'genderage'];
const SAFE_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;

/** The manifest format written to models/manifest.json and accepted by `fetch-models --manifest`. */
export interface ManifestDocument {
  readonly format: 'insightgpu-manifest/1';
  readonly releaseBaseUrl: string;
  readonly packs: Readonly<Record<string, PackSpec>>;
}

function checkDigest(where: string, value: unknown): KnownDigest {
  if (typeof value !== 'object' || value === null) throw new ManifestError(`${where}: expected an object`);
  const { bytes, sha256 } = value as Record<string, unknown>;
  if (bytes !== undefined && (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0)) {
    throw new ManifestError(`${where}.bytes: expected a non-negative integer`);
  }
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256))) {
    throw new ManifestError(`${where}.sha256: expected 64 hex digits`);
  }
  // Unknown fields stay absent (not undefined) so a spec round-trips through JSON unchanged.
  return { ...(bytes === undefined ? {} : { bytes }), ...(sha256 === undefined ? {} : { sha256: sha256.toLowerCase() }) };
}

/** Validates one pack description; returns a clean copy. */
export function validatePackSpec(value: unknown, where = 'pack'): PackSpec {
  if (typeof value !== 'object' || value === null) throw new ManifestError(`${where}: expected an object`);
  const { name, url, zip, files, confirmed, note } = value as Record<string, unknown>;
  if (typeof name !== 'string' || !SAFE_SEGMENT.test(name)) throw new ManifestError(`${where}.name: ${JSON.stringify(name)} is not a safe folder name`);
  if (typeof url !== 'string') throw new ManifestError(`${where}.url: expected a string`);
  if (!Array.isArray(files)) throw new ManifestError(`${where}.files: expected an array`);
  const checkedFiles: PackFile[] = files.map((file: unknown, index) => {
    const at = `${where}.files[${index}]`;
    const { name: fileName, task } = (file ?? {}) as Record<string, unknown>;
    if (typeof fileName !== 'string' || !fileName.split('/').every((part) => SAFE_SEGMENT.test(part))) {
      throw new ManifestError(`${at}.name: ${JSON.stringify(fileName)} is not a safe relative path`);
    }
    if (typeof task !== 'string' || !(TASKS as readonly string[]).includes(task)) {
      throw new ManifestError(`${at}.task: expected one of ${TASKS.join(', ')}`);
    }
    return { name: fileName, task: task as ModelTask, ...checkDigest(at, file) };
  });
  return {
    name,
    url,
    zip: checkDigest(`${where}.zip`, zip ?? {}),
    files: checkedFiles,
    confirmed: confirmed !== false,
    ...(typeof note === 'string' ? { note } : {}),
  };
}

/** Parses a manifest document (models/manifest.json's format). */
export function parseManifestDocument(text: string, source: string): Record<string, PackSpec> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError(`${source} is not valid JSON`, { cause });
  }
  const { format, packs } = (parsed ?? {}) as Record<string, unknown>;
  if (format !== 'insightgpu-manifest/1') throw new ManifestError(`${source}: unknown format ${JSON.stringify(format)}`);
  if (typeof packs !== 'object' || packs === null) throw new ManifestError(`${source}: "packs" is not an object`);
  const result: Record<string, PackSpec> = {};
  for (const [key, value] of Object.entries(packs)) {
    const spec = validatePackSpec(value, `${source} packs.${key}`);
    if (spec.name !== key) throw new ManifestError(`${source} packs.${key}: name ${spec.name} differs from its key`);
    result[key] = spec;
  }
  return result;
}

/** A pack by name from `packs` (the built-in manifest by default), or a caller's own spec, validated. */
export function resolvePack(pack: string | PackSpec, packs: Readonly<Record<string, PackSpec>> = PACKS): PackSpec {
  if (typeof pack !== 'string') return validatePackSpec(pack);
  if (!Object.hasOwn(packs, pack)) {
    throw new ManifestError(`unknown pack '${pack}'; known packs: ${Object.keys(packs).join(', ')}`);
  }
  return validatePackSpec(packs[pack], `pack ${pack}`);
}
