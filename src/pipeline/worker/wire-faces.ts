import { assignResults, Face } from '../face.js';
import type { Pose } from '../pose.js';
import { TrackedFace, type TrackInfo } from '../tracking/tracked-face.js';

/** A Face as it crosses the worker boundary: its fields, with the typed arrays moved rather than copied. */
export interface WireFace {
  readonly bbox: Float32Array;
  readonly kps?: Float32Array;
  readonly det_score: number;
  readonly embedding?: Float32Array;
  readonly landmark_2d_106?: Float32Array;
  readonly landmark_3d_68?: Float32Array;
  readonly pose?: Pose;
  readonly gender?: number;
  readonly age?: number;
  readonly extra: readonly (readonly [string, Float32Array])[];
  /** A TrackedFace's track (FaceTracker's output), plain data. */
  readonly track?: TrackInfo;
}

/**
 * The faces' fields and the buffers to transfer with them. With `copy`, every array is copied first: for faces
 * whose arrays someone still holds (FaceTracker keeps its tracks' arrays from frame to frame).
 */
export function facesToWire(faces: readonly Face[], options: { readonly copy?: boolean } = {}): { faces: WireFace[]; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const own = (a: Float32Array | undefined): Float32Array | undefined => {
    if (!a) return undefined;
    // A view into a larger buffer would move that whole buffer (and detach its other views): copied instead.
    const whole = !options.copy && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer && !transfer.has(a.buffer);
    const mine = whole ? a : a.slice();
    transfer.add(mine.buffer as ArrayBuffer);
    return mine;
  };
  const wire = faces.map((f): WireFace => ({
    bbox: own(f.bbox)!, kps: own(f.kps), det_score: f.det_score, embedding: own(f.embedding),
    landmark_2d_106: own(f.landmark_2d_106), landmark_3d_68: own(f.landmark_3d_68), pose: f.pose, gender: f.gender, age: f.age,
    extra: [...f.extra].map(([k, v]) => [k, own(v)!] as const),
    track: f instanceof TrackedFace ? trackInfo(f) : undefined,
  }));
  return { faces: wire, transfer: [...transfer] };
}

function trackInfo(f: TrackedFace): TrackInfo {
  return { trackId: f.trackId, trackAge: f.trackAge, lostFrames: f.lostFrames, identity: f.identity, source: f.source, recognized: f.recognized, landmarkAge: f.landmarkAge };
}

/** Face objects again (methods such as `normed_embedding` and `toJSON` included); TrackedFaces for tracked ones. */
export function facesFromWire(wire: readonly WireFace[]): Face[] {
  return wire.map((w) => {
    const face = new Face(w.bbox, w.kps, w.det_score);
    assignResults(face, w, w.extra);
    return w.track ? new TrackedFace(face, w.track) : face;
  });
}
