import type { Face } from './face.js';
import type { BgrImage } from './image.js';
import type { Preprocessor } from './preprocessor.js';

/** A non-detection model of the pack: reads the image around each face and writes its fields onto the faces. */
export interface FaceModel {
  readonly taskname: string;
  /** Input size and normalisation as InsightFace reports them (for logs). */
  readonly inputSize: number;
  readonly inputMean: number;
  readonly inputStd: number;
  annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor): Promise<void>;
}
