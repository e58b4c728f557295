import { implement, type OpFamily } from '../kernel/op-family.js';
import { concat } from './cpu.js';
import { concatGpu } from './gpu.js';

export type { ConcatParams } from './cpu.js';
export { concat, concatGpu };

export const concatFamily: OpFamily = { name: 'concat', implementations: [implement(concat, concatGpu)] };
