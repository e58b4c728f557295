import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `clamp(ptr, count4, bounds)`, pointers in bytes: v = min(max(v, lo), hi) in place over count4 v128 from ptr, with
 * lo and hi the two floats at `bounds`. pmax(v, lo) is `v < lo ? lo : v` and pmin(t, hi) is `hi < t ? hi : t`,
 * so NaN passes through and −0 stays −0 exactly as in the epilogue's JS Clip/Relu. Requires count4 ≥ 1.
 */
export function clampFunction(): FunctionSpec {
  const [ptr, count4, bounds] = [0, 1, 2];
  const [lo, hi] = [3, 4];
  const locals = [ValType.V128, ValType.V128];
  const body: number[] = [
    ...op.get(bounds), ...op.v128Load32Splat(0), ...op.set(lo),
    ...op.get(bounds), ...op.v128Load32Splat(4), ...op.set(hi),
    ...op.loop(),
    ...op.get(ptr),
    ...op.get(ptr), ...op.v128Load(0), ...op.get(lo), ...op.f32x4Pmax(), ...op.get(hi), ...op.f32x4Pmin(),
    ...op.v128Store(0),
    ...op.get(ptr), ...op.i32(16), ...op.i32Add(), ...op.set(ptr),
    ...op.get(count4), ...op.i32(1), ...op.i32Sub(), ...op.tee(count4), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'clamp', params: 3, locals, body };
}
