export { FaceIndex, normed32 } from './face-index.js';
export type { FaceIndexOptions, SearchOptions, SearchHit, EmbeddingInput, IndexBackend } from './face-index.js';
export type { GpuSearchStats } from './search-exact-gpu.js';
export type { RowPrecision } from './search-gpu-wgsl.js';
export { clusterFaces } from './cluster.js';
export type { ClusterOptions } from './cluster.js';
export { FaceIndexError, IndexFormatError, IndexMemoryError } from './errors.js';
export { INDEX_MAGIC, INDEX_VERSION, crc32 } from './index-file.js';
export type { JsonValue } from './index-file.js';
