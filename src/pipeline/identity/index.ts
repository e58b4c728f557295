export { FaceIndex, normed32 } from './face-index.js';
export type { FaceIndexOptions, SearchOptions, SearchHit, EmbeddingInput } from './face-index.js';
export { clusterFaces } from './cluster.js';
export type { ClusterOptions } from './cluster.js';
export { FaceIndexError, IndexFormatError } from './errors.js';
export { INDEX_MAGIC, INDEX_VERSION, crc32 } from './index-file.js';
export type { JsonValue } from './index-file.js';
export { IndexedDbIndexStore, IndexStoreError, DEFAULT_INDEX_DATABASE } from './index-store-browser.js';
export type { StoredIndexInfo, IndexStoreOptions, IndexStoreFailure } from './index-store-browser.js';
