import { batchNorm } from './batch-norm.js';
import { binary } from './binary.js';
import { concat } from './concat.js';
import { cast, constant, constantOfShape, shape } from './constants.js';
import { conv } from './conv.js';
import { gather } from './gather.js';
import { gemm, matMul } from './gemm.js';
import { pool } from './pool.js';
import { reshape } from './reshape.js';
import { resize } from './resize.js';
import { slice } from './slice.js';
import { transpose } from './transpose.js';
import type { OpModule } from './types.js';
import { identity, unary } from './unary.js';

const MODULES: readonly OpModule<never>[] = [
  batchNorm, binary, concat, cast, constant, constantOfShape, shape, conv, gather, gemm, matMul, pool,
  reshape, resize, slice, transpose, identity, unary,
] as unknown as readonly OpModule<never>[];

const BY_OP_TYPE = new Map<string, OpModule<unknown>>();
for (const m of MODULES) for (const op of m.opTypes) BY_OP_TYPE.set(op, m as OpModule<unknown>);

/** The op module implementing an ONNX op type of the default domain, if any. */
export function findOpModule(opType: string, domain = ''): OpModule<unknown> | undefined {
  if (domain !== '' && domain !== 'ai.onnx') return undefined;
  return BY_OP_TYPE.get(opType);
}

export function supportedOpTypes(): string[] {
  return [...BY_OP_TYPE.keys()].sort();
}
