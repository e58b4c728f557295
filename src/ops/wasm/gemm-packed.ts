import { op, ValType, type FunctionSpec } from './encoder.js';
import { addHalf, tileStepCode, tileStoreCode, type TileLocals } from './gemm-tile.js';

/** Columns of one strip of a strip-packed B (two v128 per reduction step). */
export const PACKED_STRIP = 8;

/** The most A rows one packed kernel keeps in registers (a 4×8 tile, as gemm.ts). */
export const PACKED_MAX_ROWS = 4;

/** The export name of the packed kernel for `rows` rows. */
export const packedGemmName = (rows: number): string => `gemmPacked${rows}`;

/**
 * `gemmPacked<R>(ap, aStride, b, bStride, c, ldc, mBlocks, nStrips, k)`, every pointer and stride in bytes, R in
 * 1…4: C[mBlocks·R × nStrips·8] += A·B, where A is packed as mBlocks panels (aStride bytes apart) of k steps × R
 * rows, and B is strip-packed: strip j holds columns 8j…8j+7 as consecutive 32-byte rows, strips bStride bytes
 * apart. A strip is then one contiguous stream, so a one-row product (a gemv, M = 1) reads each cache line of B
 * once, where the row-major B of gemm.ts leaves half of every line for a strip visited 25 000 rows later; and R = 1…3
 * keeps only R rows of accumulators instead of a 4-row tile with zero rows. Each lane sums its products in k order
 * (multiply, then add, from zero) and the sum is added to C once, as gemm.ts does, so a caller splitting k into the
 * same blocks gets the same floats bit for bit. Requires k ≥ 1.
 */
export function packedGemmFunction(rows: number): FunctionSpec {
  if (!Number.isInteger(rows) || rows < 1 || rows > PACKED_MAX_ROWS) throw new RangeError(`packed gemm rows must be 1…${PACKED_MAX_ROWS}, got ${rows}`);
  const [ap, aStride, b, bStride, c, ldc, mBlocks, nStrips, k] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const p0 = 9;
  const [js, ib, pa, pb, cnt, cj, bj, ai, ci] = [p0, p0 + 1, p0 + 2, p0 + 3, p0 + 4, p0 + 5, p0 + 6, p0 + 7, p0 + 8];
  const v = p0 + 9;
  const acc = (r: number, h: number): number => v + r * 2 + h;
  const [b0, b1, a] = [v + 2 * rows, v + 2 * rows + 1, v + 2 * rows + 2];
  const locals = [...new Array<ValType>(9).fill(ValType.I32), ...new Array<ValType>(2 * rows + 3).fill(ValType.V128)];

  const tile: TileLocals = { pa, pb, ldc, acc, b0, b1, a };
  const kStep = tileStepCode(rows, tile);
  const zero: number[] = [];
  for (let r = 0; r < rows; r++) for (let h = 0; h < 2; h++) zero.push(...op.v128Const0(), ...op.set(acc(r, h)));
  const store = tileStoreCode(rows, ci, tile, (r, h) => addHalf(tile, r, h));
  const body: number[] = [
    ...op.get(b), ...op.set(bj), ...op.get(c), ...op.set(cj), ...op.get(nStrips), ...op.set(js),
    ...op.block(), ...op.loop(),
    ...op.get(js), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(ap), ...op.set(ai), ...op.get(cj), ...op.set(ci), ...op.get(mBlocks), ...op.set(ib),
    ...op.block(), ...op.loop(),
    ...op.get(ib), ...op.i32Eqz(), ...op.brIf(1),
    ...zero,
    ...op.get(ai), ...op.set(pa), ...op.get(bj), ...op.set(pb), ...op.get(k), ...op.set(cnt),
    ...op.loop(),
    ...kStep,
    ...op.get(pa), ...op.i32(4 * rows), ...op.i32Add(), ...op.set(pa),
    ...op.get(pb), ...op.i32(4 * PACKED_STRIP), ...op.i32Add(), ...op.set(pb),
    ...op.get(cnt), ...op.i32(1), ...op.i32Sub(), ...op.tee(cnt), ...op.brIf(0),
    ...op.end(),
    ...store,
    ...op.get(ai), ...op.get(aStride), ...op.i32Add(), ...op.set(ai),
    // The next panel's C rows start R rows down.
    ...op.get(ci), ...op.get(ldc), ...op.i32(rows), ...op.i32Mul(), ...op.i32Add(), ...op.set(ci),
    ...op.get(ib), ...op.i32(1), ...op.i32Sub(), ...op.set(ib),
    ...op.br(0),
    ...op.end(), ...op.end(),
    ...op.get(bj), ...op.get(bStride), ...op.i32Add(), ...op.set(bj),
    ...op.get(cj), ...op.i32(4 * PACKED_STRIP), ...op.i32Add(), ...op.set(cj),
    ...op.get(js), ...op.i32(1), ...op.i32Sub(), ...op.set(js),
    ...op.br(0),
    ...op.end(), ...op.end(),
  ];
  return { name: packedGemmName(rows), params: 9, locals, body };
}
