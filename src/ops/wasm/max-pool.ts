import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `maxPoolPlane(src, rowStride, kh, rowStep, chunks, tmp, dst, ho, wo, colStep, kw)`, pointers and strides in bytes:
 * one channel of a max pool over a plane the caller has padded with −Infinity (so no window is ever clipped).
 * For each output row it takes the maximum of the kh input rows `rowStep` apart, `chunks` v128 at a time, into
 * the row buffer `tmp`, then the maximum of each window's kw columns of that row (`colStep` apart per output).
 * Both maxima are NaN as soon as one input is, as in the reference. A 2-wide window at stride 2 (kw = 2, colStep
 * 8) takes its column maxima four outputs a step: two loads, the even and odd lanes split by two shuffles, one
 * f32x4.max (the same maxima as f32.max, lane by lane). Requires kh, kw, chunks, ho, wo ≥ 1.
 */
export function maxPoolFunction(): FunctionSpec {
  const [src, rowStride, kh, rowStep, chunks, tmp, dst, ho, wo, colStep, kw] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [oy, row, i, pr, r, pt, ox, po, k, pk] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const [v] = [21];
  const [s] = [22];
  const [pairs, g] = [23, 24];
  const [va, vb] = [25, 26];
  const locals = [...new Array<ValType>(10).fill(ValType.I32), ValType.V128, ValType.F32, ValType.I32, ValType.I32, ValType.V128, ValType.V128];
  const dec = (local: number): number[] => [...op.get(local), ...op.i32(1), ...op.i32Sub(), ...op.tee(local)];
  const add = (local: number, by: number[]): number[] => [...op.get(local), ...by, ...op.i32Add(), ...op.set(local)];

  const vertical: number[] = [
    ...op.get(row), ...op.set(pr), ...op.get(tmp), ...op.set(pt), ...op.get(chunks), ...op.set(i),
    ...op.loop(),
    ...op.get(pr), ...op.v128Load(0), ...op.set(v),
    ...op.get(pr), ...op.set(pk), ...op.get(kh), ...op.set(r),
    ...op.block(), ...op.loop(),
    ...dec(r), ...op.i32Eqz(), ...op.brIf(1),
    ...add(pk, op.get(rowStride)),
    ...op.get(v), ...op.get(pk), ...op.v128Load(0), ...op.f32x4Max(), ...op.set(v),
    ...op.br(0),
    ...op.end(), ...op.end(),
    ...op.get(pt), ...op.get(v), ...op.v128Store(0),
    ...add(pr, op.i32(16)), ...add(pt, op.i32(16)),
    ...dec(i), ...op.brIf(0),
    ...op.end(),
  ];
  const horizontal: number[] = [
    ...op.get(tmp), ...op.set(pt), ...op.get(po), ...op.set(pr), ...op.get(wo), ...op.set(ox),
    ...op.loop(),
    ...op.get(pt), ...op.f32Load(0), ...op.set(s),
    ...op.get(pt), ...op.set(pk), ...op.get(kw), ...op.set(k),
    ...op.block(), ...op.loop(),
    ...dec(k), ...op.i32Eqz(), ...op.brIf(1),
    ...add(pk, op.i32(4)),
    ...op.get(s), ...op.get(pk), ...op.f32Load(0), ...op.f32Max(), ...op.set(s),
    ...op.br(0),
    ...op.end(), ...op.end(),
    ...op.get(pr), ...op.get(s), ...op.f32Store(0),
    ...add(pr, op.i32(4)), ...add(pt, op.get(colStep)),
    ...dec(ox), ...op.brIf(0),
    ...op.end(),
  ];
  // kw = 2 at stride 2: four outputs from eight row floats a step, then the last wo mod 4 one by one.
  const horizontalPairs: number[] = [
    ...op.get(tmp), ...op.set(pt), ...op.get(po), ...op.set(pr),
    ...op.get(wo), ...op.i32(2), ...op.i32ShrU(), ...op.set(g),
    ...op.block(), ...op.loop(),
    ...op.get(g), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(pt), ...op.v128Load(0), ...op.set(va), ...op.get(pt), ...op.v128Load(16), ...op.set(vb),
    ...op.get(pr),
    ...op.get(va), ...op.get(vb), ...op.i32x4Shuffle([0, 2, 4, 6]), ...op.get(va), ...op.get(vb), ...op.i32x4Shuffle([1, 3, 5, 7]),
    ...op.f32x4Max(), ...op.v128Store(0),
    ...add(pt, op.i32(32)), ...add(pr, op.i32(16)),
    ...op.get(g), ...op.i32(1), ...op.i32Sub(), ...op.set(g),
    ...op.br(0),
    ...op.end(), ...op.end(),
    ...op.get(wo), ...op.i32(3), ...op.i32And(), ...op.set(g),
    ...op.block(), ...op.loop(),
    ...op.get(g), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(pr), ...op.get(pt), ...op.f32Load(0), ...op.get(pt), ...op.f32Load(4), ...op.f32Max(), ...op.f32Store(0),
    ...add(pt, op.i32(8)), ...add(pr, op.i32(4)),
    ...op.get(g), ...op.i32(1), ...op.i32Sub(), ...op.set(g),
    ...op.br(0),
    ...op.end(), ...op.end(),
  ];
  const body: number[] = [
    ...op.get(kw), ...op.i32(2), ...op.i32Sub(), ...op.i32Eqz(),
    ...op.get(colStep), ...op.i32(8), ...op.i32Sub(), ...op.i32Eqz(), ...op.i32And(), ...op.set(pairs),
    ...op.get(src), ...op.set(row), ...op.get(dst), ...op.set(po), ...op.get(ho), ...op.set(oy),
    ...op.loop(),
    ...vertical,
    // The pairs path, or (pairs = 0) the general one.
    ...op.block(), ...op.block(),
    ...op.get(pairs), ...op.i32Eqz(), ...op.brIf(0),
    ...horizontalPairs,
    ...op.br(1),
    ...op.end(),
    ...horizontal,
    ...op.end(),
    ...add(row, op.get(rowStep)),
    ...op.get(po), ...op.get(wo), ...op.i32(2), ...op.i32Shl(), ...op.i32Add(), ...op.set(po),
    ...dec(oy), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'maxPoolPlane', params: 11, locals, body };
}
