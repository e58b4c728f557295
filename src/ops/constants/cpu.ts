import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { allocateTyped, elementCount, nodeLabel, toNumbers, type DataType, type TensorData } from '../../core/ir.js';
import { checkedElementCount, dataTypeFromOnnx } from '../../core/dtype.js';
import { float16Bits, float16Value } from '../../core/float16.js';
import { attrFloat, attrFloats, attrInt, attrInts, attrTensor, refuseLaterAttributes } from '../kernel/attributes.js';
import { int64Tensor } from '../kernel/tensor-util.js';
import type { OpModule, ValueType } from '../kernel/op-module.js';

/** Ops whose outputs depend only on attributes or input shapes: they always fold at load time. */
export interface ConstantParams {
  readonly value: TensorData;
}

export const constant: OpModule<ConstantParams> = {
  opTypes: ['Constant'],
  resolve(ctx) {
    const { node } = ctx;
    let value = attrTensor(node, 'value');
    if (!value) {
      const f = node.attributes.get('value_float');
      const fs = attrFloats(node, 'value_floats');
      const i = node.attributes.get('value_int');
      const is = attrInts(node, 'value_ints');
      if (f) value = { type: 'float32', dims: [], data: Float32Array.of(attrFloat(node, 'value_float', 0)) };
      else if (fs) value = { type: 'float32', dims: [fs.length], data: Float32Array.from(fs) };
      else if (i) value = { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(attrInt(node, 'value_int', 0))) };
      else if (is) value = int64Tensor(is);
      else throw new UnsupportedOpError('Constant', nodeLabel(node), 'no supported value attribute (sparse/string values are not supported)');
    }
    return { params: { value }, outputs: [{ type: value.type, dims: value.dims }] };
  },
  cpu(params) {
    return [params.value];
  },
};

export interface ShapeParams {
  readonly values: readonly number[];
}

export const shape: OpModule<ShapeParams> = {
  opTypes: ['Shape', 'Size'],
  resolve(ctx) {
    const dims = ctx.inputs[0]!.dims;
    if (ctx.node.opType === 'Size') return { params: { values: [elementCount(dims)] }, outputs: [{ type: 'int64', dims: [] }] };
    refuseLaterAttributes(ctx.node, ctx.opset, 15, ['start', 'end']);
    const rank = dims.length;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = clamp(attrInt(ctx.node, 'start', 0));
    const end = clamp(attrInt(ctx.node, 'end', rank));
    const values = dims.slice(start, Math.max(start, end));
    return { params: { values }, outputs: [{ type: 'int64', dims: [values.length] }] };
  },
  cpu(params, _inputs, outputs) {
    const t = int64Tensor(params.values);
    return [{ ...t, dims: outputs[0]!.dims }];
  },
};

export interface ConstantOfShapeParams {
  readonly dims: readonly number[];
  readonly fill: TensorData;
}

export const constantOfShape: OpModule<ConstantOfShapeParams> = {
  opTypes: ['ConstantOfShape'],
  resolve(ctx) {
    const c = ctx.constants[0];
    if (!c) throw new UnsupportedOpError('ConstantOfShape', nodeLabel(ctx.node), 'the shape must be known at load time');
    const dims = toNumbers(c);
    checkedElementCount(dims, `output of ConstantOfShape '${nodeLabel(ctx.node)}'`);
    const fill = attrTensor(ctx.node, 'value') ?? { type: 'float32' as DataType, dims: [1], data: new Float32Array(1) };
    return { params: { dims, fill }, outputs: [{ type: fill.type, dims }] };
  },
  cpu(params, _inputs, outputs) {
    const data = allocateTyped(params.fill.type, elementCount(params.dims));
    (data as unknown as { fill(v: unknown): void }).fill(params.fill.data[0]);
    return [{ type: params.fill.type, dims: outputs[0]!.dims, data }];
  },
};

export interface CastParams {
  readonly to: DataType;
}

const castNumber = (to: DataType, fromFloat: boolean) => {
  if (to === 'int64' || to === 'uint64') return (v: number): bigint => BigInt(Math.trunc(Number.isFinite(v) ? v : 0));
  if (to === 'bool') return (v: number): number => (v !== 0 ? 1 : 0);
  if (to === 'float16') return float16Bits;
  if (to === 'float32' || to === 'float64') return (v: number): number => v;
  // An integer source wraps to the narrower type (the typed array's store); a float source follows onnxruntime.
  if (to === 'int32' && fromFloat) return floatToInt32;
  if (to === 'uint32' && fromFloat) return floatToUint32;
  return (v: number): number => Math.trunc(v);
};

/**
 * Float to int32 as onnxruntime converts on x86 (ONNX leaves out-of-range values undefined; the WebGPU Cast gives
 * the same): truncation toward zero, and INT32_MIN, the processor's "integer indefinite", for a NaN, an infinity or
 * a value of magnitude 2^31 or more.
 */
function floatToInt32(v: number): number {
  return Number.isNaN(v) || Math.abs(v) >= 2147483648 ? -2147483648 : Math.trunc(v);
}

/**
 * Float to uint32 as onnxruntime converts on x86 (and the WebGPU Cast): a value in (-2^31, 2^32) gives the low 32 bits
 * of its truncation (-2.7 gives 4294967294), 2^32 or more gives 0, and a NaN or one from -2^31 down gives 2^31.
 */
function floatToUint32(v: number): number {
  if (Number.isNaN(v) || v <= -2147483648) return 2147483648;
  if (v >= 4294967296) return 0;
  return Math.trunc(v) >>> 0;
}

/** Integer types narrower than 64 bits: their typed arrays wrap a stored 32-bit pattern to their own width. */
const NARROW_INTEGERS: ReadonlySet<DataType> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

/**
 * Cast between numeric types. float16 data are raw bits, so a cast from float16 reads their values and a cast to
 * float16 rounds to nearest even (overflow to ±∞). bfloat16 is refused.
 */
export const cast: OpModule<CastParams> = {
  opTypes: ['Cast'],
  resolve(ctx) {
    const code = attrInt(ctx.node, 'to', 0);
    const to = dataTypeFromOnnx(code);
    if (!to) throw new UnsupportedOpError('Cast', nodeLabel(ctx.node), `cast to ONNX type ${code}`);
    const x = ctx.inputs[0]!;
    if (to === 'bfloat16' || x.type === 'bfloat16') {
      throw new UnsupportedOpError('Cast', nodeLabel(ctx.node), 'bfloat16 is not supported (float16 and float32 are)');
    }
    return { params: { to }, outputs: [{ type: to, dims: x.dims }] };
  },
  cpu(params, inputs, outputs) {
    return castValues(params, inputs[0]!, outputs[0]!);
  },
};

/** CastLike (opset 15): Cast to the element type of input 1, whose values are never read. */
export const castLike: OpModule<CastParams> = {
  opTypes: ['CastLike'],
  resolve(ctx) {
    if (ctx.opset < 15) throw new GraphError(`CastLike needs opset 15, the model has ${ctx.opset}`, nodeLabel(ctx.node), 'CastLike');
    const x = ctx.inputs[0]!;
    const like = ctx.inputs[1];
    if (like === undefined) throw new GraphError('CastLike needs its target_type input', nodeLabel(ctx.node), 'CastLike');
    if (like.type === 'bfloat16' || x.type === 'bfloat16') {
      throw new UnsupportedOpError('CastLike', nodeLabel(ctx.node), 'bfloat16 is not supported (float16 and float32 are)');
    }
    return { params: { to: like.type }, outputs: [{ type: like.type, dims: x.dims }] };
  },
  cpu(params, inputs, outputs) {
    return castValues(params, inputs[0]!, outputs[0]!);
  },
};

/** The elements of `x` converted to `params.to`: Cast's and CastLike's CPU reference. */
function castValues(params: CastParams, x: TensorData, output: ValueType): TensorData[] {
  const out = allocateTyped(params.to, x.data.length) as unknown as { [i: number]: number | bigint };
  const fromHalf = x.type === 'float16';
  const convert = castNumber(params.to, fromHalf || x.type === 'float32' || x.type === 'float64');
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i]!;
    if (typeof v === 'bigint' && (params.to === 'int64' || params.to === 'uint64')) out[i] = v;
    // A narrower integer keeps the low bits (C++'s modular conversion); Number(v) would round them away first.
    else if (typeof v === 'bigint' && NARROW_INTEGERS.has(params.to)) out[i] = Number(BigInt.asUintN(32, v));
    else out[i] = convert(fromHalf ? float16Value(v as number) : Number(v));
  }
  return [{ type: params.to, dims: output.dims, data: out as unknown as TensorData['data'] }];
}
