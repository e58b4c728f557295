import { implement, type OpFamily } from '../kernel/op-family.js';
import { math } from './cpu.js';
import { mathGpu } from './gpu.js';

export type { MathKind, MathParams } from './cpu.js';
export { erf, roundHalfEven } from './cpu.js';
export { math, mathGpu };

export const mathFamily: OpFamily = { name: 'math', implementations: [implement(math, mathGpu)] };
