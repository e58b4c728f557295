import type { Face, FaceRecord } from '../src/pipeline/index.js';

export type { FaceRecord } from '../src/pipeline/index.js';

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
  /**
   * InsightFace's det_metric when it is not 'default' and a max_num makes it count (which faces max_num keeps):
   * absent otherwise, so such files keep the goldens' fields.
   */
  det_metric?: 'max';
  models: Record<string, string>;
  results: ImageRecord[];
}

/** A Face as the goldens write it (Face.toJSON: the CLI and the library write one format). */
export function faceRecord(face: Face): FaceRecord {
  return face.toJSON();
}
