import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `planeMeans(src, count, planes, dst)`, pointers in bytes: for each of `planes` planes of `count` floats laid one
 * after another from `src`, the mean of its floats as one float at dst (GlobalAveragePool). Four lane sums run over
 * the plane's whole v128s, the last count mod 4 floats go to a scalar sum, and the mean is
 * ((l0 + l1) + (l2 + l3) + tail) / count. Requires count, planes ≥ 1.
 */
export function planeMeansFunction(): FunctionSpec {
  const [src, count, planes, dst] = [0, 1, 2, 3];
  const [i] = [4];
  const [acc] = [5];
  const [tail] = [6];
  const locals = [ValType.I32, ValType.V128, ValType.F32];
  const body: number[] = [
    ...op.loop(),
    ...op.v128Const0(), ...op.set(acc),
    ...op.get(count), ...op.i32(2), ...op.i32ShrU(), ...op.set(i),
    ...op.block(), ...op.loop(),
    ...op.get(i), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(acc), ...op.get(src), ...op.v128Load(0), ...op.f32x4Add(), ...op.set(acc),
    ...op.get(src), ...op.i32(16), ...op.i32Add(), ...op.set(src),
    ...op.get(i), ...op.i32(1), ...op.i32Sub(), ...op.set(i),
    ...op.br(0),
    ...op.end(), ...op.end(),
    // The lanes' sum, then the last count mod 4 floats added to it one by one.
    ...op.get(acc), ...op.f32x4ExtractLane(0), ...op.get(acc), ...op.f32x4ExtractLane(1), ...op.f32Add(),
    ...op.get(acc), ...op.f32x4ExtractLane(2), ...op.get(acc), ...op.f32x4ExtractLane(3), ...op.f32Add(),
    ...op.f32Add(), ...op.set(tail),
    ...op.get(count), ...op.i32(3), ...op.i32And(), ...op.set(i),
    ...op.block(), ...op.loop(),
    ...op.get(i), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(tail), ...op.get(src), ...op.f32Load(0), ...op.f32Add(), ...op.set(tail),
    ...op.get(src), ...op.i32(4), ...op.i32Add(), ...op.set(src),
    ...op.get(i), ...op.i32(1), ...op.i32Sub(), ...op.set(i),
    ...op.br(0),
    ...op.end(), ...op.end(),
    ...op.get(dst), ...op.get(tail), ...op.get(count), ...op.f32ConvertI32U(), ...op.f32Div(), ...op.f32Store(0),
    ...op.get(dst), ...op.i32(4), ...op.i32Add(), ...op.set(dst),
    ...op.get(planes), ...op.i32(1), ...op.i32Sub(), ...op.tee(planes), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'planeMeans', params: 4, locals, body };
}
