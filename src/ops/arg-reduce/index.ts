import { implement, type OpFamily } from '../kernel/op-family.js';
import { argReduce } from './cpu.js';

export type { ArgReduceParams } from './cpu.js';
export { argReduce };

export const argReduceFamily: OpFamily = {
  name: 'arg-reduce',
  implementations: [implement(argReduce, undefined, {
    opTypes: ['ArgMax', 'ArgMin'],
    why: 'their output is int64 indices, which the GPU plans cannot store (no 32-bit word); a head reads them on the CPU',
  })],
};
