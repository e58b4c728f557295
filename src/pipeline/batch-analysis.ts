import { annotateFaces } from './annotate-faces.js';
import type { FrameParts } from './analysis-frame.js';
import { Face } from './face.js';
import { FrameImage } from './frames/frame-image.js';
import { runHeadsOverImages } from './head-group.js';
import type { BgrImage } from './image.js';
import { loadImage, type ImageInput } from './image-source.js';
import type { MaxNumMetric } from './max-num.js';

/** The parts and settings of a prepared FaceAnalysis that a multi-image run uses: a frame's, and the run's. @internal */
export interface BatchParts extends FrameParts {
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  /**
   * Whether a head batch may hold several images' crops (runHeadsOverImages' acrossImages): where the backend's
   * rows for a crop do not depend on the batch it shares.
   */
  readonly acrossImages: boolean;
}

/**
 * FaceAnalysis.getBatch's body: decodes every input, detects on each image, then runs every crop-based head over
 * the faces of all the images in one group (runHeadsOverImages; on WebGPU one submit), with `acrossImages` once
 * per chunk of maxBatch crops of all the images. Detection is `get`'s, and a crop's rows do not depend on which
 * other crops share its batch (every layer works per crop in a batch-independent order where acrossImages is set;
 * tests/pipeline/get-batch.test.ts compares with `get` bit for bit), so each image's faces are identical to what
 * `get` returns for it. With a pre-processor that cannot stack several images' crops, each image's heads run as
 * `get` runs them. @internal
 */
export async function analyseImages(parts: BatchParts, inputs: readonly ImageInput[]): Promise<Face[][]> {
  const images: BgrImage[] = [];
  try {
    for (const input of inputs) images.push(await loadImage(input));
    return await (parts.preprocessor.alignedCropsOfImages ? analyseTogether(parts, images) : analyseOneByOne(parts, images));
  } finally {
    // A FrameImage made here from the caller's frame closes its own capture, as in `get`; the caller's stays open.
    images.forEach((image, i) => { if (image !== inputs[i] && image instanceof FrameImage) image.release(); });
  }
}

/** Detection on each image, then every head over all their faces in one group. */
async function analyseTogether(parts: BatchParts, images: readonly BgrImage[]): Promise<Face[][]> {
  const pre = parts.preprocessor;
  // Every image stays uploaded from its detection to the heads' submit.
  const begun: BgrImage[] = [];
  try {
    const faces: Face[][] = [];
    for (const image of images) {
      await pre.begin?.(image);
      begun.push(image);
      faces.push(await detectFaces(parts, image));
    }
    const grouped = parts.faceModels.filter((m) => m.headWork);
    const work = images.map((image, i) => ({ image, works: grouped.map((m) => m.headWork!(faces[i]!)) })).filter((_, i) => faces[i]!.length > 0);
    await runHeadsOverImages(work, pre, parts.acrossImages);
    const rest = parts.faceModels.filter((m) => !grouped.includes(m));
    for (const [i, image] of images.entries()) {
      if (faces[i]!.length > 0 && rest.length > 0) await annotateFaces(rest, image, faces[i]!, pre, false);
    }
    return faces;
  } finally {
    for (const image of begun) pre.end?.(image);
  }
}

/** Each image as `get` runs it: detection, then its own heads. */
async function analyseOneByOne(parts: BatchParts, images: readonly BgrImage[]): Promise<Face[][]> {
  const pre = parts.preprocessor;
  const faces: Face[][] = [];
  for (const image of images) {
    await pre.begin?.(image);
    try {
      const found = await detectFaces(parts, image);
      await annotateFaces(parts.faceModels, image, found, pre, parts.together);
      faces.push(found);
    } finally {
      pre.end?.(image);
    }
  }
  return faces;
}

async function detectFaces(parts: BatchParts, image: BgrImage): Promise<Face[]> {
  const det = await parts.detector.detectRows(image, parts.preprocessor, { sizes: parts.sizes, threshold: parts.threshold, maxNum: parts.maxNum, metric: parts.metric });
  const faces: Face[] = [];
  for (let i = 0; i < det.count; i++) {
    faces.push(new Face(det.boxes.slice(i * 4, i * 4 + 4), det.kps ? det.kps.slice(i * 10, i * 10 + 10) : undefined, det.scores[i]!));
  }
  return faces;
}
