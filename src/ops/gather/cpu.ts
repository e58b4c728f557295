import { GraphError } from '../../core/errors.js';
import { elementCount, nodeLabel, readNumber } from '../../core/ir.js';
import { attrInt, normalizeAxis } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

export interface GatherParams {
  readonly axis: number;
  readonly inDims: readonly number[];
  readonly outDims: readonly number[];
}

export const gather: OpModule<GatherParams> = {
  opTypes: ['Gather'],
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    const indices = ctx.inputs[1]!;
    const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), x.dims.length);
    const outDims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
    return { params: { axis, inDims: x.dims, outDims }, outputs: [{ type: x.type, dims: outDims }] };
  },
  cpu(params, inputs, outputs) {
    const [x, indices] = inputs as [typeof inputs[0] & object, typeof inputs[1] & object];
    const out = makeTensor(outputs[0]!.type, params.outDims);
    const outer = elementCount(params.inDims.slice(0, params.axis));
    const inner = elementCount(params.inDims.slice(params.axis + 1));
    const axisDim = params.inDims[params.axis]!;
    const count = indices.data.length;
    const src = x.data as unknown as Float32Array;
    const dst = out.data as unknown as Float32Array;
    for (let j = 0; j < count; j++) {
      let idx = readNumber(indices.data, j);
      if (idx < 0) idx += axisDim;
      if (idx < 0 || idx >= axisDim) {
        throw new GraphError(`index ${readNumber(indices.data, j)} out of range for axis of size ${axisDim}`, undefined, 'Gather');
      }
      for (let o = 0; o < outer; o++) {
        dst.set(src.subarray((o * axisDim + idx) * inner, (o * axisDim + idx + 1) * inner), (o * count + j) * inner);
      }
    }
    return [out];
  },
};
