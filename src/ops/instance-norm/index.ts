import { implement, type OpFamily } from '../kernel/op-family.js';
import { instanceNorm } from './cpu.js';
import { instanceNormGpu } from './gpu.js';

export type { InstanceNormParams } from './cpu.js';
export { instanceNorm, instanceNormGpu };

export const instanceNormFamily: OpFamily = { name: 'instance-norm', implementations: [implement(instanceNorm, instanceNormGpu)] };
