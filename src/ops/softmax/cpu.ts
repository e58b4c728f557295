import { UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel } from '../../core/ir.js';
import { attrInt, normalizeAxis } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

/**
 * Softmax or LogSoftmax as `outer` × `n` × `inner`: each of the outer·inner rows of n elements (stride `inner`) is
 * normalised on its own. Before opset 13 the input is coerced to 2-D at `axis`, so a row is every element from
 * `axis` on (inner = 1); from 13 a row runs along `axis` alone.
 */
export interface SoftmaxParams {
  readonly log: boolean;
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

const product = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/**
 * One row, numerically stable: the row's maximum is subtracted before exp, so no finite input overflows. A row holding
 * NaN or +∞, or only −∞, gives NaN throughout (x − max is NaN there), as onnxruntime does.
 */
function row(log: boolean, src: ArrayLike<number>, dst: { [i: number]: number }, start: number, n: number, step: number): void {
  let max = -Infinity;
  for (let k = 0, at = start; k < n; k++, at += step) max = Math.max(max, src[at]!);
  let sum = 0;
  for (let k = 0, at = start; k < n; k++, at += step) sum += Math.exp(src[at]! - max);
  if (log) {
    const logSum = Math.log(sum);
    for (let k = 0, at = start; k < n; k++, at += step) dst[at] = src[at]! - max - logSum;
  } else {
    for (let k = 0, at = start; k < n; k++, at += step) dst[at] = Math.exp(src[at]! - max) / sum;
  }
}

export const softmax: OpModule<SoftmaxParams> = {
  opTypes: ['Softmax', 'LogSoftmax'],
  resolve(ctx) {
    const { node } = ctx;
    const x = ctx.inputs[0]!;
    if (x.type !== 'float32' && x.type !== 'float64') throw new UnsupportedOpError(node.opType, nodeLabel(node), `type ${x.type}`);
    const rank = x.dims.length;
    const modern = ctx.opset >= 13;
    const raw = attrInt(node, 'axis', modern ? -1 : 1);
    const axis = normalizeAxis(node, raw, rank);
    const params: SoftmaxParams = modern
      ? { log: node.opType === 'LogSoftmax', outer: product(x.dims.slice(0, axis)), n: x.dims[axis]!, inner: product(x.dims.slice(axis + 1)) }
      : { log: node.opType === 'LogSoftmax', outer: product(x.dims.slice(0, axis)), n: product(x.dims.slice(axis)), inner: 1 };
    return { params, outputs: [{ type: x.type, dims: x.dims }] };
  },
  cpu(p, inputs, outputs) {
    const x = inputs[0]!;
    const out = makeTensor(outputs[0]!.type, outputs[0]!.dims);
    const src = x.data as ArrayLike<number>;
    const dst = out.data as unknown as { [i: number]: number };
    for (let o = 0; o < p.outer; o++) {
      for (let i = 0; i < p.inner; i++) row(p.log, src, dst, o * p.n * p.inner + i, p.n, p.inner);
    }
    return [out];
  },
};
