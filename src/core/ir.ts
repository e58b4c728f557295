/**
 * The engine's own small model representation. Everything after the parser sees only these types,
 * never protobuf objects. Initializer data are typed-array views over the model bytes where alignment allows.
 */

export type DataType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool';

export type TypedArray =
  | Float32Array | Float64Array
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** A tensor with concrete dims; the plain data carrier used by the parser, kernels and CPU backend. */
export interface TensorData {
  /** The element type. */
  readonly type: DataType;
  /** The shape. */
  readonly dims: readonly number[];
  /** The elements, row-major. */
  readonly data: TypedArray;
}

/**
 * A TensorData whose elements are made on first read, then kept: an unaligned weight's copy, a folded or repacked
 * weight. Work that needs only types and shapes (specialisation, the graph passes' decisions, lowering to WGSL)
 * never waits for them, so a GPU plan requests its pipelines before the weights are made and uploaded.
 */
export function lazyTensor(type: DataType, dims: readonly number[], make: () => TypedArray): TensorData {
  let data: TypedArray | undefined;
  return { type, dims, get data(): TypedArray { return (data ??= make()); } };
}

/** A dim in a declared (graph-level) shape: a number, a symbolic name, or null where the file says nothing. */
export type Dim = number | string | null;

/** A graph input, output or intermediate value as the file declares it. */
export interface ValueInfo {
  /** The value's name. */
  readonly name: string;
  /** Element type, when declared. */
  readonly type: DataType | undefined;
  /** undefined when the file declares no shape at all (rank unknown). */
  readonly shape: readonly Dim[] | undefined;
}

/** A node attribute's value, tagged by its ONNX kind. */
export type Attribute =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: TensorData }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'graph' }
  | { readonly kind: 'unsupported'; readonly protoType: number };

/** One ONNX node of the graph. */
export interface Node {
  /** Position in the (topologically sorted) node list; used to name anonymous nodes in errors. */
  readonly index: number;
  /** The name stored in the file (may be empty). */
  readonly name: string;
  /** The ONNX op type (`Conv`, `Gemm`, …). */
  readonly opType: string;
  /** The op's domain ('' for ai.onnx). */
  readonly domain: string;
  /** Input value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  /** Output value names. */
  readonly outputs: readonly string[];
  /** Attributes by name. */
  readonly attributes: ReadonlyMap<string, Attribute>;
}

/** The model's graph: its inputs and outputs, nodes in topological order, and initializers. */
export interface Graph {
  /** The graph's name in the file. */
  readonly name: string;
  /** Real inputs only: initializers listed as inputs (IR < 4 style) are excluded. */
  readonly inputs: readonly ValueInfo[];
  /** The graph's outputs. */
  readonly outputs: readonly ValueInfo[];
  /** Declared types and shapes of intermediate values, by name. */
  readonly valueInfo: ReadonlyMap<string, ValueInfo>;
  /** The nodes, topologically sorted. */
  readonly nodes: readonly Node[];
  /**
   * Every initializer of the file, in file order, including those no node uses (InsightFace's INSwapper reads its
   * `emap` matrix as `graph.initializer[-1]`, an initializer no node consumes). A name stored twice keeps the last
   * occurrence, at the last occurrence's position, so the map's last entry is always the file's last initializer.
   */
  readonly initializers: ReadonlyMap<string, TensorData>;
  /**
   * Inputs the file also gives an initializer (IR 4 and later), as declared: the initializer is the input's default,
   * which a feed of that name overrides. Not in `inputs` (as in onnxruntime's inputNames); their initializers are in
   * `initializers`. Absent or empty when there are none.
   */
  readonly overridableInputs?: readonly ValueInfo[];
}

/** A parsed ONNX model: its header and its graph. */
export interface Model {
  /** The file's ONNX IR version. */
  readonly irVersion: number;
  /** The tool that wrote the file. */
  readonly producerName: string;
  /** That tool's version. */
  readonly producerVersion: string;
  /** domain ('' = ai.onnx) → opset version */
  readonly opsetImports: ReadonlyMap<string, number>;
  /** The model's graph. */
  readonly graph: Graph;
}

/** The file's last initializer (`graph.initializer[-1]` in the onnx Python package), or undefined when it has none. */
export function lastInitializer(graph: Pick<Graph, 'initializers'>): { readonly name: string; readonly tensor: TensorData } | undefined {
  let last: { name: string; tensor: TensorData } | undefined;
  for (const [name, tensor] of graph.initializers) last = { name, tensor };
  return last;
}

/** A node's name for messages: the stored name, or its op type and position when anonymous. */
export function nodeLabel(node: Node): string {
  return node.name !== '' ? node.name : `${node.opType}#${node.index}`;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export const BYTES_PER_ELEMENT: Readonly<Record<DataType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2,
  int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, bool: 1,
};

/** Allocates a zero-filled typed array of the right class for a dtype. */
export function allocateTyped(type: DataType, length: number): TypedArray {
  switch (type) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(length);
    case 'int8': return new Int8Array(length);
    case 'uint8': case 'bool': return new Uint8Array(length);
    case 'int16': return new Int16Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint32': return new Uint32Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'uint64': return new BigUint64Array(length);
  }
}

/** A typed array over `bytes` without copying when the offset is aligned; otherwise an aligned copy. */
export function typedViewOrCopy(type: DataType, bytes: Uint8Array, count: number): TypedArray {
  const size = BYTES_PER_ELEMENT[type];
  const aligned = (bytes.byteOffset % size) === 0;
  // Uint8Array.prototype.slice copies even for Node Buffers (whose own slice is a view).
  const source = aligned ? bytes : Uint8Array.prototype.slice.call(bytes);
  const buffer = source.buffer as ArrayBuffer;
  const offset = source.byteOffset;
  switch (type) {
    case 'float32': return new Float32Array(buffer, offset, count);
    case 'float64': return new Float64Array(buffer, offset, count);
    case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(buffer, offset, count);
    case 'int8': return new Int8Array(buffer, offset, count);
    case 'uint8': case 'bool': return new Uint8Array(buffer, offset, count);
    case 'int16': return new Int16Array(buffer, offset, count);
    case 'int32': return new Int32Array(buffer, offset, count);
    case 'uint32': return new Uint32Array(buffer, offset, count);
    case 'int64': return new BigInt64Array(buffer, offset, count);
    case 'uint64': return new BigUint64Array(buffer, offset, count);
  }
}

/** Reads element i of any typed array as a JS number (int64 converted; exact up to 2^53). */
export function readNumber(data: TypedArray, i: number): number {
  const v = data[i]!;
  return typeof v === 'bigint' ? Number(v) : v;
}

/** All elements as numbers (for small shape-like tensors). */
export function toNumbers(t: TensorData): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = readNumber(t.data, i);
  return out;
}
