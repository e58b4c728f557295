/**
 * The arithmetic of the tile calibration bench (bench-tiles.ts), kept apart from the device so a test can run it:
 * which GEMM problems the models' lowerings give the tile rule, which tiles of the menu are worth timing for each,
 * and, on a table of measured times, which setting of tileCost's constants would have chosen best.
 */
import { webGpuPlanStats } from '../../src/backends/webgpu/plan-stats.js';
import type { StaticGraph } from '../../src/graph/specialize.js';
import {
  chooseKSplit, chooseTile, GENERIC_TILE_MENU, observeTileChoices, TILE_COST, TILE_MENU, tileColsOf, tileCost, tileRowsOf,
  type GemmSize, type TileCostConstants, type TileShape,
} from '../../src/ops/tiled-gemm/tile-menu.js';

/** A tile's name: its C tile and each thread's block, e.g. `88x32/8x4` (tm×tn / rm×rn). */
export const tileName = (t: TileShape): string => `${tileRowsOf(t)}x${tileColsOf(t)}/${t.rm}x${t.rn}`;

/** A problem's name, `m×n×k×batches`. */
export const problemName = (s: GemmSize): string => `${s.m}x${s.n}x${s.k}x${s.batches}`;

/** One tile choice of a lowering: the problem and the tile the rule gave it. */
export interface TileChoice {
  readonly size: GemmSize;
  readonly tile: TileShape;
}

/**
 * Every tile choice the specialised tier makes while the plan statistics lower `graph` with the real-GPU kernel
 * variants (what `npm run bench -- --plan-stats` counts), in lowering order.
 */
export function recordTileChoices(graph: StaticGraph): TileChoice[] {
  const choices: TileChoice[] = [];
  observeTileChoices((s, tile) => choices.push({ size: { m: s.m, n: s.n, k: s.k, batches: s.batches }, tile }));
  try {
    webGpuPlanStats(graph, { software: false });
  } finally {
    observeTileChoices(undefined);
  }
  return choices;
}

/** One distinct problem over all models, with how often each model runs it. */
export interface CalibrationProblem {
  readonly name: string;
  readonly size: GemmSize;
  /** Occurrences per model, and their sum. */
  readonly occurrences: Readonly<Record<string, number>>;
  readonly total: number;
  /** The tile the product chooses (the current constants over the full menu). */
  readonly rule: TileShape;
  /** Whether the product splits K on that tile (the bench times every tile with K whole). */
  readonly splitInProduct: boolean;
}

/** The distinct problems of the models' tile choices, in order of first appearance. */
export function distinctProblems(perModel: readonly { readonly model: string; readonly choices: readonly TileChoice[] }[]): CalibrationProblem[] {
  const byName = new Map<string, { size: GemmSize; occurrences: Record<string, number> }>();
  for (const { model, choices } of perModel) {
    for (const { size } of choices) {
      const name = problemName(size);
      const entry = byName.get(name) ?? { size, occurrences: {} };
      entry.occurrences[model] = (entry.occurrences[model] ?? 0) + 1;
      byName.set(name, entry);
    }
  }
  return [...byName].map(([name, { size, occurrences }]) => {
    const rule = chooseTile(size, TILE_MENU);
    return { name, size, occurrences, total: Object.values(occurrences).reduce((a, b) => a + b, 0), rule, splitInProduct: chooseKSplit(size, rule) !== undefined };
  });
}

/**
 * The grid of constants the search tries: each around the current value (8, 4096, 256, all on the grid) by
 * factors of 2 to 4, wide enough that an edge of the grid winning says the range was too narrow.
 */
export const COST_GRID: { readonly [K in keyof TileCostConstants]: readonly number[] } = {
  globalLoad: [1, 2, 4, 8, 16, 32],
  groupOverhead: [0, 1024, 4096, 16384, 65536, 262144],
  fillTarget: [128, 256, 512, 1024],
};

/** Every setting of the grid. */
export function gridSettings(grid = COST_GRID): TileCostConstants[] {
  return grid.globalLoad.flatMap((globalLoad) => grid.groupOverhead.flatMap((groupOverhead) =>
    grid.fillTarget.map((fillTarget) => ({ globalLoad, groupOverhead, fillTarget }))));
}

const menuIndex = (t: TileShape): number => TILE_MENU.findIndex((x) => x.rm === t.rm && x.wy === t.wy && x.rn === t.rn && x.wx === t.wx);
const byMenuOrder = (tiles: readonly TileShape[]): TileShape[] => [...tiles].sort((a, b) => menuIndex(a) - menuIndex(b));

/**
 * The tiles worth timing for a problem, at most `max`, in this order: the rule's choice, the next `nextBest` by the
 * current tileCost, the generic tier's shapes, then the tiles other settings of the grid would choose from the full
 * menu (most often chosen first), so the search can usually judge a setting by its own choice.
 */
export function candidateTiles(size: GemmSize, options: { readonly max: number; readonly nextBest: number; readonly settings: readonly TileCostConstants[] }): TileShape[] {
  const picked: TileShape[] = [];
  const add = (t: TileShape): void => { if (picked.length < options.max && !picked.some((x) => menuIndex(x) === menuIndex(t))) picked.push(t); };
  const ranked = TILE_MENU.map((t, i) => ({ t, i, cost: tileCost(size, t) })).sort((a, b) => a.cost - b.cost || a.i - b.i);
  ranked.slice(0, 1 + options.nextBest).forEach(({ t }) => add(t));
  GENERIC_TILE_MENU.forEach(add);
  const votes = new Map<number, { t: TileShape; n: number }>();
  for (const c of options.settings) {
    const t = chooseTile(size, TILE_MENU, c);
    const v = votes.get(menuIndex(t)) ?? { t, n: 0 };
    v.n++;
    votes.set(menuIndex(t), v);
  }
  [...votes.values()].sort((a, b) => b.n - a.n).forEach(({ t }) => add(t));
  return picked;
}

/** A problem's measured times: milliseconds per tile name (tiles that failed their check left out). */
export interface MeasuredProblem {
  readonly size: GemmSize;
  /** How many times the models run it (the total's weight). */
  readonly weight: number;
  readonly ms: ReadonlyMap<string, number>;
}

/** The tile a setting picks among the measured ones: tileCost's cheapest, ties to the earlier menu entry, as chooseTile. */
export function pickAmongMeasured(p: MeasuredProblem, constants: TileCostConstants): TileShape {
  const measured = byMenuOrder(TILE_MENU.filter((t) => p.ms.has(tileName(t))));
  return chooseTile(p.size, measured, constants);
}

/** The models' total over the problems with each problem's tile as `constants` pick it among the measured. */
export function totalMsWith(problems: readonly MeasuredProblem[], constants: TileCostConstants): number {
  return problems.reduce((sum, p) => sum + p.weight * p.ms.get(tileName(pickAmongMeasured(p, constants)))!, 0);
}

export interface GridResult {
  readonly constants: TileCostConstants;
  readonly totalMs: number;
}

/**
 * Every setting's weighted total and the best, against the current constants (judged the same way, among the
 * measured tiles) and the oracle (each problem's fastest measured tile). A setting must beat the current constants
 * to be best; among equal totals the earliest in grid order wins.
 */
export function gridSearch(problems: readonly MeasuredProblem[], settings: readonly TileCostConstants[] = gridSettings()):
  { readonly results: GridResult[]; readonly best: GridResult; readonly current: GridResult; readonly oracleMs: number } {
  const results = settings.map((constants) => ({ constants, totalMs: totalMsWith(problems, constants) }));
  const current = { constants: TILE_COST, totalMs: totalMsWith(problems, TILE_COST) };
  const best = results.reduce((a, b) => (b.totalMs < a.totalMs ? b : a), current);
  const oracleMs = problems.reduce((sum, p) => sum + p.weight * Math.min(...p.ms.values()), 0);
  return { results, best, current, oracleMs };
}
