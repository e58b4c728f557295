import { GraphError } from '../../core/errors.js';
import { elementCount, nodeLabel } from '../../core/ir.js';
import { attrInt, normalizeAxis } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

export interface ConcatParams {
  readonly axis: number;
  readonly outDims: readonly number[];
}

export const concat: OpModule<ConcatParams> = {
  opTypes: ['Concat'],
  resolve(ctx) {
    const inputs = ctx.inputs.filter((v) => v !== undefined);
    const first = inputs[0];
    if (!first) throw new GraphError('needs at least one input', nodeLabel(ctx.node), 'Concat');
    const rank = first.dims.length;
    const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), rank);
    const outDims = [...first.dims];
    outDims[axis] = 0;
    for (const v of inputs) {
      const ok = v.dims.length === rank && v.type === first.type && v.dims.every((d, i) => i === axis || d === first.dims[i]);
      if (!ok) throw new GraphError(`inputs ${inputs.map((x) => JSON.stringify(x.dims)).join(', ')} do not agree outside axis ${axis}`, nodeLabel(ctx.node), 'Concat');
      outDims[axis]! += v.dims[axis]!;
    }
    return { params: { axis, outDims }, outputs: [{ type: first.type, dims: outDims }] };
  },
  cpu(params, inputs, outputs) {
    const out = makeTensor(outputs[0]!.type, params.outDims);
    const outer = elementCount(params.outDims.slice(0, params.axis));
    const inner = elementCount(params.outDims.slice(params.axis + 1));
    const rowOut = params.outDims[params.axis]! * inner;
    let offset = 0;
    for (const x of inputs) {
      if (!x) continue;
      const row = x.dims[params.axis]! * inner;
      const dst = out.data as unknown as { set(a: ArrayLike<number>, o: number): void };
      for (let o = 0; o < outer; o++) {
        dst.set((x.data as unknown as Float32Array).subarray(o * row, (o + 1) * row), o * rowOut + offset);
      }
      offset += row;
    }
    return [out];
  },
};
