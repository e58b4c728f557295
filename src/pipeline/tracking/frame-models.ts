import type { AnalysisFrame } from '../analysis-frame.js';
import type { Face } from '../face.js';
import type { FaceModel } from '../face-model.js';
import type { BgrImage } from '../image.js';
import type { Preprocessor } from '../preprocess/preprocessor.js';
import { facesFromDetections } from '../scrfd.js';
import type { StageTiming } from '../stage-timer.js';
import type { TrackerDetector } from './tracker-types.js';

/**
 * The models as one frame of the tracker reaches them: through a FaceAnalysis's frame (its own pre-processing, one
 * upload per frame) or through a detector and heads over the tracker's pre-processor. @internal
 */
export interface FrameModels {
  /** The frame's width and height in pixels: the coordinates its boxes are in. */
  readonly size: readonly [number, number];
  /** The frame's faces (bbox, kps, det_score), at most `maxNum` (0 = all). */
  detect(maxNum: number): Promise<Face[]>;
  /** Runs these heads on these faces of the frame. */
  annotate(heads: readonly FaceModel[], faces: readonly Face[]): Promise<void>;
}

/** A FaceAnalysis frame as the tracker's models: the chosen heads go in one `annotate` (one submit on WebGPU). @internal */
export function analysisModels(frame: AnalysisFrame): FrameModels {
  return {
    size: [frame.image.width, frame.image.height],
    detect: (maxNum) => frame.detect({ maxNum }),
    annotate: (heads, faces) => frame.annotate(faces, { models: heads.map((h) => h.taskname) }),
  };
}

/**
 * Runs `work` with a detector (its own CPU pre-processing) and heads over `pre`, between `pre`'s begin and end for
 * this image. @internal
 */
export async function withPreprocessedFrame<T>(detector: TrackerDetector, pre: Preprocessor, image: BgrImage, work: (models: FrameModels) => Promise<T>): Promise<T> {
  await pre.begin?.(image);
  try {
    return await work({
      size: [image.width, image.height],
      detect: async (maxNum) => facesFromDetections(await detector.detect(image, { maxNum })),
      annotate: async (heads, faces) => { for (const head of heads) await head.annotate(image, faces, pre); },
    });
  } finally {
    pre.end?.(image);
  }
}

/**
 * The same models with each call's wall time appended to `sink`: 'tracker.detect' (detection, pre-processing and
 * decoding included), 'tracker.landmarks' (landmark heads) and 'tracker.identity' (recognition and attributes). @internal
 */
export function timedModels(models: FrameModels, sink: StageTiming[]): FrameModels {
  const time = async <T>(stage: string, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    sink.push({ stage, kind: 'forward', ms: performance.now() - start });
    return result;
  };
  return {
    size: models.size,
    detect: (maxNum) => time('tracker.detect', () => models.detect(maxNum)),
    annotate: (heads, faces) => time(heads.every((h) => h.taskname.startsWith('landmark_')) ? 'tracker.landmarks' : 'tracker.identity', () => models.annotate(heads, faces)),
  };
}
