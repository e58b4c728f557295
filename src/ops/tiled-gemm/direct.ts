import { ShapeValues } from '../kernel/shape-values.js';
import type { TiledMatmulSpec } from './spec.js';

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
${spec.loadHelpers ?? ''}
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
