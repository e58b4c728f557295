/**
 * The subgroup-matrix variant's WGSL through Tint's front end on the adapter here (SwiftShader has neither
 * shader-f16 nor the subgroup-matrix feature, so the text cannot compile as it is): the matrix types and builtins
 * are replaced by scalar stand-ins of the same arguments (a load reads the element at its offset, a
 * multiply-accumulate adds one product, a store writes one element) and f16 by f32, so everything else in the text —
 * the staging loads and their guards, the loop and its barriers, the offsets, the epilogue — must parse and
 * type-check. createShaderModule only: no pipeline is made, so nothing runs and SwiftShader compiles no machine code.
 */
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { Storage } from '../../src/ops/kernel/storage.js';
import type { SubgroupMatrixChoice } from '../../src/ops/tiled-gemm/gpu.js';
import { SUBGROUP_MATRIX_DIRECTIVE } from '../../src/ops/tiled-gemm/matrix-gpu.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { sharedPath } from '../pipeline/helpers.js';

const CHOICES: readonly SubgroupMatrixChoice[] = [
  { config: { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 }, subgroupMaxSize: 32 },
  { config: { componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 }, subgroupMaxSize: 32 },
];

/** The variant with scalar stand-ins for the matrix parts and f32 for f16 (see the file's comment). */
function stubbed(shader: string): string {
  const header = `enable f16;\n${SUBGROUP_MATRIX_DIRECTIVE}\nenable subgroups;\ndiagnostic(off, chromium_experimental.subgroup_matrix_uniformity);\n`;
  assert.ok(shader.startsWith(header), 'the variant starts with its directives');
  let s = shader.slice(header.length);
  const count = (re: RegExp): number => (s.match(re) ?? []).length;
  const loads = /subgroupMatrixLoad<subgroup_matrix_(left|right)<f16, \d+, \d+>>\(&(As|Bs), ([^;]*), (true|false), (\d+)u\)/g;
  const stores = /subgroupMatrixStore\(&Cs, ([^;]*), (acc\d+), (true|false), (\d+)u\)/g;
  assert.ok(count(loads) > 0 && count(stores) > 0, 'loads and stores in the forms the stand-ins replace');
  s = s.replace(loads, 'smLoad$2($3, $4, $5u)');
  s = s.replace(stores, 'Cs[$1] = $2');
  s = s.replace(/subgroupMatrixMultiplyAccumulate\(/g, 'smMac(');
  s = s.replace(/subgroup_matrix_result<(f16|f32), \d+, \d+>\(\)/g, '$1(0)');
  assert.ok(!/subgroup_?[mM]atrix/.test(s), 'no matrix part is left');
  s = s.replace('@builtin(subgroup_id) sg: u32', '@builtin(num_workgroups) groups: vec3<u32>');
  s = s.replace('let z = wid.z;', 'let z = wid.z;\n  let sg = groups.x * 0u;');
  s = s.replace(/\bf16\b/g, 'f32');
  const helpers = `fn smLoadAs(o: u32, colMajor: bool, stride: u32) -> f32 { return As[o]; }
fn smLoadBs(o: u32, colMajor: bool, stride: u32) -> f32 { return Bs[o]; }
fn smMac(l: f32, r: f32, acc: f32) -> f32 { return acc + l * r; }
`;
  return s.replace('\n@compute', `\n${helpers}@compute`);
}

let gpu: GpuDevice;
before(async () => { gpu = await acquireDevice({ allowSoftwareAdapter: true }); });
after(() => gpu.release());

describe('the subgroup-matrix variant passes the WGSL front end with its matrix parts stood in for', () => {
  it('scrfd_2.5g at 160: every variant of both configurations', async () => {
    const parsed = parseModel(new Uint8Array(readFileSync(sharedPath('models/scrfd_2.5g_bnkps.onnx'))));
    const graph = optimizeGraph(specializeGraph(parsed, new Map([['input.1', { type: 'float32' as const, dims: [1, 3, 160, 160] }]])));
    const texts = new Set<string>();
    for (const choice of CHOICES) {
      const lowered = lowerGraph(graph, 'specialized', false, 65535, Storage.f16, choice);
      for (const l of lowered.dispatches) for (const d of l?.specialized ?? []) if (d.fallbackShader !== undefined) texts.add(d.shader);
    }
    assert.ok(texts.size > 0);
    const problems: string[] = [];
    for (const text of texts) {
      const code = stubbed(text);
      const module = gpu.device.createShaderModule({ code });
      const info = await module.getCompilationInfo();
      for (const m of info.messages) if (m.type === 'error') problems.push(`${m.lineNum}:${m.linePos} ${m.message.split('\n')[0]}: ${code.split('\n')[m.lineNum - 1]?.trim()}`);
    }
    assert.deepEqual(problems, []);
  });
});
