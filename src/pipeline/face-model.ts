import type { Face } from './face.js';
import type { HeadWork } from './head-group.js';
import type { BgrImage } from './image.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { StageTimer } from './stage-timer.js';

/** A non-detection model of the pack: reads the image around each face and writes its fields onto the faces. */
export interface FaceModel {
  /** InsightFace's taskname (the key of FaceAnalysis's model map). */
  readonly taskname: string;
  /** Input size (the square crop's side) as InsightFace reports it (for logs). */
  readonly inputSize: number;
  /** InsightFace's probed `input_mean`. */
  readonly inputMean: number;
  /** InsightFace's probed `input_std`. */
  readonly inputStd: number;
  /**
   * FaceAnalysis's batched step: writes this model's fields onto every face of one image. `timer` records the crop,
   * forward and decoding stages when the caller asked for timings. The per-face public method is `get`.
   */
  annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void>;
  /**
   * For a crop-based head: `annotate` split in two, its crops for these faces and what writes the rows onto them, so
   * FaceAnalysis can run every head of an image in one group (runHeadsTogether). Absent: `annotate` runs alone.
   */
  headWork?(faces: readonly Face[]): HeadWork;
}
