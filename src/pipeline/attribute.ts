import type { InferenceSession } from '../session/session.js';
import type { Normalisation } from './preprocess/blob.js';
import { boxCropTransform } from './crop-transform.js';
import { ModelContractError } from './errors.js';
import type { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import { headSpec, runHead, type HeadSpec } from './head-model.js';
import type { BgrImage } from './image.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { StageTimer } from './stage-timer.js';
import { roundHalfEven } from './rounding.js';

/** InsightFace's Attribute: box-centred crop → gender and age (3 outputs) or a raw attribute vector. */
export class AttributeModel implements FaceModel {
  readonly taskname: string;
  private readonly spec: HeadSpec;

  constructor(session: InferenceSession, norm: Normalisation) {
    const k = session.outputMetadata[0]?.shape[1];
    if (typeof k !== 'number') throw new ModelContractError('attribute', `output shape ${JSON.stringify(session.outputMetadata[0]?.shape)} has no numeric dim 1`);
    this.taskname = k === 3 ? 'genderage' : `attribute_${k}`;
    this.spec = headSpec(this.taskname, session, norm);
  }

  get inputSize(): number { return this.spec.size; }
  get inputMean(): number { return this.spec.norm.mean; }
  get inputStd(): number { return this.spec.norm.std; }

  async annotate(image: BgrImage, faces: readonly Face[], pre: Preprocessor, timer?: StageTimer): Promise<void> {
    const rows = await runHead(this.spec, pre, image, faces.map((f) => boxCropTransform(f.bbox, this.spec.size)), timer);
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
