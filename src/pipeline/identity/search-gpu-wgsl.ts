/**
 * The face index's two WGSL kernels. Both end in the same step: a workgroup holds CHUNK (score, row) pairs in
 * workgroup memory, bitonic-sorts them best first and writes its first `kOut`. The score kernel makes the pairs from
 * CHUNK rows against one query (a matrix product, one workgroup row per query); the merge kernel takes them from an
 * earlier pass's candidates, so a few merges bring any number of rows down to `kOut` per query.
 */

/** Pairs per workgroup: 1024 × (f32 + u32) = 8 KiB of workgroup memory, half the WebGPU minimum. */
export const CHUNK = 1024;
/** Threads per workgroup; each scores or loads CHUNK / WORKGROUP pairs. */
export const WORKGROUP = 256;
/** The row number of an empty slot (past the last row); its score is EMPTY_SCORE. */
export const EMPTY_ROW = 0xffffffff;
const EMPTY_SCORE = '-3.0e38';

/** How rows are stored: f32 as vec4<f32>, f16 as four halves packed in a vec2<u32> (core WGSL's unpack2x16float). */
export type RowPrecision = 'f32' | 'f16';

/** Uniform words, one struct for both kernels (unused fields are 0). */
export const PARAM_WORDS = 8;
const PARAMS = /* wgsl */ `
struct Params {
  count: u32,      // score: rows in this shard; merge: candidates per query in the input
  stride4: u32,    // score: vec4s per row (the dim padded to a multiple of 4)
  kOut: u32,       // pairs each workgroup writes
  outStride: u32,  // pairs per query in the output
  outOffset: u32,  // score: where this shard's first workgroup writes, within a query's output
  inStride: u32,   // merge: pairs per query in the input
  rowBase: u32,    // score: the global number of this shard's first row
  pad: u32,
}
@group(0) @binding(0) var<uniform> params: Params;
`;

const SORT_AND_WRITE = /* wgsl */ `
var<workgroup> keys: array<f32, ${CHUNK}>;
var<workgroup> vals: array<u32, ${CHUNK}>;

// a before b: higher score, then the lower row number (so the order is the same on every run).
fn better(a: u32, b: u32) -> bool {
  return keys[a] > keys[b] || (keys[a] == keys[b] && vals[a] < vals[b]);
}

// Sorts the first \`live\` pairs (the live ones are always a prefix), padded with empty slots to a power of two at
// least kOut: a part-filled last chunk, or a small index, sorts only what it holds.
fn sortAndWrite(lid: u32, outBase: u32, live: u32) {
  let want = max(max(live, params.kOut), 2u);
  let size = min(${CHUNK}u, 1u << (32u - countLeadingZeros(want - 1u)));
  workgroupBarrier();
  for (var k = 2u; k <= size; k = k << 1u) {
    for (var j = k >> 1u; j > 0u; j = j >> 1u) {
      for (var p = lid; p < size / 2u; p = p + ${WORKGROUP}u) {
        let i = ((p & ~(j - 1u)) << 1u) | (p & (j - 1u));
        let l = i + j;
        // Blocks with bit k clear sort best first, the others best last; the last pass (k = size) is all best first.
        let bestFirst = (i & k) == 0u;
        if (select(better(i, l), better(l, i), bestFirst)) {
          let tk = keys[i]; keys[i] = keys[l]; keys[l] = tk;
          let tv = vals[i]; vals[i] = vals[l]; vals[l] = tv;
        }
      }
      workgroupBarrier();
    }
  }
  for (var t = lid; t < params.kOut; t = t + ${WORKGROUP}u) {
    out[outBase + t] = vec2<u32>(bitcast<u32>(keys[t]), vals[t]);
  }
}
`;

/** The score kernel: workgroup (x, y) scores rows [x·CHUNK, (x+1)·CHUNK) of the shard against query y. */
export function scoreKernel(precision: RowPrecision): string {
  const rowType = precision === 'f32' ? 'vec4<f32>' : 'vec2<u32>';
  const load = precision === 'f32'
    ? (at: string) => `rows[${at}]`
    : (at: string) => `unpackRow(rows[${at}])`;
  return /* wgsl */ `
${PARAMS}
@group(0) @binding(1) var<storage, read> rows: array<${rowType}>;
@group(0) @binding(2) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;
${SORT_AND_WRITE}
fn unpackRow(v: vec2<u32>) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = wg.x * ${CHUNK}u;
  let q0 = wg.y * params.stride4;
  let s = params.stride4;
  // Four rows per thread, a WORKGROUP apart, scored in one pass over the query (each query vec4 loaded once).
  let per = ${CHUNK / WORKGROUP}u;
  var acc = array<f32, ${CHUNK / WORKGROUP}>();
  var live = array<bool, ${CHUNK / WORKGROUP}>();
  for (var m = 0u; m < per; m++) { live[m] = first + lid + m * ${WORKGROUP}u < params.count; }
  for (var i = 0u; i < s; i++) {
    let q = queries[q0 + i];
    for (var m = 0u; m < per; m++) {
      if (live[m]) { acc[m] = acc[m] + dot(q, ${load(`(first + lid + m * ${WORKGROUP}u) * s + i`)}); }
    }
  }
  for (var m = 0u; m < per; m++) {
    let slot = lid + m * ${WORKGROUP}u;
    keys[slot] = select(${EMPTY_SCORE}, acc[m], live[m]);
    vals[slot] = select(${EMPTY_ROW}u, params.rowBase + first + slot, live[m]);
  }
  sortAndWrite(lid, wg.y * params.outStride + params.outOffset + wg.x * params.kOut, min(${CHUNK}u, params.count - first));
}
`;
}

/** The merge kernel: workgroup (x, y) keeps the best kOut of candidates [x·CHUNK, (x+1)·CHUNK) of query y. */
export const MERGE_KERNEL = /* wgsl */ `
${PARAMS}
@group(0) @binding(1) var<storage, read> candidates: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;
${SORT_AND_WRITE}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = wg.x * ${CHUNK}u;
  for (var m = 0u; m < ${CHUNK / WORKGROUP}u; m++) {
    let slot = lid + m * ${WORKGROUP}u;
    let live = first + slot < params.count;
    let c = candidates[wg.y * params.inStride + min(first + slot, params.count - 1u)];
    keys[slot] = select(${EMPTY_SCORE}, bitcast<f32>(c.x), live);
    vals[slot] = select(${EMPTY_ROW}u, c.y, live);
  }
  sortAndWrite(lid, wg.y * params.outStride + wg.x * params.kOut, min(${CHUNK}u, params.count - first));
}
`;
