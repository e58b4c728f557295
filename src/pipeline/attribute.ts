import type { InferenceSession } from '../session/session.js';
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
import { CpuPreprocessor, type Preprocessor } from './preprocess/preprocessor.js';
import type { StageTimer } from './stage-timer.js';
import { roundHalfEven } from './rounding.js';

/** Genderage's `get` result, Python's `(gender, age)`: gender 0 = female, 1 = male; age in years. */
export type GenderAge = readonly [gender: number, age: number];

/** InsightFace's Attribute: box-centred crop → gender and age (3 outputs) or a raw attribute vector. */
export class AttributeModel implements FaceModel {
  /** `genderage` (3 outputs), else `attribute_<n>`. */
  readonly taskname: string;
  private readonly spec: HeadSpec;
  private readonly pre = new CpuPreprocessor();

  /** An attribute model over a compiled session with the probed normalisation (getModel builds one from a file). */
  constructor(session: InferenceSession, norm: Normalisation, options: HeadOptions = {}) {
    const k = session.outputMetadata[0]?.shape[1];
    if (typeof k !== 'number') throw new ModelContractError('attribute', `output shape ${JSON.stringify(session.outputMetadata[0]?.shape)} has no numeric dim 1`);
    this.taskname = k === 3 ? 'genderage' : `attribute_${k}`;
    this.spec = headSpec(this.taskname, session, norm, options);
  }

  /** The crop side (InsightFace's `input_size[0]`; 96). */
  get inputSize(): number { return this.spec.size; }
  /** InsightFace's probed `input_mean`: 0 when the graph normalises itself, else 127.5. */
  get inputMean(): number { return this.spec.norm.mean; }
  /** InsightFace's probed `input_std`: 1 when the graph normalises itself, else 128. */
  get inputStd(): number { return this.spec.norm.std; }

  /** InsightFace's `prepare(ctx_id)`: nothing to set (the backend was chosen at load); returns this. */
  prepare(): this { return this; }

  /**
   * InsightFace's `get(img, face)`: crops around `face.bbox` and, for genderage, sets `face.gender` and `face.age`
   * and returns `[gender, age]`; another attribute model returns its raw output vector (also kept in `face.extra`
   * under the taskname). Throws ImageError for an input that is not an image, PipelineOptionError for a face
   * without a finite bbox or with a zero-size one.
   */
  async get(image: ImageInput, face: Face): Promise<GenderAge | Float32Array> {
    const target = requireCroppableBbox(face, this.taskname);
    const img = await loadImage(image);
    await this.annotate(img, [target], this.pre);
    if (this.taskname === 'genderage') return [target.gender!, target.age!];
    return target.extra.get(this.taskname)!;
  }

  /** Releases the session (its backend and compiled plans); the model cannot run afterwards. */
  async release(): Promise<void> {
    await this.spec.session.release();
  }

  /** FaceAnalysis's entry point: every face's attributes from one batched crop pass. @internal */
  async annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void> {
    const work = this.headWork(faces);
    work.apply(await runHead(this.spec, pre, image, work.transforms, timer));
  }

  /** The crops for `faces` and what writes their attributes (see FaceModel.headWork). @internal */
  headWork(faces: readonly Face[]): HeadWork {
    return { spec: this.spec, transforms: faces.map((f) => boxCropTransform(f.bbox, this.spec.size)), apply: (rows) => this.applyRows(faces, rows) };
  }

  private applyRows(faces: readonly Face[], rows: readonly Float32Array[]): void {
    faces.forEach((face, i) => {
      const pred = rows[i]!;
      if (this.taskname !== 'genderage') {
        face.extra.set(this.taskname, pred);
        return;
      }
      const { gender, age } = decodeGenderAge(pred);
      face.gender = gender;
      face.age = age;
    });
  }
}

/** gender = argmax of the first two values (first wins a tie; 1 = male), age = round-half-even(p₂ · 100). */
export function decodeGenderAge(pred: ArrayLike<number>): { gender: number; age: number } {
  return { gender: pred[1]! > pred[0]! ? 1 : 0, age: roundHalfEven(pred[2]! * 100) };
}
