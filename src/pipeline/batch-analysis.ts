import { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import type { BgrImage } from './image.js';
import { loadImage, type ImageInput } from './image-source.js';
import type { MaxNumMetric } from './max-num.js';
import type { Size } from './preprocess/letterbox.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { ScrfdDetector } from './scrfd.js';

/** The parts and settings of a prepared FaceAnalysis that a multi-image run uses. @internal */
export interface BatchParts {
  readonly detector: ScrfdDetector;
  readonly faceModels: readonly FaceModel[];
  readonly preprocessor: Preprocessor;
  readonly sizes: readonly Size[];
  readonly threshold: number;
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
}

/**
 * FaceAnalysis.getBatch's body: decodes every input, detects on each image, then runs the heads on the faces of
 * all the images. Every image goes through the same stages with the same crops and batch sizes as a one-image
 * `get`, so each image's faces are identical to what `get` returns for it. @internal
 */
export async function analyseImages(parts: BatchParts, inputs: readonly ImageInput[]): Promise<Face[][]> {
  const images: BgrImage[] = [];
  for (const input of inputs) images.push(await loadImage(input));
  const faces: Face[][] = [];
  for (const image of images) faces.push(await detectFaces(parts, image));
  for (let i = 0; i < images.length; i++) await annotateFaces(parts, images[i]!, faces[i]!);
  return faces;
}

async function detectFaces(parts: BatchParts, image: BgrImage): Promise<Face[]> {
  const pre = parts.preprocessor;
  await pre.begin?.(image);
  try {
    const det = await parts.detector.detectRows(image, pre, { sizes: parts.sizes, threshold: parts.threshold, maxNum: parts.maxNum, metric: parts.metric });
    const faces: Face[] = [];
    for (let i = 0; i < det.count; i++) {
      faces.push(new Face(det.boxes.slice(i * 4, i * 4 + 4), det.kps ? det.kps.slice(i * 10, i * 10 + 10) : undefined, det.scores[i]!));
    }
    return faces;
  } finally {
    pre.end?.(image);
  }
}

/**
 * The heads of one image's faces. Each image's crops stay one head batch of their own: the GPU pre-processor
 * holds one uploaded image at a time, and keeping the batch sizes of a one-image `get` keeps the results identical.
 */
async function annotateFaces(parts: BatchParts, image: BgrImage, faces: readonly Face[]): Promise<void> {
  if (faces.length === 0) return;
  const pre = parts.preprocessor;
  await pre.begin?.(image);
  try {
    for (const model of parts.faceModels) await model.annotate(image, faces, pre);
  } finally {
    pre.end?.(image);
  }
}
