import { implement, type OpFamily } from '../kernel/op-family.js';
import { slice } from './cpu.js';
import { sliceGpu } from './gpu.js';

export type { SliceParams } from './cpu.js';
export { slice, sliceGpu };

export const sliceFamily: OpFamily = { name: 'slice', implementations: [implement(slice, sliceGpu)] };
