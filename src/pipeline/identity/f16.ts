/** The GPU's f16 row storage: float32 rows as pairs of halves (core WGSL reads them with unpack2x16float). */
import { float16Bits } from '../../core/float16.js';

/** Pairs of halves in u32 words: element 2i in the low 16 bits, 2i+1 in the high (unpack2x16float's order). */
export function packHalves(values: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < out.length; i++) {
    const lo = float16Bits(values[2 * i]!);
    const hi = 2 * i + 1 < values.length ? float16Bits(values[2 * i + 1]!) : 0;
    out[i] = (lo | (hi << 16)) >>> 0;
  }
  return out;
}
