/** Node entry for fetching model packs and single-file models. The browser imports ./browser-loader.js instead (no Node modules). */
export { fetchPack, type FetchPackOptions, type FetchPackResult, type FetchPackEvent, type FetchedFile, type DigestCheck } from './fetch-pack.js';
export { fetchModelFile, type FetchModelFileOptions, type FetchModelFileResult, type FetchModelFileEvent } from './fetch-model-file.js';
export { fetchModelsCommand, FETCH_MODELS_USAGE } from './cli.js';
export { resolveInsightFaceRoot, modelsDirOf, packDirOf, modelFileOf } from './paths.js';
export {
  resolvePack,
  resolveSingleModel,
  parseManifest,
  parseManifestDocument,
  validatePackSpec,
  validateSingleModelSpec,
  type ManifestDocument,
  type ParsedManifest,
} from './resolve-pack.js';
export { readDigestRecord, DIGEST_RECORD_FILE, type DigestRecord, type RecordedPack, type RecordedFile } from './digest-record.js';
export {
  FetchError,
  TruncatedDownloadError,
  StallTimeoutError,
  IntegrityError,
  ArchiveError,
  PackContentError,
  ManifestError,
  DigestRecordError,
  type FetchFailure,
} from './errors.js';
