import type { InferenceSession } from '../session/session.js';
import { invertAffine, type Affine2x3 } from './affine.js';
import type { Normalisation } from './preprocess/blob.js';
import { boxCropTransform } from './crop-transform.js';
import { ModelContractError } from './errors.js';
import type { Face } from './face.js';
import { requireCroppableBbox } from './face-input.js';
import type { FaceModel } from './face-model.js';
import type { HeadWork } from './head-group.js';
import { headSpec, runHead, type HeadSpec, type HeadOptions } from './head-model.js';
import type { BgrImage } from './image.js';
import { loadImage, type ImageInput } from './image-source.js';
import { estimatePose } from './pose.js';
import { CpuPreprocessor, type Preprocessor } from './preprocess/preprocessor.js';
import type { StageTimer } from './stage-timer.js';

const f32 = Math.fround;

/** InsightFace's Landmark: box-centred crop → 2-D (e.g. 106) or 3-D 68 points in image coordinates (+ pose for 3-D). */
export class LandmarkModel implements FaceModel {
  /** `landmark_3d_68` (the 3309-output model), else `landmark_2d_<K/2>` (e.g. `landmark_2d_106`). */
  readonly taskname: string;
  /** Values per point: 3 for the 3-D model, else 2. */
  readonly dims: 2 | 3;
  /** Number of landmarks (InsightFace's `lmk_num`). */
  readonly points: number;
  private readonly spec: HeadSpec;
  private readonly pre = new CpuPreprocessor();

  /** A landmark model over a compiled session with the probed normalisation (getModel builds one from a file). */
  constructor(session: InferenceSession, norm: Normalisation, options: HeadOptions = {}) {
    const k = session.outputMetadata[0]?.shape[1];
    if (typeof k !== 'number') throw new ModelContractError('landmark', `output shape ${JSON.stringify(session.outputMetadata[0]?.shape)} has no numeric dim 1`);
    // 3309 = 1103×3: the 3-D model predicts extra rows of which the last 68 are the landmarks.
    this.dims = k === 3309 ? 3 : 2;
    this.points = k === 3309 ? 68 : Math.floor(k / 2);
    this.taskname = `landmark_${this.dims}d_${this.points}`;
    this.spec = headSpec(this.taskname, session, norm, options);
  }

  /** The crop side (InsightFace's `input_size[0]`; 192). */
  get inputSize(): number { return this.spec.size; }
  /** InsightFace's probed `input_mean`: 0 when the graph normalises itself, else 127.5. */
  get inputMean(): number { return this.spec.norm.mean; }
  /** InsightFace's probed `input_std`: 1 when the graph normalises itself, else 128. */
  get inputStd(): number { return this.spec.norm.std; }

  /** InsightFace's `prepare(ctx_id)`: nothing to set (the backend was chosen at load); returns this. */
  prepare(): this { return this; }

  /**
   * InsightFace's `get(img, face)`: crops around `face.bbox`, predicts the landmarks in image coordinates and
   * returns them (float32, flat: 68×3 or K×2). Sets `face.landmark_3d_68` and `face.pose` (3-D model) or
   * `face.landmark_2d_106`; another point count goes to `face.extra` under the taskname. Throws ImageError for an
   * input that is not an image, PipelineOptionError for a face without a finite bbox or with a zero-size one.
   */
  async get(image: ImageInput, face: Face): Promise<Float32Array> {
    const target = requireCroppableBbox(face, this.taskname);
    const img = await loadImage(image);
    await this.annotate(img, [target], this.pre);
    const points = this.taskname === 'landmark_3d_68' ? target.landmark_3d_68 : this.taskname === 'landmark_2d_106' ? target.landmark_2d_106 : target.extra.get(this.taskname);
    return points!;
  }

  /** Releases the session (its backend and compiled plans); the model cannot run afterwards. */
  async release(): Promise<void> {
    await this.spec.session.release();
  }

  /** FaceAnalysis's entry point: every face's landmarks from one batched crop pass. @internal */
  async annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void> {
    const work = this.headWork(faces);
    work.apply(await runHead(this.spec, pre, image, work.transforms, timer));
  }

  /** The crops for `faces` and what writes their landmarks (see FaceModel.headWork). @internal */
  headWork(faces: readonly Face[]): HeadWork {
    const transforms = faces.map((f) => boxCropTransform(f.bbox, this.spec.size));
    return { spec: this.spec, transforms, apply: (rows) => this.applyRows(faces, transforms, rows) };
  }

  private applyRows(faces: readonly Face[], transforms: readonly Affine2x3[], rows: readonly Float32Array[]): void {
    faces.forEach((face, i) => {
      const points = decodeLandmarks(rows[i]!, this.points, this.spec.size, transforms[i]!);
      if (this.taskname === 'landmark_3d_68') {
        face.landmark_3d_68 = points;
        face.pose = estimatePose(points);
      } else if (this.taskname === 'landmark_2d_106') {
        face.landmark_2d_106 = points;
      } else {
        face.extra.set(this.taskname, points);
      }
    });
  }
}

/**
 * Landmark.get's decoding: rows of 3 when the vector has ≥ 3000 values (else 2), the last `points` rows,
 * (p + 1)·(S/2) in float32 (z scaled too), then back through the inverse crop transform (float64 maths,
 * float32 storage; z divided by the crop scale).
 */
export function decodeLandmarks(pred: Float32Array, points: number, size: number, crop: readonly [number, number, number, number, number, number]): Float32Array {
  const cols = pred.length >= 3000 ? 3 : 2;
  const rows = Math.floor(pred.length / cols);
  if (rows < points) throw new ModelContractError(`landmark_${cols}d_${points}`, `output has ${rows} rows, fewer than ${points}`);
  const first = rows - points;
  const half = Math.floor(size / 2);
  const im = invertAffine(crop);
  const zScale = Math.sqrt(im[0] * im[0] + im[1] * im[1]);
  const out = new Float32Array(points * cols);
  for (let p = 0; p < points; p++) {
    const at = (first + p) * cols;
    const x = f32(f32(pred[at]! + 1) * half);
    const y = f32(f32(pred[at + 1]! + 1) * half);
    out[p * cols] = im[0] * x + im[1] * y + im[2];
    out[p * cols + 1] = im[3] * x + im[4] * y + im[5];
    if (cols === 3) out[p * cols + 2] = f32(pred[at + 2]! * half) * zScale;
  }
  return out;
}
