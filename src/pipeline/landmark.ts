import type { InferenceSession } from '../session/session.js';
import { invertAffine } from './affine.js';
import type { Normalisation } from './preprocess/blob.js';
import { boxCropTransform } from './crop-transform.js';
import { ModelContractError } from './errors.js';
import type { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import { headSpec, runHead, type HeadSpec } from './head-model.js';
import type { BgrImage } from './image.js';
import { estimatePose } from './pose.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { StageTimer } from './stage-timer.js';

const f32 = Math.fround;

/** InsightFace's Landmark: box-centred crop → 2-D (e.g. 106) or 3-D 68 points in image coordinates (+ pose for 3-D). */
export class LandmarkModel implements FaceModel {
  readonly taskname: string;
  readonly dims: 2 | 3;
  readonly points: number;
  private readonly spec: HeadSpec;

  constructor(session: InferenceSession, norm: Normalisation) {
    const k = session.outputMetadata[0]?.shape[1];
    if (typeof k !== 'number') throw new ModelContractError('landmark', `output shape ${JSON.stringify(session.outputMetadata[0]?.shape)} has no numeric dim 1`);
    // 3309 = 1103×3: the 3-D model predicts extra rows of which the last 68 are the landmarks.
    this.dims = k === 3309 ? 3 : 2;
    this.points = k === 3309 ? 68 : Math.floor(k / 2);
    this.taskname = `landmark_${this.dims}d_${this.points}`;
    this.spec = headSpec(this.taskname, session, norm);
  }

  get inputSize(): number { return this.spec.size; }
  get inputMean(): number { return this.spec.norm.mean; }
  get inputStd(): number { return this.spec.norm.std; }

  async annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void> {
    const transforms = faces.map((f) => boxCropTransform(f.bbox, this.spec.size));
    const rows = await runHead(this.spec, pre, image, transforms, timer);
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
