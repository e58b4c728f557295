import { allocateTyped, elementCount, type DataType, type TensorData, type TypedArray } from '../../core/ir.js';
import type { ValueType } from './op-module.js';

/**
 * Supplies buffers for new tensors, zero-filled unless `zeroed` is false (the caller then writes every element);
 * the CPU backend installs a recycling one while it runs a plan.
 */
export type TensorAllocator = (type: DataType, count: number, zeroed?: boolean) => TypedArray;

let allocator: TensorAllocator | undefined;

/** Runs `fn` with `makeTensor` drawing its buffers from `alloc` (restored afterwards, also on error). */
export function withTensorAllocator<T>(alloc: TensorAllocator, fn: () => T): T {
  const previous = allocator;
  allocator = alloc;
  try {
    return fn();
  } finally {
    allocator = previous;
  }
}

export function makeTensor(type: DataType, dims: readonly number[], data?: TypedArray): TensorData {
  return { type, dims: [...dims], data: data ?? (allocator ? allocator(type, elementCount(dims)) : allocateTyped(type, elementCount(dims))) };
}

/**
 * A tensor whose every element the caller is about to write: a recycled buffer may hold a previous value's data,
 * so the allocator skips zero-filling it (fresh buffers are zero anyway).
 */
export function makeOutputTensor(type: DataType, dims: readonly number[]): TensorData {
  const count = elementCount(dims);
  return { type, dims: [...dims], data: allocator ? allocator(type, count, false) : allocateTyped(type, count) };
}

export function emptyLike(v: ValueType): TensorData {
  return makeTensor(v.type, v.dims);
}

/** Row-major strides of a shape. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

export function int64Tensor(values: readonly number[]): TensorData {
  return { type: 'int64', dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) };
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
