/**
 * Which model files the demo loads and how: a named pack's .onnx files from the site's /models/ folder through
 * the fetch module's browser loader (Cache API after the first load, progress while downloading), or files the
 * user opened. Either way the result is name → bytes, ready for FaceAnalysis.create({ models: { files } }).
 */
import { FetchError } from '../../models/fetch/errors.js';
import { loadModelFiles, type LoadModelFilesProgress } from '../../models/fetch/browser-loader.js';

export type PackName = 'packA' | 'packB' | 'buffalo_l';

/** The files of each pack; test-bed packs A and B are the ones the goldens in ../shared/golden were made with. */
export const PACKS: Readonly<Record<PackName, readonly string[]>> = {
  packA: ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'],
  packB: ['scrfd_500m_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'],
  buffalo_l: ['det_10g.onnx', 'w600k_r50.onnx', '2d106det.onnx', '1k3d68.onnx', 'genderage.onnx'],
};

export function isPackName(value: string): value is PackName {
  return value in PACKS;
}

export interface LoadedFiles {
  readonly files: Record<string, Uint8Array>;
  /** How many of the files came from the Cache API rather than the network. */
  readonly fromCache: number;
  readonly bytes: number;
  readonly milliseconds: number;
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

export async function loadPack(pack: PackName, onProgress: (p: OverallProgress) => void, baseUrl = '/models/'): Promise<LoadedFiles> {
  const names = PACKS[pack];
  const t0 = performance.now();
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
  for (const [name, data] of loaded) {
    files[name] = data;
    bytes += data.byteLength;
  }
  return { files, fromCache, bytes, milliseconds: performance.now() - t0 };
}

export async function readOpenedFiles(list: FileList): Promise<LoadedFiles> {
  const t0 = performance.now();
  const files: Record<string, Uint8Array> = {};
  let bytes = 0;
  for (const file of list) {
    files[file.name] = new Uint8Array(await file.arrayBuffer());
    bytes += file.size;
  }
  return { files, fromCache: 0, bytes, milliseconds: performance.now() - t0 };
}
