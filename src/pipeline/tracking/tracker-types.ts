import type { FaceModel } from '../face-model.js';
import type { BgrImage } from '../image.js';
import type { ScrfdDetectResult } from '../scrfd.js';
import type { StageTiming } from '../stage-timer.js';

/** The detector a tracker runs: ScrfdDetector's `detect` (InsightFace's rows), or anything answering the same way. */
export interface TrackerDetector {
  /** The faces of one frame as InsightFace's rows, at most `maxNum` of them (0 = all). */
  detect(image: BgrImage, options: { maxNum: number }): Promise<ScrfdDetectResult>;
}

/** A detector and the heads that annotate its faces (FaceAnalysis's `faceModels`, or model-zoo classes). */
export interface TrackerModels {
  /** Finds the faces on detector frames. */
  readonly detector: TrackerDetector;
  /** Landmark heads (on every shown face each frame, or see FaceTrackerOptions.landmarksEvery) and recognition/attribute heads (run when due). */
  readonly heads?: readonly FaceModel[];
}

/** Per-frame options of `track`. */
export interface TrackOptions {
  /** The frame's time in milliseconds (drives the smoothing); default: frame index / fps. */
  readonly timestamp?: number;
  /**
   * Receives this frame's wall times: 'tracker.detect', 'tracker.landmarks' and 'tracker.identity' (one entry per
   * model call), then 'tracker.rest' (decoding, upload, matching and smoothing: the frame's time less the calls').
   */
  readonly timings?: StageTiming[];
}

/** What a tracker has done since it was made or reset. */
export interface TrackerStats {
  /** Frames tracked. */
  readonly frames: number;
  /** Frames the detector ran on. */
  readonly detectorRuns: number;
  /** Faces that recognition and attributes ran on (one per face per run, whatever the number of such heads). */
  readonly recognitions: number;
  /** Faces that a landmark head ran on (one per face per head). */
  readonly landmarkRuns: number;
  /** landmarkRuns by head (taskname): the faces each landmark head ran on, carrying included. */
  readonly landmarkHeadRuns: Readonly<Record<string, number>>;
  /** Tracks started with a new id. */
  readonly tracksStarted: number;
  /** Tracks that ended (lost for more than maxLost frames). */
  readonly tracksEnded: number;
  /** Detections that took back the id of a lost or ended track by embedding or identity. */
  readonly reidentified: number;
  /** Tracks seen (or carried) in the last frame. */
  readonly visible: number;
  /** Tracks lost but not yet ended. */
  readonly lost: number;
}
