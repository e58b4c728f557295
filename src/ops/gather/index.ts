import { implement, type OpFamily } from '../kernel/op-family.js';
import { gather } from './cpu.js';
import { gatherGpu } from './gpu.js';

export type { GatherParams } from './cpu.js';
export { gather, gatherGpu };

export const gatherFamily: OpFamily = { name: 'gather', implementations: [implement(gather, gatherGpu)] };
