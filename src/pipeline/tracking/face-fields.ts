import { Face } from '../face.js';
import { mapPoints, pointBounds, type Box } from './box-geometry.js';
import type { CarryMode } from './tracker-options.js';

/** A copy of `face` moved from box `from` to box `to`, its keypoints (or `kps`) mapped along. */
export function movedFace(face: Face, from: Box, to: Box, kps: Float32Array | undefined = face.kps): Face {
  return new Face(Float32Array.from(to), kps ? mapPoints(kps, from, to) : undefined, face.det_score);
}

/** The bounds of the carrying landmarks on `face` (undefined for 'kps' or a face without them). */
export function carrierBounds(face: Face, mode: CarryMode): Box | undefined {
  const points = mode === 'landmark_2d_106' ? face.landmark_2d_106 : mode === 'landmark_3d_68' ? face.landmark_3d_68 : undefined;
  return points ? pointBounds(points, mode === 'landmark_3d_68' ? 3 : 2) : undefined;
}

export function copyLandmarks(from: Face, to: Face): void {
  to.landmark_2d_106 = from.landmark_2d_106;
  to.landmark_3d_68 = from.landmark_3d_68;
  to.pose = from.pose;
  for (const [k, v] of from.extra) if (k.startsWith('landmark_')) to.extra.set(k, v);
}

/** One landmark head's fields (its points, and the pose for landmark_3d_68) from the face it last ran on. */
export function copyHeadFields(from: Face, to: Face, taskname: string): void {
  if (taskname === 'landmark_2d_106') to.landmark_2d_106 = from.landmark_2d_106;
  else if (taskname === 'landmark_3d_68') {
    to.landmark_3d_68 = from.landmark_3d_68;
    to.pose = from.pose;
  } else {
    const v = from.extra.get(taskname);
    if (v) to.extra.set(taskname, v);
  }
}

/** Recognition and attribute fields (embedding, gender, age, other heads' outputs) from the face they were computed on. */
export function copyIdentityFields(from: Face, to: Face): void {
  to.embedding = from.embedding;
  to.gender = from.gender;
  to.age = from.age;
  for (const [k, v] of from.extra) if (!k.startsWith('landmark_')) to.extra.set(k, v);
}

export function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [], no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
