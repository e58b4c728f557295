import type { Face } from '../face.js';

const DEG = 180 / Math.PI;

/**
 * The head's [pitch, yaw, roll] in degrees for the turn bound: the 3-D landmark model's pose when the face has one;
 * otherwise from the five keypoints, roll as the eye line's angle and yaw as the arcsine of the nose's offset from
 * the eyes' midpoint over half the eye distance (a proxy that is 0 for a frontal face and grows with the turn;
 * pitch 0). Undefined without either.
 */
export function headAngles(face: Face): readonly [number, number, number] | undefined {
  return face.pose ?? keypointAngles(face);
}

/** headAngles from the five keypoints alone, the pose left aside (for a pose that is not this frame's). */
export function keypointAngles(face: Face): readonly [number, number, number] | undefined {
  const k = face.kps;
  if (!k) return undefined;
  const dx = k[2]! - k[0]!, dy = k[3]! - k[1]!;
  const eyes = Math.hypot(dx, dy);
  if (!(eyes > 0)) return undefined;
  // The nose's offset from the eye midpoint, measured along the eye line.
  const offset = ((k[4]! - (k[0]! + k[2]!) / 2) * dx + (k[5]! - (k[1]! + k[3]!) / 2) * dy) / eyes;
  const yaw = Math.asin(Math.max(-1, Math.min(1, offset / (eyes / 2)))) * DEG;
  return [0, yaw, Math.atan2(dy, dx) * DEG];
}

/** The largest change of any angle between two poses (degrees; roll wrapped to ±180). */
export function turnBetween(a: readonly [number, number, number], b: readonly [number, number, number]): number {
  const wrap = (d: number): number => Math.abs(((d + 540) % 360) - 180);
  return Math.max(wrap(a[0] - b[0]), wrap(a[1] - b[1]), wrap(a[2] - b[2]));
}
