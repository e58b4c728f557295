import { op, ValType, type FunctionSpec } from './encoder.js';
import { addHalf, tileStepCode, tileStoreCode, type TileLocals } from './gemm-tile.js';

/** Rows and columns of the C tile one micro-kernel step keeps in v128 registers. */
export const TILE_M = 4;
export const TILE_N = 8;

/**
 * `gemm(ap, aStride, b, ldb, c, ldc, mBlocks, nStrips, k)`, every pointer and stride in bytes:
 * C[mBlocks·4 × nStrips·8] += A·B where A is packed as mBlocks panels (aStride bytes apart) of k steps × 4 rows,
 * and B is row-major (k rows, ldb bytes apart). For each 8-column strip of B (k × 32 bytes, which stays in L1)
 * it sweeps every 4-row panel of A, accumulating a 4×8 tile in eight f32x4 registers. Requires k ≥ 1.
 *
 * `gemmBias(…, k, bias)` is the same with C = bias + A·B instead: each tile starts from the splatted bias of its
 * rows (one float per row of C at `bias`) and is stored without reading C, which saves a fill and a read of C
 * when the whole reduction fits one call. `gemmBiasClamp(…, bias, bounds)` also clamps each tile to the two floats
 * [lo, hi] at `bounds` as it stores it (pmax then pmin: the epilogue's Relu/Clip, NaN kept), saving the
 * activation's own pass over C.
 */
export function gemmFunction(mode: 'accumulate' | 'bias' | 'biasClamp' = 'accumulate'): FunctionSpec {
  const [ap, aStride, b, ldb, c, ldc, mBlocks, nStrips, k] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const withBias = mode !== 'accumulate';
  const clamped = mode === 'biasClamp';
  const params = clamped ? 11 : withBias ? 10 : 9;
  const p0 = params;
  const [bias, bounds] = [9, 10];
  const [js, ib, pa, pb, cnt, cj, bj, ai, ci, pbias] = [p0, p0 + 1, p0 + 2, p0 + 3, p0 + 4, p0 + 5, p0 + 6, p0 + 7, p0 + 8, p0 + 9];
  const v = p0 + 10;
  const acc = (r: number, h: number): number => v + r * 2 + h;
  const [b0, b1, a] = [v + 8, v + 9, v + 10];
  // The bounds are loaded per stored tile into b0/b1, which the k loop no longer needs then.
  const [lo, hi] = [b0, b1];
  const locals = [...new Array<ValType>(10).fill(ValType.I32), ...new Array<ValType>(11).fill(ValType.V128)];

  const tile: TileLocals = { pa, pb, ldc, acc, b0, b1, a };
  const kStep = tileStepCode(TILE_M, tile);
  const zero: number[] = [];
  for (let r = 0; r < TILE_M; r++) {
    if (withBias) zero.push(...op.get(pbias), ...op.v128Load32Splat(r * 4), ...op.tee(acc(r, 0)), ...op.set(acc(r, 1)));
    else for (let h = 0; h < 2; h++) zero.push(...op.v128Const0(), ...op.set(acc(r, h)));
  }
  const bounded: number[] = clamped ? [...op.get(bounds), ...op.v128Load32Splat(0), ...op.set(lo), ...op.get(bounds), ...op.v128Load32Splat(4), ...op.set(hi)] : [];
  const store = tileStoreCode(TILE_M, ci, tile, (r, h) => {
    if (clamped) return [...op.get(pa), ...op.get(acc(r, h)), ...op.get(lo), ...op.f32x4Pmax(), ...op.get(hi), ...op.f32x4Pmin(), ...op.v128Store(16 * h)];
    if (withBias) return [...op.get(pa), ...op.get(acc(r, h)), ...op.v128Store(16 * h)];
    return addHalf(tile, r, h);
  }, bounded);

  const body: number[] = [
    ...op.get(b), ...op.set(bj), ...op.get(c), ...op.set(cj), ...op.get(nStrips), ...op.set(js),
    ...op.block(), ...op.loop(),
    ...op.get(js), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(ap), ...op.set(ai), ...op.get(cj), ...op.set(ci), ...op.get(mBlocks), ...op.set(ib),
    ...(withBias ? [...op.get(bias), ...op.set(pbias)] : []),
    ...op.block(), ...op.loop(),
    ...op.get(ib), ...op.i32Eqz(), ...op.brIf(1),
    ...zero,
    ...op.get(ai), ...op.set(pa), ...op.get(bj), ...op.set(pb), ...op.get(k), ...op.set(cnt),
    ...op.loop(),
    ...kStep,
    ...op.get(pa), ...op.i32(16), ...op.i32Add(), ...op.set(pa),
    ...op.get(pb), ...op.get(ldb), ...op.i32Add(), ...op.set(pb),
    ...op.get(cnt), ...op.i32(1), ...op.i32Sub(), ...op.tee(cnt), ...op.brIf(0),
    ...op.end(),
    ...store,
    ...op.get(ai), ...op.get(aStride), ...op.i32Add(), ...op.set(ai),
    ...(withBias ? [...op.get(pbias), ...op.i32(16), ...op.i32Add(), ...op.set(pbias)] : []),
    ...op.get(ci), ...op.get(ldc), ...op.i32(2), ...op.i32Shl(), ...op.i32Add(), ...op.set(ci),
    ...op.get(ib), ...op.i32(1), ...op.i32Sub(), ...op.set(ib),
    ...op.br(0),
    ...op.end(), ...op.end(),
    ...op.get(bj), ...op.i32(32), ...op.i32Add(), ...op.set(bj),
    ...op.get(cj), ...op.i32(32), ...op.i32Add(), ...op.set(cj),
    ...op.get(js), ...op.i32(1), ...op.i32Sub(), ...op.set(js),
    ...op.br(0),
    ...op.end(), ...op.end(),
  ];
  return { name: clamped ? 'gemmBiasClamp' : withBias ? 'gemmBias' : 'gemm', params, locals, body };
}
