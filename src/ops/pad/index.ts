import { implement, type OpFamily } from '../kernel/op-family.js';
import { pad } from './cpu.js';
import { padGpu } from './gpu.js';

export type { PadMode, PadParams } from './cpu.js';
export { pad, padGpu };

export const padFamily: OpFamily = { name: 'pad', implementations: [implement(pad, padGpu)] };
