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
 * split that lets the stride-2 kernels read every tap as one contiguous load. Eight floats at a time are two
 * loads, two lane shuffles and two stores; the last count mod 8 go one by one, so nothing past either half is
 * written. Requires count, rows ≥ 1.
 */
export function splitRowsFunction(): FunctionSpec {
  const [src, srcStride, dstA, dstB, dstStride, count, rows] = [0, 1, 2, 3, 4, 5, 6];
  const [ps, pa, pb, i, octs] = [7, 8, 9, 10, 11];
  const [v0, v1] = [12, 13];
  const body: number[] = [
    ...op.get(count), ...op.i32(3), ...op.i32ShrU(), ...op.set(octs),
    ...op.loop(),
    ...op.get(src), ...op.set(ps), ...op.get(dstA), ...op.set(pa), ...op.get(dstB), ...op.set(pb),
    // Whole groups of eight: lanes 0, 2, 4, 6 of the pair to A and 1, 3, 5, 7 to B.
    ...op.get(octs), ...op.set(i),
    ...op.block(), ...op.loop(),
    ...op.get(i), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(ps), ...op.v128Load(0), ...op.set(v0), ...op.get(ps), ...op.v128Load(16), ...op.set(v1),
    ...op.get(pa), ...op.get(v0), ...op.get(v1), ...op.i32x4Shuffle([0, 2, 4, 6]), ...op.v128Store(0),
    ...op.get(pb), ...op.get(v0), ...op.get(v1), ...op.i32x4Shuffle([1, 3, 5, 7]), ...op.v128Store(0),
    ...add(ps, op.i32(32)), ...add(pa, op.i32(16)), ...add(pb, op.i32(16)),
    ...op.get(i), ...op.i32(1), ...op.i32Sub(), ...op.set(i),
    ...op.br(0),
    ...op.end(), ...op.end(),
    // The rest, alternately.
    ...op.get(count), ...op.i32(7), ...op.i32And(), ...op.set(i),
    ...op.block(), ...op.loop(),
    ...op.get(i), ...op.i32Eqz(), ...op.brIf(1),
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
  return { name: 'splitRows', params: 7, locals: [...new Array<ValType>(5).fill(ValType.I32), ValType.V128, ValType.V128], body };
}
