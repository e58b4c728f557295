import { implement, type OpFamily } from '../kernel/op-family.js';
import { reduce } from './cpu.js';
import { reduceGpu } from './gpu.js';

export type { AxisGroup, ReduceKind, ReduceParams } from './cpu.js';
export { reduce, reduceGpu };

export const reduceFamily: OpFamily = { name: 'reduce', implementations: [implement(reduce, reduceGpu)] };
