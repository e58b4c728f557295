/**
 * Which model files the demo loads and how: a named pack's .onnx files from the site's /models/ folder through
 * the fetch module's browser loader (Cache API after the first load, progress while downloading), or files the
 * user opened. Either way the result is name → bytes, ready for FaceAnalysis.create({ models: { files } }).
 * Where a pack allows it, a file the site does not serve is forged instead (a replica with seeded random weights,
 * in a worker); so is the face swapper, inswapper_128.onnx, when the site has none.
 */
import { FetchError } from '../../models/fetch/errors.js';
import { loadModelFiles, type LoadModelFilesProgress } from '../../models/fetch/browser-loader.js';
import { DEFAULT_SEED, type ReplicaName } from '../../models/forge/names.js';
import { forgeInWorker } from './forge-client.js';

export type PackName = 'packA' | 'packB' | 'buffalo_l' | 'packA_r50';

/** The files of each pack; test-bed packs A and B are the ones the goldens in ../shared/golden were made with. */
export const PACKS: Readonly<Record<PackName, readonly string[]>> = {
  packA: ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'],
  packB: ['scrfd_500m_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'],
  buffalo_l: ['det_10g.onnx', 'w600k_r50.onnx', '2d106det.onnx', '1k3d68.onnx', 'genderage.onnx'],
  // Pack A with buffalo_l's 512-d recognizer, which face swapping needs (mobilefacenet gives 128-d).
  packA_r50: ['scrfd_2.5g_bnkps.onnx', 'w600k_r50.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'],
};

/** Per pack, the files forged when the site does not serve them (file name → replica). */
const FORGED_IF_MISSING: Readonly<Partial<Record<PackName, Readonly<Record<string, ReplicaName>>>>> = {
  packA_r50: { 'w600k_r50.onnx': 'w600k_r50' },
};

/** The face swapper's file name, looked for next to the pack's models. */
export const SWAPPER_FILE = 'inswapper_128.onnx';
/** The width of a forged swapper unless told otherwise: 1/8 of the real 1024, 15 MB and ~2.7 GMAC a face. */
export const DEFAULT_FORGED_SWAPPER_WIDTH = 128;

export function isPackName(value: string): value is PackName {
  return value in PACKS;
}

export interface LoadedFiles {
  readonly files: Record<string, Uint8Array>;
  /** How many of the files came from the Cache API rather than the network. */
  readonly fromCache: number;
  readonly bytes: number;
  readonly milliseconds: number;
  /** The files forged in the page because the site does not serve them (replicas with random weights). */
  readonly forged: readonly string[];
}

/** The models are missing (404): the message says where the page looked and what to put there. */
export class MissingModelsError extends Error {
  override readonly name = 'MissingModelsError';
  constructor(readonly pack: string, readonly missing: string, readonly url: string, options?: { cause?: unknown }) {
    super(`model file ${missing} of ${pack} is not available at ${url}. Serve the pack's .onnx files there `
      + '(e.g. INSIGHTGPU_MODELS=~/.insightface/models/buffalo_l npm run dev:web), or open the files with "or files".', options);
  }
}

export interface OverallProgress {
  readonly file: string;
  readonly fileIndex: number;
  readonly fileCount: number;
  /** 0..1 over all files (files count equally: sizes are not known before each download starts). */
  readonly fraction: number;
  readonly fromCache: boolean;
}

/**
 * The .onnx files the site lists in `${baseUrl}index.json` (the dev server's listing), or undefined where there is
 * no listing (a static build): then a file's presence is known only by fetching it.
 */
export async function servedModelNames(baseUrl = '/models/'): Promise<Set<string> | undefined> {
  try {
    const res = await fetch(`${baseUrl}index.json`, { cache: 'no-store' });
    if (!res.ok) return undefined;
    const listing = await res.json() as { models?: { name?: unknown }[] };
    if (!Array.isArray(listing.models)) return undefined;
    return new Set(listing.models.map((m) => m.name).filter((n): n is string => typeof n === 'string'));
  } catch {
    return undefined;
  }
}

export async function loadPack(pack: PackName, onProgress: (p: OverallProgress) => void, baseUrl = '/models/'): Promise<LoadedFiles> {
  const forgeable = FORGED_IF_MISSING[pack] ?? {};
  // Asking the listing first keeps a missing file from showing as a failed (404) request in the console.
  const served = await servedModelNames(baseUrl);
  const toForge = served ? PACKS[pack].filter((n) => n in forgeable && !served.has(n)) : [];
  const missing = served && PACKS[pack].find((n) => !(n in forgeable) && !served.has(n));
  if (missing) throw new MissingModelsError(pack, missing, `${baseUrl}${encodeURIComponent(missing)}`);
  try {
    return await loadPackFiles(pack, toForge, onProgress, baseUrl);
  } catch (error) {
    // No listing to ask beforehand (a static site): forge a missing file after all, if the pack allows it.
    if (served === undefined && error instanceof MissingModelsError && error.missing in forgeable) {
      return loadPackFiles(pack, [error.missing, ...toForge], onProgress, baseUrl);
    }
    throw error;
  }
}

async function loadPackFiles(pack: PackName, toForge: readonly string[], onProgress: (p: OverallProgress) => void, baseUrl: string): Promise<LoadedFiles> {
  const t0 = performance.now();
  const forgeable = FORGED_IF_MISSING[pack] ?? {};
  const names = PACKS[pack].filter((n) => !toForge.includes(n));
  let fromCache = 0;
  const seen = new Set<string>();
  let loaded: Map<string, Uint8Array>;
  try {
    loaded = await loadModelFiles(baseUrl, names, {
      onProgress: (p: LoadModelFilesProgress) => {
        const within = p.totalBytes ? p.receivedBytes / p.totalBytes : 0;
        if (p.fromCache && !seen.has(p.file)) fromCache++;
        seen.add(p.file);
        onProgress({ file: p.file, fileIndex: p.fileIndex, fileCount: p.fileCount, fraction: (p.fileIndex + within) / p.fileCount, fromCache: p.fromCache });
      },
    });
  } catch (error) {
    if (error instanceof FetchError && error.status === 404) {
      const file = decodeURIComponent(error.url.split('/').pop() ?? error.url);
      throw new MissingModelsError(pack, file, error.url, { cause: error });
    }
    throw error;
  }
  const files: Record<string, Uint8Array> = {};
  let bytes = 0;
  // In the pack's order: FaceAnalysis keeps the first model of each task.
  for (const name of PACKS[pack]) {
    let data = loaded.get(name);
    if (!data && toForge.includes(name)) {
      onProgress({ file: `${name} (forging a replica)`, fileIndex: names.length, fileCount: PACKS[pack].length, fraction: names.length / PACKS[pack].length, fromCache: false });
      data = (await forgeInWorker({ name: forgeable[name]!, seed: DEFAULT_SEED })).bytes;
    }
    if (!data) continue;
    files[name] = data;
    bytes += data.byteLength;
  }
  return { files, fromCache, bytes, milliseconds: performance.now() - t0, forged: [...toForge] };
}

export async function readOpenedFiles(list: FileList): Promise<LoadedFiles> {
  const t0 = performance.now();
  const files: Record<string, Uint8Array> = {};
  let bytes = 0;
  for (const file of list) {
    files[file.name] = new Uint8Array(await file.arrayBuffer());
    bytes += file.size;
  }
  return { files, fromCache: 0, bytes, milliseconds: performance.now() - t0, forged: [] };
}

/** Where the face swapper came from. */
export interface LoadedSwapper {
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly origin: 'opened' | 'served' | 'forged';
  /** The forged replica's channel width (1024 is the real model's). */
  readonly width?: number;
  readonly fromCache: boolean;
  readonly milliseconds: number;
}

/** An opened file that is a face swapper, by InsightFace's file naming (inswapper_128.onnx, inswapper_128_fp16.onnx…). */
export function isSwapperFileName(name: string): boolean {
  return /^inswapper.*\.onnx$/i.test(name);
}

/**
 * The face swapper: one the user opened, else inswapper_128.onnx served beside the models (cached like them), else a
 * replica forged in a worker at `forgeWidth` (random weights: its output is not a real swap).
 */
export async function loadSwapper(opened: Readonly<Record<string, Uint8Array>> | undefined, forgeWidth: number, onProgress: (text: string) => void, baseUrl = '/models/'): Promise<LoadedSwapper> {
  const t0 = performance.now();
  const openedName = Object.keys(opened ?? {}).find(isSwapperFileName);
  if (opened && openedName) return { bytes: opened[openedName]!, file: openedName, origin: 'opened', fromCache: false, milliseconds: performance.now() - t0 };
  const served = await servedModelNames(baseUrl);
  if (served === undefined || served.has(SWAPPER_FILE)) {
    try {
      let fromCache = false;
      const loaded = await loadModelFiles(baseUrl, [SWAPPER_FILE], {
        onProgress: (p: LoadModelFilesProgress) => {
          fromCache ||= p.fromCache;
          onProgress(`${SWAPPER_FILE}${p.fromCache ? ' from cache' : p.totalBytes ? ` ${(100 * p.receivedBytes / p.totalBytes).toFixed(0)} %` : ''}`);
        },
      });
      const bytes = loaded.get(SWAPPER_FILE);
      if (bytes) return { bytes, file: SWAPPER_FILE, origin: 'served', fromCache, milliseconds: performance.now() - t0 };
    } catch (error) {
      // Only "not there" falls through to the forge; a served file that fails to load is an error to show.
      if (!(error instanceof FetchError && error.status === 404)) throw error;
    }
  }
  onProgress(`forging an ${SWAPPER_FILE} replica at width ${forgeWidth}…`);
  const forged = await forgeInWorker({ name: 'inswapper_128', seed: DEFAULT_SEED, width: forgeWidth });
  return { bytes: forged.bytes, file: SWAPPER_FILE, origin: 'forged', width: forgeWidth, fromCache: false, milliseconds: performance.now() - t0 };
}
