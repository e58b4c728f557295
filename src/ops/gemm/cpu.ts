import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel } from '../../core/ir.js';
import { attrFloat, attrInt } from '../kernel/attributes.js';
import { broadcastIndex, broadcastShapes } from '../kernel/broadcast.js';
import { applyEpilogue } from '../epilogue/cpu.js';
import { type Epilogue } from '../epilogue/params.js';
import { gemmAccumulate, gemmResidentAccumulate, residentB } from '../tiled-gemm/cpu.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';
import { isConstantTensor } from '../kernel/constant-tensors.js';

/** Gemm: Y = alpha·op(A)·op(B) + beta·C, with C broadcast to [M, N]; epilogue as for Conv. */
export interface GemmParams {
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly cDims: readonly number[] | undefined;
  readonly epilogue: Epilogue;
}

/**
 * Transposed copies of constant transB weights: a plan constant's (isConstantTensor) is transposed once, not on
 * every run; a B fed or computed at run time (whose pooled buffer may be refilled between runs) is transposed afresh.
 */
const transposedB = new WeakMap<object, Float32Array>();

export const gemm: OpModule<GemmParams> = {
  opTypes: ['Gemm'],
  resolve(ctx) {
    const { node } = ctx;
    const a = ctx.inputs[0];
    const b = ctx.inputs[1];
    if (!a || !b || a.dims.length !== 2 || b.dims.length !== 2) {
      throw new GraphError(`A and B must be 2-D, got ${JSON.stringify(a?.dims)} and ${JSON.stringify(b?.dims)}`, nodeLabel(node), 'Gemm');
    }
    // Every operand: a float16 B or C (raw bits) beside a float32 A would be read as numbers otherwise.
    const other = ctx.inputs.find((t) => t !== undefined && t.type !== 'float32');
    if (other) throw new UnsupportedOpError('Gemm', nodeLabel(node), `type ${other.type}`);
    const transA = attrInt(node, 'transA', 0) === 1;
    const transB = attrInt(node, 'transB', 0) === 1;
    const m = transA ? a.dims[1]! : a.dims[0]!;
    const k = transA ? a.dims[0]! : a.dims[1]!;
    const kb = transB ? b.dims[1]! : b.dims[0]!;
    const n = transB ? b.dims[0]! : b.dims[1]!;
    if (k !== kb) throw new GraphError(`inner dims differ: A ${JSON.stringify(a.dims)}, B ${JSON.stringify(b.dims)}`, nodeLabel(node), 'Gemm');
    const c = ctx.inputs[2];
    if (c) broadcastShapes(node, [c.dims, [m, n]]);
    if (c && c.dims.length > 2) throw new GraphError(`C rank ${c.dims.length} > 2`, nodeLabel(node), 'Gemm');
    return {
      params: { transA, transB, alpha: attrFloat(node, 'alpha', 1), beta: attrFloat(node, 'beta', 1), m, n, k, cDims: c?.dims, epilogue: { kind: 'none' } },
      outputs: [{ type: 'float32', dims: [m, n] }],
    };
  },
  cpu(p, inputs, outputs) {
    const out = makeTensor('float32', outputs[0]!.dims);
    const y = out.data as Float32Array;
    const a = contiguous(inputs[0]!.data as Float32Array, p.transA, p.m, p.k);
    const constant = isConstantTensor(inputs[1]);
    const bData = inputs[1]!.data as Float32Array;
    // A constant B lives in the WebAssembly memory in the kernel's layout (made on the first run); any other B, or
    // one the SIMD kernels cannot hold, is copied in by gemmAccumulate on every call.
    const resident = constant ? residentB(inputs[1]!, bData, p.transB, p.k, p.n) : null;
    const c = inputs[2];
    // The usual bias (C of n values or a whole m×n, alpha = beta = 1) is copied into Y before the product adds to it:
    // native copies instead of a broadcast index built and walked element by element in JS each run, which cost a
    // 3309-wide head most of its Gemm's time in a model run only a few times.
    const prefilled = c !== undefined && p.alpha === 1 && p.beta === 1 && prefillBias(c.data as Float32Array, c.dims, p.m, p.n, y);
    if (resident) gemmResidentAccumulate(resident, a, 0, p.k, y, 0, p.n, p.m);
    else gemmAccumulate(a, 0, p.k, weightB(bData, p.transB, p.k, p.n, constant), 0, p.n, y, 0, p.n, p.m, p.n, p.k);
    if (p.alpha !== 1) for (let i = 0; i < y.length; i++) y[i] = y[i]! * p.alpha;
    if (c && p.beta !== 0 && !prefilled) {
      const index = broadcastIndex(c.dims, [p.m, p.n]);
      const cd = c.data as Float32Array;
      for (let i = 0; i < y.length; i++) y[i] += p.beta * cd[index ? index[i]! : i]!;
    }
    applyEpilogue(p.epilogue, y, p.n, 1, inputs[3]);
    return [out];
  },
};

/**
 * Writes C into the m×n output when it is n values broadcast over rows (dims [n] or [1, n]) or the whole m×n, and
 * says whether it did; other broadcasts are left to the general loop.
 */
function prefillBias(c: Float32Array, dims: readonly number[], m: number, n: number, y: Float32Array): boolean {
  const size = dims.reduce((a, d) => a * d, 1);
  const last = dims.length === 0 ? 1 : dims[dims.length - 1]!;
  if (size === m * n && (dims.length < 2 || dims[0] === m)) {
    y.set(c.subarray(0, m * n));
    return true;
  }
  if (size === n && last === n) {
    for (let i = 0; i < m; i++) y.set(c.subarray(0, n), i * n);
    return true;
  }
  return false;
}

/** B as a row-major k×n matrix: a constant's transposed copy is made once and kept. */
function weightB(b: Float32Array, transposed: boolean, k: number, n: number, constant: boolean): Float32Array {
  if (!transposed || !constant) return contiguous(b, transposed, k, n);
  let t = transposedB.get(b);
  if (!t || t.length !== k * n) transposedB.set(b, (t = contiguous(b, true, k, n)));
  return t;
}

/** Returns `x` as a row-major rows×cols matrix, transposing a stored cols×rows one when asked. */
function contiguous(x: Float32Array, transposed: boolean, rows: number, cols: number): Float32Array {
  if (!transposed) return x;
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[r * cols + c] = x[c * rows + r]!;
  return t;
}

/** MatMul with numpy semantics: 1-D operands promoted, batch dims broadcast. */
export interface MatMulParams {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batchDims: readonly number[];
  readonly aBatchDims: readonly number[];
  readonly bBatchDims: readonly number[];
}

export const matMul: OpModule<MatMulParams> = {
  opTypes: ['MatMul'],
  resolve(ctx) {
    const { node } = ctx;
    const a = ctx.inputs[0]!;
    const b = ctx.inputs[1]!;
    if (a.type !== 'float32' || b.type !== 'float32') throw new UnsupportedOpError('MatMul', nodeLabel(node), `type ${a.type}`);
    if (a.dims.length === 0 || b.dims.length === 0) throw new GraphError('scalar operands', nodeLabel(node), 'MatMul');
    const aD = a.dims.length === 1 ? [1, a.dims[0]!] : [...a.dims];
    const bD = b.dims.length === 1 ? [b.dims[0]!, 1] : [...b.dims];
    const m = aD[aD.length - 2]!;
    const k = aD[aD.length - 1]!;
    const n = bD[bD.length - 1]!;
    if (bD[bD.length - 2] !== k) throw new GraphError(`inner dims differ: ${JSON.stringify(a.dims)} × ${JSON.stringify(b.dims)}`, nodeLabel(node), 'MatMul');
    const aBatchDims = aD.slice(0, -2);
    const bBatchDims = bD.slice(0, -2);
    const batchDims = broadcastShapes(node, [aBatchDims, bBatchDims]);
    const outDims = [...batchDims];
    if (a.dims.length > 1) outDims.push(m);
    if (b.dims.length > 1) outDims.push(n);
    return { params: { m, n, k, batchDims, aBatchDims, bBatchDims }, outputs: [{ type: 'float32', dims: outDims }] };
  },
  cpu(p, inputs, outputs) {
    const out = makeTensor('float32', outputs[0]!.dims);
    const y = out.data as Float32Array;
    const aIndex = broadcastIndex(p.aBatchDims, p.batchDims);
    const bIndex = broadcastIndex(p.bBatchDims, p.batchDims);
    const batches = p.batchDims.reduce((x, d) => x * d, 1);
    const a = inputs[0]!.data as Float32Array;
    const b = inputs[1]!.data as Float32Array;
    // A constant 2-D B (a weight, shared by every batch) lives in the WebAssembly memory as Gemm's does; a batched
    // or run-time B is copied in by gemmAccumulate on every call.
    const resident = p.bBatchDims.length === 0 && isConstantTensor(inputs[1]) ? residentB(inputs[1]!, b, false, p.k, p.n) : null;
    for (let i = 0; i < batches; i++) {
      const ai = aIndex ? aIndex[i]! : i;
      const bi = bIndex ? bIndex[i]! : i;
      if (resident) gemmResidentAccumulate(resident, a, ai * p.m * p.k, p.k, y, i * p.m * p.n, p.n, p.m);
      else gemmAccumulate(a, ai * p.m * p.k, p.k, b, bi * p.k * p.n, p.n, y, i * p.m * p.n, p.n, p.m, p.n, p.k);
    }
    return [out];
  },
};
