import { implement, type OpFamily } from '../kernel/op-family.js';
import { reshape } from './cpu.js';
import { reshapeGpu } from './gpu.js';

export type { ReshapeParams } from './cpu.js';
export { reshape, reshapeGpu };

export const reshapeFamily: OpFamily = { name: 'reshape', implementations: [implement(reshape, reshapeGpu)] };
