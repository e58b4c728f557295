import type { OptionShape } from '../core/option-shape.js';
import { annotateFaces } from './annotate-faces.js';
import { optionsObject, requireArray } from './call-options.js';
import { requireBbox, requireKps } from './face-input.js';
import { PipelineOptionError } from './errors.js';
import { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import type { BgrImage } from './image.js';
import { checkMaxNum, type MaxNumMetric } from './max-num.js';
import type { Size } from './preprocess/letterbox.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { ScrfdDetector } from './scrfd.js';

/** Options of `AnalysisFrame.detect` (and `FaceAnalysis.detectFaces`): `get`'s max_num. */
export interface DetectFacesOptions {
  /** Keep at most this many faces (0 = all, the default), chosen by `metric`. */
  readonly maxNum?: number;
  /** How maxNum picks faces: 'default' (area, favouring the image centre) or 'max' (area alone). */
  readonly metric?: MaxNumMetric;
}

/** Options of `AnalysisFrame.annotate` (and `FaceAnalysis.annotate`). */
export interface AnnotateOptions {
  /**
   * The tasknames of the heads to run ('recognition', 'landmark_2d_106', 'genderage', …), in any order; they run in
   * load order, as in `get`. Default: every non-detection model of the pack.
   */
  readonly models?: readonly string[];
}

/** detect's names and value kinds. @internal */
export const DETECT_FACES_SHAPE: OptionShape<DetectFacesOptions> = { maxNum: 'number', metric: 'string' };
/** annotate's names and value kinds. @internal */
export const ANNOTATE_SHAPE: OptionShape<AnnotateOptions> = { models: 'array' };

/**
 * One image held on a FaceAnalysis's pre-processor for the length of `FaceAnalysis.withFrame`: on WebGPU it is
 * uploaded once, and detection and every `annotate` read it there, so a browser frame goes to the GPU once with no
 * read-back of its pixels. Each call gives exactly what the same stage of `get` gives.
 */
export interface AnalysisFrame {
  /** The decoded image (a FrameImage for a browser frame: its size is known without reading pixels). */
  readonly image: BgrImage;
  /** InsightFace's detection on this image: faces with bbox, kps and det_score, in `get`'s order. */
  detect(options?: DetectFacesOptions): Promise<Face[]>;
  /**
   * Runs the chosen heads on these faces of this image, writing their fields onto them (on WebGPU in one submit).
   * PipelineOptionError for a taskname the pack lacks.
   */
  annotate(faces: readonly Face[], options?: AnnotateOptions): Promise<void>;
}

/** What a frame runs with: a prepared FaceAnalysis's parts and settings. @internal */
export interface FrameParts {
  readonly detector: ScrfdDetector;
  readonly faceModels: readonly FaceModel[];
  readonly preprocessor: Preprocessor;
  readonly sizes: readonly Size[];
  readonly threshold: number;
  /** Run the chosen heads in one submit (WebGPU; see annotateFaces). */
  readonly together: boolean;
}

/**
 * Runs `work` on `image` between the pre-processor's `begin` and `end`; the frame refuses calls once `work` has
 * settled (its upload is freed then). @internal
 */
export async function withAnalysisFrame<T>(parts: FrameParts, image: BgrImage, work: (frame: AnalysisFrame) => Promise<T>): Promise<T> {
  const pre = parts.preprocessor;
  let open = true;
  const check = (call: string): void => {
    if (!open) throw new PipelineOptionError('frame', `${call} after withFrame's callback returned (the frame is released then)`);
  };
  const frame: AnalysisFrame = {
    image,
    async detect(detectOptions) {
      check('detect');
      const options = optionsObject(detectOptions, 'detect', DETECT_FACES_SHAPE);
      const maxNum = options.maxNum ?? 0;
      const metric = options.metric ?? 'default';
      checkMaxNum(maxNum, metric);
      const det = await parts.detector.detectRows(image, pre, { sizes: parts.sizes, threshold: parts.threshold, maxNum, metric });
      const faces: Face[] = [];
      for (let i = 0; i < det.count; i++) {
        faces.push(new Face(det.boxes.slice(i * 4, i * 4 + 4), det.kps ? det.kps.slice(i * 10, i * 10 + 10) : undefined, det.scores[i]!));
      }
      return faces;
    },
    async annotate(faces, annotateOptions) {
      check('annotate');
      const options = optionsObject(annotateOptions, 'annotate', ANNOTATE_SHAPE);
      requireArray(faces, 'faces', 'annotate');
      // Caller-made faces (Face.fromJSON, plain objects) are checked here, before any head crops from them. Keypoints,
      // where given, are the flat 10 numbers a Face holds: JSON's nested [[x, y], …] (a plain object parsed from an
      // NDJSON line) would otherwise be read as NaNs by the alignment, giving a garbage embedding without an error.
      for (const face of faces) {
        requireBbox(face, 'annotate');
        if ((face as { kps?: unknown }).kps != null) requireKps(face, 'annotate');
      }
      await annotateFaces(chooseModels(parts.faceModels, options.models), image, faces, pre, parts.together);
    },
  };
  await pre.begin?.(image);
  try {
    return await work(frame);
  } finally {
    open = false;
    pre.end?.(image);
  }
}

/** The models named, in load order; PipelineOptionError for a name the pack lacks. */
function chooseModels(models: readonly FaceModel[], names: readonly string[] | undefined): readonly FaceModel[] {
  if (names === undefined) return models;
  requireArray(names, 'models', 'annotate');
  for (const name of names) {
    if (!models.some((m) => m.taskname === name)) {
      throw new PipelineOptionError('models', `no ${String(name)} model in this pack (it has ${models.map((m) => m.taskname).join(', ') || 'none'})`);
    }
  }
  return models.filter((m) => names.includes(m.taskname));
}
