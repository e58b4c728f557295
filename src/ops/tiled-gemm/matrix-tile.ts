/**
 * The index math of the subgroup-matrix (tensor-core) tile: which subgroup computes which fragments of the C tile,
 * where each fragment's left (A), right (B) and result matrices sit in workgroup memory, and which C elements each
 * thread carries through the epilogue. Plain numbers only, so a CPU test can run the whole schedule with ordinary
 * arrays (tests/webgpu/subgroup-matrix-schedule.test.ts) and the WGSL generator (matrix-gpu.ts) writes the same
 * numbers into its text.
 */
import { chooseTile, threadsOf, TILE_K, TILE_MENU, tileColsOf, tileRowsOf, type GemmSize, type TileShape } from './tile-menu.js';

/**
 * One of the adapter's subgroup-matrix configurations (WebGPU's GPUSubgroupMatrixConfig, Dawn's
 * `chromium-experimental-subgroup-matrix`): left M×K, right K×N and result M×N matrices of these component types.
 */
export interface SubgroupMatrixConfig {
  readonly componentType: string;
  readonly resultComponentType: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

/** The configuration a plan's fp16 GEMMs use, with the adapter's largest subgroup (workgroup x must be a multiple). */
export interface SubgroupMatrixChoice {
  readonly config: SubgroupMatrixConfig & { readonly componentType: 'f16'; readonly resultComponentType: 'f16' | 'f32' };
  readonly subgroupMaxSize: number;
}

/** The guaranteed workgroup memory (WebGPU's minimum maxComputeWorkgroupStorageSize). */
const MAX_WORKGROUP_BYTES = 16384;

/** How one workgroup of the matrix variant covers its tm×tn tile of C. */
export interface MatrixTilePlan {
  /** The menu tile whose grid (workgroups, tm×tn) the variant shares, so the normal kernel can replace it as is. */
  readonly tile: TileShape;
  readonly tm: number;
  readonly tn: number;
  /** Threads of the one-dimensional workgroup (the tile's wx·wy). */
  readonly threads: number;
  /** Subgroups the schedule assumes: threads / subgroupMaxSize (more, smaller subgroups skip, see fragmentsOf). */
  readonly subgroups: number;
  /** Fragment rows and columns of the tile: tm/M and tn/N result matrices. */
  readonly fragmentRows: number;
  readonly fragmentCols: number;
  /** Result matrices each subgroup owns. */
  readonly fragmentsPerSubgroup: number;
  /** Multiply-accumulates per K tile and fragment: TILE_K / K. */
  readonly kSteps: number;
  /**
   * Whether result matrices are stored and added into the threads' f32 sums after every K tile: with f16 results,
   * so at most TILE_K products are summed in f16 and the dot product over K is summed in f32 (as the normal tile
   * does); f32 results accumulate over all of K and are stored once.
   */
  readonly flushEveryTile: boolean;
  /** vec4 groups of C each thread carries through the epilogue. */
  readonly groupsPerThread: number;
  readonly config: SubgroupMatrixChoice['config'];
}

/** Workgroup memory of the variant: A and B K tiles as f16, and the C tile in the result type. */
export function matrixWorkgroupBytes(tm: number, tn: number, resultBytes: number): number {
  return TILE_K * tm * 2 + TILE_K * tn * 2 + tm * tn * resultBytes;
}

/**
 * The variant's plan for a problem, or undefined when no menu tile fits the configuration: tile rows and columns
 * multiples of M and N, TILE_K a multiple of K, threads a multiple of the subgroup size, fragments shared evenly
 * among subgroups, vec4 groups evenly among threads, and workgroup memory within the guaranteed 16 KiB. Among the
 * tiles that fit, the normal cost rule chooses.
 */
export function matrixTilePlan(size: GemmSize, choice: SubgroupMatrixChoice): MatrixTilePlan | undefined {
  const { config, subgroupMaxSize } = choice;
  if (TILE_K % config.K !== 0 || subgroupMaxSize <= 0) return undefined;
  const resultBytes = config.resultComponentType === 'f16' ? 2 : 4;
  const fits = TILE_MENU.filter((t) => {
    const tm = tileRowsOf(t);
    const tn = tileColsOf(t);
    const threads = threadsOf(t);
    if (tm % config.M !== 0 || tn % config.N !== 0 || threads % subgroupMaxSize !== 0) return false;
    const fragments = (tm / config.M) * (tn / config.N);
    return fragments % (threads / subgroupMaxSize) === 0 && ((tm * tn) / 4) % threads === 0
      && matrixWorkgroupBytes(tm, tn, resultBytes) <= MAX_WORKGROUP_BYTES;
  });
  if (fits.length === 0) return undefined;
  const tile = chooseTile(size, fits);
  const tm = tileRowsOf(tile);
  const tn = tileColsOf(tile);
  const threads = threadsOf(tile);
  const subgroups = threads / subgroupMaxSize;
  const fragmentRows = tm / config.M;
  const fragmentCols = tn / config.N;
  return {
    tile, tm, tn, threads, subgroups, fragmentRows, fragmentCols,
    fragmentsPerSubgroup: (fragmentRows * fragmentCols) / subgroups,
    kSteps: TILE_K / config.K,
    flushEveryTile: config.resultComponentType === 'f16',
    groupsPerThread: (tm * tn) / 4 / threads,
    config,
  };
}

/** Where one result fragment sits in the C tile: its first row and column. */
export interface Fragment {
  readonly row0: number;
  readonly col0: number;
}

/**
 * The fragments subgroup `s` owns, its j-th at index s·fragmentsPerSubgroup + j, row-major over the fragment grid.
 * A subgroup beyond `plan.subgroups` (an adapter running smaller subgroups than its maximum) owns none: the first
 * `plan.subgroups` still cover every fragment.
 */
export function fragmentsOf(plan: MatrixTilePlan, s: number): Fragment[] {
  if (s >= plan.subgroups) return [];
  return Array.from({ length: plan.fragmentsPerSubgroup }, (_, j) => {
    const f = s * plan.fragmentsPerSubgroup + j;
    return { row0: Math.floor(f / plan.fragmentCols) * plan.config.M, col0: (f % plan.fragmentCols) * plan.config.N };
  });
}

/**
 * How a matrix is read from or written to workgroup memory: element [r][c] at offset + r·stride + c (row-major) or
 * offset + c·stride + r (column-major), as subgroupMatrixLoad/Store take them.
 */
export interface MatrixAccess {
  readonly offset: number;
  readonly colMajor: boolean;
  readonly stride: number;
}

/**
 * The A tile is stored K row by K row (As[kk·tm + mm]), so a left matrix (M rows of the tile, K columns) is
 * column-major with stride tm; step `ks` of the K tile starts ks·K rows down.
 */
export function leftAccess(plan: MatrixTilePlan, f: Fragment, ks: number): MatrixAccess {
  return { offset: ks * plan.config.K * plan.tm + f.row0, colMajor: true, stride: plan.tm };
}

/** The B tile is stored K row by K row (Bs[kk·tn + nn]): a right matrix (K rows, N columns) is row-major, stride tn. */
export function rightAccess(plan: MatrixTilePlan, f: Fragment, ks: number): MatrixAccess {
  return { offset: ks * plan.config.K * plan.tn + f.col0, colMajor: false, stride: plan.tn };
}

/** The C tile is stored row-major (Cs[r·tn + c]). */
export function resultAccess(plan: MatrixTilePlan, f: Fragment): MatrixAccess {
  return { offset: f.row0 * plan.tn + f.col0, colMajor: false, stride: plan.tn };
}

/** The i-th vec4 group of C thread `lid` carries: tile row and first column (a multiple of 4). */
export function threadGroup(plan: MatrixTilePlan, lid: number, i: number): { readonly row: number; readonly col: number } {
  const g = lid + i * plan.threads;
  const perRow = plan.tn / 4;
  return { row: Math.floor(g / perRow), col: (g % perRow) * 4 };
}

let choiceInUse: SubgroupMatrixChoice | undefined;

/**
 * Runs `lower` with the plan's subgroup-matrix choice visible to matmulDispatches. The choice is a fact of the
 * device that every GEMM-shaped op family (Conv, Gemm, MatMul) reaches the tiled GEMM with; lowering is synchronous,
 * so it is set for exactly the one call, the way the node context is (graph/specialize.ts withNodeContext).
 */
export function withSubgroupMatrix<T>(choice: SubgroupMatrixChoice | undefined, lower: () => T): T {
  const before = choiceInUse;
  choiceInUse = choice;
  try {
    return lower();
  } finally {
    choiceInUse = before;
  }
}

/** The choice of the lowering in progress (see withSubgroupMatrix), undefined outside one or without the feature. */
export function subgroupMatrixInUse(): SubgroupMatrixChoice | undefined {
  return choiceInUse;
}
