import { op } from './encoder.js';

/**
 * The locals a register-tile GEMM kernel's reduction step and store work on (gemm.ts and gemm-packed.ts): A's and B's
 * running pointers, C's row stride, the tile's accumulators (two v128, eight columns, per row), the two halves of B's
 * step and A's splat.
 */
export interface TileLocals {
  readonly pa: number;
  readonly pb: number;
  readonly ldc: number;
  readonly acc: (row: number, half: number) => number;
  readonly b0: number;
  readonly b1: number;
  readonly a: number;
}

/**
 * One step of the reduction: B's eight columns at pb (two v128), then for each of `rows` rows A's float at pa + 4·row
 * splatted and multiplied into both halves, added to that row's accumulators (multiply, then add: no fused
 * multiply-add, so each lane's sum is the same floats in every kernel that shares this step).
 */
export function tileStepCode(rows: number, l: TileLocals): number[] {
  const code: number[] = [
    ...op.get(l.pb), ...op.v128Load(0), ...op.set(l.b0),
    ...op.get(l.pb), ...op.v128Load(16), ...op.set(l.b1),
  ];
  for (let r = 0; r < rows; r++) {
    code.push(...op.get(l.pa), ...op.v128Load32Splat(r * 4), ...op.set(l.a));
    for (let h = 0; h < 2; h++) {
      code.push(...op.get(l.acc(r, h)), ...op.get(l.a), ...op.get(h === 0 ? l.b0 : l.b1), ...op.f32x4Mul(), ...op.f32x4Add(), ...op.set(l.acc(r, h)));
    }
  }
  return code;
}

/**
 * Stores the tile's `rows` rows into C from the row at local `ci` down, one row stride (ldc) apart, reusing pa (free
 * after the reduction) as the row pointer. `half(row, h)` is the code for one half row, with the row's address on
 * pa; `addHalf` is the plain one, C += the accumulator. `prelude` runs once before the rows (a clamp's bounds).
 */
export function tileStoreCode(rows: number, ci: number, l: TileLocals, half: (row: number, h: number) => number[], prelude: readonly number[] = []): number[] {
  const code: number[] = [...op.get(ci), ...op.set(l.pa), ...prelude];
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < 2; h++) code.push(...half(r, h));
    if (r < rows - 1) code.push(...op.get(l.pa), ...op.get(l.ldc), ...op.i32Add(), ...op.set(l.pa));
  }
  return code;
}

/** C's half row at pa += the accumulator's: tileStoreCode's half for kernels that add into C. */
export function addHalf(l: TileLocals, row: number, h: number): number[] {
  return [...op.get(l.pa), ...op.get(l.pa), ...op.v128Load(16 * h), ...op.get(l.acc(row, h)), ...op.f32x4Add(), ...op.v128Store(16 * h)];
}
