import type { SimdKernels } from '../wasm/runtime.js';

/** Where one zero-padded input plane lies in the arena, as the 3×3 kernels read it (floats). */
export interface PaddedPlane {
  /** First float of padded row 0. */
  readonly offset: number;
  /** Floats from one padded row to the next (both phases for stride 2). */
  readonly rowLd: number;
  /** Floats from a row's even-column phase to its odd-column phase (stride 2). */
  readonly phaseW: number;
  readonly stride: 1 | 2;
  readonly pt: number;
  readonly pl: number;
}

/**
 * Copies the first `rows` × `cols` floats of an input plane already in the arena (at `src`, rows `w` apart) into
 * the interior of a padded plane, in WebAssembly: one memory.copy per row for stride 1, the even/odd column split
 * for stride 2. The padding around it is left as it is (zero, filled once by the caller).
 */
export function fillPaddedPlane(kernels: Pick<SimdKernels, 'copyRows' | 'splitRows'>, src: number, w: number, rows: number, cols: number, dst: PaddedPlane): void {
  if (rows <= 0 || cols <= 0) return;
  const row0 = dst.offset + dst.pt * dst.rowLd;
  if (dst.stride === 1) {
    kernels.copyRows(4 * src, 4 * w, 4 * (row0 + dst.pl), 4 * dst.rowLd, 4 * cols, rows);
    return;
  }
  // Padded column px = ix + pl lands in phase px & 1 at index px >> 1; elements alternate phases from ix = 0.
  const first = dst.pl;
  const a = row0 + (first & 1) * dst.phaseW + (first >> 1);
  const b = row0 + ((first + 1) & 1) * dst.phaseW + ((first + 1) >> 1);
  kernels.splitRows(4 * src, 4 * w, 4 * a, 4 * b, 4 * dst.rowLd, cols, rows);
}
