import { implement, type OpFamily } from '../kernel/op-family.js';
import { batchNorm } from './cpu.js';
import { batchNormGpu } from './gpu.js';

export type { BatchNormParams } from './cpu.js';
export { batchNorm, batchNormGpu };

export const batchNormFamily: OpFamily = { name: 'batch-norm', implementations: [implement(batchNorm, batchNormGpu)] };
