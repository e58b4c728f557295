import type { GemmMacs } from '../kernel/gpu-dispatch.js';

/**
 * The tile shapes of the tiled GEMM and the cost rule that picks one per layer. A workgroup of wx×wy threads
 * computes a tm×tn tile of C (tm = rm·wy, tn = rn·wx), each thread an rm×rn block, stepping K by TILE_K through
 * workgroup memory. Rows come in multiples of 4 (a vec4 of A per 4 rows), so M = 88 gets an 88-row tile
 * (8 rows × 11 threads) instead of being padded to 128.
 */
export interface TileShape {
  /** Rows per thread. */
  readonly rm: 4 | 8;
  /** Thread rows. */
  readonly wy: number;
  /** Columns per thread (rn/4 vec4 of B each K step). */
  readonly rn: 4 | 8;
  /** Thread columns. */
  readonly wx: 8 | 16;
}

/** The K depth of one step through workgroup memory. */
export const TILE_K = 16;

/** Rows of C a workgroup computes. */
export const tileRowsOf = (t: TileShape): number => t.rm * t.wy;
/** Columns of C a workgroup computes. */
export const tileColsOf = (t: TileShape): number => t.rn * t.wx;
/** Threads per workgroup. */
export const threadsOf = (t: TileShape): number => t.wx * t.wy;

/** WebGPU's guaranteed minimums: 256 invocations and 16 KiB of workgroup memory. */
const MAX_THREADS = 256;
const MAX_WORKGROUP_BYTES = 16384;

/** Workgroup memory of a tile: A with one padding vec4 per K row (see tiledMatmulShader), B unpadded. */
export function workgroupBytes(t: TileShape): number {
  return TILE_K * (tileRowsOf(t) / 4 + 1) * 16 + TILE_K * tileColsOf(t) * 4;
}

/**
 * Every shape the kernel compiles: at least 32 threads (a warp), at most the guaranteed limits, and at least as
 * many threads as tile columns, since each thread loads B for one fixed column (vec4 loads of B need a quarter).
 */
export const TILE_MENU: readonly TileShape[] = (() => {
  const menu: TileShape[] = [];
  for (const rm of [4, 8] as const) {
    for (const rn of [4, 8] as const) {
      for (const wx of [8, 16] as const) {
        for (let wy = 1; wy <= 32; wy++) {
          const t = { rm, wy, rn, wx };
          const threads = threadsOf(t);
          if (threads < 32 || threads > MAX_THREADS || threads < tileColsOf(t) || tileRowsOf(t) > 128) continue;
          if (workgroupBytes(t) > MAX_WORKGROUP_BYTES) continue;
          menu.push(t);
        }
      }
    }
  }
  return menu;
})();

/**
 * The cost model's constants, in multiply-add equivalents. FILL_TARGET is the number of workgroups that keeps a
 * large GPU busy (an H100/H200 has 132 SMs holding two of these workgroups each); below it a layer runs as one
 * wave whose length is one workgroup's work. Each multiply-add also pays for the workgroup-memory reads that feed
 * it: a thread reads rm/4 + rn/4 vec4 per K step for rm·rn multiply-adds, i.e. (1/rm + 1/rn) per multiply-add at
 * about four multiply-adds per vec4 read. GLOBAL_LOAD is what one element of A or B loaded from memory costs
 * (an H200's fp32 rate over its L2 bandwidth is about 13 multiply-adds per float; tiles reuse some in L1).
 * GROUP_OVERHEAD is the fixed part of a workgroup: start, the B column's setup, the epilogue's bounds tests.
 */
export const FILL_TARGET = 256;
const GLOBAL_LOAD = 8;
const GROUP_OVERHEAD = 4096;

/** The constants of tileCost; the calibration bench (bench/node/bench-tiles.ts) tries others on measured times. */
export interface TileCostConstants {
  readonly globalLoad: number;
  readonly groupOverhead: number;
  readonly fillTarget: number;
}

/** The constants the product chooses tiles with. */
export const TILE_COST: TileCostConstants = { globalLoad: GLOBAL_LOAD, groupOverhead: GROUP_OVERHEAD, fillTarget: FILL_TARGET };

const up = (x: number, t: number): number => Math.ceil(x / t) * t;

/** The problem's sizes: C[batches][M×N] from K-deep dot products. */
export interface GemmSize {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batches: number;
}

/** Workgroups of a tile over a problem. */
export function workgroupsOf(size: GemmSize, t: TileShape): number {
  return Math.ceil(size.m / tileRowsOf(t)) * Math.ceil(size.n / tileColsOf(t)) * size.batches;
}

/**
 * The modelled time of a tile shape on a problem, in multiply-add equivalents of one workgroup slot: padded
 * multiply-adds and the workgroup-memory reads that feed them, plus global loads and a fixed overhead per
 * workgroup, over max(workgroups, FILL_TARGET) — a grid smaller than the GPU takes as long as one full wave.
 */
export function tileCost(size: GemmSize, t: TileShape, c: TileCostConstants = TILE_COST): number {
  const tm = tileRowsOf(t);
  const tn = tileColsOf(t);
  const kp = up(size.k, TILE_K);
  const perGroup = tm * tn * kp * (1 + 1 / t.rm + 1 / t.rn) + c.globalLoad * (tm + tn) * kp + c.groupOverhead;
  return Math.max(workgroupsOf(size, t), c.fillTarget) * perGroup;
}

/**
 * The generic tier's shapes: a layer's numbers are uniforms there and each shape is one more pipeline per kernel
 * kind, so three — 32×32 for small planes (ResNet's 7×7 and 14×14 stages), 32×64 for thin layers, 128×64 at 8×8
 * per thread for wide ones.
 */
export const GENERIC_TILE_MENU: readonly TileShape[] = [{ rm: 4, wy: 8, rn: 4, wx: 8 }, { rm: 4, wy: 8, rn: 8, wx: 8 }, { rm: 8, wy: 16, rn: 8, wx: 8 }];

let menuInUse: readonly TileShape[] = TILE_MENU;
let observer: ((size: GemmSize, tile: TileShape) => void) | undefined;

/**
 * Restricts the menu every later lowering chooses from (undefined: the full menu again). The variant tests use
 * it to run each tile shape on small layers, which the cost rule alone would give the smallest tiles.
 */
export function restrictTileMenu(menu: readonly TileShape[] | undefined): void {
  menuInUse = menu ?? TILE_MENU;
}

/**
 * @internal Calls `observe` with every problem later lowerings choose a tile for from the menu in use (the
 * specialised tier's GEMMs; not the generic tier's or the subgroup-matrix plan's own menus) and the tile chosen;
 * undefined stops. The tile calibration bench (bench/node/bench-tiles.ts) collects the models' GEMMs with it.
 */
export function observeTileChoices(observe: ((size: GemmSize, tile: TileShape) => void) | undefined): void {
  observer = observe;
}

/** The menu's cheapest tile for the problem by tileCost (ties go to the earlier entry). */
export function chooseTile(size: GemmSize, menu: readonly TileShape[] = menuInUse, constants: TileCostConstants = TILE_COST): TileShape {
  let best = menu[0]!;
  let bestCost = Infinity;
  for (const t of menu) {
    const cost = tileCost(size, t, constants);
    if (cost < bestCost) { best = t; bestCost = cost; }
  }
  if (observer && menu === menuInUse) observer(size, best);
  return best;
}

/**
 * Splitting K across workgroups: a GEMM with fewer workgroups than FILL_TARGET (ResNet's last stages at 7×7, a
 * fully connected layer with one row) would leave most of a real GPU's cores idle while a few workgroups walk a
 * long K. Its K range is then cut into chunks of at least MIN_SPLIT_STEPS K steps — shorter chunks spend more on
 * the scratch round trip and the reduce dispatch than they gain — whose partial sums go to scratch memory; a
 * second dispatch adds them in a fixed order and applies the op's store (bias, residual, activation).
 */
export const MIN_SPLIT_STEPS = 16;
const MAX_SPLITS = 64;
const MAX_SCRATCH_BYTES = 64 * 2 ** 20;

/** How a GEMM's K range is cut across workgroups. */
export interface KSplit {
  readonly splits: number;
  /** Depth of each split's K range, a multiple of the K tile (at least MIN_SPLIT_STEPS of them). */
  readonly chunk: number;
}

/** The split of K for a problem and its tile (see MIN_SPLIT_STEPS), or undefined to run K whole. */
export function chooseKSplit(size: GemmSize, tile: TileShape = chooseTile(size)): KSplit | undefined {
  const groups = workgroupsOf(size, tile);
  if (groups >= FILL_TARGET) return undefined;
  const steps = Math.ceil(size.k / TILE_K);
  const outputBytes = size.m * size.n * size.batches * 4;
  const wanted = Math.min(Math.ceil(FILL_TARGET / groups), Math.floor(steps / MIN_SPLIT_STEPS), MAX_SPLITS, Math.floor(MAX_SCRATCH_BYTES / outputBytes));
  if (wanted < 2) return undefined;
  const chunk = Math.ceil(steps / wanted) * TILE_K;
  const splits = Math.ceil(size.k / chunk);
  return splits < 2 ? undefined : { splits, chunk };
}

/** The multiply-adds of a grid of tm×tn tiles stepping K by tk: every tile computed whole. */
export function gemmMacs(size: GemmSize, tm: number, tn: number, tk: number): GemmMacs {
  return { useful: size.batches * size.m * size.n * size.k, computed: size.batches * up(size.m, tm) * up(size.n, tn) * up(size.k, tk) };
}
