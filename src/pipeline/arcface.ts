import type { InferenceSession } from '../session/session.js';
import { ModelContractError } from './errors.js';
import type { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import { headSpec, runHead, type HeadSpec } from './head-model.js';
import type { BgrImage } from './image.js';
import { estimateNorm } from './norm-crop.js';
import type { Normalisation } from './preprocess/blob.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { StageTimer } from './stage-timer.js';

/** ArcFaceONNX: the 5-point aligned crop (norm_crop) → identity embedding (not normalised). */
export class ArcFaceModel implements FaceModel {
  readonly taskname = 'recognition';
  private readonly spec: HeadSpec;

  constructor(session: InferenceSession, norm: Normalisation) {
    this.spec = headSpec(this.taskname, session, norm);
  }

  get inputSize(): number { return this.spec.size; }
  get inputMean(): number { return this.spec.norm.mean; }
  get inputStd(): number { return this.spec.norm.std; }

  async annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void> {
    const transforms = faces.map((f) => {
      if (!f.kps) throw new ModelContractError(this.taskname, 'needs the five keypoints; the detector has no keypoint outputs');
      return estimateNorm(f.kps, this.spec.size);
    });
    const rows = await runHead(this.spec, pre, image, transforms, timer);
    faces.forEach((f, i) => { f.embedding = rows[i]; });
  }

  /** Embeddings of already aligned crops (e.g. a 112×112 face photo): InsightFace's `get_feat`. */
  async embedAligned(images: readonly BgrImage[], pre: Preprocessor): Promise<Float32Array[]> {
    const identity = [1, 0, 0, 0, 1, 0] as const;
    for (const img of images) {
      if (img.width !== this.spec.size || img.height !== this.spec.size) {
        throw new ModelContractError(this.taskname, `aligned crops must be ${this.spec.size}×${this.spec.size}, got ${img.width}×${img.height}`);
      }
    }
    const out: Float32Array[] = [];
    for (const img of images) out.push(...(await runHead(this.spec, pre, img, [identity])));
    return out;
  }
}
