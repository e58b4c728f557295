/** float32 → IEEE half conversion for the GPU's f16 row storage (core WGSL reads the pairs with unpack2x16float). */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE binary16 bits nearest to x (round to nearest, ties to even; overflow to ±∞, subnormals kept). */
export function halfBits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: the value in units of 2⁻²⁴, rounded to nearest even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches ∞ at the top).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0));
}

/** The float value of half bits h. */
export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Pairs of halves in u32 words: element 2i in the low 16 bits, 2i+1 in the high (unpack2x16float's order). */
export function packHalves(values: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < out.length; i++) {
    const lo = halfBits(values[2 * i]!);
    const hi = 2 * i + 1 < values.length ? halfBits(values[2 * i + 1]!) : 0;
    out[i] = (lo | (hi << 16)) >>> 0;
  }
  return out;
}
