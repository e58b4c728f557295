import type { OptionShape } from '../../core/option-shape.js';
import { describeValue, optionsObject } from '../call-options.js';
import { PipelineOptionError } from '../errors.js';
import type { FaceIndex } from '../identity/face-index.js';
import type { Preprocessor } from '../preprocess/preprocessor.js';
import { DEFAULT_ONE_EURO, type OneEuroParams } from './one-euro.js';

/** What carries a face's box between detector frames. */
export type CarryMode = 'landmark_2d_106' | 'landmark_3d_68' | 'kps';

/**
 * When the landmark heads other than the carrier run: 'frame' (every head on every shown face of every frame) or
 * 'recognition' (only the carrier on every frame; the others with recognition and attributes). See
 * FaceTrackerOptions.landmarksEvery.
 */
export type LandmarkCadence = 'frame' | 'recognition';

/** FaceTracker's options; every one has a default. */
export interface FaceTrackerOptions {
  /** Re-run recognition and attributes on a tracked face every N frames (default 10; 1 = every frame). */
  readonly recognizeEvery?: number;
  /** …or sooner once its box moved more than this since the last run: centre shift or size change over the box's side (default 0.3). */
  readonly moveThreshold?: number;
  /**
   * …or once its head turned more than this many degrees in pitch, yaw or roll (default 20). The angles are
   * landmark_3d_68's pose when that head runs on every frame (landmarksEvery 'frame', or 'recognition' carried by
   * landmark_3d_68), else the five keypoints' roll and yaw proxy (see headAngles), which follow the detector:
   * with landmarksEvery 'recognition' and another carrier, a turn is seen on detector frames only.
   */
  readonly turnThreshold?: number;
  /** Run the detector every K frames (default 1); in between the boxes are carried (see `carryBy`). */
  readonly detectEvery?: number;
  /**
   * How boxes are carried between detector frames: a landmark head re-run on the predicted box (the box then
   * follows the landmarks), or 'kps' (the constant-velocity prediction alone, keypoints moved with it). Default:
   * landmark_2d_106 when the heads include it, else landmark_3d_68, else 'kps'.
   */
  readonly carryBy?: CarryMode;
  /**
   * Which landmark heads run on a frame where recognition and attributes are not due (default 'frame').
   * - 'frame': every landmark head on every shown face, every frame: every landmark is this frame's.
   * - 'recognition': only the carrier (see `carryBy`) runs on every frame, refreshing its own landmark (and
   *   carrying the box); the other landmark heads run on a face when recognition and attributes do (every
   *   `recognizeEvery` frames, on a move or turn past the bounds, and on a new track). In between, a
   *   face keeps the last values of a head that did not run, through the smoothing like every landmark
   *   (TrackedFace.landmarkAge says how old they are).
   *   The carrier stays landmark_2d_106 by default: it runs on every face of every frame, and 2d106det
   *   (≈1.25 M parameters) costs far less than 1k3d68 (≈35.9 M); `carryBy: 'landmark_3d_68'` instead keeps the
   *   pose (and so the turn bound) current on every frame. With carryBy 'kps' no landmark head runs between
   *   recognitions.
   * On a frame where recognition is due, the faces equal those of 'frame' given the same boxes.
   */
  readonly landmarksEvery?: LandmarkCadence;
  /** One-euro smoothing of the boxes, keypoints and landmarks the tracker returns, or false (default DEFAULT_ONE_EURO). Matching always uses the raw boxes. */
  readonly smoothing?: OneEuroParams | false;
  /** Names tracks, and re-identifies a track that ended, through this index (its `search`). */
  readonly index?: FaceIndex;
  /** Least cosine similarity for an identity from `index` (default 0.4). */
  readonly identifyThreshold?: number;
  /** Least cosine similarity for a new detection to take over a lost track's id by its embedding (default 0.5). */
  readonly reidThreshold?: number;
  /**
   * How many ended tracks keep their embedding so that a face coming back after it ended takes back its id
   * (cosine ≥ reidThreshold); the oldest is forgotten first. Default 100; 0 forgets a track when it ends.
   */
  readonly endedMemory?: number;
  /** A track not seen for more than this many frames ends (default 30). */
  readonly maxLost?: number;
  /** Least IoU between a detection and a track's predicted box for them to match (default 0.3). */
  readonly iouThreshold?: number;
  /** Pairs whose IoUs are within this of each other are decided by embedding similarity (default 0.1). */
  readonly tieMargin?: number;
  /** Also return lost tracks (at their predicted boxes, `source: 'predicted'`); default false. */
  readonly includeLost?: boolean;
  /** The frame rate assumed when `track` gets no timestamp (default 30). */
  readonly fps?: number;
  /** The detector's max_num (0 = all faces, the default). */
  readonly maxNum?: number;
  /**
   * The heads' image stages when the tracker runs over a detector plus heads (default: the CPU pre-processing,
   * OpenCV's arithmetic). Not with a FaceAnalysis, whose own pre-processing runs the frames (PipelineOptionError).
   */
  readonly preprocessor?: Preprocessor;
}

/** The options with every default filled in. @internal */
export interface ResolvedTrackerOptions extends Required<Omit<FaceTrackerOptions, 'index' | 'carryBy' | 'preprocessor'>> {
  readonly index: FaceIndex | undefined;
  readonly carryBy: CarryMode | undefined;
}

/** FaceTracker's names and value kinds (each value's range is checked by resolveTrackerOptions). @internal */
export const TRACKER_SHAPE: OptionShape<FaceTrackerOptions> = {
  recognizeEvery: 'number', moveThreshold: 'number', turnThreshold: 'number', detectEvery: 'number', carryBy: 'string',
  landmarksEvery: 'string', smoothing: ['object', 'boolean'], index: 'object', identifyThreshold: 'number', reidThreshold: 'number',
  endedMemory: 'number', maxLost: 'number', iouThreshold: 'number', tieMargin: 'number', includeLost: 'boolean', fps: 'number',
  maxNum: 'number', preprocessor: 'object',
};

/** Checks the options (PipelineOptionError naming the bad one) and fills in the defaults. @internal */
export function resolveTrackerOptions(options: FaceTrackerOptions): ResolvedTrackerOptions {
  const int = (name: keyof FaceTrackerOptions, value: number | undefined, fallback: number, min: number): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min) throw new PipelineOptionError(name, `${String(v)} is not an integer ≥ ${min}`);
    return v;
  };
  const num = (name: keyof FaceTrackerOptions, value: number | undefined, fallback: number, min: number, max = Infinity): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v >= min && v <= max)) throw new PipelineOptionError(name, `${String(v)} is not a number in [${min}, ${max}]`);
    return v;
  };
  const smoothing = options.smoothing ?? DEFAULT_ONE_EURO;
  if ((smoothing as unknown) === true) throw new PipelineOptionError('smoothing', 'true is not one-euro parameters or false (leave it out for the defaults)');
  if (smoothing !== false) {
    optionsObject(smoothing, 'FaceTracker', { minCutoff: 'number', beta: 'number', dCutoff: 'number' }, 'smoothing.');
    for (const key of ['minCutoff', 'beta', 'dCutoff'] as const) {
      const v = smoothing[key];
      if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v) || (key !== 'beta' && v === 0)) {
        throw new PipelineOptionError(`smoothing.${key}`, `${String(v)} is not a ${key === 'beta' ? 'non-negative' : 'positive'} number`);
      }
    }
  }
  if (options.index !== undefined && typeof (options.index as { search?: unknown } | null)?.search !== 'function') {
    throw new PipelineOptionError('index', `takes a FaceIndex (FaceIndex.load or new FaceIndex), got ${describeValue(options.index)}`);
  }
  if (options.includeLost !== undefined && typeof options.includeLost !== 'boolean') {
    throw new PipelineOptionError('includeLost', `${describeValue(options.includeLost)} is not true or false`);
  }
  if (options.landmarksEvery !== undefined && !['frame', 'recognition'].includes(options.landmarksEvery)) {
    throw new PipelineOptionError('landmarksEvery', `'${String(options.landmarksEvery)}' is not 'frame' or 'recognition'`);
  }
  if (options.carryBy !== undefined && !['landmark_2d_106', 'landmark_3d_68', 'kps'].includes(options.carryBy)) {
    throw new PipelineOptionError('carryBy', `'${String(options.carryBy)}' is not landmark_2d_106, landmark_3d_68 or kps`);
  }
  return {
    recognizeEvery: int('recognizeEvery', options.recognizeEvery, 10, 1),
    moveThreshold: num('moveThreshold', options.moveThreshold, 0.3, 0),
    turnThreshold: num('turnThreshold', options.turnThreshold, 20, 0),
    detectEvery: int('detectEvery', options.detectEvery, 1, 1),
    carryBy: options.carryBy,
    landmarksEvery: options.landmarksEvery ?? 'frame',
    smoothing,
    index: options.index,
    identifyThreshold: num('identifyThreshold', options.identifyThreshold, 0.4, -1, 1),
    reidThreshold: num('reidThreshold', options.reidThreshold, 0.5, -1, 1),
    maxLost: int('maxLost', options.maxLost, 30, 0),
    endedMemory: int('endedMemory', options.endedMemory, 100, 0),
    iouThreshold: num('iouThreshold', options.iouThreshold, 0.3, 0, 1),
    tieMargin: num('tieMargin', options.tieMargin, 0.1, 0, 1),
    includeLost: options.includeLost ?? false,
    // Finite: an infinite rate puts every frame at time 0, which silently turns the smoothing off.
    fps: num('fps', options.fps, 30, Number.MIN_VALUE, Number.MAX_VALUE),
    maxNum: int('maxNum', options.maxNum, 0, 0),
  };
}
