import { implement, type OpFamily } from '../kernel/op-family.js';
import { identity, unary } from './cpu.js';
import { identityGpu, unaryGpu } from './gpu.js';

export type { UnaryKind, UnaryParams } from './cpu.js';
export { identity, identityGpu, unary, unaryGpu };

export const unaryFamily: OpFamily = { name: 'unary', implementations: [implement(unary, unaryGpu), implement(identity, identityGpu)] };
