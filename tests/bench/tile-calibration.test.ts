/**
 * The tile calibration bench's arithmetic (bench/node/tile-calibration.ts), without a device: the problems it records
 * are exactly the GEMMs the specialised lowering chose tiles for, and the grid search on a given timing table picks
 * the setting that table makes best.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { benchGraph } from '../../bench/node/bench-plan-stats.js';
import {
  candidateTiles, distinctProblems, gridSearch, gridSettings, pickAmongMeasured, recordTileChoices, tileName, totalMsWith, type MeasuredProblem,
} from '../../bench/node/tile-calibration.js';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { chooseTile, GENERIC_TILE_MENU, TILE_COST, TILE_MENU, type TileCostConstants, type TileShape } from '../../src/ops/tiled-gemm/tile-menu.js';
import { buildModel, DT, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { sharedPath } from '../pipeline/helpers.js';

const ones = (n: number): number[] => Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 8);

/**
 * x 1×8×6×6 → 1×1 conv to 12 channels (GEMM 12×36×8) → ReLU → 3×3 stride-2 pad-1 conv to 16 channels (GEMM 16×9×108:
 * a 3×3 output plane, K = 12·9; stride 2 keeps it off Winograd) → depthwise 3×3 (no GEMM).
 */
function tinyModel(): Uint8Array {
  return buildModel({
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['y1'], { kernel_shape: { ints: [1, 1] } }),
      node('Relu', ['y1'], ['r1']),
      node('Conv', ['r1', 'w2', 'b2'], ['y2'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }),
      node('Conv', ['y2', 'w3'], ['y'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, group: { i: 16 } }),
    ],
    inputs: [valueInfo('x', DT.FLOAT, [1, 8, 6, 6])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('w1', 'float32', [12, 8, 1, 1], ones(96)), tensor('b1', 'float32', [12], ones(12)),
      tensor('w2', 'float32', [16, 12, 3, 3], ones(16 * 12 * 9)), tensor('b2', 'float32', [16], ones(16)),
      tensor('w3', 'float32', [16, 1, 3, 3], ones(16 * 9)),
    ],
    opsets: { '': 13 },
  });
}

describe('the problems recorded for a model', () => {
  test('a built graph gives its two GEMMs, with the tiles the rule chooses', () => {
    const graph = benchGraph(tinyModel(), { name: 'tiny', file: '', input: 'x', dims: [1, 8, 6, 6] });
    const choices = recordTileChoices(graph);
    assert.deepEqual(choices.map((c) => c.size), [{ m: 12, n: 36, k: 8, batches: 1 }, { m: 16, n: 9, k: 108, batches: 1 }]);
    for (const c of choices) assert.deepEqual(c.tile, chooseTile(c.size, TILE_MENU));
  });

  test('mobilefacenet: one recorded problem per tiled dispatch of the specialised tier, in order', () => {
    const graph = benchGraph(new Uint8Array(readFileSync(sharedPath('models', 'mobilefacenet.onnx'))), { name: 'mobilefacenet', file: 'mobilefacenet.onnx', input: 'input', dims: [1, 3, 112, 112] });
    const choices = recordTileChoices(graph);
    // The GEMM-shaped dispatches are the ones that count MACs (Winograd, depthwise and reduce dispatches do not).
    const tiled = lowerGraph(graph, 'tiered', false, 65535).dispatches.flatMap((l) => l?.specialized ?? []).filter((d) => d.macs !== undefined);
    assert.ok(tiled.length > 10, `${tiled.length} tiled dispatches`);
    assert.equal(choices.length, tiled.length);
    assert.deepEqual(choices.map(({ size: s }) => s.m * s.n * s.k * s.batches), tiled.map((d) => d.macs!.useful));
    // Recording is off again afterwards: lowering once more records nothing into the earlier list.
    lowerGraph(graph, 'tiered', false, 65535);
    assert.equal(choices.length, tiled.length);
  });

  test('distinct problems count their occurrences per model', () => {
    const s1 = { m: 12, n: 36, k: 8, batches: 1 };
    const s2 = { m: 16, n: 9, k: 108, batches: 1 };
    const tile = TILE_MENU[0]!;
    const problems = distinctProblems([
      { model: 'a', choices: [{ size: s1, tile }, { size: s2, tile }, { size: s1, tile }] },
      { model: 'b', choices: [{ size: s1, tile }] },
    ]);
    assert.deepEqual(problems.map((p) => [p.name, p.occurrences, p.total]), [['12x36x8x1', { a: 2, b: 1 }, 3], ['16x9x108x1', { a: 1 }, 1]]);
    assert.deepEqual(problems[0]!.rule, chooseTile(s1, TILE_MENU));
  });

  test('the candidates start with the rule\'s tile, hold the generic shapes and repeat none', () => {
    const size = { m: 88, n: 6400, k: 504, batches: 1 };
    const tiles = candidateTiles(size, { max: 8, nextBest: 4, settings: gridSettings() });
    assert.equal(tiles.length, 8);
    assert.deepEqual(tiles[0], chooseTile(size, TILE_MENU));
    assert.equal(new Set(tiles.map(tileName)).size, tiles.length);
    for (const g of GENERIC_TILE_MENU) assert.ok(tiles.some((t) => tileName(t) === tileName(g)), tileName(g));
  });
});

describe('the grid search', () => {
  const small: TileShape = { rm: 4, wy: 4, rn: 4, wx: 8 }; // 16×32
  const big: TileShape = { rm: 8, wy: 8, rn: 8, wx: 8 }; // 64×64
  // 64×64×1024 is 8 small workgroups or 1 big one. With FILL_TARGET 256 both are one wave of 256 slots, so the
  // small tile's shorter workgroup wins (256·(16·32·1024·1.5 + …) < 256·(64·64·1024·1.25 + …)); with FILL_TARGET 1
  // the grid's own size counts and the big tile's 5.2M beats 8 × 0.79M = 6.3M multiply-adds (plus fewer loads).
  const wide: TileCostConstants = { ...TILE_COST, fillTarget: 1 };
  const a = { m: 64, n: 64, k: 1024, batches: 1 };
  const b = { m: 64, n: 128, k: 1024, batches: 1 };
  const table: MeasuredProblem[] = [
    { size: a, weight: 3, ms: new Map([[tileName(small), 10], [tileName(big), 4]]) },
    { size: b, weight: 1, ms: new Map([[tileName(small), 1], [tileName(big), 7]]) },
  ];

  test('the premise: the current constants pick the small tile on both problems, FILL_TARGET 1 the big one', () => {
    for (const p of table) {
      assert.deepEqual(pickAmongMeasured(p, TILE_COST), small);
      assert.deepEqual(pickAmongMeasured(p, wide), big);
    }
  });

  test('totals weight each problem by its occurrences', () => {
    assert.equal(totalMsWith(table, TILE_COST), 3 * 10 + 1 * 1);
    assert.equal(totalMsWith(table, wide), 3 * 4 + 1 * 7);
  });

  test('picks the setting with the least weighted total, and reports the oracle', () => {
    // Unweighted both settings would total 11; weighted, FILL_TARGET 1 wins 19 against 31.
    const result = gridSearch(table, [TILE_COST, wide]);
    assert.deepEqual(result.best.constants, wide);
    assert.equal(result.best.totalMs, 19);
    assert.equal(result.current.totalMs, 31);
    assert.equal(result.oracleMs, 3 * 4 + 1 * 1);
  });

  test('a setting only as good as the current constants does not replace them', () => {
    const even: MeasuredProblem[] = table.map((p) => ({ ...p, ms: new Map([[tileName(small), 5], [tileName(big), 5]]) }));
    assert.deepEqual(gridSearch(even, [wide, TILE_COST]).best.constants, TILE_COST);
  });

  test('the grid holds the current constants and has 6×6×4 settings', () => {
    const settings = gridSettings();
    assert.equal(settings.length, 144);
    assert.ok(settings.some((s) => s.globalLoad === TILE_COST.globalLoad && s.groupOverhead === TILE_COST.groupOverhead && s.fillTarget === TILE_COST.fillTarget));
  });
});
