/**
 * IEEE 754 binary16 (float16) conversions. The engine computes in float32; float16 appears only as the storage type
 * of model files and of float16 graph inputs and outputs, whose data are raw Uint16Array bits.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits of 65520: the midpoint between float16's largest finite value (65504) and 2¹⁶, which rounds to ∞. */
const OVERFLOW_BITS = 0x477ff000;
/** float32 bits of 2⁻¹⁴, float16's smallest normal value. */
const MIN_NORMAL_BITS = 0x38800000;

/**
 * The float16 bits nearest to x (round to nearest, ties to even), as ONNX's Cast to FLOAT16 computes them: overflow
 * gives ±∞, values below 2⁻²⁵ give ±0, NaN stays NaN. A value that is no float32 value (a float64) is rounded
 * from its own value, not through float32, so it is rounded once.
 */
export function float16Bits(x: number): number {
  return Math.fround(x) === x || Number.isNaN(x) ? float16BitsOfFloat32(x) : float16BitsOfFloat32(roundFloat64ToFloat16(x));
}

function float16BitsOfFloat32(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00;
  if (magnitude >= OVERFLOW_BITS) return sign | 0x7c00;
  if (magnitude >= MIN_NORMAL_BITS) {
    // Rebias the exponent (127 → 15) and keep 10 of the 23 mantissa bits; a carry out of the mantissa bumps the
    // exponent, which is the right result.
    const kept = (magnitude >>> 13) - (112 << 10);
    const rest = magnitude & 0x1fff;
    return sign | (kept + (rest > 0x1000 || (rest === 0x1000 && (kept & 1) === 1) ? 1 : 0));
  }
  // Subnormal range: the value in units of 2⁻²⁴ (exact in float64), rounded half to even.
  return sign | roundHalfEven(Math.abs(f32[0]!) * 2 ** 24);
}

/** The float16 value nearest to a float64 x (±∞ past 65520), computed in float64, where scaling by 2ᵏ is exact. */
function roundFloat64ToFloat16(x: number): number {
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  let e = Math.max(-14, Math.floor(Math.log2(a)));
  if (e > -14 && 2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  // Ten mantissa bits below the leading one (or, for subnormals, units of 2⁻²⁴).
  const unit = 2 ** (e - 10);
  return Math.sign(x) * roundHalfEven(a / unit) * unit;
}

function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const frac = v - floor;
  return floor + (frac > 0.5 || (frac === 0.5 && floor % 2 === 1) ? 1 : 0);
}

/** The value of float16 bits h. */
export function float16Value(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa !== 0 ? NaN : sign * Infinity;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** x rounded to the nearest float16 value and back: what a float16 engine holds after a Cast to FLOAT16. */
export function roundToFloat16(x: number): number {
  return float16Value(float16Bits(x));
}

let valueTable: Float32Array | undefined;

/** Every element of float16 bits as float32 (exact: each float16 value is a float32 value). */
export function widenFloat16Bits(bits: Uint16Array): Float32Array {
  // A 256 KB table of all 65536 values: widening a large file's weights is then one load per element.
  valueTable ??= Float32Array.from({ length: 0x10000 }, (_, h) => float16Value(h));
  const table = valueTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** Every element as float16 bits, rounded to nearest even. */
export function narrowToFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]!);
  return out;
}

/** A copy of `values` with every element rounded to the nearest float16 value (what an f16 store keeps of it). */
export function roundArrayToFloat16(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundToFloat16(values[i]!);
  return out;
}
