import { GraphError } from '../../core/errors.js';
import { nodeLabel, type Node } from '../../core/ir.js';
import { stridesOf } from './tensor-util.js';

/** numpy-style multidirectional broadcast of several shapes. */
export function broadcastShapes(node: Node, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new GraphError(`shapes ${shapes.map((x) => JSON.stringify(x)).join(' and ')} cannot be broadcast`, nodeLabel(node), node.opType);
      }
    }
  }
  return out;
}

/**
 * For each output element, the index into an input of shape `dims` broadcast to `outDims`.
 * Returns null when no mapping is needed (same shape).
 */
export function broadcastIndex(dims: readonly number[], outDims: readonly number[]): Int32Array | null {
  const rank = outDims.length;
  if (dims.length === rank && dims.every((d, i) => d === outDims[i])) return null;
  const padded = new Array<number>(rank - dims.length).fill(1).concat(dims);
  const inStrides = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  let total = 1;
  for (const d of outDims) total *= d;
  const index = new Int32Array(total);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < total; i++) {
    index[i] = offset;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]!++;
      offset += inStrides[a]!;
      if (counter[a]! < outDims[a]!) break;
      offset -= inStrides[a]! * counter[a]!;
      counter[a] = 0;
    }
  }
  return index;
}
