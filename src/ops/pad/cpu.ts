import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { elementCount, nodeLabel, readNumber, toNumbers, type Node, type TensorData } from '../../core/ir.js';
import { attrFloat, attrInts, attrString, normalizeAxis, refuseRemovedAttributes } from '../kernel/attributes.js';
import { makeTensor, stridesOf } from '../kernel/tensor-util.js';
import type { OpModule, ResolveContext } from '../kernel/op-module.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** Pad with every axis's begin/end amounts resolved (negative amounts crop). */
export interface PadParams {
  readonly mode: PadMode;
  readonly inDims: readonly number[];
  readonly outDims: readonly number[];
  /** Per axis: elements added before the data (negative: removed from the start). */
  readonly begins: readonly number[];
  /** The fill of mode constant, as a number (cast to the tensor's type on store). */
  readonly value: number;
  /** The fill of an int64/uint64 tensor, exact (value rounds beyond 2^53). */
  readonly bigValue?: bigint;
}

const MODES: ReadonlySet<string> = new Set(['constant', 'reflect', 'edge', 'wrap']);

function unsupported(node: Node, why: string): never {
  throw new UnsupportedOpError(node.opType, nodeLabel(node), why);
}

function loadTimeInput(ctx: ResolveContext, i: number, what: string): TensorData | undefined {
  if (!ctx.node.inputs[i]) return undefined;
  const c = ctx.constants[i];
  if (c === undefined) unsupported(ctx.node, `${what} must be known at load time`);
  return c;
}

/**
 * The input coordinate that output coordinate `o` reads along an axis of `size` elements, or -1 for the constant
 * fill. `s = o − begin` is the unpadded coordinate; reflect mirrors about the edge elements without repeating them
 * (period 2·(size − 1)), edge clamps, wrap is periodic over the kept coordinates [keptFrom, keptTo): what a negative
 * pad on the other side leaves, as onnxruntime crops before it wraps. Reflect pads wider than size − 1 keep
 * mirroring, as numpy.pad does (onnxruntime refuses them); for edge and reflect the crop never changes what is read.
 */
export function padSource(mode: PadMode, s: number, size: number, keptFrom = 0, keptTo = size): number {
  if (s >= 0 && s < size) return s;
  switch (mode) {
    case 'constant': return -1;
    case 'edge': return s < 0 ? 0 : size - 1;
    case 'wrap': {
      const period = keptTo - keptFrom;
      return keptFrom + ((((s - keptFrom) % period) + period) % period);
    }
    case 'reflect': {
      if (size === 1) return 0;
      const period = 2 * (size - 1);
      const m = ((s % period) + period) % period;
      return m < size ? m : period - m;
    }
  }
}

/**
 * Per output axis, the input offset (coordinate × stride) each output coordinate reads, or -1 for the fill. Shared
 * by the CPU reference and the WGSL kernel's table, so the edge rules live in one place.
 */
export function padOffsetTables(p: PadParams): Int32Array[] {
  const inStrides = stridesOf(p.inDims);
  return p.outDims.map((d, a) => {
    const t = new Int32Array(d);
    const size = p.inDims[a]!;
    const begin = p.begins[a]!;
    const end = d - size - begin;
    const keptFrom = Math.max(0, -begin);
    const keptTo = size - Math.max(0, -end);
    for (let o = 0; o < d; o++) {
      const s = padSource(p.mode, o - begin, size, keptFrom, keptTo);
      t[o] = s < 0 ? -1 : s * inStrides[a]!;
    }
    return t;
  });
}

export const pad: OpModule<PadParams> = {
  opTypes: ['Pad'],
  resolve(ctx) {
    const { node } = ctx;
    const x = ctx.inputs[0]!;
    const rank = x.dims.length;
    // Half-precision data are raw 16-bit patterns here; a fill value would have to be encoded (no model needs it).
    if (x.type === 'float16' || x.type === 'bfloat16') unsupported(node, `type ${x.type}`);
    const mode = attrString(node, 'mode', 'constant');
    if (!MODES.has(mode)) unsupported(node, `mode '${mode}'`);
    if (mode === 'wrap' && ctx.opset < 19) throw new GraphError(`mode 'wrap' needs opset 19, the model has ${ctx.opset}`, nodeLabel(node), 'Pad');
    let pads: number[];
    let value = 0;
    let bigValue: bigint | undefined;
    let axes: number[] = Array.from({ length: rank }, (_, a) => a);
    if (ctx.opset < 11) {
      if (node.inputs.slice(1).some((n) => n !== '')) throw new GraphError(`pads and constant_value are inputs from opset 11, the model has ${ctx.opset}`, nodeLabel(node), 'Pad');
      // Opset 1 named the attribute 'paddings'.
      const attr = attrInts(node, 'pads') ?? attrInts(node, 'paddings');
      if (attr === undefined) throw new GraphError('the pads attribute is missing', nodeLabel(node), 'Pad');
      pads = [...attr];
      value = attrFloat(node, 'value', 0);
    } else {
      refuseRemovedAttributes(node, ctx.opset, 11, ['pads', 'paddings', 'value']);
      const p = loadTimeInput(ctx, 1, 'pads');
      if (p === undefined) throw new GraphError('the pads input is missing', nodeLabel(node), 'Pad');
      pads = toNumbers(p);
      const v = loadTimeInput(ctx, 2, 'constant_value');
      if (v !== undefined && v.data.length > 0) {
        if (v.data.length !== 1) throw new GraphError(`constant_value must be a scalar, got shape ${JSON.stringify(v.dims)}`, nodeLabel(node), 'Pad');
        value = readNumber(v.data, 0);
        const raw = v.data[0]!;
        if (typeof raw === 'bigint') bigValue = raw;
      }
      const a = loadTimeInput(ctx, 3, 'axes');
      if (a !== undefined) {
        if (ctx.opset < 18) throw new GraphError(`the axes input needs opset 18, the model has ${ctx.opset}`, nodeLabel(node), 'Pad');
        axes = toNumbers(a).map((axis) => normalizeAxis(node, axis, rank));
        if (new Set(axes).size !== axes.length) throw new GraphError(`axes ${JSON.stringify(toNumbers(a))} repeat an axis`, nodeLabel(node), 'Pad');
      }
    }
    if (!pads.every(Number.isSafeInteger)) throw new GraphError(`pads ${JSON.stringify(pads)} are not all integers`, nodeLabel(node), 'Pad');
    if (!Number.isFinite(value) && x.type !== 'float32' && x.type !== 'float64') {
      throw new GraphError(`constant_value ${value} cannot fill a ${x.type} tensor`, nodeLabel(node), 'Pad');
    }
    if (pads.length !== 2 * axes.length) {
      throw new GraphError(`${pads.length} pads for ${axes.length} axes (need 2 per axis)`, nodeLabel(node), 'Pad');
    }
    const begins = new Array<number>(rank).fill(0);
    const ends = new Array<number>(rank).fill(0);
    axes.forEach((axis, k) => { begins[axis] = pads[k]!; ends[axis] = pads[k + axes.length]!; });
    const outDims = x.dims.map((d, a) => d + begins[a]! + ends[a]!);
    if (outDims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new GraphError(`pads ${JSON.stringify(pads)} give the invalid shape ${JSON.stringify(outDims)}`, nodeLabel(node), 'Pad');
    }
    if (mode !== 'constant') {
      x.dims.forEach((d, a) => {
        // What a negative pad leaves is what the other side's pad reads (wrap) or what the output keeps (all modes).
        const kept = d - Math.max(0, -begins[a]!) - Math.max(0, -ends[a]!);
        if (kept <= 0 && outDims[a]! > 0) throw new GraphError(`mode '${mode}' cannot pad the empty axis ${a}`, nodeLabel(node), 'Pad');
      });
    }
    return { params: { mode: mode as PadMode, inDims: x.dims, outDims, begins, value, ...(bigValue === undefined ? {} : { bigValue }) }, outputs: [{ type: x.type, dims: outDims }] };
  },
  cpu(p, inputs, outputs) {
    const x = inputs[0]!;
    const out = makeTensor(outputs[0]!.type, p.outDims);
    const total = elementCount(p.outDims);
    if (total === 0) return [out];
    const rank = p.outDims.length;
    const tables = padOffsetTables(p);
    const src = x.data as unknown as ArrayLike<number | bigint>;
    const dst = out.data as unknown as { [i: number]: number | bigint };
    const isBig = out.data instanceof BigInt64Array || out.data instanceof BigUint64Array;
    const fill = isBig ? (p.bigValue ?? BigInt(Math.trunc(p.value))) : out.type === 'bool' ? Number(p.value !== 0) : p.value;
    if (rank === 0) { dst[0] = src[0]!; return [out]; }
    // Row by row along the last axis: the leading coordinates give a row's base offset (or say it is all fill).
    const last = tables[rank - 1]!;
    const rowLength = p.outDims[rank - 1]!;
    const rows = total / rowLength;
    const counter = new Array<number>(rank - 1).fill(0);
    for (let r = 0; r < rows; r++) {
      let base = 0;
      for (let a = 0; a < rank - 1; a++) {
        const t = tables[a]![counter[a]!]!;
        if (t < 0) { base = -1; break; }
        base += t;
      }
      const o = r * rowLength;
      if (base < 0) {
        for (let k = 0; k < rowLength; k++) dst[o + k] = fill;
      } else {
        for (let k = 0; k < rowLength; k++) {
          const t = last[k]!;
          dst[o + k] = t < 0 ? fill : src[base + t]!;
        }
      }
      for (let a = rank - 2; a >= 0; a--) {
        if (++counter[a]! < p.outDims[a]!) break;
        counter[a] = 0;
      }
    }
    return [out];
  },
};
