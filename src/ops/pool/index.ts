import { implement, type OpFamily } from '../kernel/op-family.js';
import { pool } from './cpu.js';
import { poolGpu } from './gpu.js';

export type { PoolParams } from './cpu.js';
export { pool, poolGpu };

export const poolFamily: OpFamily = { name: 'pool', implementations: [implement(pool, poolGpu)] };
