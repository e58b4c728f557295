/**
 * A small ONNX graph builder and encoder on onnx-proto (protobufjs static code). It writes what the forge needs:
 * float32/int64 tensors as little-endian raw_data, symbolic or unknown dims, typed attributes, value_info
 * entries, one opset import. Encoding is deterministic: the same builder calls give the same bytes.
 */
import onnxProto from 'onnx-proto';
import { GraphError } from '../../src/core/errors.js';

const { onnx } = onnxProto;

export type ElemType = 'float32' | 'int64';
/** A declared dim: a number, a symbolic name (dim_param), or null for a dim with neither (as PyTorch writes it). */
export type DimSpec = number | string | null;

export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string };

/** Attribute constructors; ONNX distinguishes int and float attributes, so callers say which. */
export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
};

export interface InitializerTensor {
  name: string;
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface NodeSpec {
  name: string;
  readonly opType: string;
  inputs: string[];
  outputs: string[];
  readonly attributes?: Readonly<Record<string, AttrValue>>;
}

interface ValueDecl {
  name: string;
  readonly type: ElemType;
  /** undefined: the type only, no shape (how exporters write intermediate value_info). */
  readonly dims: readonly DimSpec[] | undefined;
}

export interface ModelMetadata {
  readonly irVersion: number;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
}

const ELEM_TYPE_CODE: Readonly<Record<ElemType, number>> = { float32: 1, int64: 7 };

export class OnnxGraphBuilder {
  readonly inputs: ValueDecl[] = [];
  readonly outputs: ValueDecl[] = [];
  readonly valueInfo: ValueDecl[] = [];
  readonly nodes: NodeSpec[] = [];
  private initializerList: InitializerTensor[] = [];
  private readonly initializerNames = new Set<string>();

  constructor(readonly name: string) {}

  get initializers(): readonly InitializerTensor[] {
    return this.initializerList;
  }

  addInput(name: string, type: ElemType, dims: readonly DimSpec[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  /** `dims` undefined declares the type only (allowed for outputs, e.g. intermediate values exposed for inspection). */
  addOutput(name: string, type: ElemType, dims: readonly DimSpec[] | undefined): string {
    this.outputs.push({ name, type, dims });
    return name;
  }

  /** Declares an intermediate value's element type (shape left out). */
  addValueInfo(name: string, type: ElemType): void {
    this.valueInfo.push({ name, type, dims: undefined });
  }

  addInitializer(name: string, type: ElemType, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    if (this.initializerNames.has(name)) throw new GraphError(`initializer '${name}' defined twice`);
    let count = 1;
    for (const d of dims) count *= d;
    const expected = type === 'float32' ? data instanceof Float32Array : data instanceof BigInt64Array;
    if (!expected || count !== data.length) {
      throw new GraphError(`initializer '${name}': ${data.constructor.name}(${data.length}) does not match ${type}[${dims.join(',')}]`);
    }
    this.initializerNames.add(name);
    this.initializerList.push({ name, type, dims: [...dims], data });
    return name;
  }

  addNode(node: NodeSpec): NodeSpec {
    this.nodes.push(node);
    return node;
  }

  /** Reorders initializers (exporters group parameters by kind; the order is part of a file's look). */
  sortInitializers(compare: (a: InitializerTensor, b: InitializerTensor) => number): void {
    this.initializerList = [...this.initializerList].sort(compare);
  }

  /** Renames every value, initializer and node reference at once (used to resolve placeholder names). */
  renameValues(rename: (name: string) => string): void {
    for (const v of [...this.inputs, ...this.outputs, ...this.valueInfo]) v.name = rename(v.name);
    for (const t of this.initializerList) t.name = rename(t.name);
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((i) => (i === '' ? '' : rename(i)));
      n.outputs = n.outputs.map(rename);
    }
    this.initializerNames.clear();
    for (const t of this.initializerList) {
      if (this.initializerNames.has(t.name)) throw new GraphError(`renaming made initializer '${t.name}' ambiguous`);
      this.initializerNames.add(t.name);
    }
  }

  /** Checks that every node input is defined before use (graph input, initializer or earlier node output). */
  validate(): void {
    const defined = new Set<string>([...this.inputs.map((v) => v.name), ...this.initializerNames]);
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        if (i !== '' && !defined.has(i)) throw new GraphError(`input '${i}' is not defined before use`, n.name, n.opType);
      }
      for (const o of n.outputs) {
        if (defined.has(o)) throw new GraphError(`value '${o}' is produced twice`, n.name, n.opType);
        defined.add(o);
      }
    }
    for (const o of this.outputs) if (!defined.has(o.name)) throw new GraphError(`graph output '${o.name}' is never produced`);
  }
}

/** Serialises a built graph into ONNX ModelProto bytes. */
export function encodeModel(graph: OnnxGraphBuilder, meta: ModelMetadata): Uint8Array {
  graph.validate();
  const model: onnxProto.onnx.IModelProto = {
    irVersion: meta.irVersion,
    producerName: meta.producerName,
    producerVersion: meta.producerVersion,
    opsetImport: [{ domain: '', version: meta.opsetVersion }],
    graph: {
      name: graph.name,
      node: graph.nodes.map(encodeNode),
      initializer: graph.initializers.map(encodeTensor),
      input: graph.inputs.map(encodeValue),
      output: graph.outputs.map(encodeValue),
      valueInfo: graph.valueInfo.map(encodeValue),
    },
  };
  if (meta.docString !== undefined) model.docString = meta.docString;
  return onnx.ModelProto.encode(model).finish();
}

function encodeNode(node: NodeSpec): onnxProto.onnx.INodeProto {
  // Attributes sorted by name, as the PyTorch and MXNet exporters write them.
  const names = Object.keys(node.attributes ?? {}).sort();
  return {
    input: node.inputs,
    output: node.outputs,
    name: node.name,
    opType: node.opType,
    attribute: names.map((name) => encodeAttribute(name, node.attributes![name]!)),
  };
}

function encodeAttribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (value.kind) {
    case 'int': return { name, type: T.INT, i: checkedInt(value.value, name) };
    case 'ints': return { name, type: T.INTS, ints: value.value.map((v) => checkedInt(v, name)) };
    case 'float': return { name, type: T.FLOAT, f: value.value };
    case 'floats': return { name, type: T.FLOATS, floats: [...value.value] };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(value.value) };
  }
}

function checkedInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v)) throw new GraphError(`attribute '${what}': ${v} is not an integer`);
  return v;
}

function encodeTensor(t: InitializerTensor): onnxProto.onnx.ITensorProto {
  return { dims: [...t.dims], dataType: ELEM_TYPE_CODE[t.type], name: t.name, rawData: littleEndianBytes(t.data) };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX raw_data is little-endian; on a little-endian host the typed array's bytes are already right. */
function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}

function encodeValue(v: ValueDecl): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: ELEM_TYPE_CODE[v.type] };
  if (v.dims !== undefined) {
    tensorType.shape = {
      dim: v.dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    };
  }
  return { name: v.name, type: { tensorType } };
}
