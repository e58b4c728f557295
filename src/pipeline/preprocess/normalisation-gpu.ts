import type { Normalisation } from './blob.js';

/** Parameter words before the table: each kernel's header (sizes) fits in these. */
export const TABLE_OFFSET = 8;

/**
 * The float32 bits of `f32(v − mean) · f32(1/std)` for every byte value, exactly as the CPU blob computes them;
 * the kernels look values up instead of redoing the arithmetic, so the GPU cannot round differently.
 */
export function normalisationTable(norm: Normalisation): Uint32Array {
  const scale = Math.fround(1 / norm.std);
  const mean = Math.fround(norm.mean);
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v - mean) * scale);
  return new Uint32Array(table.buffer);
}
