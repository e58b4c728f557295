import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `planeMeans(src, count, planes, dst)`, pointers in bytes: for each of `planes` planes of `count` floats laid one
 * after another from `src`, the mean of its floats as one float at dst (GlobalAveragePool). The sums run in float64,
 * as the JS reference's do: each v128 of four floats is widened into two f64x2 accumulators (lanes 0–1 and 2–3), the
 * last count mod 4 floats are added one by one, and the float64 sum over count is rounded to float32 once. So a
 * large plane of same-signed values (after a Relu) keeps the reference's accuracy instead of float32's
 * count·2⁻²⁴ drift. Requires count, planes ≥ 1.
 */
export function planeMeansFunction(): FunctionSpec {
  const [src, count, planes, dst] = [0, 1, 2, 3];
  const [i] = [4];
  const [v, lo, hi] = [5, 6, 7];
  const [sum] = [8];
  const locals = [ValType.I32, ValType.V128, ValType.V128, ValType.V128, ValType.F64];
  const body: number[] = [
    ...op.loop(),
    ...op.v128Const0(), ...op.set(lo), ...op.v128Const0(), ...op.set(hi),
    ...op.get(count), ...op.i32(2), ...op.i32ShrU(), ...op.set(i),
    ...op.block(), ...op.loop(),
    ...op.get(i), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(src), ...op.v128Load(0), ...op.set(v),
    ...op.get(lo), ...op.get(v), ...op.f64x2PromoteLowF32x4(), ...op.f64x2Add(), ...op.set(lo),
    ...op.get(hi), ...op.get(v), ...op.get(v), ...op.i32x4Shuffle([2, 3, 2, 3]), ...op.f64x2PromoteLowF32x4(), ...op.f64x2Add(), ...op.set(hi),
    ...op.get(src), ...op.i32(16), ...op.i32Add(), ...op.set(src),
    ...op.get(i), ...op.i32(1), ...op.i32Sub(), ...op.set(i),
    ...op.br(0),
    ...op.end(), ...op.end(),
    // The accumulators' lanes, then the last count mod 4 floats added to them one by one.
    ...op.get(lo), ...op.f64x2ExtractLane(0), ...op.get(lo), ...op.f64x2ExtractLane(1), ...op.f64Add(),
    ...op.get(hi), ...op.f64x2ExtractLane(0), ...op.get(hi), ...op.f64x2ExtractLane(1), ...op.f64Add(),
    ...op.f64Add(), ...op.set(sum),
    ...op.get(count), ...op.i32(3), ...op.i32And(), ...op.set(i),
    ...op.block(), ...op.loop(),
    ...op.get(i), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(sum), ...op.get(src), ...op.f32Load(0), ...op.f64PromoteF32(), ...op.f64Add(), ...op.set(sum),
    ...op.get(src), ...op.i32(4), ...op.i32Add(), ...op.set(src),
    ...op.get(i), ...op.i32(1), ...op.i32Sub(), ...op.set(i),
    ...op.br(0),
    ...op.end(), ...op.end(),
    ...op.get(dst), ...op.get(sum), ...op.get(count), ...op.f64ConvertI32U(), ...op.f64Div(), ...op.f32DemoteF64(), ...op.f32Store(0),
    ...op.get(dst), ...op.i32(4), ...op.i32Add(), ...op.set(dst),
    ...op.get(planes), ...op.i32(1), ...op.i32Sub(), ...op.tee(planes), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'planeMeans', params: 4, locals, body };
}
