import { op, ValType, type FunctionSpec } from './encoder.js';

/** The element-wise float32 ops with a SIMD row kernel; each is one IEEE single-precision operation per lane. */
export const SIMD_BINARY_KINDS = ['Add', 'Sub', 'Mul', 'Div'] as const;
/** One of SIMD_BINARY_KINDS. */
export type SimdBinaryKind = (typeof SIMD_BINARY_KINDS)[number];

/** How the two operands advance along a row: both element by element, or one of them a single splatted value. */
export const BINARY_VARIANTS = ['vv', 'vs', 'sv'] as const;
/** One of BINARY_VARIANTS: 'vv' both operands streamed, 'vs' y splatted, 'sv' x splatted. */
export type BinaryVariant = (typeof BINARY_VARIANTS)[number];

const OPS: Record<SimdBinaryKind, () => number[]> = { Add: op.f32x4Add, Sub: op.f32x4Sub, Mul: op.f32x4Mul, Div: op.f32x4Div };

/** The exported name of one kernel. */
export function binaryFunctionName(kind: SimdBinaryKind, variant: BinaryVariant): string {
  return `${kind.toLowerCase()}_${variant}`;
}

/**
 * `{kind}_{variant}(x, y, out, n4)`, pointers in bytes: out[i] = x[i] ∘ y[i] over n4 v128, where an 's' operand is
 * one float splatted across the row (a broadcast axis). Loads and stores are unaligned. Requires n4 ≥ 1.
 */
export function binaryFunction(kind: SimdBinaryKind, variant: BinaryVariant): FunctionSpec {
  const [x, y, out, n4] = [0, 1, 2, 3];
  const [sx, sy] = [4, 5];
  const operand = (ptr: number, splat: number, isSplat: boolean): number[] => (isSplat ? op.get(splat) : [...op.get(ptr), ...op.v128Load(0)]);
  const add16 = (local: number): number[] => [...op.get(local), ...op.i32(16), ...op.i32Add(), ...op.set(local)];
  const body: number[] = [
    ...(variant === 'sv' ? [...op.get(x), ...op.v128Load32Splat(0), ...op.set(sx)] : []),
    ...(variant === 'vs' ? [...op.get(y), ...op.v128Load32Splat(0), ...op.set(sy)] : []),
    ...op.loop(),
    ...op.get(out),
    ...operand(x, sx, variant === 'sv'),
    ...operand(y, sy, variant === 'vs'),
    ...OPS[kind](),
    ...op.v128Store(0),
    ...(variant === 'sv' ? [] : add16(x)),
    ...(variant === 'vs' ? [] : add16(y)),
    ...add16(out),
    ...op.get(n4), ...op.i32(1), ...op.i32Sub(), ...op.tee(n4), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: binaryFunctionName(kind, variant), params: 4, locals: [ValType.V128, ValType.V128], body };
}

/** Every kind × variant. */
export function binaryFunctions(): FunctionSpec[] {
  return SIMD_BINARY_KINDS.flatMap((kind) => BINARY_VARIANTS.map((variant) => binaryFunction(kind, variant)));
}
