import { annotateFaces } from './annotate-faces.js';
import type { FrameParts } from './analysis-frame.js';
import { ImageError } from './errors.js';
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
 * FaceAnalysis.getBatch's body: decodes the inputs in groups of at most maxGroupPixels (an image larger than that
 * alone), detects on each image of a group, then runs every crop-based head over the faces of all its images together (runHeadsOverImages; on WebGPU one submit), with `acrossImages` once
 * per chunk of maxBatch crops of all the images. Detection is `get`'s, and a crop's rows do not depend on which
 * other crops share its batch (every layer works per crop in a batch-independent order where acrossImages is set;
 * tests/pipeline/get-batch.test.ts compares with `get` bit for bit), so each image's faces are identical to what
 * `get` returns for it. With a pre-processor that cannot stack several images' crops, each image's heads run as
 * `get` runs them. @internal
 */
export async function analyseImages(parts: BatchParts, inputs: readonly ImageInput[], maxGroupPixels: number): Promise<Face[][]> {
  const faces: Face[][] = [];
  // Decoded images not yet analysed, each with its input: the current group, then the one that would cross the bound.
  const pending: { image: BgrImage; input: ImageInput }[] = [];
  let next = 0;
  try {
    while (next < inputs.length || pending.length > 0) {
      let pixels = pending.reduce((sum, p) => sum + p.image.width * p.image.height, 0);
      while (next < inputs.length && (pending.length === 0 || pixels < maxGroupPixels)) {
        const at = next++;
        const input = inputs[at]!;
        const image = await loadBatchInput(input, at);
        pending.push({ image, input });
        pixels += image.width * image.height;
      }
      // The group: every pending image while the sum stays under the bound, and at least one.
      let count = 1;
      for (let sum = pending[0]!.image.width * pending[0]!.image.height; count < pending.length; count++) {
        sum += pending[count]!.image.width * pending[count]!.image.height;
        if (sum > maxGroupPixels) break;
      }
      const group = pending.slice(0, count).map((p) => p.image);
      faces.push(...await (parts.preprocessor.alignedCropsOfImages ? analyseTogether(parts, group) : analyseOneByOne(parts, group)));
      for (const p of pending.splice(0, count)) releaseOwn(p.image, p.input);
    }
    return faces;
  } finally {
    for (const p of pending) releaseOwn(p.image, p.input);
  }
}

/**
 * One input decoded, its failure naming it as `checkInputKind` does (`inputs[3]`): a decoder's label for bytes
 * ('<bytes>') does not say which of several inputs failed. A path names itself, as in `get`'s error.
 */
async function loadBatchInput(input: ImageInput, index: number): Promise<BgrImage> {
  try {
    return await loadImage(input);
  } catch (error) {
    if (!(error instanceof ImageError) || typeof input === 'string') throw error;
    throw new ImageError(error.why, `inputs[${index}]`, { cause: error });
  }
}

/** A FrameImage made here from the caller's frame closes its own capture, as in `get`; the caller's stays open. */
function releaseOwn(image: BgrImage, input: ImageInput): void {
  if (image !== input && image instanceof FrameImage) image.release();
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
