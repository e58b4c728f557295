import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel, toNumbers, type DataType, type Node } from '../../core/ir.js';
import { attrInt, attrInts, normalizeAxis, refuseRemovedAttributes } from '../kernel/attributes.js';
import { makeTensor, stridesOf } from '../kernel/tensor-util.js';
import type { OpModule, ResolveContext } from '../kernel/op-module.js';

export type ReduceKind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'SumSquare' | 'L1' | 'L2' | 'LogSum' | 'LogSumExp';

const KINDS: readonly ReduceKind[] = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'SumSquare', 'L1', 'L2', 'LogSum', 'LogSumExp'];

/** A run of consecutive input axes of one class (kept or reduced), merged: its element count and input stride. */
export interface AxisGroup {
  readonly size: number;
  readonly stride: number;
}

/**
 * A reduction resolved for one input shape. The input's axes are merged into groups (consecutive reduced axes
 * are one strided run, and so are kept ones; size-1 axes vanish), so the offset of an element is
 * keptOffset(output index) + reducedOffset(r), r < `count`.
 */
export interface ReduceParams {
  readonly kind: ReduceKind;
  readonly inDims: readonly number[];
  readonly outDims: readonly number[];
  /** Kept groups in axis order: the output's linear index decomposes over them. */
  readonly kept: readonly AxisGroup[];
  /** Reduced groups in axis order: r decomposes over them. */
  readonly reduced: readonly AxisGroup[];
  /** Elements per output (1 for the no-op reduction over no axes, 0 over an empty axis). */
  readonly count: number;
}

/** Integer inputs reduce exactly for these kinds; the others need real arithmetic (a mean, roots, logs). */
const INTEGER_KINDS: ReadonlySet<ReduceKind> = new Set(['Sum', 'Max', 'Min', 'Prod', 'SumSquare', 'L1']);
const INTEGER_TYPES: ReadonlySet<DataType> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/** The integer kinds over bigint elements: each one's value of a first element, and its step. */
const BIG_FIRST = {
  Sum: (v: bigint) => v, Max: (v: bigint) => v, Min: (v: bigint) => v, Prod: (v: bigint) => v,
  SumSquare: (v: bigint) => v * v, L1: (v: bigint) => (v < 0n ? -v : v),
} as const;
const BIG_STEP = {
  Sum: (a: bigint, v: bigint) => a + v, Max: (a: bigint, v: bigint) => (v > a ? v : a), Min: (a: bigint, v: bigint) => (v < a ? v : a),
  Prod: (a: bigint, v: bigint) => a * v, SumSquare: (a: bigint, v: bigint) => a + v * v, L1: (a: bigint, v: bigint) => a + (v < 0n ? -v : v),
} as const;

function unsupported(node: Node, why: string): never {
  throw new UnsupportedOpError(node.opType, nodeLabel(node), why);
}

/** Axes as the node gives them: the attribute before the op's move to an input (ReduceSum at 13, the rest at 18). */
function rawAxes(ctx: ResolveContext, kind: ReduceKind): number[] | undefined {
  const inputFrom = kind === 'Sum' ? 13 : 18;
  if (ctx.opset < inputFrom) {
    if (ctx.node.inputs[1]) throw new GraphError(`the axes input needs opset ${inputFrom}, the model has ${ctx.opset}`, nodeLabel(ctx.node), ctx.node.opType);
    const a = attrInts(ctx.node, 'axes');
    return a === undefined ? undefined : [...a];
  }
  refuseRemovedAttributes(ctx.node, ctx.opset, inputFrom, ['axes']);
  if (!ctx.node.inputs[1]) return undefined;
  const c = ctx.constants[1];
  if (c === undefined) unsupported(ctx.node, 'axes must be known at load time');
  return toNumbers(c);
}

/** Merges the axes of one class into strided runs (see ReduceParams). */
function groups(dims: readonly number[], reduced: readonly boolean[], wanted: boolean): AxisGroup[] {
  const strides = stridesOf(dims);
  const out: { size: number; stride: number; last: number }[] = [];
  dims.forEach((d, a) => {
    if (d === 1 || reduced[a] !== wanted) return;
    const prev = out[out.length - 1];
    // Adjacent in the input once size-1 axes are ignored: no axis of the other class (larger than 1) between.
    const adjacent = prev !== undefined && dims.slice(prev.last + 1, a).every((x) => x === 1);
    if (adjacent) { prev.size *= d; prev.stride = strides[a]!; prev.last = a; } else out.push({ size: d, stride: strides[a]!, last: a });
  });
  return out.map(({ size, stride }) => ({ size, stride }));
}

/** Input offsets of every index of a set of groups, in row-major order over them. */
export function groupOffsets(gs: readonly AxisGroup[]): Float64Array {
  const total = gs.reduce((a, g) => a * g.size, 1);
  const out = new Float64Array(total);
  let n = 1;
  // Build by appending each group as a faster-varying axis.
  for (const g of gs) {
    for (let i = n - 1; i >= 0; i--) {
      const base = out[i]!;
      for (let j = g.size - 1; j >= 0; j--) out[i * g.size + j] = base + j * g.stride;
    }
    n *= g.size;
  }
  return out;
}

export const reduce: OpModule<ReduceParams> = {
  opTypes: KINDS.map((k) => `Reduce${k}`),
  resolve(ctx) {
    const { node } = ctx;
    const kind = node.opType.slice('Reduce'.length) as ReduceKind;
    const x = ctx.inputs[0]!;
    const rank = x.dims.length;
    if (x.type === 'float16' || x.type === 'bfloat16' || x.type === 'bool') unsupported(node, `type ${x.type}`);
    if (INTEGER_TYPES.has(x.type) && !INTEGER_KINDS.has(kind)) unsupported(node, `type ${x.type} (integer ${node.opType} is not exact)`);
    const keepdims = attrInt(node, 'keepdims', 1) !== 0;
    const noop = attrInt(node, 'noop_with_empty_axes', 0) !== 0;
    const given = rawAxes(ctx, kind);
    const reducedAxes = new Array<boolean>(rank).fill(false);
    if (given === undefined || given.length === 0) {
      // No axes: every axis, unless noop_with_empty_axes (then each element is reduced alone: see `count`).
      if (!noop) reducedAxes.fill(true);
    } else {
      for (const raw of given) {
        const a = normalizeAxis(node, raw, rank);
        if (reducedAxes[a]) throw new GraphError(`axis ${raw} repeated`, nodeLabel(node), node.opType);
        reducedAxes[a] = true;
      }
    }
    const outDims: number[] = [];
    x.dims.forEach((d, a) => {
      if (!reducedAxes[a]) outDims.push(d);
      else if (keepdims) outDims.push(1);
    });
    const count = x.dims.reduce((acc, d, a) => (reducedAxes[a] ? acc * d : acc), 1);
    const params: ReduceParams = {
      kind, inDims: x.dims, outDims, count,
      kept: groups(x.dims, reducedAxes, false), reduced: groups(x.dims, reducedAxes, true),
    };
    return { params, outputs: [{ type: x.type, dims: outDims }] };
  },
  cpu(p, inputs, outputs) {
    const x = inputs[0]!.data;
    const out = makeTensor(outputs[0]!.type, p.outDims);
    const y = out.data as unknown as { [i: number]: number | bigint; length: number };
    const big = out.data instanceof BigInt64Array || out.data instanceof BigUint64Array;
    const integer = INTEGER_TYPES.has(out.type);
    const read = big ? (i: number): number => Number((x as BigInt64Array)[i]!) : (i: number): number => (x as Float32Array)[i]!;
    const kept = groupOffsets(p.kept);
    // The innermost reduced group is walked by its stride; only the others' offsets are tabled (one entry when the
    // reduced axes are one run, as in a mean over H×W), so no table grows with the reduction.
    const inner = p.reduced[p.reduced.length - 1] ?? { size: 1, stride: 0 };
    const outer = groupOffsets(p.reduced.slice(0, -1));
    const fold = (base: number, init: number, f: (acc: number, v: number) => number): number => {
      let acc = init;
      for (let o = 0; o < outer.length; o++) {
        const start = base + outer[o]!;
        for (let j = 0; j < inner.size; j++) acc = f(acc, read(start + j * inner.stride));
      }
      return acc;
    };
    const n = p.count;
    // Float64 accumulation, rounded once on store: the reference the float32 GPU sums are held to. NaN propagates
    // through Max and Min (once the accumulator is NaN no comparison replaces it).
    const value = (base: number): number => {
      switch (p.kind) {
        case 'Max': return integer && n === 0 ? 0 : fold(base, -Infinity, (a, v) => (v > a || v !== v ? v : a));
        case 'Min': return integer && n === 0 ? 0 : fold(base, Infinity, (a, v) => (v < a || v !== v ? v : a));
        case 'Prod': return fold(base, 1, (a, v) => a * v);
        case 'Sum': return fold(base, 0, (a, v) => a + v);
        case 'Mean': return fold(base, 0, (a, v) => a + v) / n;
        case 'SumSquare': return fold(base, 0, (a, v) => a + v * v);
        case 'L1': return fold(base, 0, (a, v) => a + Math.abs(v));
        case 'L2': return Math.sqrt(fold(base, 0, (a, v) => a + v * v));
        case 'LogSum': return Math.log(fold(base, 0, (a, v) => a + v));
        case 'LogSumExp': {
          // Shifted by the maximum so large inputs do not overflow exp.
          const m = fold(base, -Infinity, Math.max);
          return Number.isFinite(m) ? Math.log(fold(base, 0, (a, v) => a + Math.exp(v - m))) + m : m;
        }
      }
    };
    if (big) {
      // int64/uint64 reduce in bigint, exact beyond 2^53, wrapping on overflow like onnxruntime's integer arithmetic.
      const data = x as BigInt64Array;
      // Kept to 64 bits each step, so a long product stays a small bigint.
      const wrap = out.data instanceof BigUint64Array ? (v: bigint): bigint => BigInt.asUintN(64, v) : (v: bigint): bigint => BigInt.asIntN(64, v);
      const bigValue = (base: number): bigint => {
        let acc: bigint | undefined;
        const step = BIG_STEP[p.kind as keyof typeof BIG_STEP];
        for (let o = 0; o < outer.length; o++) {
          const start = base + outer[o]!;
          for (let j = 0; j < inner.size; j++) {
            const v = data[start + j * inner.stride]!;
            acc = wrap(acc === undefined ? BIG_FIRST[p.kind as keyof typeof BIG_FIRST](v) : step(acc, v));
          }
        }
        return acc ?? (p.kind === 'Prod' ? 1n : 0n);
      };
      for (let k = 0; k < kept.length; k++) y[k] = bigValue(kept[k]!);
      return [out];
    }
    for (let k = 0; k < kept.length; k++) {
      const v = value(kept[k]!);
      // Integer kinds give integers; one past 2^53 or ±Inf (a product's overflow) cannot be exact in any case.
      y[k] = big ? BigInt(Number.isFinite(v) ? v : 0) : v;
    }
    return [out];
  },
};
