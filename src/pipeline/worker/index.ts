export { createFaceAnalysisWorker, FaceAnalysisWorker } from './face-analysis-worker.js';
export type { FaceAnalysisWorkerOptions, WorkerGetOptions } from './face-analysis-worker.js';
export type { WorkerCreateOptions, WorkerModelsInfo, WorkerReleaseInfo, WorkerTrackerOptions } from './protocol.js';
export { WorkerError } from './wire-errors.js';
