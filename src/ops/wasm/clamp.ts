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

/**
 * `prelu(ptr, count4, channels, slopes, repeats)`, pointers in bytes: in place over `repeats` × `channels` rows of
 * count4 v128 laid out one after another, v = v < 0 ? v · slope : v with the row's channel slope (a float at
 * `slopes`, one per channel). That is the epilogue's PRelu exactly: the same compare and single-precision product.
 * Requires count4, channels, repeats ≥ 1.
 */
export function preluFunction(): FunctionSpec {
  const [ptr, count4, channels, slopes, repeats] = [0, 1, 2, 3, 4];
  const [ch, ps, i] = [5, 6, 7];
  const [s, v] = [8, 9];
  const locals = [ValType.I32, ValType.I32, ValType.I32, ValType.V128, ValType.V128];
  const dec = (local: number): number[] => [...op.get(local), ...op.i32(1), ...op.i32Sub(), ...op.tee(local)];
  const body: number[] = [
    ...op.loop(),
    ...op.get(slopes), ...op.set(ps), ...op.get(channels), ...op.set(ch),
    ...op.loop(),
    ...op.get(ps), ...op.v128Load32Splat(0), ...op.set(s),
    ...op.get(count4), ...op.set(i),
    ...op.loop(),
    ...op.get(ptr), ...op.v128Load(0), ...op.set(v),
    ...op.get(ptr),
    ...op.get(v), ...op.get(s), ...op.f32x4Mul(), ...op.get(v),
    ...op.get(v), ...op.v128Const0(), ...op.f32x4Lt(),
    ...op.v128Bitselect(), ...op.v128Store(0),
    ...op.get(ptr), ...op.i32(16), ...op.i32Add(), ...op.set(ptr),
    ...dec(i), ...op.brIf(0),
    ...op.end(),
    ...op.get(ps), ...op.i32(4), ...op.i32Add(), ...op.set(ps),
    ...dec(ch), ...op.brIf(0),
    ...op.end(),
    ...dec(repeats), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'prelu', params: 5, locals, body };
}
