import type { InferenceSession } from '../session/session.js';
import { ModelContractError, PipelineOptionError } from './errors.js';
import { computeSim, type Face } from './face.js';
import { requireAlignableKps } from './face-input.js';
import type { FaceModel } from './face-model.js';
import type { HeadWork } from './head-group.js';
import { forwardBatch, headSpec, runHead, type HeadSpec, type HeadOptions } from './head-model.js';
import type { BgrImage } from './image.js';
import { loadImage, type ImageInput } from './image-source.js';
import { estimateNorm } from './norm-crop.js';
import { blobFromImages, type Normalisation } from './preprocess/blob.js';
import { CpuPreprocessor, type Preprocessor } from './preprocess/preprocessor.js';
import { resizeBilinear } from './preprocess/resize.js';
import type { StageTimer } from './stage-timer.js';

/** ArcFaceONNX: the 5-point aligned crop (norm_crop) → identity embedding (not normalised). */
export class ArcFaceModel implements FaceModel {
  /** InsightFace's taskname for recognizers. */
  readonly taskname = 'recognition';
  private readonly spec: HeadSpec;
  private readonly pre = new CpuPreprocessor();

  /** A recognizer over a compiled session with the probed normalisation (getModel builds one from a file). */
  constructor(session: InferenceSession, norm: Normalisation, options: HeadOptions = {}) {
    this.spec = headSpec(this.taskname, session, norm, options);
  }

  /** The crop side (InsightFace's `input_size[0]`; e.g. 112). */
  get inputSize(): number { return this.spec.size; }
  /** InsightFace's probed `input_mean`: 0 when the graph normalises itself (Sub and Mul first), else 127.5. */
  get inputMean(): number { return this.spec.norm.mean; }
  /** InsightFace's probed `input_std`: 1 when the graph normalises itself, else 127.5. */
  get inputStd(): number { return this.spec.norm.std; }

  /** InsightFace's `prepare(ctx_id)`: nothing to set for a recognizer (the backend was chosen at load); returns this. */
  prepare(): this { return this; }

  /**
   * InsightFace's `get(img, face)`: aligns the face on its five keypoints (norm_crop), embeds the crop, sets
   * `face.embedding` (float32, not normalised) and returns it. Throws ImageError for an input that is not an image,
   * PipelineOptionError for a face without five finite keypoints, or with five equal ones (no alignment).
   */
  async get(image: ImageInput, face: Face): Promise<Float32Array> {
    const target = requireAlignableKps(face, 'ArcFace');
    const img = await loadImage(image);
    await this.annotate(img, [target], this.pre);
    return target.embedding!;
  }

  /**
   * InsightFace's `get_feat(imgs)`: embeddings of already aligned crops (e.g. 112×112 face photos), one per crop, in
   * one forward pass when the model's batch is dynamic. A crop of another size is resized to the input size
   * (bilinear, as `cv2.dnn.blobFromImages` does). Throws ImageError for an input that is not an image.
   */
  async getFeat(crops: ImageInput | readonly ImageInput[]): Promise<Float32Array[]> {
    const list: readonly ImageInput[] = Array.isArray(crops) ? crops : [crops as ImageInput];
    if (list.length === 0) return [];
    const size = this.spec.size;
    const images: BgrImage[] = [];
    for (const crop of list) {
      const img = await loadImage(crop);
      images.push(img.width === size && img.height === size ? img : resizeBilinear(img, size, size));
    }
    return forwardBatch(this.spec, blobFromImages(images, this.spec.norm));
  }

  /**
   * InsightFace's `compute_sim(feat1, feat2)`: cosine similarity of two embeddings (float32), e.g. two
   * `face.embedding`s. Throws PipelineOptionError when the lengths differ or either is empty.
   */
  computeSim(a: ArrayLike<number>, b: ArrayLike<number>): number {
    if (!a || !b || typeof a.length !== 'number' || typeof b.length !== 'number') throw new PipelineOptionError('embedding', 'computeSim needs two embeddings');
    if (a.length === 0 || a.length !== b.length) throw new PipelineOptionError('embedding', `lengths ${a.length} and ${b.length} differ or are empty`);
    return computeSim(a, b);
  }

  /** Releases the session (its backend and compiled plans); the model cannot run afterwards. */
  async release(): Promise<void> {
    await this.spec.session.release();
  }

  /** FaceAnalysis's entry point: every face's embedding from one batched crop pass. @internal */
  async annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void> {
    const work = this.headWork(faces);
    work.apply(await runHead(this.spec, pre, image, work.transforms, timer));
  }

  /** The aligned crops for `faces` and what writes their embeddings (see FaceModel.headWork). @internal */
  headWork(faces: readonly Face[]): HeadWork {
    const transforms = faces.map((f) => {
      if (!f.kps) throw new ModelContractError(this.taskname, 'needs the five keypoints; this face has none (a detector without keypoint outputs gives none)');
      return estimateNorm(f.kps, this.spec.size);
    });
    return { spec: this.spec, transforms, apply: (rows) => faces.forEach((f, i) => { f.embedding = rows[i]; }) };
  }
}
