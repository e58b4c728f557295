/**
 * Turning a pack or single-file model name, or a manifest supplied by the user (a mirror with its own
 * entries), into a validated PackSpec or SingleModelSpec. Names become path segments in the cache, so they
 * are checked here. Browser-safe.
 */
import { MODELS, PACKS, type ModelTask, type PackFile, type PackSpec, type KnownDigest, type SingleModelSpec } from '../manifest.js';
import { ManifestError } from './errors.js';

const TASKS: readonly ModelTask[] = ['detection', 'recognition', 'landmark_2d_106', 'landmark_3d_68', 'genderage'];
const SAFE_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;

/** The manifest format written to models/manifest.json and accepted by `fetch-models --manifest`. */
export interface ManifestDocument {
  /** The document's format and version. */
  readonly format: 'insightgpu-manifest/1';
  /**
   * The base URL its packs' zips are under, for the reader: downloads use each entry's own `url`, or
   * `<base-url>/<file>` when `--base-url` / `download.baseUrl` is given, never this field.
   */
  readonly releaseBaseUrl: string;
  /** Packs by name. */
  readonly packs: Readonly<Record<string, PackSpec>>;
  /** Single-file models (inswapper_128); optional, and a document may hold only these. */
  readonly models?: Readonly<Record<string, SingleModelSpec>>;
}

/** Both kinds of entry a manifest document holds. */
export interface ParsedManifest {
  /** Packs by name. */
  readonly packs: Record<string, PackSpec>;
  /** Single-file models by name. */
  readonly models: Record<string, SingleModelSpec>;
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

/** Validates one single-file model description; returns a clean copy. */
export function validateSingleModelSpec(value: unknown, where = 'model'): SingleModelSpec {
  if (typeof value !== 'object' || value === null) throw new ManifestError(`${where}: expected an object`);
  const { name, url, file, note } = value as Record<string, unknown>;
  if (typeof name !== 'string' || !SAFE_SEGMENT.test(name)) throw new ManifestError(`${where}.name: ${JSON.stringify(name)} is not a safe name`);
  if (typeof url !== 'string') throw new ManifestError(`${where}.url: expected a string`);
  if (typeof file !== 'object' || file === null) throw new ManifestError(`${where}.file: expected an object`);
  const { name: fileName } = file as Record<string, unknown>;
  // The file sits directly in <root>/models/, beside the pack folders and digests.json: one plain segment.
  if (typeof fileName !== 'string' || !SAFE_SEGMENT.test(fileName) || fileName === 'digests.json' || fileName.startsWith('.')) {
    throw new ManifestError(`${where}.file.name: ${JSON.stringify(fileName)} is not a safe file name`);
  }
  return {
    name,
    url,
    file: { name: fileName, ...checkDigest(`${where}.file`, file) },
    ...(typeof note === 'string' ? { note } : {}),
  };
}

/** Parses a manifest document (models/manifest.json's format): its packs and its single-file models. */
export function parseManifest(text: string, source: string): ParsedManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError(`${source} is not valid JSON`, { cause });
  }
  const { format, packs, models } = (parsed ?? {}) as Record<string, unknown>;
  if (format !== 'insightgpu-manifest/1') throw new ManifestError(`${source}: unknown format ${JSON.stringify(format)}`);
  if (models !== undefined && (typeof models !== 'object' || models === null)) throw new ManifestError(`${source}: "models" is not an object`);
  // "packs" may be left out only by a document describing single-file models.
  if ((models === undefined || packs !== undefined) && (typeof packs !== 'object' || packs === null)) {
    throw new ManifestError(`${source}: "packs" is not an object`);
  }
  const result: ParsedManifest = { packs: {}, models: {} };
  for (const [key, value] of Object.entries((packs ?? {}) as object)) {
    const spec = validatePackSpec(value, `${source} packs.${key}`);
    if (spec.name !== key) throw new ManifestError(`${source} packs.${key}: name ${spec.name} differs from its key`);
    ownEntry(result.packs, key, spec);
  }
  for (const [key, value] of Object.entries((models ?? {}) as object)) {
    const spec = validateSingleModelSpec(value, `${source} models.${key}`);
    if (spec.name !== key) throw new ManifestError(`${source} models.${key}: name ${spec.name} differs from its key`);
    if (Object.hasOwn(result.packs, key)) throw new ManifestError(`${source}: ${key} is both a pack and a single-file model`);
    ownEntry(result.models, key, spec);
  }
  return result;
}

/** Adds `key` as an own entry: assigned, a '__proto__' key set the object's prototype instead, and was lost. */
function ownEntry<T>(entries: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(entries, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Parses a manifest document and returns its packs (see parseManifest for its single-file models too). */
export function parseManifestDocument(text: string, source: string): Record<string, PackSpec> {
  return parseManifest(text, source).packs;
}

/** A pack by name from `packs` (the built-in manifest by default), or a caller's own spec, validated. */
export function resolvePack(pack: string | PackSpec, packs: Readonly<Record<string, PackSpec>> = PACKS): PackSpec {
  if (typeof pack !== 'string') return validatePackSpec(pack);
  if (!Object.hasOwn(packs, pack)) {
    throw new ManifestError(`unknown pack '${pack}'; known packs: ${Object.keys(packs).join(', ')}`);
  }
  return validatePackSpec(packs[pack], `pack ${pack}`);
}

/** A single-file model by name from `models` (the built-in manifest by default), or a caller's own spec, validated. */
export function resolveSingleModel(
  model: string | SingleModelSpec,
  models: Readonly<Record<string, SingleModelSpec>> = MODELS,
): SingleModelSpec {
  if (typeof model !== 'string') return validateSingleModelSpec(model);
  if (!Object.hasOwn(models, model)) {
    throw new ManifestError(`unknown model '${model}'; known single-file models: ${Object.keys(models).join(', ') || 'none'}`);
  }
  return validateSingleModelSpec(models[model], `model ${model}`);
}

/**
 * Whether an entry gives nothing to check a first download against: no size and no sha256 for a pack's zip or any
 * of its files, or for a model's file. The format allows it on purpose (trust on first use: the first download is
 * recorded in digests.json and every later one is held to it), so it is not refused; the CLI says loudly that such
 * a first download was not verified.
 */
export function verifiesNothing(spec: PackSpec | SingleModelSpec): boolean {
  const known = (digest: KnownDigest | undefined): boolean => digest?.bytes !== undefined || digest?.sha256 !== undefined;
  return 'file' in spec ? !known(spec.file) : !known(spec.zip) && !spec.files.some(known);
}
