import { importNodeBuiltin, runsOnNode } from '../core/node-only.js';
import { ModelPackError } from './errors.js';
import { insightFaceRootPath, rootFolderError } from './insightface-root.js';

/** One model file of a pack: its name (for ordering and reports), its bytes and, when read from disk, its path. */
export interface ModelFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The path it was read from (undefined for bytes given by name), which errors about the file name. */
  readonly path?: string;
}

/**
 * Where the models come from: a folder of `.onnx` files, a pack name installed the InsightFace way
 * (`~/.insightface/models/<name>/`, or `$INSIGHTFACE_HOME/models/<name>/`), explicit file paths, or bytes by name.
 */
export type ModelSource = string | readonly string[]
  | { readonly files: Readonly<Record<string, Uint8Array | ArrayBuffer>> | ReadonlyMap<string, Uint8Array | ArrayBuffer> };

/** Byte-wise string order, as Python sorts the glob's full paths. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The pack's files in InsightFace's load order (sorted full paths). */
export async function loadModelFiles(source: ModelSource, root?: string): Promise<ModelFile[]> {
  if (source !== null && typeof source === 'object' && !Array.isArray(source) && 'files' in source) {
    if (source.files === null || typeof source.files !== 'object') throw new ModelPackError('files must be an object of bytes by file name');
    // A Map too: what loadModelFiles of 'insightgpu/models' resolves to.
    const files: Readonly<Record<string, Uint8Array | ArrayBuffer>> = source.files instanceof Map ? Object.fromEntries(source.files) : source.files as Readonly<Record<string, Uint8Array | ArrayBuffer>>;
    const names = Object.keys(files).sort(byteOrder);
    if (names.length === 0) throw new ModelPackError('no model files given');
    return names.map((name) => {
      const b = files[name]!;
      // The caller's buffers: the models work on their own copies (their weights are views into the bytes), as
      // InferenceSession.create's do, so a caller that refills or transfers a buffer afterwards changes no weight.
      return { name, bytes: b instanceof ArrayBuffer ? new Uint8Array(b.slice(0)) : b instanceof Uint8Array ? new Uint8Array(b) : b };
    });
  }
  const isPaths = Array.isArray(source) && source.every((p: unknown) => typeof p === 'string');
  if (typeof source !== 'string' && !isPaths) {
    throw new ModelPackError('models must be a folder, an installed pack name, an array of file paths or { files: { name: bytes } }');
  }
  if (!runsOnNode()) {
    throw new ModelPackError("a folder, a pack name or file paths are read from disk, which needs Node; in a browser pass { files: { name: bytes } } (loadModelFiles of 'insightgpu/models' fetches them from a URL and caches them)",
      typeof source === 'string' ? source : source.join(', '));
  }
  const fs = await importNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
  const path = await importNodeBuiltin<typeof import('node:path')>('node:path');
  const readAll = async (paths: readonly string[]): Promise<ModelFile[]> => {
    const sorted = [...paths].sort(byteOrder);
    return Promise.all(sorted.map(async (p) => {
      try {
        return { name: path.basename(p), bytes: new Uint8Array(await fs.readFile(p)), path: p };
      } catch (error) {
        throw new ModelPackError(`cannot read model file: ${(error as Error).message}`, p, { cause: error });
      }
    }));
  };
  if (Array.isArray(source)) {
    if (source.length === 0) throw new ModelPackError('no model files given');
    return readAll(source as readonly string[]);
  }
  const folder = await resolvePackFolder(source as string, root);
  const entries = await fs.readdir(folder);
  const onnx = entries.filter((e) => e.endsWith('.onnx')).map((e) => path.join(folder, e));
  if (onnx.length === 0) throw new ModelPackError('no .onnx files in the folder', folder);
  return readAll(onnx);
}

/**
 * A path to an existing folder is used as is; a bare name is looked up as an installed InsightFace pack, under `root`
 * when given, else the default root (insightFaceRootPath). A folder that is neither is a ModelPackError saying where
 * it looked. @internal
 */
export async function resolvePackFolder(location: string, root?: string): Promise<string> {
  const fs = await importNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
  const path = await importNodeBuiltin<typeof import('node:path')>('node:path');
  const os = await importNodeBuiltin<typeof import('node:os')>('node:os');
  const fsSync = await importNodeBuiltin<typeof import('node:fs')>('node:fs');
  const passwd = (): string | undefined => {
    try {
      return fsSync.readFileSync('/etc/passwd', 'utf8');
    } catch {
      return undefined; // no /etc/passwd (Windows): a `~user` root is refused
    }
  };
  const isDir = async (p: string): Promise<boolean> => (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
  // An empty name is nearly always an unset variable; looked up as a pack, it named `<root>/models` itself.
  if (location === '') throw new ModelPackError("is empty; give a folder ('.' for the working folder) or an installed pack name", location);
  // With a root (FaceAnalysis's download.root) a bare name means that root's pack only, as in InsightFace.
  if (root === undefined && (await isDir(location))) return location;
  // '.' and '..' joined under `<root>/models` name that folder (its single-file models) or the root itself,
  // neither of them a pack: no pack folder is called so (the fetcher refuses both names).
  if (location === '.' || location === '..') {
    throw new ModelPackError(`is no pack name (a pack is a folder in <root>/models); give a folder by its path, e.g. '${location}/'`, location);
  }
  if (!location.includes('/') && !location.includes('\\')) {
    // The fetcher's rule, so a bare name finds what `fetch-models` installed (or, with `root`, what a download put there).
    const envHome = process.env['INSIGHTFACE_HOME'];
    const rootPath = path.resolve(insightFaceRootPath(root, envHome, os.homedir(), passwd));
    const installed = path.join(rootPath, 'models', location);
    if (await isDir(installed)) return installed;
    await checkPackRoot(root, envHome, rootPath);
    throw new ModelPackError(`neither a folder nor an installed pack (looked in ${installed}); download it with \`insightgpu fetch-models ${location}\` (or FaceAnalysis.create({ models, download: true }))`, location);
  }
  throw new ModelPackError('folder not found', location);
}

/**
 * Throws rootFolderError's PipelineOptionError when the resolved root `rootPath` (of `root`, else `envHome`) or its
 * `models` folder is there but no folder: a file given as $INSIGHTFACE_HOME, say. A root that is absent, or that
 * cannot be examined (EACCES), passes: the lookup or the download that follows reports it. @internal
 */
export async function checkPackRoot(root: string | undefined, envHome: string | undefined, rootPath: string): Promise<void> {
  const fs = await importNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
  const path = await importNodeBuiltin<typeof import('node:path')>('node:path');
  const notFolder = async (p: string): Promise<string | undefined> => {
    try {
      const info = await fs.stat(p);
      return info.isDirectory() ? undefined : info.isFile() ? 'is a file, not a folder' : 'is not a folder';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'lies under a file' : undefined;
    }
  };
  const rootIs = await notFolder(rootPath);
  const error = rootFolderError(root, envHome, rootPath, rootIs, rootIs === undefined ? await notFolder(path.join(rootPath, 'models')) : undefined);
  if (error !== undefined) throw error;
}
