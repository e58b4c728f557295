/**
 * `insightgpu/models` in a browser: InsightFace's pack manifest, manifest parsing, and the loader that streams
 * a pack's .onnx files from a URL with progress, checks their digests and keeps them in the Cache API.
 *
 * @packageDocumentation
 */
export * from './manifest.js';
export * from './fetch/browser-loader.js';
export {
  resolvePack, resolveSingleModel, parseManifest, parseManifestDocument, validatePackSpec, validateSingleModelSpec,
  type ManifestDocument, type ParsedManifest,
} from './fetch/resolve-pack.js';
export {
  FetchError, TruncatedDownloadError, IntegrityError, ArchiveError, PackContentError, ManifestError, DigestRecordError, type FetchFailure,
} from './fetch/errors.js';
