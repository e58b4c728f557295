import type { Face } from './face.js';
import type { BgrImage } from './image.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { StageTimer } from './stage-timer.js';

/** A non-detection model of the pack: reads the image around each face and writes its fields onto the faces. */
export interface FaceModel {
  readonly taskname: string;
  /** Input size and normalisation as InsightFace reports them (for logs). */
  readonly inputSize: number;
  readonly inputMean: number;
  readonly inputStd: number;
  /** `timer` records the crop, forward and decoding stages when the caller asked for timings. */
  annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void>;
}
