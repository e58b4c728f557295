import type { Face } from '../src/pipeline/index.js';

/** One face in the golden JSON format of TESTBED.md (fields a pack lacks are omitted). */
export interface FaceRecord {
  bbox: number[];
  kps?: number[][];
  det_score: number;
  landmark_2d_106?: number[][];
  landmark_3d_68?: number[][];
  pose?: number[];
  gender?: number;
  age?: number;
  embedding?: number[];
}

export interface ImageRecord {
  image: string;
  width: number;
  height: number;
  faces: FaceRecord[];
}

export interface ResultsFile {
  det_size: number[] | number[][];
  det_thresh: number;
  max_num: number;
  models: Record<string, string>;
  results: ImageRecord[];
}

function rows(flat: ArrayLike<number>, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += width) out.push(Array.from({ length: width }, (_, k) => flat[i + k]!));
  return out;
}

/** A Face as the goldens write it, keys in the goldens' order; float32 values written as their exact doubles. */
export function faceRecord(face: Face): FaceRecord {
  // Built key by key so JSON.stringify keeps the goldens' key order (kps sits between bbox and det_score).
  const ordered = { bbox: Array.from(face.bbox) } as FaceRecord;
  if (face.kps) ordered.kps = rows(face.kps, 2);
  ordered.det_score = face.det_score;
  if (face.landmark_2d_106) ordered.landmark_2d_106 = rows(face.landmark_2d_106, 2);
  if (face.landmark_3d_68) ordered.landmark_3d_68 = rows(face.landmark_3d_68, 3);
  if (face.pose) ordered.pose = [...face.pose];
  if (face.gender !== undefined) ordered.gender = face.gender;
  if (face.age !== undefined) ordered.age = face.age;
  if (face.embedding) ordered.embedding = Array.from(face.embedding);
  return ordered;
}
