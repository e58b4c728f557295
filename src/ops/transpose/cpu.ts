import { GraphError } from '../../core/errors.js';
import { nodeLabel } from '../../core/ir.js';
import { attrInts } from '../kernel/attributes.js';
import { makeTensor, stridesOf } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

export interface TransposeParams {
  readonly perm: readonly number[];
  readonly inDims: readonly number[];
  readonly outDims: readonly number[];
}

export const transpose: OpModule<TransposeParams> = {
  opTypes: ['Transpose'],
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    const rank = x.dims.length;
    const perm = attrInts(ctx.node, 'perm') ?? [...Array(rank).keys()].reverse();
    const valid = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!valid) throw new GraphError(`perm ${JSON.stringify(perm)} is not a permutation of rank ${rank}`, nodeLabel(ctx.node), 'Transpose');
    const outDims = perm.map((p) => x.dims[p]!);
    return { params: { perm, inDims: x.dims, outDims }, outputs: [{ type: x.type, dims: outDims }] };
  },
  cpu(params, inputs, outputs) {
    const x = inputs[0]!;
    const out = makeTensor(outputs[0]!.type, params.outDims);
    const rank = params.perm.length;
    const inStrides = stridesOf(params.inDims);
    // Stride in the input for a step along each output axis.
    const step = params.perm.map((p) => inStrides[p]!);
    const dims = params.outDims;
    const src = x.data as unknown as ArrayLike<number>;
    const dst = out.data as unknown as { [i: number]: number };
    const total = out.data.length;
    if (total === 0) return [out];
    const counter = new Array<number>(rank).fill(0);
    const last = rank - 1;
    const innerStep = rank > 0 ? step[last]! : 0;
    const innerCount = rank > 0 ? dims[last]! : 1;
    let offset = 0;
    for (let i = 0; i < total; i += innerCount) {
      let o = offset;
      for (let k = 0; k < innerCount; k++, o += innerStep) dst[i + k] = src[o]!;
      for (let a = last - 1; a >= 0; a--) {
        counter[a]!++;
        offset += step[a]!;
        if (counter[a]! < dims[a]!) break;
        offset -= step[a]! * counter[a]!;
        counter[a] = 0;
      }
    }
    return [out];
  },
};
