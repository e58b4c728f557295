import { implement, type OpFamily } from '../kernel/op-family.js';
import { expand, tile } from './cpu.js';
import { repeatGpu } from './gpu.js';

export type { RepeatParams } from './cpu.js';
export { expand, repeatGpu, tile };

export const expandFamily: OpFamily = { name: 'expand', implementations: [implement(expand, repeatGpu), implement(tile, repeatGpu)] };
