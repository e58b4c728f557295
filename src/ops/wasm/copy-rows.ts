import { op, ValType, type FunctionSpec } from './encoder.js';

const add = (local: number, by: number[]): number[] => [...op.get(local), ...by, ...op.i32Add(), ...op.set(local)];
const dec = (local: number): number[] => [...op.get(local), ...op.i32(1), ...op.i32Sub(), ...op.tee(local)];

/**
 * `copyRows(src, srcStride, dst, dstStride, rowBytes, rows)`, in bytes: copies `rows` rows of `rowBytes` between
 * strided layouts (one memory.copy each), so the conv and pool paths lay out padded planes and compact their
 * strip-padded results inside the arena instead of slicing typed arrays row by row in JS. Requires rows ≥ 1.
 */
export function copyRowsFunction(): FunctionSpec {
  const [src, srcStride, dst, dstStride, rowBytes, rows] = [0, 1, 2, 3, 4, 5];
  const body: number[] = [
    ...op.loop(),
    ...op.get(dst), ...op.get(src), ...op.get(rowBytes), ...op.memoryCopy(),
    ...add(src, op.get(srcStride)), ...add(dst, op.get(dstStride)),
    ...dec(rows), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'copyRows', params: 6, locals: [], body };
}

/**
 * `splitRows(src, srcStride, dstA, dstB, dstStride, count, rows)`, in bytes: for each of `rows` rows, the row's
 * `count` floats go alternately to dstA and dstB (element 2i to dstA[i], 2i+1 to dstB[i]): the even/odd column
 * split that lets the stride-2 kernels read every tap as one contiguous load. Requires count, rows ≥ 1.
 */
export function splitRowsFunction(): FunctionSpec {
  const [src, srcStride, dstA, dstB, dstStride, count, rows] = [0, 1, 2, 3, 4, 5, 6];
  const [ps, pa, pb, i] = [7, 8, 9, 10];
  const body: number[] = [
    ...op.loop(),
    ...op.get(src), ...op.set(ps), ...op.get(dstA), ...op.set(pa), ...op.get(dstB), ...op.set(pb), ...op.get(count), ...op.set(i),
    ...op.block(), ...op.loop(),
    ...op.get(pa), ...op.get(ps), ...op.f32Load(0), ...op.f32Store(0),
    ...dec(i), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(pb), ...op.get(ps), ...op.f32Load(4), ...op.f32Store(0),
    ...add(ps, op.i32(8)), ...add(pa, op.i32(4)), ...add(pb, op.i32(4)),
    ...dec(i), ...op.brIf(0),
    ...op.end(), ...op.end(),
    ...add(src, op.get(srcStride)), ...add(dstA, op.get(dstStride)), ...add(dstB, op.get(dstStride)),
    ...dec(rows), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'splitRows', params: 7, locals: new Array<ValType>(4).fill(ValType.I32), body };
}
