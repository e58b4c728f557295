import { implement, type OpFamily } from '../kernel/op-family.js';
import { cast, castLike, constant, constantOfShape, shape } from './cpu.js';
import { castGpu } from './gpu.js';
import { roundToFloat16Op } from './round-float16.js';
import { roundToFloat16Gpu } from './round-float16-gpu.js';

export type { CastParams, ConstantOfShapeParams, ConstantParams, ShapeParams } from './cpu.js';
export { cast, castGpu, castLike, constant, constantOfShape, roundToFloat16Gpu, roundToFloat16Op, shape };

const FOLDED = 'the outputs depend only on attributes or input shapes, so they fold at load time';

export const constantsFamily: OpFamily = {
  name: 'constants',
  implementations: [
    implement(constant, undefined, { opTypes: constant.opTypes, why: FOLDED }),
    implement(shape, undefined, { opTypes: shape.opTypes, why: FOLDED }),
    implement(constantOfShape, undefined, { opTypes: constantOfShape.opTypes, why: FOLDED }),
    implement(cast, castGpu),
    // CastLike resolves to Cast's params (the target type read from input 1), so Cast's lowering serves it.
    implement(castLike, castGpu),
    implement(roundToFloat16Op, roundToFloat16Gpu),
  ],
};
