import { UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel } from '../../core/ir.js';
import { attrInt, normalizeAxis, refuseLaterAttributes } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

/** ArgMax/ArgMin as `outer` × `n` × `inner`: the index along the axis of each (outer, inner) line's extreme. */
export interface ArgReduceParams {
  readonly max: boolean;
  readonly lastIndex: boolean;
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

const NUMERIC: ReadonlySet<string> = new Set(['float32', 'float64', 'int32', 'int64', 'int8', 'uint8', 'int16', 'uint16', 'uint32', 'uint64']);

export const argReduce: OpModule<ArgReduceParams> = {
  opTypes: ['ArgMax', 'ArgMin'],
  resolve(ctx) {
    const { node } = ctx;
    const x = ctx.inputs[0]!;
    if (!NUMERIC.has(x.type)) throw new UnsupportedOpError(node.opType, nodeLabel(node), `type ${x.type}`);
    refuseLaterAttributes(node, ctx.opset, 12, ['select_last_index']);
    const rank = x.dims.length;
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), rank);
    const keep = attrInt(node, 'keepdims', 1) !== 0;
    const n = x.dims[axis]!;
    // An empty axis has no extreme to index (onnxruntime refuses it too).
    if (n === 0) throw new UnsupportedOpError(node.opType, nodeLabel(node), 'an empty reduced axis');
    const dims = keep ? x.dims.map((d, a) => (a === axis ? 1 : d)) : x.dims.filter((_, a) => a !== axis);
    const product = (ds: readonly number[]): number => ds.reduce((a, d) => a * d, 1);
    return {
      params: { max: node.opType === 'ArgMax', lastIndex: attrInt(node, 'select_last_index', 0) !== 0, outer: product(x.dims.slice(0, axis)), n, inner: product(x.dims.slice(axis + 1)) },
      outputs: [{ type: 'int64', dims }],
    };
  },
  cpu(p, inputs, outputs) {
    const src = inputs[0]!.data as unknown as ArrayLike<number | bigint>;
    const out = makeTensor('int64', outputs[0]!.dims);
    const dst = out.data as BigInt64Array;
    for (let o = 0; o < p.outer; o++) {
      for (let i = 0; i < p.inner; i++) {
        const start = o * p.n * p.inner + i;
        let best = src[start]!;
        let at = 0;
        for (let k = 1; k < p.n; k++) {
          const v = src[start + k * p.inner]!;
          // Ties keep the first index, or move to the last with select_last_index.
          const better = p.max ? (p.lastIndex ? v >= best : v > best) : (p.lastIndex ? v <= best : v < best);
          if (better) { best = v; at = k; }
        }
        dst[o * p.inner + i] = BigInt(at);
      }
    }
    return [out];
  },
};
