import { ModelFormatError, ResourceLimitError } from './errors.js';
import type { DataType } from './ir.js';

/** Hard bound on the element count of any single tensor the engine will allocate (1 GiB of float32). */
export const MAX_TENSOR_ELEMENTS = 1 << 28;

/** ONNX TensorProto.DataType enum values → our dtype names (strings and complex are not supported). */
const ONNX_DTYPES: Readonly<Record<number, DataType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

export const ONNX_DTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 8: 'STRING', 14: 'COMPLEX64', 15: 'COMPLEX128', 17: 'FLOAT8E4M3FN',
};

export function dataTypeFromOnnx(code: number): DataType | undefined {
  return ONNX_DTYPES[code];
}

export function onnxCodeFromDataType(type: DataType): number {
  for (const [code, name] of Object.entries(ONNX_DTYPES)) if (name === type) return Number(code);
  throw new Error(`unreachable: ${type}`);
}

/** Checks dims and returns the element count, refusing negative, non-integer or absurd sizes. */
export function checkedElementCount(dims: readonly number[], what: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFormatError(`${what} has invalid dim ${d}`);
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) throw new ResourceLimitError(what, n, MAX_TENSOR_ELEMENTS);
  }
  return n;
}
