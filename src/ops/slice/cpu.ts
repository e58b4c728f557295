import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel, toNumbers } from '../../core/ir.js';
import { attrInts, normalizeAxis, refuseRemovedAttributes } from '../kernel/attributes.js';
import { makeTensor, stridesOf } from '../kernel/tensor-util.js';
import type { OpModule, ResolveContext } from '../kernel/op-module.js';

export interface SliceParams {
  readonly inDims: readonly number[];
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  readonly outDims: readonly number[];
}

function ints(ctx: ResolveContext, i: number, what: string): number[] | undefined {
  if (!ctx.node.inputs[i]) return undefined;
  const c = ctx.constants[i];
  if (c === undefined) throw new UnsupportedOpError('Slice', nodeLabel(ctx.node), `${what} must be known at load time`);
  return toNumbers(c);
}

export const slice: OpModule<SliceParams> = {
  opTypes: ['Slice'],
  resolve(ctx) {
    const { node } = ctx;
    const x = ctx.inputs[0]!;
    const rank = x.dims.length;
    let starts: number[]; let ends: number[]; let axes: number[] | undefined; let steps: number[] | undefined;
    if (ctx.opset < 10) {
      starts = [...(attrInts(node, 'starts') ?? [])];
      ends = [...(attrInts(node, 'ends') ?? [])];
      const a = attrInts(node, 'axes');
      axes = a ? [...a] : undefined;
    } else {
      refuseRemovedAttributes(node, ctx.opset, 10, ['starts', 'ends', 'axes']);
      starts = ints(ctx, 1, 'starts') ?? [];
      ends = ints(ctx, 2, 'ends') ?? [];
      axes = ints(ctx, 3, 'axes');
      steps = ints(ctx, 4, 'steps');
    }
    axes ??= starts.map((_, i) => i);
    steps ??= starts.map(() => 1);
    if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length) {
      throw new GraphError('starts, ends, axes and steps differ in length', nodeLabel(node), 'Slice');
    }
    const outStarts = new Array<number>(rank).fill(0);
    const outSteps = new Array<number>(rank).fill(1);
    const outDims = [...x.dims];
    const seen = new Set<number>();
    axes.forEach((rawAxis, k) => {
      const axis = normalizeAxis(node, rawAxis, rank);
      if (seen.has(axis)) throw new GraphError(`axis ${axis} repeated`, nodeLabel(node), 'Slice');
      seen.add(axis);
      const dim = x.dims[axis]!;
      const step = steps![k]!;
      if (step === 0) throw new GraphError('step 0', nodeLabel(node), 'Slice');
      let start = starts[k]!;
      let end = ends[k]!;
      if (start < 0) start += dim;
      if (end < 0) end += dim;
      if (step > 0) {
        start = Math.min(Math.max(start, 0), dim);
        end = Math.min(Math.max(end, 0), dim);
        outDims[axis] = Math.max(0, Math.ceil((end - start) / step));
      } else {
        start = Math.min(Math.max(start, 0), dim - 1);
        end = Math.min(Math.max(end, -1), dim - 1);
        outDims[axis] = Math.max(0, Math.ceil((start - end) / -step));
      }
      outStarts[axis] = start;
      outSteps[axis] = step;
    });
    return { params: { inDims: x.dims, starts: outStarts, steps: outSteps, outDims }, outputs: [{ type: x.type, dims: outDims }] };
  },
  cpu(params, inputs, outputs) {
    const x = inputs[0]!;
    const out = makeTensor(outputs[0]!.type, params.outDims);
    const total = out.data.length;
    if (total === 0) return [out];
    const rank = params.outDims.length;
    const inStrides = stridesOf(params.inDims);
    const src = x.data as unknown as ArrayLike<number>;
    const dst = out.data as unknown as { [i: number]: number };
    const counter = new Array<number>(rank).fill(0);
    let base = 0;
    for (let a = 0; a < rank; a++) base += params.starts[a]! * inStrides[a]!;
    const step = params.steps.map((s, a) => s * inStrides[a]!);
    let offset = base;
    for (let i = 0; i < total; i++) {
      dst[i] = src[offset]!;
      for (let a = rank - 1; a >= 0; a--) {
        counter[a]!++;
        offset += step[a]!;
        if (counter[a]! < params.outDims[a]!) break;
        offset -= step[a]! * counter[a]!;
        counter[a] = 0;
      }
    }
    return [out];
  },
};
