export { FaceTracker } from './face-tracker.js';
export type { TrackerDetector, TrackerModels, TrackOptions, TrackerStats } from './face-tracker.js';
export { TrackedFace } from './tracked-face.js';
export type { TrackIdentity, TrackInfo, TrackSource, TrackedFaceRecord } from './tracked-face.js';
export type { FaceTrackerOptions, CarryMode } from './tracker-options.js';
export { OneEuroFilter, DEFAULT_ONE_EURO } from './one-euro.js';
export type { OneEuroParams } from './one-euro.js';
