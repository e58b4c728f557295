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
 * `zeroBytes(dst, bytes)`: one memory.fill with zero, so a parallel section's task can clear the padded plane it then
 * fills (typed-array fills run on the calling thread only).
 */
export function zeroBytesFunction(): FunctionSpec {
  return { name: 'zeroBytes', params: 2, locals: [], body: [...op.get(0), ...op.i32(0), ...op.get(1), ...op.memoryFill()] };
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

/**
 * Runs of at least this many 32-byte steps (256 bytes: 64 pixels) go through memory.copy: on the models' layers the
 * loop was faster on 24- and 40-pixel rows (48→80 @20², 48→48 @40²) and memory.copy on 320-pixel ones (the stems).
 */
const LONG_RUN_STEPS = 8;

/**
 * `im2colBand(src, rowStride, kyStride, chStride, kx1, kx2, dst, dstStride, dstRowStride, rowBytes, rows, channels)`,
 * in bytes: one band of the banded 3×3 conv's im2col in one call. For each channel (`chStride` apart from `src`),
 * tap row ky (`kyStride` apart) and tap column kx (at byte offsets 0, kx1, kx2), `rows` runs of `rowBytes` (output
 * rows `rowStride` apart in the source) go to one B row (B rows `dstStride` apart, its output rows `dstRowStride`
 * apart): row (ch·3 + ky)·3 + kx of B, in the weight's own (cin, ky, kx) order. Copies run 32 bytes a step, so
 * rowBytes must be a multiple of 32 (the band's rows are whole 8-pixel strips). Requires rows, channels ≥ 1.
 */
export function im2colBandFunction(): FunctionSpec {
  const [src, rowStride, kyStride, chStride, kx1, kx2, dst, dstStride, dstRowStride, rowBytes, rows, channels] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [chSrc, tapRow, tap, kyLeft, r, ps, pd, i, a, d, steps, rowDst] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
  // One tap (its first source byte in `tap`): `rows` runs into the next B row, 32 bytes a step for short runs, one
  // memory.copy each from LONG_RUN_STEPS steps on (where the engine's copy outruns the loop).
  const copyTap: number[] = [
    ...op.get(tap), ...op.set(ps), ...op.get(rowDst), ...op.set(pd), ...op.get(rows), ...op.set(r),
    ...op.block(), ...op.block(),
    ...op.get(steps), ...op.i32(LONG_RUN_STEPS), ...op.i32LtU(), ...op.brIf(0),
    ...op.loop(),
    ...op.get(pd), ...op.get(ps), ...op.get(rowBytes), ...op.memoryCopy(),
    ...add(ps, op.get(rowStride)), ...add(pd, op.get(dstRowStride)),
    ...dec(r), ...op.brIf(0),
    ...op.end(),
    ...op.br(1),
    ...op.end(),
    ...op.loop(),
    ...op.get(ps), ...op.set(a), ...op.get(pd), ...op.set(d), ...op.get(steps), ...op.set(i),
    ...op.loop(),
    ...op.get(d), ...op.get(a), ...op.v128Load(0), ...op.v128Store(0),
    ...op.get(d), ...op.get(a), ...op.v128Load(16), ...op.v128Store(16),
    ...add(a, op.i32(32)), ...add(d, op.i32(32)),
    ...dec(i), ...op.brIf(0),
    ...op.end(),
    ...add(ps, op.get(rowStride)), ...add(pd, op.get(dstRowStride)),
    ...dec(r), ...op.brIf(0),
    ...op.end(),
    ...op.end(),
    ...add(rowDst, op.get(dstStride)),
  ];
  const tapAt = (offset: number[]): number[] => [...op.get(tapRow), ...offset, ...op.i32Add(), ...op.set(tap), ...copyTap];
  const body: number[] = [
    ...op.get(rowBytes), ...op.i32(5), ...op.i32ShrU(), ...op.set(steps),
    ...op.get(src), ...op.set(chSrc), ...op.get(dst), ...op.set(rowDst),
    ...op.loop(),
    ...op.get(chSrc), ...op.set(tapRow), ...op.i32(3), ...op.set(kyLeft),
    ...op.loop(),
    ...tapAt(op.i32(0)), ...tapAt(op.get(kx1)), ...tapAt(op.get(kx2)),
    ...add(tapRow, op.get(kyStride)),
    ...dec(kyLeft), ...op.brIf(0),
    ...op.end(),
    ...add(chSrc, op.get(chStride)),
    ...dec(channels), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'im2colBand', params: 12, locals: new Array<ValType>(12).fill(ValType.I32), body };
}
