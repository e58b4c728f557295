/**
 * Float16 variants of float32 ONNX files, in the layout onnxconverter-common's
 * `convert_float_to_float16(model, keep_io_types=True)` writes: every float initializer, Constant and
 * ConstantOfShape value and every intermediate value is float16, the graph's float inputs and outputs stay float32,
 * with a Cast to FLOAT16 after each input and a Cast to FLOAT before each output. Rounding is to nearest even.
 * Inputs that ONNX types as float32 only (Resize and Upsample scales, Resize roi) keep their float32 constants.
 */
import onnxProto from 'onnx-proto';
import { GraphError, ModelFormatError } from '../../src/core/errors.js';
import { narrowToFloat16Bits } from '../../src/core/float16.js';

const { onnx } = onnxProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type INodeProto = onnxProto.onnx.INodeProto;

const FLOAT = 1;
const FLOAT16 = 10;

/** Input slots that ONNX types as float32 whatever the data's type (onnx operator docs, `tensor(float)`). */
const FLOAT32_SLOTS: Readonly<Record<string, readonly number[]>> = { Resize: [1, 2], Upsample: [1] };

/** What `toFloat16Model` changed, for reports and tests. */
export interface Float16Conversion {
  /** The float16 model's bytes. */
  readonly bytes: Uint8Array;
  /** Initializers written as float16. */
  readonly initializers: number;
  /** Casts added at the graph's inputs and outputs. */
  readonly casts: number;
}

/**
 * The float16 variant of a float32 ONNX file (see the module comment). Throws ModelFormatError for bytes that are no
 * ONNX model and GraphError where a float32-only input is computed in the graph (its producer would have to stay
 * float32, which this converter does not do).
 *
 * ```ts
 * const { bytes } = toFloat16Model(readFileSync('mobilefacenet.onnx'));
 * const session = await InferenceSession.create(bytes); // runs on the float32 kernels, see widenFloat16
 * ```
 */
export function toFloat16Model(float32Bytes: Uint8Array): Float16Conversion {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(float32Bytes);
  } catch (cause) {
    throw new ModelFormatError(`not a decodable ONNX protobuf (${cause instanceof Error ? cause.message : String(cause)})`, undefined, { cause });
  }
  const graph = model.graph;
  if (!graph) throw new ModelFormatError('the model has no graph');
  const nodes = graph.node ?? [];
  const keepFloat32 = new Set<string>();
  for (const node of nodes) for (const slot of FLOAT32_SLOTS[node.opType ?? ''] ?? []) if (node.input?.[slot]) keepFloat32.add(node.input[slot]!);
  const consumedAsHalf = new Set<string>();
  for (const node of nodes) {
    const slots = FLOAT32_SLOTS[node.opType ?? ''] ?? [];
    (node.input ?? []).forEach((name, slot) => { if (!slots.includes(slot)) consumedAsHalf.add(name); });
  }
  for (const name of keepFloat32) {
    if (consumedAsHalf.has(name)) throw new GraphError(`'${name}' feeds both a float32-only input and a float16 one`);
  }

  let initializers = 0;
  for (const tensor of graph.initializer ?? []) {
    if (tensor.dataType !== FLOAT || keepFloat32.has(tensor.name ?? '')) continue;
    narrowTensor(tensor);
    initializers++;
  }
  const constants = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  for (const node of nodes) {
    const out = node.output?.[0] ?? '';
    if (node.opType === 'Constant' || node.opType === 'ConstantOfShape') {
      constants.add(out);
      if (keepFloat32.has(out)) continue;
      for (const a of node.attribute ?? []) {
        if (a.t && a.t.dataType === FLOAT) narrowTensor(a.t);
        // value_float(s) have no float16 form: they become the equivalent tensor value.
        if (a.name === 'value_float' || a.name === 'value_floats') {
          const values = a.name === 'value_float' ? [a.f ?? 0] : [...(a.floats ?? [])];
          const t: ITensorProto = { dims: a.name === 'value_float' ? [] : [values.length], dataType: FLOAT, floatData: values };
          narrowTensor(t);
          node.attribute = [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }];
        }
      }
    } else if (node.opType === 'Cast') {
      const to = (node.attribute ?? []).find((a) => a.name === 'to');
      if (to && Number(to.i) === FLOAT && !keepFloat32.has(out)) to.i = FLOAT16;
    }
  }
  for (const name of keepFloat32) {
    if (!constants.has(name)) throw new GraphError(`the float32-only input '${name}' is computed in the graph; only constants are supported there`);
  }

  const isFloat = (v: onnxProto.onnx.IValueInfoProto): boolean => v.type?.tensorType?.elemType === FLOAT;
  for (const v of graph.valueInfo ?? []) if (isFloat(v) && !keepFloat32.has(v.name ?? '')) v.type!.tensorType!.elemType = FLOAT16;
  // Files of IR < 4 list initializers among the inputs too; their declared type follows the data.
  const narrowed = new Set((graph.initializer ?? []).filter((t) => t.dataType === FLOAT16).map((t) => t.name ?? ''));
  for (const v of graph.input ?? []) if (isFloat(v) && narrowed.has(v.name ?? '')) v.type!.tensorType!.elemType = FLOAT16;

  const taken = new Set<string>([...constants, ...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]), ...(graph.input ?? []).map((v) => v.name ?? '')]);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const renameEverywhere = (from: string, to: string): void => {
    for (const node of nodes) {
      node.input = (node.input ?? []).map((n) => (n === from ? to : n));
      node.output = (node.output ?? []).map((n) => (n === from ? to : n));
    }
  };
  const before: INodeProto[] = [];
  const after: INodeProto[] = [];
  const inputNames = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  for (const input of graph.input ?? []) {
    // Files of IR < 4 list initializers as inputs too; those are data, not inputs.
    if (!isFloat(input) || constants.has(input.name ?? '')) continue;
    const half = fresh(`${input.name}_float16`);
    renameEverywhere(input.name!, half);
    before.push(castNode(fresh(`Cast_${input.name}_to_float16`), input.name!, half, FLOAT16));
  }
  for (const output of graph.output ?? []) {
    if (!isFloat(output) || inputNames.has(output.name ?? '') || constants.has(output.name ?? '')) continue;
    const half = fresh(`${output.name}_float16`);
    renameEverywhere(output.name!, half);
    after.push(castNode(fresh(`Cast_${output.name}_to_float32`), half, output.name!, FLOAT));
  }
  graph.node = [...before, ...nodes, ...after];
  return { bytes: onnx.ModelProto.encode(model).finish(), initializers, casts: before.length + after.length };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function narrowTensor(tensor: ITensorProto): void {
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : undefined;
  const bits = narrowToFloat16Bits(raw ? littleEndianFloats(raw) : Float32Array.from(tensor.floatData ?? []));
  tensor.dataType = FLOAT16;
  tensor.floatData = [];
  tensor.rawData = littleEndianBytes(bits);
}

/** raw_data is little-endian whatever the host's order; on a little-endian host an aligned copy is the array. */
function littleEndianFloats(raw: Uint8Array): Float32Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(Uint8Array.prototype.slice.call(raw).buffer);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

function littleEndianBytes(bits: Uint16Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
  const out = new Uint8Array(bits.length * 2);
  const view = new DataView(out.buffer);
  bits.forEach((b, i) => view.setUint16(i * 2, b, true));
  return out;
}

function castNode(name: string, input: string, output: string, to: number): INodeProto {
  return { name, opType: 'Cast', input: [input], output: [output], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }] };
}
