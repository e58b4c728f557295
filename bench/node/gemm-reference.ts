/**
 * A plain tiled fp32 GEMM in WGSL, C[M×N] = A[M×K] · B[K×N] (row-major), as the yardstick for "the fp32 GEMM rate a
 * tiled WGSL kernel gets on this adapter". It is deliberately independent of the engine's kernels, so the engine is
 * measured against something it did not define. 256 threads make a 128×128 tile, each thread 8 rows × 8 columns
 * (two vec4 column groups 64 apart), stepping K by 8 through workgroup memory. M and N must be multiples of 128, K of 8.
 */
export function referenceGemmShader(m: number, n: number, k: number): string {
  if (m % 128 || n % 128 || k % 8) throw new RangeError(`reference GEMM needs M, N multiples of 128 and K of 8 (got ${m}×${n}×${k})`);
  // The 8×8 accumulators are unrolled into named registers: dynamically indexed local arrays end up in memory on
  // some compilers (SwiftShader's among them).
  const rows = [0, 1, 2, 3, 4, 5, 6, 7];
  const declare = rows.map((i) => `  var c${i}0 = vec4<f32>(0.0f); var c${i}1 = vec4<f32>(0.0f);`).join('\n');
  const accumulate = rows.map((i) => `      { let a = As[kk][lid.y * 8u + ${i}u]; c${i}0 += a * b0; c${i}1 += a * b1; }`).join('\n');
  const store = rows.map((i) => `  { let base = ((row0 + lid.y * 8u + ${i}u) * ${n}u + col0) / 4u; C[base + lid.x] = c${i}0; C[base + lid.x + 16u] = c${i}1; }`).join('\n');
  return `
@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> C: array<vec4<f32>>;
var<workgroup> As: array<array<f32, 128>, 8>;
var<workgroup> Bs: array<array<vec4<f32>, 32>, 8>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * 128u;
  let col0 = wg.x * 128u;
${declare}
  for (var k0 = 0u; k0 < ${k}u; k0 += 8u) {
    // A tile, 128 rows × 8: two vec4 per row; stored k-major so a thread reads its 8 rows from one k row.
    let ar = li / 2u;
    let ak = (li % 2u) * 4u;
    let a4 = A[((row0 + ar) * ${k}u + k0 + ak) / 4u];
    As[ak][ar] = a4.x; As[ak + 1u][ar] = a4.y; As[ak + 2u][ar] = a4.z; As[ak + 3u][ar] = a4.w;
    // B tile, 8 × 128: 32 vec4 per k row.
    let bk = li / 32u;
    let bc = li % 32u;
    Bs[bk][bc] = B[((k0 + bk) * ${n}u + col0) / 4u + bc];
    workgroupBarrier();
    for (var kk = 0u; kk < 8u; kk++) {
      let b0 = Bs[kk][lid.x];
      let b1 = Bs[kk][lid.x + 16u];
${accumulate}
    }
    workgroupBarrier();
  }
${store}
}`;
}
