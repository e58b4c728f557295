import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { elementCount, nodeLabel, toNumbers, type Node } from '../../core/ir.js';
import { attrInt, attrInts, normalizeAxis, refuseLaterAttributes, refuseRemovedAttributes } from '../kernel/attributes.js';
import type { OpModule, ResolveContext } from '../kernel/op-module.js';

/** Reshape, Flatten, Squeeze and Unsqueeze only re-label dims: the data are shared, never copied. */
export interface ReshapeParams {
  readonly dims: readonly number[];
}

function fail(node: Node, why: string): never {
  throw new GraphError(why, nodeLabel(node), node.opType);
}

function constantInts(ctx: ResolveContext, i: number, what: string): number[] {
  const c = ctx.constants[i];
  if (c === undefined) throw new UnsupportedOpError(ctx.node.opType, nodeLabel(ctx.node), `${what} must be known at load time`);
  return toNumbers(c);
}

function axesOf(ctx: ResolveContext): number[] | undefined {
  if (ctx.opset >= 13) {
    refuseRemovedAttributes(ctx.node, ctx.opset, 13, ['axes']);
    return ctx.node.inputs[1] ? constantInts(ctx, 1, 'axes') : undefined;
  }
  const a = attrInts(ctx.node, 'axes');
  return a ? [...a] : undefined;
}

function reshapeDims(ctx: ResolveContext): number[] {
  const { node } = ctx;
  const inDims = ctx.inputs[0]!.dims;
  const total = elementCount(inDims);
  switch (node.opType) {
    case 'Reshape': {
      const target = constantInts(ctx, 1, 'the target shape');
      refuseLaterAttributes(node, ctx.opset, 14, ['allowzero']);
      const allowZero = attrInt(node, 'allowzero', 0) === 1;
      const dims = target.map((d, i) => (d === 0 && !allowZero ? (i < inDims.length ? inDims[i]! : fail(node, `0 at axis ${i} beyond input rank`)) : d));
      const inferred = dims.filter((d) => d === -1).length;
      if (inferred > 1) fail(node, `more than one -1 in shape ${JSON.stringify(target)}`);
      if (dims.some((d) => d < -1)) fail(node, `invalid dim in shape ${JSON.stringify(target)}`);
      if (inferred === 1) {
        const known = dims.reduce((a, d) => (d === -1 ? a : a * d), 1);
        if (known === 0 || total % known !== 0) fail(node, `cannot reshape ${JSON.stringify(inDims)} into ${JSON.stringify(target)}`);
        dims[dims.indexOf(-1)] = total / known;
      }
      if (elementCount(dims) !== total) fail(node, `cannot reshape ${JSON.stringify(inDims)} (${total} elements) into ${JSON.stringify(dims)}`);
      return dims;
    }
    case 'Flatten': {
      const axis = attrInt(node, 'axis', 1);
      // Flatten takes a negative axis from opset 11; before, onnxruntime's checker refuses one.
      if (axis < 0 && ctx.opset < 11) fail(node, `negative axis ${axis} needs opset 11, the model has ${ctx.opset}`);
      const a = axis < 0 ? axis + inDims.length : axis;
      if (a < 0 || a > inDims.length) fail(node, `axis ${axis} out of range for rank ${inDims.length}`);
      return [elementCount(inDims.slice(0, a)), elementCount(inDims.slice(a))];
    }
    case 'Squeeze': {
      const axes = axesOf(ctx);
      if (axes === undefined) return inDims.filter((d) => d !== 1);
      const norm = axes.map((a) => normalizeAxis(node, a, inDims.length));
      for (const a of norm) if (inDims[a] !== 1) fail(node, `cannot squeeze axis ${a} of size ${inDims[a]}`);
      return inDims.filter((_, i) => !norm.includes(i));
    }
    case 'Unsqueeze': {
      const axes = axesOf(ctx);
      if (axes === undefined) fail(node, 'axes are required');
      const rank = inDims.length + axes.length;
      const norm = axes.map((a) => normalizeAxis(node, a, rank));
      if (new Set(norm).size !== norm.length) fail(node, 'duplicate axes');
      const out: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : inDims[j++]!);
      return out;
    }
    default:
      throw new UnsupportedOpError(node.opType, nodeLabel(node));
  }
}

export const reshape: OpModule<ReshapeParams> = {
  opTypes: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'],
  resolve(ctx) {
    const dims = reshapeDims(ctx);
    return { params: { dims }, outputs: [{ type: ctx.inputs[0]!.type, dims }] };
  },
  cpu(params, inputs) {
    const x = inputs[0]!;
    return [{ type: x.type, dims: params.dims, data: x.data }];
  },
};
