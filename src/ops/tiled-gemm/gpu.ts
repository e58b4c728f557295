import type { GemmMacs, GpuBinding, GpuDispatch } from '../kernel/gpu-dispatch.js';
import { ShapeValues } from '../kernel/shape-values.js';
import { grid } from '../kernel/wgsl.js';

/**
 * One tiled GEMM shader, C[z][M×N] = A[z][M×K] · B[z][K×N], shared by Conv (implicit GEMM: B is the im2col view of
 * the input, never materialised), Gemm and MatMul. Each op supplies WGSL snippets that load A and B and store C;
 * the tiling is here once.
 *
 * A workgroup of 16×WY threads computes a (R·WY)×64 tile of C, each thread an R×4 block (R = 8 on 128-row tiles,
 * else 4), stepping K by 16 through workgroup memory held as vec4, so each step reads R/4 vec4 of A and one vec4 of
 * B for 4·R multiply-adds. Threads load B for one fixed column of the tile across all K steps, so per-column work
 * (the output pixel's input window for a convolution) is done once per thread, not once per element.
 */
export interface TiledMatmulSpec {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Independent problems (batch × group), one per workgroup layer z. */
  readonly batches: number;
  /** Binding declarations and helper functions. */
  readonly declarations: string;
  /** Statements run once per thread for its B column `col: u32` (may be ≥ N) and problem `z: u32`. */
  readonly columnSetup?: string;
  /** f32 expression of B[kIdx][col] for in-range kIdx and col (locals of columnSetup visible). */
  readonly loadB: string;
  /** vec4<f32> expression of B[kIdx][col..col+3], used instead of loadB when given (needs N % 4 == 0). */
  readonly loadB4?: string;
  /** f32 expression of A[row][kIdx] for in-range row and kIdx; may use only row, kIdx and z. */
  readonly loadA: string;
  /** Statements storing `v: f32` to C[row][col] (both in range); may use only row, col, v and z. */
  readonly store: string;
}

const TN = 64;
const TK = 16;

/** Rows per workgroup tile: fewer for thin outputs (few output channels), so threads are not spent on padding. */
function tileRows(m: number): number {
  return m >= 128 ? 128 : 4 * (m >= 48 ? 16 : m >= 24 ? 8 : 4);
}

/**
 * Output rows per thread: 8 on 128-row tiles (two vec4 reads of A and one of B feed 32 multiply-adds), else 4.
 * Wide layers (ResNet stages, detector necks) get the denser variant; thin ones keep enough threads busy.
 */
function rowsPerThread(m: number): number {
  return tileRows(m) === 128 ? 8 : 4;
}

/**
 * Splitting K across workgroups: a GEMM with few output tiles (ResNet's last stages at 7×7, a fully connected layer
 * with one row) would leave most of a real GPU's cores idle while a handful of workgroups walk a long K. Below
 * FILL_TARGET workgroups the K range is cut into chunks (each at least MIN_CHUNK deep) whose partial sums go to
 * scratch memory; a second dispatch adds them in a fixed order and applies the op's store (bias, residual, activation).
 */
const FILL_TARGET = 256;
const MIN_CHUNK = 64;
const MAX_SPLITS = 64;
const MAX_SCRATCH_BYTES = 64 * 2 ** 20;

export interface KSplit {
  readonly splits: number;
  /** Depth of each split's K range, a multiple of the K tile. */
  readonly chunk: number;
}

export function chooseKSplit(spec: Pick<TiledMatmulSpec, 'm' | 'n' | 'k' | 'batches'>): KSplit | undefined {
  const groups = Math.ceil(spec.n / TN) * Math.ceil(spec.m / tileRows(spec.m)) * spec.batches;
  if (groups >= FILL_TARGET) return undefined;
  const outputBytes = spec.m * spec.n * spec.batches * 4;
  const wanted = Math.min(Math.ceil(FILL_TARGET / groups), Math.floor(spec.k / MIN_CHUNK), MAX_SPLITS, Math.floor(MAX_SCRATCH_BYTES / outputBytes));
  if (wanted < 2) return undefined;
  const chunk = Math.ceil(Math.ceil(spec.k / wanted) / TK) * TK;
  const splits = Math.ceil(spec.k / chunk);
  return splits < 2 ? undefined : { splits, chunk };
}

/**
 * The dispatches of one GEMM-shaped op: the direct kernel on a software adapter (and for generic kernels),
 * otherwise the tiled kernel, split along K (plus a reduce dispatch) when the output has too few tiles to fill the
 * GPU. `bindings` are the op's own; a split appends a scratch binding after them. `shape` is the set the spec's
 * snippets took their numbers from; only the direct kernel writes its own numbers through it as well.
 */
export function matmulDispatches(
  spec: TiledMatmulSpec, bindings: readonly GpuBinding[],
  options: { readonly software: boolean; readonly maxWorkgroupsPerDimension: number; readonly shape?: ShapeValues },
): GpuDispatch[] {
  const shape = options.shape ?? ShapeValues.literal();
  if (options.software) {
    const { shader, workgroups } = directMatmulShader(spec, shape);
    return [shape.finish({ shader, bindings, workgroups, macs: gemmMacs(spec, 8, 1, 1) })];
  }
  const split = chooseKSplit(spec);
  if (!split) {
    const { shader, workgroups } = tiledMatmulShader(spec);
    return [shape.finish({ shader, bindings, workgroups, macs: gemmMacs(spec, tileRows(spec.m), TN, TK) })];
  }
  const all: GpuBinding[] = [...bindings, { kind: 'scratch', bytes: split.splits * spec.batches * spec.m * spec.n * 4 }];
  const part = `@group(0) @binding(${bindings.length}) var<storage, read_write> part: array<f32>;`;
  const partial = tiledMatmulShader({ ...spec, declarations: `${spec.declarations}
${part}` }, split);
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
    shape.finish({ shader: partial.shader, bindings: all, workgroups: partial.workgroups, macs: gemmMacs(spec, tileRows(spec.m), TN, TK) }),
    shape.finish({ shader: reduce, bindings: all, workgroups: g.workgroups }),
  ];
}

/** The multiply-adds of a grid of tm×tn tiles stepping K by tk: every tile computed whole. */
export function gemmMacs(spec: Pick<TiledMatmulSpec, 'm' | 'n' | 'k' | 'batches'>, tm: number, tn: number, tk: number): GemmMacs {
  const up = (x: number, t: number): number => Math.ceil(x / t) * t;
  return { useful: spec.batches * spec.m * spec.n * spec.k, computed: spec.batches * up(spec.m, tm) * up(spec.n, tn) * up(spec.k, tk) };
}

export function tiledMatmulShader(spec: TiledMatmulSpec, split?: KSplit): { shader: string; workgroups: [number, number, number] } {
  const tm = tileRows(spec.m);
  const rpt = rowsPerThread(spec.m);
  const wy = tm / rpt;
  const threads = 16 * wy;
  const accIds = Array.from({ length: rpt }, (_, i) => i);
  const aVecs = Array.from({ length: rpt / 4 }, (_, g) => g);
  const vecB = spec.loadB4 !== undefined && spec.n % 4 === 0;
  const aPerThread = (tm * TK) / threads;
  const bLoads = vecB ? (TK * TN) / 4 / threads : (TK * TN) / threads;
  const bRowStep = vecB ? threads / (TN / 4) : threads / TN;
  const bLoad = vecB
    ? `
    for (var e = 0u; e < ${bLoads}u; e++) {
      let kk = lid / ${TN / 4}u + e * ${bRowStep}u;
      let kIdx = k0 + kk;
      var v4 = vec4<f32>(0.0f);
      if (kIdx < ${spec.k}u && col < ${spec.n}u) { v4 = ${spec.loadB4}; }
      Bs[kk * ${TN / 4}u + lid % ${TN / 4}u] = v4;
    }`
    : `
    for (var e = 0u; e < ${bLoads}u; e++) {
      let kk = lid / ${TN}u + e * ${bRowStep}u;
      let kIdx = k0 + kk;
      var v = 0.0f;
      if (kIdx < ${spec.k}u && col < ${spec.n}u) { v = ${spec.loadB}; }
      let nn = lid % ${TN}u;
      Bs[kk * ${TN / 4}u + nn / 4u][nn % 4u] = v;
    }`;
  const shader = `${spec.declarations}
var<workgroup> As: array<vec4<f32>, ${(TK * tm) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TK * TN) / 4}>;

@compute @workgroup_size(16, ${wy})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) tid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.z${split ? ` / ${split.splits}u` : ''};
  let kBegin = ${split ? `(wid.z % ${split.splits}u) * ${split.chunk}u` : '0u'};
  let kEnd = ${split ? `min(${spec.k}u, kBegin + ${split.chunk}u)` : `${spec.k}u`};
  let m0 = wid.y * ${tm}u;
  let n0 = wid.x * ${TN}u;
  let col = n0 + ${vecB ? `(lid % ${TN / 4}u) * 4u` : `lid % ${TN}u`};
  ${spec.columnSetup ?? ''}
${accIds.map((i) => `  var acc${i} = vec4<f32>(0.0f);`).join('\n')}
  for (var k0 = kBegin; k0 < kEnd; k0 += ${TK}u) {
    for (var e = 0u; e < ${aPerThread}u; e++) {
      let mm = lid / ${TK}u + e * ${threads / TK}u;
      let row = m0 + mm;
      let kIdx = k0 + lid % ${TK}u;
      var v = 0.0f;
      if (row < ${spec.m}u && kIdx < ${spec.k}u) { v = ${spec.loadA}; }
      As[(lid % ${TK}u) * ${tm / 4}u + mm / 4u][mm % 4u] = v;
    }${bLoad}
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      let b = Bs[kk * ${TN / 4}u + tid.x];
${aVecs.map((g) => `      let a${g} = As[kk * ${tm / 4}u + tid.y * ${rpt / 4}u + ${g}u];`).join('\n')}
${accIds.map((i) => `      acc${i} += a${i >> 2}.${'xyzw'[i & 3]} * b;`).join('\n')}
    }
    workgroupBarrier();
  }
  var accs = array<vec4<f32>, ${rpt}>(${accIds.map((i) => `acc${i}`).join(', ')});
  for (var i = 0u; i < ${rpt}u; i++) {
    let row = m0 + tid.y * ${rpt}u + i;
    if (row >= ${spec.m}u) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = n0 + tid.x * 4u + j;
      if (col >= ${spec.n}u) { break; }
      let v = accs[i][j];
      ${split ? `part[(wid.z * ${spec.m}u + row) * ${spec.n}u + col] = v;` : spec.store}
    }
  }
}
`;
  return { shader, workgroups: [Math.ceil(spec.n / TN), Math.ceil(spec.m / tm), spec.batches * (split?.splits ?? 1)] };
}

/**
 * The same GEMM without workgroup memory, for CPU-emulated adapters (SwiftShader): there workgroup memory is plain
 * cache like any buffer, barriers cost a coroutine switch, and shaders that index workgroup arrays take tens of
 * seconds to compile. Each thread owns one column and 8 rows, so the column's setup (the conv window) is done once
 * and each B element loaded is used 8 times.
 */
export function directMatmulShader(spec: TiledMatmulSpec, shape = ShapeValues.literal()): { shader: string; workgroups: [number, number, number] } {
  const rows = 8;
  const wgx = 64;
  const last = spec.m - 1;
  // Unrolled in the generator: SwiftShader compiles dynamic vector indexing slowly. Rows past M read row M−1
  // (in bounds) and are never stored.
  const a = (r: number): string => `loadA(min(m0 + ${r}u, ${shape.u('lastRow', last)}), kIdx, z)`;
  const stores = Array.from({ length: rows }, (_, r) =>
    `  if (m0 + ${r}u < ${shape.u('m', spec.m)}) { storeC(m0 + ${r}u, col, acc${r >> 2}.${'xyzw'[r & 3]}, z); }`).join('\n');
  const shader = `${spec.declarations}
fn loadA(row: u32, kIdx: u32, z: u32) -> f32 {
  return ${spec.loadA};
}
fn storeC(row: u32, col: u32, v: f32, z: u32) {
  ${spec.store}
}

@compute @workgroup_size(${wgx})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let z = wid.z;
  let col = wid.x * ${wgx}u + lid;
  let m0 = wid.y * ${rows}u;
  if (col >= ${shape.u('n', spec.n)}) { return; }
  ${spec.columnSetup ?? ''}
  var acc0 = vec4<f32>(0.0f);
  var acc1 = vec4<f32>(0.0f);
  for (var kIdx = 0u; kIdx < ${shape.u('k', spec.k)}; kIdx++) {
    let bv = ${spec.loadB};
    acc0 += vec4<f32>(${a(0)}, ${a(1)}, ${a(2)}, ${a(3)}) * bv;
    acc1 += vec4<f32>(${a(4)}, ${a(5)}, ${a(6)}, ${a(7)}) * bv;
  }
${stores}
}
`;
  return { shader, workgroups: [Math.ceil(spec.n / wgx), Math.ceil(spec.m / rows), spec.batches] };
}
