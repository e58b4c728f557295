import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `maxPoolPlane(src, rowStride, kh, rowStep, chunks, tmp, dst, ho, wo, colStep, kw)`, pointers and strides in bytes:
 * one channel of a max pool over a plane the caller has padded with −Infinity (so no window is ever clipped).
 * For each output row it takes the maximum of the kh input rows `rowStep` apart, `chunks` v128 at a time, into
 * the row buffer `tmp`, then the maximum of each window's kw columns of that row (`colStep` apart per output).
 * Both maxima are NaN as soon as one input is, as in the reference. Requires kh, kw, chunks, ho, wo ≥ 1.
 */
export function maxPoolFunction(): FunctionSpec {
  const [src, rowStride, kh, rowStep, chunks, tmp, dst, ho, wo, colStep, kw] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [oy, row, i, pr, r, pt, ox, po, k, pk] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const [v] = [21];
  const [s] = [22];
  const locals = [...new Array<ValType>(10).fill(ValType.I32), ValType.V128, ValType.F32];
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
  const body: number[] = [
    ...op.get(src), ...op.set(row), ...op.get(dst), ...op.set(po), ...op.get(ho), ...op.set(oy),
    ...op.loop(),
    ...vertical,
    ...horizontal,
    ...add(row, op.get(rowStep)),
    ...op.get(po), ...op.get(wo), ...op.i32(2), ...op.i32Shl(), ...op.i32Add(), ...op.set(po),
    ...dec(oy), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'maxPoolPlane', params: 11, locals, body };
}
