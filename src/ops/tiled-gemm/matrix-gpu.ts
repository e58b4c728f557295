import { epilogueStore } from './epilogue-store.js';
import { leftAccess, resultAccess, rightAccess, type MatrixAccess, type MatrixTilePlan } from './matrix-tile.js';
import type { TiledMatmulSpec } from './spec.js';
import { TILE_K } from './tile-menu.js';

/** The directive only the subgroup-matrix variant starts with (after the storage's `enable f16;`). */
export const SUBGROUP_MATRIX_DIRECTIVE = 'enable chromium_experimental_subgroup_matrix;';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The WGSL offset of an access of fragment j of subgroup `sg` at K step `ks`: the access functions of
 * matrix-tile.ts evaluated at the fragment's origin, with the origin written as the same expression of sg and j
 * (row0 = f / fragmentCols · M, col0 = f % fragmentCols · N for f = sg · fragmentsPerSubgroup + j).
 */
function offsetWgsl(plan: MatrixTilePlan, access: (origin: { row0: number; col0: number }) => MatrixAccess, j: number): string {
  // The access is affine in row0 and col0: its offset at the origin, plus row0 and col0 times its unit steps.
  const base = access({ row0: 0, col0: 0 }).offset;
  const perRow = access({ row0: 1, col0: 0 }).offset - base;
  const perCol = access({ row0: 0, col0: 1 }).offset - base;
  const f = `(sg * ${plan.fragmentsPerSubgroup}u + ${j}u)`;
  const terms = [`${base}u`];
  if (perRow !== 0) terms.push(`(${f} / ${plan.fragmentCols}u) * ${plan.config.M * perRow}u`);
  if (perCol !== 0) terms.push(`(${f} % ${plan.fragmentCols}u) * ${plan.config.N * perCol}u`);
  return terms.join(' + ');
}

/**
 * The tiled GEMM with its inner product on subgroup matrices (tensor cores), for f16 plans on an adapter with
 * `chromium-experimental-subgroup-matrix`. It keeps the normal tile's structure: threads stage each K tile of A and B
 * in workgroup memory (as f16, with register prefetch of the next tile and the op's own loads), each subgroup
 * multiplies its result fragments out of it, the fragments go to a C tile in workgroup memory, and each thread adds
 * its vec4 groups of that tile into f32 sums and stores them through the op's epilogue (the normal kernel's, see
 * epilogueStore). Its grid is the normal kernel's for `plan.tile`, so that kernel can replace it unchanged.
 */
export function matrixMatmulShader(spec: TiledMatmulSpec, plan: MatrixTilePlan): { shader: string; workgroups: [number, number, number] } {
  const { tm, tn, threads, config } = plan;
  const result = config.resultComponentType;
  const left = `subgroup_matrix_left<f16, ${config.K}, ${config.M}>`;
  const right = `subgroup_matrix_right<f16, ${config.N}, ${config.K}>`;
  const res = `subgroup_matrix_result<${result}, ${config.N}, ${config.M}>`;
  const aItems = tm * TILE_K;
  const aLoads = Math.ceil(aItems / threads);
  const aGuard = aItems % threads !== 0 ? `idx < ${aItems}u && ` : '';
  const aIndex = spec.aRowsAdjacent ? `let mm = idx % ${tm}u; let kk = idx / ${tm}u;` : `let mm = idx / ${TILE_K}u; let kk = idx % ${TILE_K}u;`;
  const bRowStep = Math.floor(threads / tn);
  const bLoads = Math.ceil(TILE_K / bRowStep);
  const bLoader = bRowStep * tn < threads;
  const bGuard = `${bLoader ? 'bLoader && ' : ''}${bLoads * bRowStep > TILE_K ? `kk < ${TILE_K}u && ` : ''}`;
  const frags = range(plan.fragmentsPerSubgroup);
  // Offset, majorness and stride of subgroupMatrixLoad/Store; majorness and stride do not depend on the fragment.
  const access = (j: number, fn: (o: { row0: number; col0: number }) => MatrixAccess): string => {
    const at = fn({ row0: 0, col0: 0 });
    return `${offsetWgsl(plan, fn, j)}, ${at.colMajor}, ${at.stride}u`;
  };
  const multiply = range(plan.kSteps).flatMap((ks) => frags.flatMap((j) => [
    `        let l${j}_${ks} = subgroupMatrixLoad<${left}>(&As, ${access(j, (o) => leftAccess(plan, o, ks))});`,
    `        let r${j}_${ks} = subgroupMatrixLoad<${right}>(&Bs, ${access(j, (o) => rightAccess(plan, o, ks))});`,
    `        acc${j} = subgroupMatrixMultiplyAccumulate(l${j}_${ks}, r${j}_${ks}, acc${j});`,
  ]));
  // subgroupMatrixStore takes the value between the offset and the majorness.
  const storeAccess = (j: number): string => {
    const at = resultAccess(plan, { row0: 0, col0: 0 });
    return `${offsetWgsl(plan, (o) => resultAccess(plan, o), j)}, acc${j}, ${at.colMajor}, ${at.stride}u`;
  };
  const storeResults = frags.map((j) =>
    `        subgroupMatrixStore(&Cs, ${storeAccess(j)});\n        acc${j} = ${res}();`).join('\n');
  // Each thread's vec4 groups of the C tile (matrix-tile.ts threadGroup): group g = lid + i·threads.
  const addResults = `      for (var i = 0u; i < ${plan.groupsPerThread}u; i++) {
        let c = (lid + i * ${threads}u) * 4u;
        sums[i] += vec4<f32>(f32(Cs[c]), f32(Cs[c + 1u]), f32(Cs[c + 2u]), f32(Cs[c + 3u]));
      }`;
  const vecStore = spec.store4 !== undefined && spec.n % 4 === 0;
  const shader = `${SUBGROUP_MATRIX_DIRECTIVE}
enable subgroups;
diagnostic(off, chromium_experimental.subgroup_matrix_uniformity);
${spec.declarations}
${spec.loadHelpers ?? ''}
var<workgroup> As: array<f16, ${TILE_K * tm}>;
var<workgroup> Bs: array<f16, ${TILE_K * tn}>;
var<workgroup> Cs: array<${result}, ${tm * tn}>;

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) sg: u32) {
  let z = wid.z;
  let m0 = wid.y * ${tm}u;
  let n0 = wid.x * ${tn}u;
  let bCol = lid % ${tn}u;
  let bRow = lid / ${tn}u;${bLoader ? `\n  let bLoader = lid < ${bRowStep * tn}u;` : ''}
  let col = n0 + bCol;
  ${spec.columnSetup ?? ''}
  var sums: array<vec4<f32>, ${plan.groupsPerThread}>;
${frags.map((j) => `  var acc${j} = ${res}();`).join('\n')}
  var ra: array<f32, ${aLoads}>;
  var rb: array<f32, ${bLoads}>;
  var kNext = 0u;
  var first = true;
  loop {
    if (kNext < ${spec.k}u) {
      for (var e = 0u; e < ${aLoads}u; e++) {
        let idx = lid + e * ${threads}u;
        ${aIndex}
        let row = m0 + mm;
        let kIdx = kNext + kk;
        ra[e] = 0.0f;
        if (${aGuard}row < ${spec.m}u && kIdx < ${spec.k}u) { ra[e] = ${spec.loadA}; }
      }
      ${spec.kTileSetup ?? ''}
      for (var e = 0u; e < ${bLoads}u; e++) {
        let kk = bRow + e * ${bRowStep}u;
        let kIdx = kNext + kk;
        rb[e] = 0.0f;
        if (${bGuard}kIdx < ${spec.k}u && col < ${spec.n}u) { rb[e] = ${spec.loadB}; }
      }
    }
    if (!first) {
      // Subgroups past the schedule's count (an adapter running smaller subgroups) own no fragment.
      if (sg < ${plan.subgroups}u) {
${multiply.join('\n')}
${plan.flushEveryTile ? storeResults : ''}
      }
      workgroupBarrier();
${plan.flushEveryTile ? addResults : ''}
    }
    if (kNext >= ${spec.k}u) { break; }
    for (var e = 0u; e < ${aLoads}u; e++) {
      let idx = lid + e * ${threads}u;
      ${aIndex}
      ${aGuard ? `if (idx < ${aItems}u) { ` : ''}As[kk * ${tm}u + mm] = f16(ra[e]);${aGuard ? ' }' : ''}
    }
    for (var e = 0u; e < ${bLoads}u; e++) {
      let kk = bRow + e * ${bRowStep}u;
      ${bGuard ? `if (${bGuard.slice(0, -4)}) { ` : ''}Bs[kk * ${tn}u + bCol] = f16(rb[e]);${bGuard ? ' }' : ''}
    }
    workgroupBarrier();
    kNext += ${TILE_K}u;
    first = false;
  }
${plan.flushEveryTile ? '' : `  if (sg < ${plan.subgroups}u) {\n${storeResults}\n  }\n  workgroupBarrier();\n${addResults}`}
  for (var i = 0u; i < ${plan.groupsPerThread}u; i++) {
    let g = lid + i * ${threads}u;
    let row = m0 + g / ${tn / 4}u;
    if (row >= ${spec.m}u) { continue; }
    let col = n0 + (g % ${tn / 4}u) * 4u;
    let v4 = sums[i];
    ${epilogueStore(spec, `${spec.n}u`, vecStore)}
  }
}
`;
  return { shader, workgroups: [Math.ceil(spec.n / tn), Math.ceil(spec.m / tm), spec.batches] };
}
