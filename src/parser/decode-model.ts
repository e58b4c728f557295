import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { GraphError, InputError, InsightGpuError, ModelFormatError, ModelVersionError } from '../core/errors.js';
import { checkOptionShape, describeValue } from '../core/option-shape.js';
import type { Attribute, Dim, Graph, Model, Node, TensorData, ValueInfo } from '../core/ir.js';
import { longToNumber } from './long.js';
import { ONNX_DTYPE_NAMES, dataTypeFromOnnx } from '../core/dtype.js';
import { tensorFromProto } from './tensor-proto.js';
import { sortTopologically } from './topological-sort.js';

const { onnx: onnxNs } = onnxProto;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The newest ai.onnx opset whose semantics this engine's ops are taken to follow: 25 (ONNX 1.20). The bound rests
 * on ONNX's release notes, not on an op-by-op review of the changelog: after the opset-19 Pad ('wrap') and the
 * opset-18 Resize/Reduce/Pad changes, which the ops handle, they list opsets 20-25's changes to these ops as new
 * element types (bfloat16, float8, int4, float4, 2-bit), which the loader refuses by name. A file of a later opset (26 in ONNX 1.21, 27 in 1.22, ...) may rely on semantics
 * not reviewed here, so it is refused at load rather than run as if nothing changed (as onnxruntime refuses opsets
 * above its own list).
 */
export const MAX_AI_ONNX_OPSET = 25;

/**
 * The newest IR version (file format) this parser reads: 13. IR 9-13 added element types (float8, int4, float4,
 * float8e8m0, 2-bit), which tensors and inputs refuse by their code, and function overloads and metadata fields
 * (IR 10), which concern model-local functions this engine does not run (their nodes are refused as unsupported ops);
 * nothing else in the layout changed. A later IR may change what a field means, so it is refused.
 */
export const MAX_IR_VERSION = 13;

/** How parseModel treats the bytes' tensor payloads. */
export interface ParseOptions {
  /**
   * Give every initializer and tensor attribute an aligned copy of its own instead of a view into `bytes`, so the
   * caller may reuse, overwrite or transfer the bytes once parseModel returns. It copies the tensors only, not the
   * whole file, and its copies need no second one at their first read (as an unaligned view does). Default false.
   */
  readonly copyWeights?: boolean;
}

/**
 * Decodes ONNX model bytes into the engine's IR. Throws ModelFormatError / GraphError, or ModelVersionError for a file
 * newer than the engine (IR version above MAX_IR_VERSION, ai.onnx opset above MAX_AI_ONNX_OPSET), or InputError for
 * options that are not ParseOptions (a misspelt `copyweights` would otherwise leave views into `bytes` unnoticed),
 * never anything else. The
 * model's initializers are views into `bytes` (no copy of the weights): keep the buffer unchanged while the model or
 * a session made from it with `InferenceSession.fromModel` is in use, or pass `copyWeights` (as
 * `InferenceSession.create` does).
 */
export function parseModel(bytes: Uint8Array, options: ParseOptions = {}): Model {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InputError(`parseModel options must be an object, got ${describeValue(options)}`);
  checkOptionShape(options, { copyWeights: 'boolean' }, 'parseModel', (option, why) => new InputError(`parseModel option ${option}: ${why}`));
  if (!(bytes instanceof Uint8Array)) throw new ModelFormatError('expected the model as a Uint8Array');
  const copy = options.copyWeights === true;
  if (bytes.length === 0) throw new ModelFormatError('the model is empty (0 bytes)');
  let proto: onnx.ModelProto;
  try {
    proto = onnxNs.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ModelFormatError(`not a decodable ONNX protobuf (${errorText(cause)})`, offsetOf(cause), { cause });
  }
  if (!proto.graph) throw new ModelFormatError('the model has no graph (is this an ONNX file?)');
  try {
    return buildModel(proto, copy);
  } catch (error) {
    // Our own errors already say what is wrong (a ResourceLimitError must stay one, not become a format error).
    if (error instanceof InsightGpuError) throw error;
    // Corrupt-but-decodable bytes can trip assumptions deep in the conversion; report them as format errors.
    throw new ModelFormatError(`inconsistent model contents (${errorText(error)})`, undefined, { cause: error });
  }
}

function buildModel(proto: onnx.ModelProto, copy: boolean): Model {
  const label = modelLabel(proto);
  const irVersion = longToNumber(proto.irVersion, 'ir_version');
  if (irVersion > MAX_IR_VERSION) throw new ModelVersionError(label, 'ir_version', irVersion, MAX_IR_VERSION);
  const opsetImports = new Map<string, number>();
  for (const entry of proto.opsetImport ?? []) {
    const domain = entry.domain === 'ai.onnx' ? '' : (entry.domain ?? '');
    const version = longToNumber(entry.version, 'opset version');
    // Other domains need no bound here: their ops are refused as unsupported (the engine implements none of them).
    if (domain === '' && version > MAX_AI_ONNX_OPSET) throw new ModelVersionError(label, 'ai.onnx', version, MAX_AI_ONNX_OPSET);
    opsetImports.set(domain, version);
  }
  if (!opsetImports.has('')) {
    // Very old files omit the default domain; ONNX treats that as opset 1, but every model we meet is ≥ 7.
    opsetImports.set('', proto.opsetImport?.length ? 1 : 7);
  }
  return {
    irVersion,
    producerName: proto.producerName ?? '',
    producerVersion: proto.producerVersion ?? '',
    opsetImports,
    graph: buildGraph(proto.graph!, copy, irVersion),
  };
}

function buildGraph(proto: onnx.IGraphProto, copy: boolean, irVersion: number): Graph {
  const initializers = new Map<string, TensorData>();
  for (const init of proto.initializer ?? []) {
    const name = init.name ?? '';
    if (name === '') throw new ModelFormatError('an initializer has no name');
    // Map order is file order (unused initializers kept); a repeated name moves to its last position.
    initializers.delete(name);
    initializers.set(name, tensorFromProto(init, `initializer '${name}'`, copy));
  }
  if ((proto.sparseInitializer?.length ?? 0) > 0) throw new ModelFormatError('sparse initializers are not supported');

  const realInputs = (proto.input ?? []).filter((v) => !initializers.has(v.name ?? ''));
  for (const v of realInputs) checkFeedableInput(v);
  const inputs = realInputs.map(valueInfoFromProto);
  // Two declarations of one input (e.g. [2] and [3]) leave no single shape to check its feed against.
  inputs.forEach((v, i) => {
    if (inputs.findIndex((w) => w.name === v.name) !== i) throw new GraphError(`graph input '${v.name}' is declared more than once`);
  });
  // From IR 4 on an input may also have an initializer: its default value, which a feed overrides (onnxruntime
  // does the same). Before IR 4 every initializer had to be listed as an input, so there the listing means nothing.
  const overridableInputs = irVersion >= 4 ? (proto.input ?? []).filter((v) => initializers.has(v.name ?? '')).map(valueInfoFromProto) : [];
  const outputs = (proto.output ?? []).map(valueInfoFromProto);
  if (outputs.length === 0) throw new GraphError('the graph declares no outputs');
  const valueInfo = new Map<string, ValueInfo>();
  for (const v of proto.valueInfo ?? []) {
    const info = valueInfoFromProto(v);
    valueInfo.set(info.name, info);
  }

  const unsorted = (proto.node ?? []).map((n, i) => nodeFromProto(n, i, copy));
  const nodes = sortTopologically(unsorted, new Set([...inputs.map((i) => i.name), ...initializers.keys()]));
  for (const output of outputs) {
    const produced = nodes.some((n) => n.outputs.includes(output.name)) || initializers.has(output.name) || inputs.some((i) => i.name === output.name);
    if (!produced) throw new GraphError(`graph output '${output.name}' is produced by no node, input or initializer`);
  }
  return { name: proto.name ?? '', inputs, outputs, valueInfo, nodes, initializers, overridableInputs };
}

/**
 * A graph input the caller could never feed (a sequence, map or optional value, or a string/complex tensor) is refused
 * at load time, naming the input, rather than accepted and left to fail obscurely later.
 */
function checkFeedableInput(proto: onnx.IValueInfoProto): void {
  const name = proto.name ?? '';
  const type = proto.type;
  if (!type) return;
  const kind = type.sequenceType ? 'a sequence' : type.mapType ? 'a map' : type.optionalType ? 'an optional'
    : type.sparseTensorType ? 'a sparse tensor' : undefined;
  if (kind) throw new GraphError(`graph input '${name}' is ${kind}; only dense tensors are supported`);
  const code = type.tensorType?.elemType ?? 0;
  if (type.tensorType && code !== 0 && dataTypeFromOnnx(code) === undefined) {
    throw new GraphError(`graph input '${name}' has element type ${ONNX_DTYPE_NAMES[code] ?? code}, which this engine does not support`);
  }
}

function valueInfoFromProto(proto: onnx.IValueInfoProto): ValueInfo {
  const name = proto.name ?? '';
  if (name === '') throw new ModelFormatError('a graph input/output has no name');
  const tensorType = proto.type?.tensorType;
  if (!tensorType) return { name, type: undefined, shape: undefined };
  const type = dataTypeFromOnnx(tensorType.elemType ?? 0);
  const shape: Dim[] | undefined = tensorType.shape
    ? (tensorType.shape.dim ?? []).map((d): Dim => {
      if (d.dimValue !== null && d.dimValue !== undefined && (typeof d.dimValue === 'number' || longToNumber(d.dimValue, name) !== 0 || d.dimParam == null)) {
        const v = longToNumber(d.dimValue, `${name} shape`);
        if (v < 0) return null;
        return v;
      }
      return d.dimParam ? d.dimParam : null;
    })
    : undefined;
  return { name, type, shape };
}

function nodeFromProto(proto: onnx.INodeProto, index: number, copy: boolean): Node {
  const opType = proto.opType ?? '';
  if (opType === '') throw new ModelFormatError(`node #${index} has no op_type`);
  const attributes = new Map<string, Attribute>();
  const label = proto.name || `${opType}#${index}`;
  for (const a of proto.attribute ?? []) {
    attributes.set(a.name ?? '', attributeFromProto(a, `attribute '${a.name}' of node '${label}'`, copy));
  }
  return {
    index,
    name: proto.name ?? '',
    opType,
    domain: proto.domain === 'ai.onnx' ? '' : (proto.domain ?? ''),
    inputs: [...(proto.input ?? [])],
    outputs: [...(proto.output ?? [])],
    attributes,
  };
}

/** AttributeType codes from onnx.proto3. Type 0 (old files) is inferred from the populated field. */
function attributeFromProto(a: onnx.IAttributeProto, what: string, copy: boolean): Attribute {
  let type = a.type ?? 0;
  if (type === 0) {
    if (a.floats?.length) type = 6;
    else if (a.ints?.length) type = 7;
    else if (a.strings?.length) type = 8;
    else if (a.t) type = 4;
    else if (a.g) type = 5;
    else if (a.s?.length) type = 3;
    else if (a.i !== undefined && a.i !== null && longToNumber(a.i, what) !== 0) type = 2;
    else type = 1;
  }
  switch (type) {
    case 1: return { kind: 'float', value: a.f ?? 0 };
    case 2: return { kind: 'int', value: longToNumber(a.i, what) };
    case 3: return { kind: 'string', value: textDecoder.decode(a.s ?? new Uint8Array()) };
    case 4: {
      if (!a.t) throw new ModelFormatError(`${what} is a tensor attribute without a tensor`);
      return { kind: 'tensor', value: tensorFromProto(a.t, what, copy) };
    }
    case 5: return { kind: 'graph' };
    case 6: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case 7: return { kind: 'ints', value: (a.ints ?? []).map((v) => longToNumber(v, what)) };
    case 8: return { kind: 'strings', value: (a.strings ?? []).map((s) => textDecoder.decode(s)) };
    default: return { kind: 'unsupported', protoType: type };
  }
}

/** How an error names a model whose path it does not know: its graph name and producer, as the file gives them. */
function modelLabel(proto: onnx.ModelProto): string {
  const name = proto.graph?.name ? `'${proto.graph.name}'` : '(unnamed graph)';
  const producer = [proto.producerName, proto.producerVersion].filter((s) => s).join(' ');
  return producer ? `${name} from ${producer}` : name;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** protobufjs range errors read "index out of range: 12 + 10 > 20": the first number is the offset. */
function offsetOf(error: unknown): number | undefined {
  const m = /index out of range: (\d+)/.exec(errorText(error));
  return m ? Number(m[1]) : undefined;
}
