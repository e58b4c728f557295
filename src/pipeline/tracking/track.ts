import { Face } from '../face.js';
import { copyIdentityFields } from './face-fields.js';
import { predictBox, toBox, type Box } from './box-geometry.js';
import { OneEuroFilter, type OneEuroParams } from './one-euro.js';
import type { TrackIdentity, TrackSource } from './tracked-face.js';

/** Weight of the newest per-frame displacement in the velocity estimate (the rest is the previous estimate). */
const VELOCITY_BLEND = 0.5;

/** The last recognition run on a track: when, where and how the head was turned. */
export interface RecognitionMark {
  readonly frame: number;
  readonly box: Box;
  readonly angles: readonly [number, number, number] | undefined;
}

/** One track's state between frames. @internal */
export class Track {
  /** The last raw (unsmoothed) face: the detector's or the carried box, and every head's fields. */
  face: Face;
  box: Box;
  /** Per-frame displacement of each box coordinate. */
  velocity: Box = [0, 0, 0, 0];
  /** Frame index of the last box update (detected or carried). */
  lastFrame: number;
  /** The last detector box and its frame: the velocity is measured between detections. */
  private anchor: Box;
  private anchorFrame: number;
  /** The frame the motion model (re)started at. */
  private motionStart: number;
  lostFrames = 0;
  source: TrackSource = 'detected';
  identity: TrackIdentity | undefined;
  recognized: RecognitionMark | undefined;
  /** The face recognition and attributes last ran on: its fields pass to the frames in between. */
  recognizedFace: Face | undefined;
  /** The frame each landmark head (taskname) last ran on this track. */
  readonly landmarkFrames = new Map<string, number>();
  /** The detector box in the carrying landmarks' bounds, from the last detector frame (see boxInBounds). */
  carryRelation: Box | undefined;
  private readonly filters = new Map<string, OneEuroFilter>();

  constructor(readonly id: number, readonly startFrame: number, face: Face, frame: number) {
    this.face = face;
    this.box = toBox(face.bbox);
    this.lastFrame = frame;
    this.anchor = this.box;
    this.anchorFrame = frame;
    this.motionStart = frame;
  }

  /** The constant-velocity prediction of the box at `frame`. */
  predict(frame: number): Box {
    return predictBox(this.box, this.velocity, frame - this.lastFrame);
  }

  /**
   * Takes a new box at `frame`. Only detector boxes update the velocity (over the frames since the previous
   * detection), so carried boxes, which follow the prediction, never feed back into it.
   */
  moveTo(face: Face, frame: number, source: TrackSource): void {
    const next = toBox(face.bbox);
    if (source === 'detected') {
      const steps = frame - this.anchorFrame;
      if (steps > 0) {
        const observed = next.map((v, i) => (v - this.anchor[i]!) / steps);
        // The first displacement is taken as is: a zero prior would halve the first prediction's step.
        const blend = this.anchorFrame === this.motionStart ? 1 : VELOCITY_BLEND;
        this.velocity = this.velocity.map((v, i) => v + blend * (observed[i]! - v)) as unknown as Box;
      }
      this.anchor = next;
      this.anchorFrame = frame;
    }
    this.face = face;
    this.box = next;
    this.lastFrame = frame;
    this.lostFrames = 0;
    this.source = source;
  }

  /** Starts the motion model again from this box (a re-entry may be anywhere: the motion before a loss says nothing about it). */
  restartMotion(frame: number): void {
    this.velocity = [0, 0, 0, 0];
    this.anchor = this.box;
    this.anchorFrame = frame;
    this.motionStart = frame;
  }

  /**
   * Starts the motion model and the smoothing again: on a frame of another size (the old box, its motion and the
   * filtered values are in the old frame's coordinates, which the new frame's detections do not share), and on a
   * re-entry after frames away (the face may come back anywhere).
   */
  restartCoordinates(frame: number): void {
    this.restartMotion(frame);
    this.filters.clear();
  }

  /** The last face with its box, keypoints and landmarks smoothed (`params` false: unchanged values, a new Face). */
  smoothedFace(time: number, params: OneEuroParams | false): Face {
    const raw = this.face;
    const face = new Face(this.smooth('bbox', raw.bbox, time, params)!, this.smooth('kps', raw.kps, time, params), raw.det_score);
    copyIdentityFields(raw, face);
    face.landmark_2d_106 = this.smooth('landmark_2d_106', raw.landmark_2d_106, time, params);
    face.landmark_3d_68 = this.smooth('landmark_3d_68', raw.landmark_3d_68, time, params);
    face.pose = raw.pose;
    for (const [k, v] of raw.extra) if (k.startsWith('landmark_')) face.extra.set(k, this.smooth(k, v, time, params)!);
    return face;
  }

  /** One-euro smoothing of one named coordinate vector of this track (the identity when `params` is false). */
  smooth(key: string, values: Float32Array | undefined, time: number, params: OneEuroParams | false): Float32Array | undefined {
    if (!values || params === false) return values;
    let filter = this.filters.get(key);
    if (!filter) this.filters.set(key, filter = new OneEuroFilter(params));
    return filter.filter(values, time);
  }
}
