import type { GpuBinding, GpuDispatch } from '../kernel/gpu-dispatch.js';
import { ShapeValues } from '../kernel/shape-values.js';
import { grid } from '../kernel/wgsl.js';
import { directMatmulShader } from './direct.js';
import { epilogueStore } from './epilogue-store.js';
import { matrixMatmulShader } from './matrix-gpu.js';
import { matrixTilePlan, subgroupMatrixInUse } from './matrix-tile.js';
import type { TiledMatmulSpec } from './spec.js';
import {
  chooseKSplit, chooseTile, gemmMacs, GENERIC_TILE_MENU, threadsOf, TILE_K, tileColsOf, tileRowsOf, type KSplit, type TileShape,
} from './tile-menu.js';

export { chooseKSplit, chooseTile, type KSplit, type TileShape } from './tile-menu.js';
export type { TiledMatmulSpec } from './spec.js';
export { withSubgroupMatrix, type SubgroupMatrixChoice, type SubgroupMatrixConfig } from './matrix-tile.js';

/**
 * The dispatches of one GEMM-shaped op: the direct kernel on a software adapter (and for generic kernels),
 * otherwise the tiled kernel with the layer's tile, split along K (plus a reduce dispatch) when the output has too
 * few tiles to fill the GPU. `bindings` are the op's own; a split appends a scratch binding after them. `shape`
 * is the set the spec's snippets took their numbers from; only the direct kernel writes its own numbers through
 * it as well. `tile` overrides the cost rule's choice (the variant tests).
 */
export function matmulDispatches(
  spec: TiledMatmulSpec, bindings: readonly GpuBinding[],
  options: { readonly software: boolean; readonly maxWorkgroupsPerDimension: number; readonly shape?: ShapeValues; readonly tile?: TileShape },
): GpuDispatch[] {
  const shape = options.shape ?? ShapeValues.literal();
  if (options.software) {
    const { shader, workgroups } = directMatmulShader(spec, shape);
    return [shape.finish({ shader, bindings, workgroups, macs: gemmMacs(spec, 8, 1, 1) })];
  }
  const matrix = shape.generic || options.tile ? undefined : subgroupMatrixDispatch(spec, bindings);
  if (matrix) return [matrix];
  // Generic kernels choose from two shapes and never split K, so layers share their text.
  const tile = options.tile ?? chooseTile(spec, shape.generic ? GENERIC_TILE_MENU : undefined);
  const macs = gemmMacs(spec, tileRowsOf(tile), tileColsOf(tile), TILE_K);
  const split = shape.generic ? undefined : chooseKSplit(spec, tile);
  if (!split) {
    const { shader, workgroups } = tiledMatmulShader(spec, tile, undefined, shape);
    return [shape.finish({ shader, bindings, workgroups, macs })];
  }
  const all: GpuBinding[] = [...bindings, { kind: 'scratch', bytes: split.splits * spec.batches * spec.m * spec.n * 4 }];
  const part = `@group(0) @binding(${bindings.length}) var<storage, read_write> part: array<f32>;`;
  const partial = tiledMatmulShader({ ...spec, declarations: `${spec.declarations}
${part}` }, tile, split);
  const total = spec.batches * spec.m * spec.n;
  const g = grid(total, 64, options.maxWorkgroupsPerDimension);
  const reduce = `${spec.declarations}
${part}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * 64u + lid;
  if (i >= ${total}u) { return; }
  let col = i % ${spec.n}u;
  let row = (i / ${spec.n}u) % ${spec.m}u;
  let z = i / ${spec.m * spec.n}u;
  var v = 0.0f;
  for (var s = 0u; s < ${split.splits}u; s++) {
    v += part[((z * ${split.splits}u + s) * ${spec.m}u + row) * ${spec.n}u + col];
  }
  ${spec.store}
}
`;
  return [
    shape.finish({ shader: partial.shader, bindings: all, workgroups: partial.workgroups, macs }),
    shape.finish({ shader: reduce, bindings: all, workgroups: g.workgroups }),
  ];
}

/**
 * The subgroup-matrix variant of a layer when the lowering has a choice (see withSubgroupMatrix), a menu tile fits
 * it and K runs whole on that tile; its fallback is the normal kernel of the same tile, so the two share bindings
 * and grid.
 */
function subgroupMatrixDispatch(spec: TiledMatmulSpec, bindings: readonly GpuBinding[]): GpuDispatch | undefined {
  const choice = subgroupMatrixInUse();
  const plan = choice ? matrixTilePlan(spec, choice) : undefined;
  if (!plan || chooseKSplit(spec, plan.tile)) return undefined;
  const variant = matrixMatmulShader(spec, plan);
  const normal = tiledMatmulShader(spec, plan.tile);
  return { shader: variant.shader, fallbackShader: normal.shader, bindings, workgroups: variant.workgroups, macs: gemmMacs(spec, plan.tm, plan.tn, TILE_K) };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The tiled kernel for one tile shape. Workgroup memory holds A K-row by K-row with one vec4 of padding per row,
 * so lanes storing the same row of consecutive K rows land in different banks; B K-row by K-row unpadded (lanes
 * store adjacent columns). Each thread's rn columns are rn/4 vec4 groups interleaved wx·4 apart, so a K step's
 * vec4 reads of B are adjacent across lanes.
 */
export function tiledMatmulShader(spec: TiledMatmulSpec, tile: TileShape = chooseTile(spec), split?: KSplit, shape = ShapeValues.literal()):
  { shader: string; workgroups: [number, number, number] } {
  const { rm, rn, wx, wy } = tile;
  // Uniform fields in generic kernels; the vec4 paths depend on the layer's sizes, so those kernels stay scalar.
  const M = shape.u('gemmM', spec.m);
  const N = shape.u('gemmN', spec.n);
  const K = shape.u('gemmK', spec.k);
  const tm = tileRowsOf(tile);
  const tn = tileColsOf(tile);
  const threads = threadsOf(tile);
  const aStride = tm / 4 + 1;
  const vecA = !shape.generic && spec.aRowsAdjacent === true && spec.loadA4 !== undefined && spec.m % 4 === 0;
  const vecB = !shape.generic && spec.loadB4 !== undefined && spec.n % 4 === 0;
  const vecStore = !shape.generic && spec.store4 !== undefined && spec.n % 4 === 0 && !split;
  // A: elements (or vec4 of rows) of the tm×TILE_K tile, spread over the threads; lanes run along K for row-major A
  // (adjacent in memory) and along M when rows are adjacent.
  const aItems = vecA ? (tm / 4) * TILE_K : tm * TILE_K;
  const aLoads = Math.ceil(aItems / threads);
  const aGuard = aItems % threads !== 0 ? `idx < ${aItems}u && ` : '';
  const aIndex = vecA ? `let mq = idx % ${tm / 4}u; let kk = idx / ${tm / 4}u;`
    : spec.aRowsAdjacent ? `let mm = idx % ${tm}u; let kk = idx / ${tm}u;` : `let mm = idx / ${TILE_K}u; let kk = idx % ${TILE_K}u;`;
  // B: each loader thread owns one column (or vec4 of columns) and walks the K rows bRowStep apart.
  const bCols = vecB ? tn / 4 : tn;
  const bRowStep = Math.floor(threads / bCols);
  const bLoads = Math.ceil(TILE_K / bRowStep);
  const bLoader = bRowStep * bCols < threads;
  const bGuard = `${bLoader ? 'bLoader && ' : ''}${bLoads * bRowStep > TILE_K ? `kk < ${TILE_K}u && ` : ''}`;
  const colVecs = range(rn / 4);
  const accs = range(rm).flatMap((i) => colVecs.map((j) => `acc${i}_${j}`));
  const zero = (vec: boolean): string => (vec ? 'vec4<f32>(0.0f)' : '0.0f');
  const store = split
    ? `for (var lane4 = 0u; lane4 < 4u; lane4++) { if (col + lane4 < ${N}) { part[(wid.z * ${M} + row) * ${N} + col + lane4] = v4[lane4]; } }`
    : epilogueStore(spec, N, vecStore);
  const shader = `${spec.declarations}
${spec.loadHelpers ?? ''}
var<workgroup> As: array<vec4<f32>, ${TILE_K * aStride}>;
var<workgroup> Bs: array<vec4<f32>, ${(TILE_K * tn) / 4}>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) tid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.z${split ? ` / ${split.splits}u` : ''};
  let kBegin = ${split ? `(wid.z % ${split.splits}u) * ${split.chunk}u` : '0u'};
  let kEnd = ${split ? `min(${K}, kBegin + ${split.chunk}u)` : `${K}`};
  let m0 = wid.y * ${tm}u;
  let n0 = wid.x * ${tn}u;
  let bCol = lid % ${bCols}u;
  let bRow = lid / ${bCols}u;${bLoader ? `\n  let bLoader = lid < ${bRowStep * bCols}u;` : ''}
  let col = n0 + bCol${vecB ? ' * 4u' : ''};
  ${spec.columnSetup ?? ''}
${accs.map((a) => `  var ${a} = vec4<f32>(0.0f);`).join('\n')}
  var ra: array<${vecA ? 'vec4<f32>' : 'f32'}, ${aLoads}>;
  var rb: array<${vecB ? 'vec4<f32>' : 'f32'}, ${bLoads}>;
  // Register prefetch: each pass loads K tile t + 1 into registers, multiplies tile t out of workgroup memory
  // meanwhile, then stores t + 1 there. The first pass only loads and stores, the last only multiplies.
  var kNext = kBegin;
  var first = true;
  loop {
    if (kNext < kEnd) {
      for (var e = 0u; e < ${aLoads}u; e++) {
        let idx = lid + e * ${threads}u;
        ${aIndex}
        let row = m0 + ${vecA ? 'mq * 4u' : 'mm'};
        let kIdx = kNext + kk;
        ra[e] = ${zero(vecA)};
        if (${aGuard}row < ${M} && kIdx < ${K}) { ra[e] = ${vecA ? spec.loadA4 : spec.loadA}; }
      }
      ${spec.kTileSetup ?? ''}
      for (var e = 0u; e < ${bLoads}u; e++) {
        let kk = bRow + e * ${bRowStep}u;
        let kIdx = kNext + kk;
        rb[e] = ${zero(vecB)};
        if (${bGuard}kIdx < ${K} && col < ${N}) { rb[e] = ${vecB ? spec.loadB4 : spec.loadB}; }
      }
    }
    if (!first) {
      for (var kk = 0u; kk < ${TILE_K}u; kk++) {
${colVecs.map((j) => `        let b${j} = Bs[kk * ${tn / 4}u + tid.x + ${j * wx}u];`).join('\n')}
${range(rm / 4).map((g) => `        let a${g} = As[kk * ${aStride}u + tid.y * ${rm / 4}u + ${g}u];`).join('\n')}
${range(rm).flatMap((i) => colVecs.map((j) => `        acc${i}_${j} += a${i >> 2}.${'xyzw'[i & 3]} * b${j};`)).join('\n')}
      }
      workgroupBarrier();
    }
    if (kNext >= kEnd) { break; }
    for (var e = 0u; e < ${aLoads}u; e++) {
      let idx = lid + e * ${threads}u;
      ${aIndex}
      ${aGuard ? `if (idx < ${aItems}u) { ` : ''}${vecA ? 'As[kk * ' + aStride + 'u + mq] = ra[e];' : 'As[kk * ' + aStride + 'u + mm / 4u][mm % 4u] = ra[e];'}${aGuard ? ' }' : ''}
    }
    for (var e = 0u; e < ${bLoads}u; e++) {
      let kk = bRow + e * ${bRowStep}u;
      ${bGuard ? `if (${bGuard.slice(0, -4)}) { ` : ''}${vecB ? `Bs[kk * ${tn / 4}u + bCol] = rb[e];` : `Bs[kk * ${tn / 4}u + bCol / 4u][bCol % 4u] = rb[e];`}${bGuard ? ' }' : ''}
    }
    workgroupBarrier();
    kNext += ${TILE_K}u;
    first = false;
  }
  var accs = array<vec4<f32>, ${accs.length}>(${accs.join(', ')});
  for (var i = 0u; i < ${rm}u; i++) {
    let row = m0 + tid.y * ${rm}u + i;
    if (row >= ${M}) { break; }
    for (var j = 0u; j < ${rn / 4}u; j++) {
      let col = n0 + (tid.x + j * ${wx}u) * 4u;
      let v4 = accs[i * ${rn / 4}u + j];
      ${store}
    }
  }
}
`;
  return { shader, workgroups: [Math.ceil(spec.n / tn), Math.ceil(spec.m / tm), spec.batches * (split?.splits ?? 1)] };
}
