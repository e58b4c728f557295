export { FaceAnalysisPool } from './face-analysis-pool.js';
export type { FaceAnalysisPoolOptions, PoolAnalyseOptions, PoolOutcome } from './face-analysis-pool.js';
export type { PoolWorkerInfo } from './protocol.js';
