import type { onnx } from 'onnx-proto';
import { checkedElementCount, dataTypeFromOnnx, ONNX_DTYPE_NAMES } from '../core/dtype.js';
import { ModelFormatError } from '../core/errors.js';
import { BYTES_PER_ELEMENT, allocateTyped, lazyTensor, typedViewOrCopy, type DataType, type TensorData, type TypedArray } from '../core/ir.js';
import { longToNumber } from './long.js';

/** Unaligned raw data from this size on is copied when first read, not at parse (small ones: shapes, scales, now). */
const LAZY_COPY_BYTES = 1 << 16;

/**
 * Converts a TensorProto (initializer, Constant value, tensor attribute) into TensorData. Raw data becomes a view into
 * the decoded bytes where aligned (else a copy made at parse or at first read), or with `copy` an aligned copy of its
 * own made now, which refers to the bytes no more.
 */
export function tensorFromProto(proto: onnx.ITensorProto, what: string, copy = false): TensorData {
  const code = proto.dataType ?? 0;
  const type = dataTypeFromOnnx(code);
  if (type === undefined) {
    throw new ModelFormatError(`${what} has unsupported data type ${ONNX_DTYPE_NAMES[code] ?? code}`);
  }
  if (proto.dataLocation === 1) {
    throw new ModelFormatError(`${what} keeps its data in an external file, which this loader does not read`);
  }
  const dims = (proto.dims ?? []).map((d) => longToNumber(d, `${what} dims`));
  const count = checkedElementCount(dims, what);
  const raw = proto.rawData;
  if (raw && raw.length > 0) {
    const expected = count * BYTES_PER_ELEMENT[type];
    if (raw.length !== expected) {
      throw new ModelFormatError(`${what} raw_data holds ${raw.length} bytes, dims ${JSON.stringify(dims)} need ${expected}`);
    }
    if (copy) {
      const data = allocateTyped(type, count);
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(raw);
      return { type, dims, data };
    }
    // A view where the bytes are aligned; otherwise the copy waits for the first read (see lazyTensor).
    const aligned = raw.byteOffset % BYTES_PER_ELEMENT[type] === 0;
    return aligned || raw.length < LAZY_COPY_BYTES ? { type, dims, data: typedViewOrCopy(type, raw, count) } : lazyTensor(type, dims, () => typedViewOrCopy(type, raw, count));
  }
  let data: TypedArray | undefined;
  const fill = (values: ArrayLike<number | bigint> | null | undefined, field: string, convert: (v: number | bigint) => number | bigint): void => {
    const length = values?.length ?? 0;
    // Checked before allocating: corrupt dims must not cost an allocation of up to MAX_TENSOR_ELEMENTS.
    if (length !== count) {
      throw new ModelFormatError(`${what} has ${length} values in ${field}, dims ${JSON.stringify(dims)} need ${count}`);
    }
    data = allocateTyped(type, count);
    const out = data as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < count; i++) out[i] = convert(values![i]!);
  };
  const num = (v: number | bigint): number => Number(v);
  switch (type) {
    case 'float32': fill(proto.floatData, 'float_data', num); break;
    case 'float64': fill(proto.doubleData, 'double_data', num); break;
    case 'int64': fill((proto.int64Data ?? []).map((v) => BigInt(longToNumber(v, what))), 'int64_data', (v) => BigInt(v)); break;
    case 'uint32': case 'uint64': {
      const values = (proto.uint64Data ?? []).map((v) => longToNumber(v, what));
      fill(values, 'uint64_data', type === 'uint64' ? (v) => BigInt(v) : num);
      break;
    }
    default: fill(proto.int32Data, 'int32_data', num);
  }
  return { type, dims, data: data! };
}
