/**
 * Node only, exported by `insightgpu` under Node (not in the browser build): FaceAnalysisPool, several CPU
 * FaceAnalysis instances on worker threads, which `insightgpu analyze --workers N` runs collections on.
 *
 * @module node-pool
 */
export { FaceAnalysisPool } from './face-analysis-pool.js';
export type { FaceAnalysisPoolOptions, PoolAnalyseOptions, PoolOutcome } from './face-analysis-pool.js';
export type { PoolWorkerInfo } from './protocol.js';
