import { op, ValType, type FunctionSpec } from './encoder.js';

/*
 * The two transforms of Winograd F(2×2, 3×3) in WebAssembly SIMD, four tiles per v128 (lane i = tile i of a group of
 * four neighbours in a tile row). The 16 GEMMs between them run on the shared GEMM micro-kernel (gemm.ts).
 */

const advance = (local: number, by: number[]): number[] => [...op.get(local), ...by, ...op.i32Add(), ...op.set(local)];
const decrement = (local: number): number[] => [...op.get(local), ...op.i32(1), ...op.i32Sub(), ...op.tee(local)];

/** `for (counter = count; counter > 0; counter--) body`, counting down a local. */
function countedLoop(counter: number, count: number[], body: number[]): number[] {
  return [
    ...count, ...op.set(counter),
    ...op.block(), ...op.loop(),
    ...op.get(counter), ...op.i32Eqz(), ...op.brIf(1),
    ...body,
    ...decrement(counter), ...op.i32Eqz(), ...op.brIf(1),
    ...op.br(0),
    ...op.end(), ...op.end(),
  ];
}

/** Pushes a − b or a + b of two v128 locals. */
const sub = (a: number, b: number): number[] => [...op.get(a), ...op.get(b), ...op.f32x4Sub()];
const add = (a: number, b: number): number[] => [...op.get(a), ...op.get(b), ...op.f32x4Add()];

/**
 * `winogradInput(src, rowStride, phaseStride, chStride, channels, tileRows, groups, dst, eStride, dstChStride)`, bytes:
 * V = Bᵀ d B for every 4×4 input tile of `tileRows` rows of `groups`·4 tiles, per channel. The input is a zero-padded
 * plane per channel (`chStride` apart) with each row split into its even and odd columns (`phaseStride` apart, as
 * for the stride-2 3×3 kernel), so column q of four neighbouring tiles (origins 2 columns apart) is one v128 load:
 * phase q mod 2 at index tx + ⌊q/2⌋. Tile rows start 2 padded rows apart. V element e of tile j of channel ch lands
 * at dst + e·eStride + ch·dstChStride + 4j (j counts on across tile rows).
 */
export function winogradInputFunction(): FunctionSpec {
  const [src, rowStride, phaseStride, chStride, channels, tileRows, groups, dst, eStride, dstChStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const params = 10;
  const [ch, ty, g, pRow, pSrc, pDst, pOut, pChSrc, pChDst] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
  const v = 19;
  const d = (r: number, q: number): number => v + r * 4 + q;
  // Bᵀ d: t rows in place of d rows.
  const t = (r: number, q: number): number => v + 16 + r * 4 + q;
  const locals = [...new Array<ValType>(9).fill(ValType.I32), ...new Array<ValType>(32).fill(ValType.V128)];

  const tile: number[] = [...op.get(pSrc), ...op.set(pRow)];
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 4; q++) {
      tile.push(...op.get(pRow));
      if (q % 2 === 1) tile.push(...op.get(phaseStride), ...op.i32Add());
      tile.push(...op.v128Load(q >= 2 ? 4 : 0), ...op.set(d(r, q)));
    }
    if (r < 3) tile.push(...advance(pRow, op.get(rowStride)));
  }
  // Bᵀ rows: d0 − d2, d1 + d2, d2 − d1, d1 − d3 (the same combination again along columns).
  for (let q = 0; q < 4; q++) {
    tile.push(...sub(d(0, q), d(2, q)), ...op.set(t(0, q)), ...add(d(1, q), d(2, q)), ...op.set(t(1, q)));
    tile.push(...sub(d(2, q), d(1, q)), ...op.set(t(2, q)), ...sub(d(1, q), d(3, q)), ...op.set(t(3, q)));
  }
  tile.push(...op.get(pDst), ...op.set(pOut));
  for (let r = 0; r < 4; r++) {
    const cols = [sub(t(r, 0), t(r, 2)), add(t(r, 1), t(r, 2)), sub(t(r, 2), t(r, 1)), sub(t(r, 1), t(r, 3))];
    for (let q = 0; q < 4; q++) {
      tile.push(...op.get(pOut), ...cols[q]!, ...op.v128Store(0));
      if (r < 3 || q < 3) tile.push(...advance(pOut, op.get(eStride)));
    }
  }
  tile.push(...advance(pSrc, op.i32(16)), ...advance(pDst, op.i32(16)));

  const rows: number[] = countedLoop(ty, op.get(tileRows), [
    ...op.get(pChSrc), ...op.set(pSrc),
    ...countedLoop(g, op.get(groups), tile),
    ...advance(pChSrc, [...op.get(rowStride), ...op.i32(1), ...op.i32Shl()]),
  ]);
  const body: number[] = [
    ...op.get(src), ...op.set(pChSrc), ...op.get(dst), ...op.set(pChDst),
    ...countedLoop(ch, op.get(channels), [
      ...op.get(pChDst), ...op.set(pDst),
      // pChSrc walks the tile rows of this channel, then moves on to the next plane's start.
      ...rows,
      ...op.get(pChSrc), ...op.get(rowStride), ...op.i32(1), ...op.i32Shl(), ...op.get(tileRows), ...op.i32Mul(), ...op.i32Sub(),
      ...op.get(chStride), ...op.i32Add(), ...op.set(pChSrc),
      ...advance(pChDst, op.get(dstChStride)),
    ]),
  ];
  return { name: 'winogradInput', params, locals, body };
}

/**
 * `winogradOutput(src, eStride, chStride, channels, tileRows, groups, dst, dstRowStride, dstChStride, bias)` (bytes;
 * the `Clamp` variant takes an 11th, `bounds`): Y = Aᵀ M A + bias for every tile, M element e of channel o's tile j
 * at src + e·eStride + o·chStride + 4j. Each group of four tiles gives two output rows of 8 pixels, stored at
 * dst + o·dstChStride + 2·ty·dstRowStride + 32·g; the clamp variant clamps them to the two floats at `bounds`
 * (pmax then pmin: Relu/Clip, NaN kept).
 */
export function winogradOutputFunction(clamped = false): FunctionSpec {
  const [src, eStride, chStride, channels, tileRows, groups, dst, dstRowStride, dstChStride, bias, bounds] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const params = clamped ? 11 : 10;
  const [ch, ty, g, pIn, pSrc, pDst, pChSrc, pChDst, pRowDst] = [params, params + 1, params + 2, params + 3, params + 4, params + 5, params + 6, params + 7, params + 8];
  const v = params + 9;
  const mm = (r: number, q: number): number => v + r * 4 + q;
  // Aᵀ M: two rows s0 = m0 + m1 + m2, s1 = m1 − m2 − m3.
  const s = (r: number, q: number): number => v + 16 + r * 4 + q;
  const [y0, y1, b, lo, hi] = [v + 24, v + 25, v + 26, v + 27, v + 28];
  const locals = [...new Array<ValType>(9).fill(ValType.I32), ...new Array<ValType>(29).fill(ValType.V128)];

  const tile: number[] = [...op.get(pSrc), ...op.set(pIn)];
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 4; q++) {
      tile.push(...op.get(pIn), ...op.v128Load(0), ...op.set(mm(r, q)));
      if (r < 3 || q < 3) tile.push(...advance(pIn, op.get(eStride)));
    }
  }
  for (let q = 0; q < 4; q++) {
    tile.push(...add(mm(0, q), mm(1, q)), ...op.get(mm(2, q)), ...op.f32x4Add(), ...op.set(s(0, q)));
    tile.push(...sub(mm(1, q), mm(2, q)), ...op.get(mm(3, q)), ...op.f32x4Sub(), ...op.set(s(1, q)));
  }
  const finish = (): number[] => (clamped ? [...op.get(lo), ...op.f32x4Pmax(), ...op.get(hi), ...op.f32x4Pmin()] : []);
  for (let r = 0; r < 2; r++) {
    // Row r of the four 2×2 tiles: columns 0 and 1, bias added, then interleaved into 8 pixels.
    tile.push(...add(s(r, 0), s(r, 1)), ...op.get(s(r, 2)), ...op.f32x4Add(), ...op.get(b), ...op.f32x4Add(), ...finish(), ...op.set(y0));
    tile.push(...sub(s(r, 1), s(r, 2)), ...op.get(s(r, 3)), ...op.f32x4Sub(), ...op.get(b), ...op.f32x4Add(), ...finish(), ...op.set(y1));
    tile.push(...op.get(pDst));
    if (r === 1) tile.push(...op.get(dstRowStride), ...op.i32Add());
    tile.push(...op.get(y0), ...op.get(y1), ...op.i32x4Shuffle([0, 4, 1, 5]), ...op.v128Store(0));
    tile.push(...op.get(pDst));
    if (r === 1) tile.push(...op.get(dstRowStride), ...op.i32Add());
    tile.push(...op.get(y0), ...op.get(y1), ...op.i32x4Shuffle([2, 6, 3, 7]), ...op.v128Store(16));
  }
  tile.push(...advance(pSrc, op.i32(16)), ...advance(pDst, op.i32(32)));

  const rows = countedLoop(ty, op.get(tileRows), [
    ...op.get(pRowDst), ...op.set(pDst),
    ...countedLoop(g, op.get(groups), tile),
    ...advance(pRowDst, [...op.get(dstRowStride), ...op.i32(1), ...op.i32Shl()]),
  ]);
  const body: number[] = [
    ...(clamped ? [...op.get(bounds), ...op.v128Load32Splat(0), ...op.set(lo), ...op.get(bounds), ...op.v128Load32Splat(4), ...op.set(hi)] : []),
    ...op.get(src), ...op.set(pChSrc), ...op.get(dst), ...op.set(pChDst),
    ...countedLoop(ch, op.get(channels), [
      ...op.get(bias), ...op.v128Load32Splat(0), ...op.set(b),
      ...op.get(pChSrc), ...op.set(pSrc), ...op.get(pChDst), ...op.set(pRowDst),
      ...rows,
      ...advance(pChSrc, op.get(chStride)), ...advance(pChDst, op.get(dstChStride)), ...advance(bias, op.i32(4)),
    ]),
  ];
  return { name: clamped ? 'winogradOutputClamp' : 'winogradOutput', params, locals, body };
}
