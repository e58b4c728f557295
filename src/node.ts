/**
 * The package's Node entry (`import … from 'insightgpu'` under Node): the whole library, plus the pack fetcher
 * behind `FaceAnalysis.create({ models: 'buffalo_l', download: true })`. sharp and webgpu stay optional: they load
 * on first use, and a missing one is a MissingPackageError naming its install command.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { fetchPack } from '../models/fetch/fetch-pack.js';
import { ManifestError } from '../models/fetch/errors.js';
import { systemReason } from '../models/fetch/digest-record.js';
import { parseManifest, resolvePack } from '../models/fetch/resolve-pack.js';
import { registerPackDownloader } from './pipeline/pack-download.js';

export * from './index.js';
// Node-only: worker threads (the browser entry has FaceAnalysisWorker instead).
export * from './pipeline/pool/index.js';

registerPackDownloader(async (pack, options) => {
  const spec = options.manifest === undefined ? pack : resolvePack(pack, parseManifest(await readManifest(options.manifest), options.manifest).packs);
  const result = await fetchPack(spec, {
    root: options.root,
    baseUrl: options.baseUrl,
    onProgress: (event) => {
      if (event.phase === 'download') options.onProgress?.({ pack, url: event.url, receivedBytes: event.receivedBytes, totalBytes: event.totalBytes });
    },
  });
  return result.dir;
});

async function readManifest(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ManifestError(`cannot read ${file} (${systemReason(cause)})`, { cause });
  }
}
