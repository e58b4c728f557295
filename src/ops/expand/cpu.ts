import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { elementCount, nodeLabel, toNumbers, type TensorData } from '../../core/ir.js';
import { broadcastShapes } from '../kernel/broadcast.js';
import { makeTensor, stridesOf } from '../kernel/tensor-util.js';
import type { OpModule, ResolveContext } from '../kernel/op-module.js';

/**
 * Expand or Tile as a gather: output coordinate c along axis a reads input coordinate (c mod inDims[a]). For Expand
 * inDims[a] is 1 or the output's extent (broadcast), for Tile the output is `repeats` copies, so one rule serves both.
 * `inDims` is the input's shape padded with leading 1s to the output's rank.
 */
export interface RepeatParams {
  readonly inDims: readonly number[];
  readonly outDims: readonly number[];
}

/** The shape or repeats input, which fixes the output's shape: known at load, as the plans are made per shape. */
function loadTimeInts(ctx: ResolveContext, i: number, what: string): number[] {
  const c: TensorData | undefined = ctx.constants[i];
  if (!ctx.node.inputs[i]) throw new GraphError(`the ${what} input is missing`, nodeLabel(ctx.node), ctx.node.opType);
  if (c === undefined) throw new UnsupportedOpError(ctx.node.opType, nodeLabel(ctx.node), `${what} must be known at load time`);
  if (c.dims.length !== 1) throw new GraphError(`${what} must be 1-D, got shape ${JSON.stringify(c.dims)}`, nodeLabel(ctx.node), ctx.node.opType);
  return toNumbers(c);
}

function gatherCopy(p: RepeatParams, x: TensorData, out: TensorData): TensorData {
  const total = elementCount(p.outDims);
  if (total === 0) return out;
  const rank = p.outDims.length;
  const inStrides = stridesOf(p.inDims);
  const src = x.data as unknown as ArrayLike<number | bigint>;
  const dst = out.data as unknown as { [i: number]: number | bigint };
  const counter = new Array<number>(rank).fill(0);
  for (let i = 0; i < total; i++) {
    let at = 0;
    for (let a = 0; a < rank; a++) at += (counter[a]! % p.inDims[a]!) * inStrides[a]!;
    dst[i] = src[at]!;
    for (let a = rank - 1; a >= 0; a--) {
      if (++counter[a]! < p.outDims[a]!) break;
      counter[a] = 0;
    }
  }
  return out;
}

export const expand: OpModule<RepeatParams> = {
  opTypes: ['Expand'],
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    const shape = loadTimeInts(ctx, 1, 'shape');
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new GraphError(`shape ${JSON.stringify(shape)} holds a negative or non-integer extent`, nodeLabel(ctx.node), 'Expand');
    // Bidirectional: a 1 in `shape` keeps the input's extent, as numpy broadcasting does.
    const outDims = broadcastShapes(ctx.node, [x.dims, shape]);
    const inDims = [...new Array<number>(outDims.length - x.dims.length).fill(1), ...x.dims];
    return { params: { inDims, outDims }, outputs: [{ type: x.type, dims: outDims }] };
  },
  cpu(p, inputs, outputs) {
    return [gatherCopy(p, inputs[0]!, makeTensor(outputs[0]!.type, p.outDims))];
  },
};

export const tile: OpModule<RepeatParams> = {
  opTypes: ['Tile'],
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    const repeats = loadTimeInts(ctx, 1, 'repeats');
    if (repeats.length !== x.dims.length) throw new GraphError(`${repeats.length} repeats for a rank-${x.dims.length} input`, nodeLabel(ctx.node), 'Tile');
    if (!repeats.every((r) => Number.isSafeInteger(r) && r >= 0)) throw new GraphError(`repeats ${JSON.stringify(repeats)} hold a negative or non-integer count`, nodeLabel(ctx.node), 'Tile');
    const outDims = x.dims.map((d, a) => d * repeats[a]!);
    return { params: { inDims: x.dims, outDims }, outputs: [{ type: x.type, dims: outDims }] };
  },
  cpu(p, inputs, outputs) {
    return [gatherCopy(p, inputs[0]!, makeTensor(outputs[0]!.type, p.outDims))];
  },
};
