import { assignResults, Face, type FaceRecord } from '../face.js';

/** Who a track is, as the tracker's FaceIndex says: the best identity at or above `identifyThreshold`. */
export interface TrackIdentity {
  /** The index's id of the identity. */
  readonly id: string;
  /** Cosine similarity of the track's embedding to that identity's best entry. */
  readonly score: number;
}

/** Where a tracked face's box comes from in this frame. */
export type TrackSource = 'detected' | 'carried' | 'predicted';

/** A TrackedFace in JSON: the track's fields first, then the face in the goldens' format. */
export interface TrackedFaceRecord extends FaceRecord {
  /** TrackInfo.trackId. */
  trackId: number;
  /** TrackInfo.trackAge. */
  trackAge: number;
  /** TrackInfo.lostFrames. */
  lostFrames: number;
  /** TrackInfo.identity, when there is one. */
  identity?: TrackIdentity;
}

/** What a TrackedFace adds to a Face. */
export interface TrackInfo {
  /** Stable id of the track, from 1; a track re-identified after it was lost keeps its id. */
  readonly trackId: number;
  /**
   * Frames since the track started (0 in its first frame). Named apart from `age`, which a Face already uses for
   * the attribute model's age in years.
   */
  readonly trackAge: number;
  /** Frames since the detector last saw it (0 when seen or carried this frame). */
  readonly lostFrames: number;
  /** Who the FaceIndex says the track is (undefined without an index or below identifyThreshold). */
  readonly identity: TrackIdentity | undefined;
  /** 'detected' (the detector's box this frame), 'carried' (landmarks or motion between detector frames), 'predicted' (lost). */
  readonly source: TrackSource;
  /** Whether recognition and attributes ran on this face in this frame (else they are the track's last values). */
  readonly recognized: boolean;
  /**
   * Per landmark head (taskname), frames since it last ran on this track: 0 when its fields are this frame's, k when
   * they are kept from k frames ago (FaceTrackerOptions.landmarksEvery 'recognition'). Empty without landmark heads.
   */
  readonly landmarkAge?: Readonly<Record<string, number>>;
}

/** A Face with its track: every Face field (smoothed when the tracker smooths) plus the track's id, age in frames and identity. */
export class TrackedFace extends Face implements TrackInfo {
  /** See TrackInfo.trackId. */
  readonly trackId: number;
  /** See TrackInfo.trackAge. */
  readonly trackAge: number;
  /** See TrackInfo.lostFrames. */
  readonly lostFrames: number;
  /** See TrackInfo.identity. */
  readonly identity: TrackIdentity | undefined;
  /** See TrackInfo.source. */
  readonly source: TrackSource;
  /** See TrackInfo.recognized. */
  readonly recognized: boolean;
  /** See TrackInfo.landmarkAge (empty when the track info had none). */
  readonly landmarkAge: Readonly<Record<string, number>>;

  /** A copy of `face`'s fields (arrays shared, not copied) with the track's information. */
  constructor(face: Face, info: TrackInfo) {
    super(face.bbox, face.kps, face.det_score);
    assignResults(this, face, face.extra);
    this.trackId = info.trackId;
    this.trackAge = info.trackAge;
    this.lostFrames = info.lostFrames;
    this.identity = info.identity;
    this.source = info.source;
    this.recognized = info.recognized;
    this.landmarkAge = info.landmarkAge ?? {};
  }

  /** `{ trackId, trackAge, lostFrames, …the golden fields, identity? }`. */
  override toJSON(): TrackedFaceRecord {
    const record: TrackedFaceRecord = { trackId: this.trackId, trackAge: this.trackAge, lostFrames: this.lostFrames, ...super.toJSON() };
    if (this.identity) record.identity = { ...this.identity };
    return record;
  }
}
