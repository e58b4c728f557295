import { InputError } from './errors.js';
import { allocateTyped, BYTES_PER_ELEMENT, elementCount, type DataType, type TensorData, type TypedArray } from './ir.js';

/** A value as an error message names it: its class, or its type for primitives. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'Object';
  return typeof value === 'string' ? `the string '${value}'` : typeof value;
}

/**
 * Whether `type` names an element type: an own key of the table, so 'toString' or '__proto__' (which `in` finds on
 * Object.prototype) are no types.
 */
function isTensorType(type: unknown): type is DataType {
  return typeof type === 'string' && Object.hasOwn(EXPECTED_CLASS, type);
}

/** The standard typed-array class names (EXPECTED_CLASS's values), made at the first check. */
let typedArrayNames: ReadonlySet<string> | undefined;

/**
 * The standard typed-array class `data` is or derives from, by name (so arrays of another realm count too), or
 * undefined.
 */
function typedArrayBase(data: ArrayBufferView): string | undefined {
  const names = (typedArrayNames ??= new Set(Object.values(EXPECTED_CLASS)));
  for (let proto: unknown = Object.getPrototypeOf(data); proto !== null && typeof proto === 'object'; proto = Object.getPrototypeOf(proto)) {
    const name: unknown = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && names.has(name)) return name;
  }
  return undefined;
}

/** A view of class `base` (a standard typed-array name) over the same memory as `data`. */
function rebase(data: TypedArray, base: string): TypedArray {
  const ctor = (globalThis as unknown as Record<string, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray>)[base]!;
  return new ctor(data.buffer, data.byteOffset, data.length);
}

/** A tensor's element type (onnxruntime-web's name for it). */
export type TensorType = DataType;

const EXPECTED_CLASS: Readonly<Record<DataType, string>> = {
  float32: 'Float32Array', float64: 'Float64Array', float16: 'Uint16Array', bfloat16: 'Uint16Array',
  int8: 'Int8Array', uint8: 'Uint8Array', int16: 'Int16Array', uint16: 'Uint16Array', int32: 'Int32Array',
  uint32: 'Uint32Array', int64: 'BigInt64Array', uint64: 'BigUint64Array', bool: 'Uint8Array',
};

/**
 * A CPU-side tensor, shaped like onnxruntime-web's `Tensor(type, data, dims)` so code can switch with little change.
 * int64 data are BigInt64Array; bool are Uint8Array; float16 are raw Uint16Array bits.
 */
export class Tensor implements TensorData {
  /** The element type. */
  readonly type: TensorType;
  /** The elements, row-major, in the typed array of the element type. */
  readonly data: TypedArray;
  /** The shape. */
  readonly dims: readonly number[];

  constructor(type: TensorType, data: TypedArray | readonly number[] | readonly bigint[], dims?: readonly number[]) {
    if (!isTensorType(type)) {
      // onnxruntime's Tensor(data, dims) form puts the data first: say so rather than print the data as a type name.
      const got = ArrayBuffer.isView(type) || Array.isArray(type) ? `a ${describe(type)} (the type name comes first: new Tensor(type, data, dims))` : `'${String(type)}'`;
      throw new InputError(`unknown tensor type ${got}`);
    }
    let typed: TypedArray;
    if (Array.isArray(data)) {
      typed = allocateTyped(type, data.length);
      const out = typed as unknown as { [i: number]: number | bigint };
      const big = type === 'int64' || type === 'uint64';
      for (let i = 0; i < data.length; i++) {
        const v: unknown = data[i];
        // Booleans stay accepted (a bool tensor from [true, false]); anything else would become NaN unnoticed.
        if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') throw new InputError(`tensor data element ${i} is ${describe(v)}, not a number`);
        // BigInt() throws a RangeError for 1.5 or NaN: an int64 element must be an integer.
        if (big && typeof v === 'number' && !Number.isInteger(v)) throw new InputError(`tensor data element ${i} is ${v}, which ${type} tensors cannot hold`);
        out[i] = big ? BigInt(v) : Number(v);
      }
    } else {
      if (!ArrayBuffer.isView(data) || data instanceof DataView) throw new InputError(`tensor type '${type}' needs a ${EXPECTED_CLASS[type]}, got ${describe(data)}`);
      typed = data as TypedArray;
      // The exact class is the common case (every output a run makes): the prototype walk is for subclasses.
      const base = typed.constructor.name === EXPECTED_CLASS[type] ? EXPECTED_CLASS[type] : typedArrayBase(typed);
      if (base !== EXPECTED_CLASS[type]) {
        throw new InputError(`tensor type '${type}' needs a ${EXPECTED_CLASS[type]}, got ${typed.constructor.name}`);
      }
      // A subclass (Node's Buffer is a Uint8Array) is taken as a plain view of its memory: its own methods may differ
      // (Buffer's slice shares memory, where the copies of outputs rely on slice copying).
      if (typed.constructor.name !== base) typed = rebase(typed, base);
    }
    if (dims !== undefined && dims !== null && !Array.isArray(dims)) throw new InputError(`tensor dims must be an array of numbers, got ${describe(dims)}`);
    const shape = dims ?? [typed.length];
    for (const d of shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new InputError(`invalid dim ${d} in ${JSON.stringify(shape)}`);
    }
    if (elementCount(shape) !== typed.length) {
      throw new InputError(`dims ${JSON.stringify(shape)} need ${elementCount(shape)} elements, data has ${typed.length}`);
    }
    this.type = type;
    this.data = typed;
    this.dims = Object.freeze([...shape]);
  }

  /** The number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The same data as a Tensor (itself when it already is one). */
  static from(t: TensorData): Tensor {
    return t instanceof Tensor ? t : new Tensor(t.type, t.data, t.dims);
  }
}

/**
 * A tensor that already lives in a GPU buffer (dense, row-major, from `byteOffset`, a multiple of 4) of the device
 * a WebGPU session runs on: fed to `session.run` without a CPU round trip. The buffer needs STORAGE or COPY_SRC
 * usage; the caller keeps it alive until the run that reads it has resolved. `session.gpuInput` hands out the
 * session's own input buffer, which a producer on the same device can write directly (then the run copies nothing).
 */
export class GpuTensor {
  /** Where the data lives (onnxruntime-web's name for a GPU buffer). */
  readonly location = 'gpu-buffer' as const;
  /** The shape. */
  readonly dims: readonly number[];

  /**
   * @param type - The element type.
   * @param dims - The shape.
   * @param buffer - The GPU buffer holding the elements, on the session's device.
   * @param byteOffset - Where the elements start in the buffer (a multiple of 4).
   */
  constructor(readonly type: TensorType, dims: readonly number[], readonly buffer: GPUBuffer, readonly byteOffset = 0) {
    if (!isTensorType(type)) throw new InputError(`unknown tensor type '${String(type)}'`);
    if (!Array.isArray(dims)) throw new InputError(`GPU tensor dims must be an array of numbers, got ${describe(dims)}`);
    if (buffer === null || typeof buffer !== 'object' || typeof buffer.size !== 'number') throw new InputError(`a GPU tensor needs a GPUBuffer, got ${describe(buffer)}`);
    for (const d of dims) {
      if (!Number.isSafeInteger(d) || d < 0) throw new InputError(`invalid dim ${d} in ${JSON.stringify(dims)}`);
    }
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset % 4 !== 0) throw new InputError(`GPU tensor offset ${byteOffset} is not a non-negative multiple of 4`);
    const bytes = elementCount(dims) * BYTES_PER_ELEMENT[type];
    if (buffer.size < byteOffset + bytes) {
      throw new InputError(`a ${type}${JSON.stringify(dims)} tensor at byte ${byteOffset} needs ${byteOffset + bytes} bytes, the GPU buffer has ${buffer.size}`);
    }
    this.dims = Object.freeze([...dims]);
  }

  /** The number of elements. */
  get size(): number {
    return elementCount(this.dims);
  }

  /** Bytes the tensor's elements occupy from `byteOffset`. */
  get byteLength(): number {
    return this.size * BYTES_PER_ELEMENT[this.type];
  }
}
