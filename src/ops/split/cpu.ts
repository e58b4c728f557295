import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel, toNumbers, type Node } from '../../core/ir.js';
import { attrInt, attrInts, normalizeAxis, refuseLaterAttributes, refuseRemovedAttributes } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

/**
 * Split as `outer` × dims[axis] × `inner`: output k is the slab of `sizes[k]` coordinates along the axis from
 * `starts[k]`, copied out (each output is its own tensor).
 */
export interface SplitParams {
  readonly outer: number;
  readonly axisSize: number;
  readonly inner: number;
  readonly starts: readonly number[];
  readonly sizes: readonly number[];
}

function fail(node: Node, why: string): never {
  throw new GraphError(why, nodeLabel(node), 'Split');
}

const product = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/**
 * The chunk sizes: the `split` attribute (before 13) or input (from 13; opset 1 took either), else `num_outputs`
 * chunks (from 18) of ceil(size / n) with a smaller last one, else as many equal chunks as the node has outputs.
 */
function chunkSizes(ctx: Parameters<OpModule['resolve']>[0], size: number): number[] {
  const { node, opset } = ctx;
  const outputs = node.outputs.length;
  refuseRemovedAttributes(node, opset, 13, ['split']);
  refuseLaterAttributes(node, opset, 18, ['num_outputs']);
  let split: readonly number[] | undefined = attrInts(node, 'split');
  if (node.inputs[1]) {
    if (opset >= 2 && opset < 13) fail(node, `split is an attribute before opset 13, the model has ${opset}`);
    const c = ctx.constants[1];
    if (c === undefined) throw new UnsupportedOpError('Split', nodeLabel(node), 'split must be known at load time');
    split = toNumbers(c);
  }
  const numOutputs = node.attributes.has('num_outputs') ? attrInt(node, 'num_outputs', 0) : undefined;
  if (split !== undefined) {
    if (numOutputs !== undefined) fail(node, 'split and num_outputs are both given');
    if (split.length !== outputs) fail(node, `split ${JSON.stringify(split)} has ${split.length} sizes for ${outputs} outputs`);
    if (split.some((s) => !Number.isSafeInteger(s) || s < 0)) fail(node, `split ${JSON.stringify(split)} holds a negative or non-integer size`);
    const total = split.reduce((a, s) => a + s, 0);
    if (total !== size) fail(node, `split ${JSON.stringify(split)} sums to ${total}, the axis has ${size}`);
    return [...split];
  }
  if (numOutputs !== undefined) {
    if (numOutputs < 1 || numOutputs !== outputs) fail(node, `num_outputs ${numOutputs} for ${outputs} outputs`);
    const chunk = Math.ceil(size / numOutputs);
    const sizes = Array.from({ length: numOutputs }, (_, k) => Math.max(0, Math.min(chunk, size - k * chunk)));
    // onnxruntime refuses a split that leaves trailing chunks empty (e.g. 4 into 3 gives 2, 2, 0).
    if (numOutputs > 1 && sizes[numOutputs - 1] === 0) fail(node, `an axis of ${size} cannot give ${numOutputs} chunks of ${chunk}`);
    return sizes;
  }
  if (size % outputs !== 0) fail(node, `an axis of ${size} does not split evenly into ${outputs} outputs`);
  return new Array<number>(outputs).fill(size / outputs);
}

export const split: OpModule<SplitParams> = {
  opTypes: ['Split'],
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    const rank = x.dims.length;
    const axis = normalizeAxis(ctx.node, attrInt(ctx.node, 'axis', 0), rank);
    const sizes = chunkSizes(ctx, x.dims[axis]!);
    const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, s) => a + s, 0));
    const outputs = sizes.map((s) => ({ type: x.type, dims: x.dims.map((d, a) => (a === axis ? s : d)) }));
    return { params: { outer: product(x.dims.slice(0, axis)), axisSize: x.dims[axis]!, inner: product(x.dims.slice(axis + 1)), starts, sizes }, outputs };
  },
  cpu(p, inputs, outputs) {
    const src = inputs[0]!.data;
    return outputs.map((o, k) => {
      const out = makeTensor(o.type, o.dims);
      const run = p.sizes[k]! * p.inner;
      const dst = out.data as unknown as { set(a: ArrayLike<number | bigint>, at: number): void };
      for (let r = 0; r < p.outer; r++) {
        const from = (r * p.axisSize + p.starts[k]!) * p.inner;
        dst.set((src as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(from, from + run), r * run);
      }
      return out;
    });
  },
};
