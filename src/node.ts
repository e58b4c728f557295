/**
 * The package's Node entry (`import … from 'insightgpu'` under Node): the whole library, plus the pack fetcher
 * behind `FaceAnalysis.create({ models: 'buffalo_l', download: true })`. sharp and webgpu stay optional: they load
 * on first use, and a missing one is a MissingPackageError naming its install command.
 *
 * @packageDocumentation
 */
import { fetchPack } from '../models/fetch/fetch-pack.js';
import { registerPackDownloader } from './pipeline/pack-download.js';

export * from './index.js';

registerPackDownloader(async (pack, options) => {
  const result = await fetchPack(pack, {
    root: options.root,
    baseUrl: options.baseUrl,
    onProgress: (event) => {
      if (event.phase === 'download') options.onProgress?.({ pack, url: event.url, receivedBytes: event.receivedBytes, totalBytes: event.totalBytes });
    },
  });
  return result.dir;
});
