/**
 * IEEE binary16 ("half", WGSL's f16) conversions on the CPU: the GPU's fp16 plans store every float32 weight and
 * activation this way, and the CPU emulation of that path rounds through the same function, so both agree on what
 * "stored as f16" means (round to nearest, ties to even; overflow to ±∞; subnormals kept; NaN stays NaN).
 */

const word = new Float32Array(1);
const bits = new Uint32Array(word.buffer);

/** The binary16 bits nearest to `x` (taken as float32 first), rounding to nearest with ties to even. */
export function halfBitsOf(x: number): number {
  word[0] = x;
  const b = bits[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal (or zero) half: the value counted in units of 2⁻²⁴.
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    return sign | roundShift(m, shift);
  }
  // Adding the rounded mantissa to the exponent field lets a carry bump the exponent (up to ∞ at the top).
  return sign | ((e << 10) + roundShift(mantissa, 13));
}

/** `m >> shift` rounded to nearest, ties to even. */
function roundShift(m: number, shift: number): number {
  const kept = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return kept + (rest > halfway || (rest === halfway && (kept & 1) === 1) ? 1 : 0);
}

/** The value of binary16 bits `h`. */
export function halfValueOf(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m !== 0 ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** `x` rounded to the nearest binary16 value (what a store to an f16 buffer keeps of it). */
export function roundToHalf(x: number): number {
  return halfValueOf(halfBitsOf(x));
}

/** Every element of `values` as binary16 bits. */
export function encodeHalves(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfBitsOf(values[i]!);
  return out;
}

/** binary16 bits back to float32 values (exact: every half is a float32). */
export function decodeHalves(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = halfValueOf(halves[i]!);
  return out;
}

/** A copy of `values` with every element rounded to binary16. */
export function roundArrayToHalf(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfValueOf(halfBitsOf(values[i]!));
  return out;
}
