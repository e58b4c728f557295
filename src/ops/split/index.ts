import { implement, type OpFamily } from '../kernel/op-family.js';
import { split } from './cpu.js';
import { splitGpu } from './gpu.js';

export type { SplitParams } from './cpu.js';
export { split, splitGpu };

export const splitFamily: OpFamily = { name: 'split', implementations: [implement(split, splitGpu)] };
