/** Node entry for fetching model packs. The browser imports ./browser-loader.js instead (no Node modules). */
export { fetchPack, type FetchPackOptions, type FetchPackResult, type FetchPackEvent, type FetchedFile, type DigestCheck } from './fetch-pack.js';
export { fetchModelsCommand, FETCH_MODELS_USAGE } from './cli.js';
export { resolveInsightFaceRoot, modelsDirOf, packDirOf } from './paths.js';
export { resolvePack, parseManifestDocument, validatePackSpec, type ManifestDocument } from './resolve-pack.js';
export { readDigestRecord, DIGEST_RECORD_FILE, type DigestRecord, type RecordedPack } from './digest-record.js';
export {
  FetchError,
  TruncatedDownloadError,
  IntegrityError,
  ArchiveError,
  PackContentError,
  ManifestError,
  DigestRecordError,
  type FetchFailure,
} from './errors.js';
