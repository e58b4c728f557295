import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { ModelFormatError } from '../../src/core/errors.js';
import type { TensorData } from '../../src/core/ir.js';
import { tensorFromProto } from '../../src/parser/tensor-proto.js';

const { onnx } = onnxProto;

/** A tensor read from an ONNX test-data .pb file, with the name stored in it ('' when absent). */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: TensorData;
  /** The decoded protobuf, for moving the value into a model as an initializer. */
  readonly proto: OnnxTypes.TensorProto;
}

/**
 * Reads one serialised TensorProto (the ONNX backend tests' input_K.pb / output_K.pb) through the same
 * conversion the parser uses for initializers, so these files also exercise tensorFromProto.
 */
export function readTensorFile(path: string): NamedTensor {
  const bytes = readFileSync(path);
  let proto: OnnxTypes.TensorProto;
  try {
    proto = onnx.TensorProto.decode(bytes);
  } catch (cause) {
    throw new ModelFormatError(`${path} is not a serialised TensorProto (${cause instanceof Error ? cause.message : String(cause)})`, undefined, { cause });
  }
  return { name: proto.name ?? '', tensor: tensorFromProto(proto, path), proto };
}
