/**
 * Just enough of an ONNX writer (on onnx-proto's encoder) to build small test models whose every field is chosen
 * by the test: initializer storage form, attribute kinds, opset imports, symbolic dims.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export const { onnx } = onnxProto;

/** TensorProto.DataType codes used by the tests. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

export type TensorForm = 'raw' | 'typed-field';

/** A float32 or int64 initializer, stored as raw_data or in float_data / int64_data. */
export function tensor(name: string, type: 'float32' | 'int64', dims: readonly number[], values: readonly number[], form: TensorForm = 'raw'): OnnxTypes.ITensorProto {
  const base = { name, dims: [...dims], dataType: type === 'float32' ? DT.FLOAT : DT.INT64 };
  if (form === 'typed-field') return type === 'float32' ? { ...base, floatData: [...values] } : { ...base, int64Data: [...values] };
  const raw = type === 'float32' ? new Uint8Array(Float32Array.from(values).buffer) : new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
  return { ...base, rawData: raw };
}

export type AttrValue =
  | { f: number } | { i: number } | { s: string } | { t: OnnxTypes.ITensorProto }
  | { floats: number[] } | { ints: number[] } | { strings: string[] };

export function attribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('f' in value) return { name, type: T.FLOAT, f: value.f };
  if ('i' in value) return { name, type: T.INT, i: value.i };
  if ('s' in value) return { name, type: T.STRING, s: new TextEncoder().encode(value.s) };
  if ('t' in value) return { name, type: T.TENSOR, t: value.t };
  if ('floats' in value) return { name, type: T.FLOATS, floats: value.floats };
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints };
  return { name, type: T.STRINGS, strings: value.strings.map((s) => new TextEncoder().encode(s)) };
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttrValue> = {}, extra: Partial<OnnxTypes.INodeProto> = {}): OnnxTypes.INodeProto {
  return { opType, input: inputs, output: outputs, attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)), ...extra };
}

/** A tensor value_info; string dims are symbolic (dim_param), null leaves the dim unset. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string | null)[] | undefined): OnnxTypes.IValueInfoProto {
  const shape = dims === undefined ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) };
  return { name, type: { tensorType: { elemType, ...(shape ? { shape } : {}) } } };
}

export interface ModelSpec {
  readonly nodes: OnnxTypes.INodeProto[];
  readonly inputs: OnnxTypes.IValueInfoProto[];
  readonly outputs: OnnxTypes.IValueInfoProto[];
  readonly initializers?: OnnxTypes.ITensorProto[];
  readonly valueInfo?: OnnxTypes.IValueInfoProto[];
  /** domain → version; default { '': 13 } */
  readonly opsets?: Record<string, number>;
  readonly irVersion?: number;
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const opsets = spec.opsets ?? { '': 13 };
  return onnx.ModelProto.encode({
    irVersion: spec.irVersion ?? 8,
    producerName: 'insightgpu-tests',
    producerVersion: '1',
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    graph: {
      name: 'test',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
      valueInfo: spec.valueInfo ?? [],
    },
  }).finish();
}
