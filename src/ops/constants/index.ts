import { implement, type OpFamily } from '../kernel/op-family.js';
import { cast, constant, constantOfShape, shape } from './cpu.js';
import { castGpu } from './gpu.js';

export type { CastParams, ConstantOfShapeParams, ConstantParams, ShapeParams } from './cpu.js';
export { cast, castGpu, constant, constantOfShape, shape };

const FOLDED = 'the outputs depend only on attributes or input shapes, so they fold at load time';

export const constantsFamily: OpFamily = {
  name: 'constants',
  implementations: [
    implement(constant, undefined, { opTypes: constant.opTypes, why: FOLDED }),
    implement(shape, undefined, { opTypes: shape.opTypes, why: FOLDED }),
    implement(constantOfShape, undefined, { opTypes: constantOfShape.opTypes, why: FOLDED }),
    implement(cast, castGpu),
  ],
};
