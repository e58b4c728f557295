import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel, type DataType, type TensorData } from '../../core/ir.js';
import { broadcastIndex, broadcastShapes } from '../kernel/broadcast.js';
import { binaryF32, isF32BinaryKind } from './cpu-f32.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

export type BinaryKind = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'PRelu' | 'Max' | 'Min' | 'Sum' | 'Mean'
  | 'Equal' | 'Less' | 'Greater' | 'LessOrEqual' | 'GreaterOrEqual';

export interface BinaryParams {
  readonly kind: BinaryKind;
  readonly outDims: readonly number[];
}

const COMPARISONS = new Set<BinaryKind>(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']);
const VARIADIC = new Set<BinaryKind>(['Max', 'Min', 'Sum', 'Mean']);

function floatFn(kind: BinaryKind): (a: number, b: number) => number {
  switch (kind) {
    case 'Add': case 'Sum': case 'Mean': return (a, b) => a + b;
    case 'Sub': return (a, b) => a - b;
    case 'Mul': return (a, b) => a * b;
    case 'Div': return (a, b) => a / b;
    // C's pow, which onnxruntime uses, differs from Math.pow in two corners: 1^y is 1 for every y (NaN included) and
    // (-1)^±∞ is 1; Math.pow makes both NaN.
    case 'Pow': return (a, b) => (a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b));
    case 'PRelu': return (x, slope) => (x < 0 ? x * slope : x);
    case 'Max': return (a, b) => (a >= b || Number.isNaN(a) ? a : b);
    case 'Min': return (a, b) => (a <= b || Number.isNaN(a) ? a : b);
    case 'Equal': return (a, b) => (a === b ? 1 : 0);
    case 'Less': return (a, b) => (a < b ? 1 : 0);
    case 'Greater': return (a, b) => (a > b ? 1 : 0);
    case 'LessOrEqual': return (a, b) => (a <= b ? 1 : 0);
    case 'GreaterOrEqual': return (a, b) => (a >= b ? 1 : 0);
  }
}

function bigFn(kind: BinaryKind): (a: bigint, b: bigint) => bigint {
  switch (kind) {
    case 'Add': case 'Sum': return (a, b) => a + b;
    case 'Sub': return (a, b) => a - b;
    case 'Mul': return (a, b) => a * b;
    case 'Div': return (a, b) => (b === 0n ? 0n : a / b);
    case 'Max': return (a, b) => (a > b ? a : b);
    case 'Min': return (a, b) => (a < b ? a : b);
    default: { const f = floatFn(kind); return (a, b) => BigInt(Math.trunc(f(Number(a), Number(b)))); }
  }
}

const INTEGER_TYPES = new Set<DataType>(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

/** Element-wise binary (and variadic) ops with numpy broadcasting. PRelu broadcasts its slope onto X. */
export const binary: OpModule<BinaryParams> = {
  opTypes: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'],
  resolve(ctx) {
    const { node } = ctx;
    const kind = node.opType as BinaryKind;
    const inputs = ctx.inputs.filter((v) => v !== undefined);
    if (inputs.length === 0 || (!VARIADIC.has(kind) && inputs.length !== 2)) {
      throw new GraphError(`expects ${VARIADIC.has(kind) ? 'at least 1' : '2'} inputs, got ${inputs.length}`, nodeLabel(node), node.opType);
    }
    const type = inputs[0]!.type;
    // float16/bfloat16 data are raw Uint16 bits here; arithmetic on them would be silently wrong.
    const half = inputs.find((v) => v.type === 'float16' || v.type === 'bfloat16');
    if (half) throw new UnsupportedOpError(node.opType, nodeLabel(node), `type ${half.type}`);
    if (kind !== 'Pow' && inputs.some((v) => v.type !== type)) {
      throw new GraphError(`input types differ (${inputs.map((v) => v.type).join(', ')})`, nodeLabel(node), node.opType);
    }
    let outDims = broadcastShapes(node, inputs.map((v) => v.dims));
    if (kind === 'PRelu') {
      // PRelu broadcasts the slope onto X (unidirectional): the output always has X's shape.
      if (outDims.length !== inputs[0]!.dims.length || outDims.some((d, i) => d !== inputs[0]!.dims[i])) {
        throw new GraphError(`slope ${JSON.stringify(inputs[1]!.dims)} does not broadcast to X ${JSON.stringify(inputs[0]!.dims)}`, nodeLabel(node), node.opType);
      }
      outDims = [...inputs[0]!.dims];
    }
    return { params: { kind, outDims }, outputs: [{ type: COMPARISONS.has(kind) ? 'bool' : type, dims: outDims }] };
  },
  cpu(params, rawInputs, outputs) {
    const inputs = rawInputs.filter((v): v is TensorData => v !== undefined);
    const out = makeTensor(outputs[0]!.type, outputs[0]!.dims);
    const dst = out.data as unknown as { [i: number]: number | bigint; length: number };
    const total = dst.length;
    if (COMPARISONS.has(params.kind)) return [compare(params, inputs[0]!, inputs[1]!, out)];
    if (inputs.length === 2 && isF32BinaryKind(params.kind) && inputs[0]!.data instanceof Float32Array && inputs[1]!.data instanceof Float32Array) {
      binaryF32(params.kind, inputs[0]!.data, inputs[0]!.dims, inputs[1]!.data, inputs[1]!.dims, params.outDims, out.data as Float32Array);
      return [out];
    }
    const isBig = typeof inputs[0]!.data[0] === 'bigint' || inputs[0]!.type === 'int64' || inputs[0]!.type === 'uint64';
    const first = inputs[0]!;
    const firstIndex = broadcastIndex(first.dims, params.outDims);
    for (let i = 0; i < total; i++) dst[i] = first.data[firstIndex ? firstIndex[i]! : i]!;
    for (let k = 1; k < inputs.length; k++) {
      const b = inputs[k]!;
      const index = broadcastIndex(b.dims, params.outDims);
      if (isBig) {
        const f = bigFn(params.kind);
        const bd = b.data as BigInt64Array;
        for (let i = 0; i < total; i++) dst[i] = f(dst[i] as bigint, bd[index ? index[i]! : i]!);
      } else {
        const f = floatFn(params.kind);
        // Pow may take an int64 exponent with a float base: read it as numbers (exact up to 2^53).
        const bd = (b.data instanceof BigInt64Array || b.data instanceof BigUint64Array ? Float64Array.from(b.data, Number) : b.data) as Float32Array;
        if (params.kind === 'Div' && INTEGER_TYPES.has(first.type)) {
          for (let i = 0; i < total; i++) dst[i] = Math.trunc((dst[i] as number) / bd[index ? index[i]! : i]!);
        } else if (index === null && params.kind === 'Add') {
          const d = out.data as Float32Array;
          for (let i = 0; i < total; i++) d[i]! += bd[i]!;
        } else {
          for (let i = 0; i < total; i++) dst[i] = f(dst[i] as number, bd[index ? index[i]! : i]!);
        }
      }
    }
    if (params.kind === 'Mean') {
      const d = out.data as Float32Array;
      for (let i = 0; i < total; i++) d[i] = d[i]! / inputs.length;
    }
    return [out];
  },
};

/**
 * Comparisons read both operands in their own dtype (JS compares bigint with bigint exactly, int64 included) and
 * store 0/1 into the bool output.
 */
function compare(params: BinaryParams, a: TensorData, b: TensorData, out: TensorData): TensorData {
  const ai = broadcastIndex(a.dims, params.outDims);
  const bi = broadcastIndex(b.dims, params.outDims);
  const x = a.data as unknown as ArrayLike<number | bigint>;
  const y = b.data as unknown as ArrayLike<number | bigint>;
  const dst = out.data as Uint8Array;
  for (let i = 0; i < dst.length; i++) {
    const u = x[ai ? ai[i]! : i]!;
    const v = y[bi ? bi[i]! : i]!;
    let r: boolean;
    switch (params.kind) {
      case 'Equal': r = u === v; break;
      case 'Less': r = u < v; break;
      case 'Greater': r = u > v; break;
      case 'LessOrEqual': r = u <= v; break;
      default: r = u >= v; break;
    }
    dst[i] = r ? 1 : 0;
  }
  return out;
}
