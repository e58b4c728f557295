import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel, readNumber, type DataType, type TensorData } from '../../core/ir.js';
import { attrFloat, refuseRemovedAttributes } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule, ResolveContext } from '../kernel/op-module.js';

/** Element-wise activations. `kind` selects the formula; alpha/beta carry LeakyRelu/HardSigmoid/Elu/Clip constants. */
export type UnaryKind =
  | 'Relu' | 'Sigmoid' | 'Tanh' | 'LeakyRelu' | 'HardSigmoid' | 'Elu' | 'Clip'
  | 'Exp' | 'Log' | 'Abs' | 'Neg' | 'Sqrt' | 'Reciprocal' | 'Floor' | 'Ceil' | 'Softplus' | 'HardSwish';

export interface UnaryParams {
  readonly kind: UnaryKind;
  readonly alpha: number;
  readonly beta: number;
  /** Clip's given bounds on int64/uint64 data, exact (alpha and beta round beyond 2^53); undefined where not given. */
  readonly bigBounds?: readonly [bigint | undefined, bigint | undefined];
}

const KINDS: readonly UnaryKind[] = ['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'Elu', 'Clip',
  'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Softplus', 'HardSwish'];

/** The scalar formula of each kind, in float64; results are rounded to float32 on store. */
export function unaryFunction(p: UnaryParams): (x: number) => number {
  const { alpha, beta } = p;
  switch (p.kind) {
    // Only negatives become 0: NaN passes through as in onnxruntime and the fused Relu epilogues (clamp's pmax).
    case 'Relu': return (x) => (x < 0 ? 0 : x);
    case 'Sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    case 'Tanh': return Math.tanh;
    case 'LeakyRelu': return (x) => (x >= 0 ? x : alpha * x);
    case 'HardSigmoid': return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    case 'HardSwish': return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'Elu': return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1));
    case 'Clip': return (x) => (x < alpha ? alpha : x > beta ? beta : x);
    case 'Exp': return Math.exp;
    case 'Log': return Math.log;
    case 'Abs': return Math.abs;
    case 'Neg': return (x) => -x;
    case 'Sqrt': return Math.sqrt;
    case 'Reciprocal': return (x) => 1 / x;
    case 'Floor': return Math.floor;
    case 'Ceil': return Math.ceil;
    // log(1 + e^x) = x + log(1 + e^-x): written so for x > 0 that e^x never overflows (softplus(1000) is 1000).
    case 'Softplus': return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
  }
}

/** Each type's lowest and highest values, as numbers (the 64-bit ones rounded outward: no element lies beyond). */
const TYPE_RANGE: Partial<Record<DataType, readonly [number, number]>> = {
  float32: [-3.4028234663852886e38, 3.4028234663852886e38], float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
  int64: [-(2 ** 63), 2 ** 63], uint64: [0, 2 ** 64],
};

/**
 * The kinds defined on integers, in bigint for int64/uint64 elements: exact beyond 2^53, wrapping like onnxruntime's
 * (Abs and Neg of INT64_MIN stay INT64_MIN). Clip's bounds are integers there: a bound outside the type clips nothing.
 */
function bigUnaryFunction(p: UnaryParams): ((x: bigint) => bigint) | undefined {
  const bound = (v: number): bigint | undefined => (Number.isFinite(v) ? BigInt(Math.trunc(v)) : undefined);
  switch (p.kind) {
    case 'Abs': return (x) => (x < 0n ? -x : x);
    case 'Neg': return (x) => -x;
    case 'Relu': return (x) => (x < 0n ? 0n : x);
    case 'Clip': {
      const lo = p.bigBounds?.[0] ?? bound(p.alpha);
      const hi = p.bigBounds?.[1] ?? bound(p.beta);
      return (x) => {
        const y = lo !== undefined && x < lo ? lo : x;
        return hi !== undefined && y > hi ? hi : y;
      };
    }
    default: return undefined;
  }
}

/** A constant scalar input's bigint value (scalarInput has checked it), or undefined when the input is left out. */
function bigScalar(ctx: ResolveContext, i: number): bigint | undefined {
  if (ctx.node.inputs[i] === undefined || ctx.node.inputs[i] === '') return undefined;
  const v = ctx.constants[i]!.data[0]!;
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
}

function scalarInput(ctx: ResolveContext, i: number, fallback: number): number {
  if (ctx.node.inputs[i] === undefined || ctx.node.inputs[i] === '') return fallback;
  const c = ctx.constants[i];
  if (c === undefined) {
    throw new UnsupportedOpError(ctx.node.opType, nodeLabel(ctx.node), `input ${i} must be a constant (min/max known at load time)`);
  }
  if (c.data.length !== 1) throw new GraphError(`input ${i} must be a scalar, got shape ${JSON.stringify(c.dims)}`, nodeLabel(ctx.node), ctx.node.opType);
  return readNumber(c.data, 0);
}

export const unary: OpModule<UnaryParams> = {
  opTypes: KINDS,
  resolve(ctx) {
    const { node } = ctx;
    const kind = node.opType as UnaryKind;
    const x = ctx.inputs[0]!;
    // float16/bfloat16 data are raw Uint16 bits here; applying the formula to them would be silently wrong.
    if (x.type === 'float16' || x.type === 'bfloat16') throw new UnsupportedOpError(kind, nodeLabel(node), `type ${x.type}`);
    let alpha = 0;
    let beta = 0;
    let bigBounds: UnaryParams['bigBounds'];
    switch (kind) {
      case 'LeakyRelu': alpha = attrFloat(node, 'alpha', 0.01); break;
      case 'HardSigmoid': alpha = attrFloat(node, 'alpha', 0.2); beta = attrFloat(node, 'beta', 0.5); break;
      case 'Elu': alpha = attrFloat(node, 'alpha', 1); break;
      case 'Clip': {
        // A missing bound is the type's lowest or highest value, as in onnxruntime (so float32 -Inf clips to -FLT_MAX).
        const [lowest, highest] = TYPE_RANGE[x.type] ?? [-Infinity, Infinity];
        if (ctx.opset < 11) {
          alpha = attrFloat(node, 'min', lowest);
          beta = attrFloat(node, 'max', highest);
        } else {
          refuseRemovedAttributes(node, ctx.opset, 11, ['min', 'max']);
          alpha = scalarInput(ctx, 1, lowest);
          beta = scalarInput(ctx, 2, highest);
          if (x.type === 'int64' || x.type === 'uint64') bigBounds = [bigScalar(ctx, 1), bigScalar(ctx, 2)];
        }
        // ONNX: with min > max every value becomes max (onnxruntime's min(max(x, min), max)). Lowering min to max
        // gives that in every implementation that clamps lower bound first, fused epilogues and WGSL included.
        if (alpha > beta) alpha = beta;
        if (bigBounds?.[0] !== undefined && bigBounds[1] !== undefined && bigBounds[0] > bigBounds[1]) bigBounds = [bigBounds[1], bigBounds[1]];
        break;
      }
      default: break;
    }
    return { params: { kind, alpha, beta, ...(bigBounds ? { bigBounds } : {}) }, outputs: [{ type: x.type, dims: x.dims }] };
  },
  cpu(params, inputs, outputs) {
    const x = inputs[0]!;
    const out = makeTensor(outputs[0]!.type, outputs[0]!.dims);
    const f = unaryFunction(params);
    const src = x.data as Float32Array;
    const dst = out.data as Float32Array;
    if (params.kind === 'Relu' && src instanceof Float32Array) {
      for (let i = 0; i < src.length; i++) { const v = src[i]!; dst[i] = v < 0 ? 0 : v; }
    } else if (x.data instanceof BigInt64Array || x.data instanceof BigUint64Array) {
      const s = x.data as BigInt64Array;
      const d = out.data as BigInt64Array;
      const g = bigUnaryFunction(params);
      if (g) for (let i = 0; i < s.length; i++) d[i] = g(s[i]!);
      else for (let i = 0; i < s.length; i++) d[i] = BigInt(Math.trunc(f(Number(s[i]!))));
    } else {
      for (let i = 0; i < src.length; i++) dst[i] = f(src[i]!);
    }
    return [out];
  },
};

/** Identity and inference-mode Dropout: pass the input through (Dropout's optional mask is all ones). */
export const identity: OpModule<null> = {
  opTypes: ['Identity', 'Dropout'],
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    const outputs = [{ type: x.type, dims: x.dims }];
    if (ctx.node.opType === 'Dropout') {
      // Opset ≥ 12 takes training_mode as input 2: when true, Dropout is random unless the ratio is a known 0.
      if (ctx.node.inputs[2]) {
        const training = ctx.constants[2];
        if (training === undefined) throw new UnsupportedOpError('Dropout', nodeLabel(ctx.node), 'training_mode must be known at load time');
        const ratio = ctx.node.inputs[1] ? ctx.constants[1] : undefined;
        const ratioIsZero = ratio !== undefined && ratio.data.length > 0 && readNumber(ratio.data, 0) === 0;
        if (training.data.length > 0 && readNumber(training.data, 0) !== 0 && !ratioIsZero) {
          throw new UnsupportedOpError('Dropout', nodeLabel(ctx.node), 'training_mode=true with a non-zero ratio (random) is not supported');
        }
      }
      if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') outputs.push({ type: 'bool', dims: x.dims });
    }
    return { params: null, outputs };
  },
  cpu(_p, inputs, outputs) {
    const result: TensorData[] = [inputs[0]!];
    if (outputs.length > 1) {
      const mask = makeTensor('bool', outputs[1]!.dims);
      (mask.data as Uint8Array).fill(1);
      result.push(mask);
    }
    return result;
  },
};
