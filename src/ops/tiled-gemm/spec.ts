/**
 * One tiled GEMM shader, C[z][M×N] = A[z][M×K] · B[z][K×N], shared by Conv (implicit GEMM: B is the im2col view of
 * the input, never materialised), Gemm and MatMul. Each op supplies WGSL snippets that load A and B and store C;
 * the tiling is here once, its shape picked per layer from the menu in tile-menu.ts.
 *
 * Threads load B for one fixed column of the tile across all K steps, so per-column work (the output pixel's input
 * window for a convolution) is done once per thread, not once per element. Each K tile's global loads go to
 * registers while the previous tile is multiplied out of workgroup memory (register prefetch).
 */
export interface TiledMatmulSpec {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Independent problems (batch × group), one per workgroup layer z. */
  readonly batches: number;
  /** Binding declarations and helper functions. */
  readonly declarations: string;
  /**
   * Functions only the loads call (the im2col gather): left out of the split-K reduce, so reduces of layers that
   * differ only in their loads share a pipeline.
   */
  readonly loadHelpers?: string;
  /** Statements run once per thread for its B column `col: u32` (may be ≥ N) and problem `z: u32`. */
  readonly columnSetup?: string;
  /**
   * Statements run by every thread at the start of each K tile, `kNext` (a multiple of 16) its first K index, before
   * the tile's B loads; their locals are visible to loadB. The direct kernel has no K tiles: a spec for it has none.
   */
  readonly kTileSetup?: string;
  /** f32 expression of B[kIdx][col] for in-range kIdx and col (locals of columnSetup visible). */
  readonly loadB: string;
  /** vec4<f32> expression of B[kIdx][col..col+3], used instead of loadB when given (needs N % 4 == 0). */
  readonly loadB4?: string;
  /** f32 expression of A[row][kIdx] for in-range row and kIdx; may use only row, kIdx and z. */
  readonly loadA: string;
  /**
   * A's memory runs along M (A[row][kIdx] and A[row + 1][kIdx] adjacent, as repacked conv weights are): lanes then
   * load along rows, which is coalesced and writes workgroup memory without bank conflicts.
   */
  readonly aRowsAdjacent?: boolean;
  /** vec4<f32> expression of A[row..row+3][kIdx] (row a multiple of 4), used when aRowsAdjacent and M % 4 == 0. */
  readonly loadA4?: string;
  /** Statements storing `v: f32` to C[row][col] (both in range); may use only row, col, v and z. */
  readonly store: string;
  /**
   * Statements storing `v4: vec4<f32>` to C[row][col..col+3] (col a multiple of 4, all four in range), used
   * when N % 4 == 0; same locals as store.
   */
  readonly store4?: string;
}
