/**
 * The subgroup-matrix variant's WGSL, checked as text (no adapter here compiles it): its extension directive in
 * the variant alone, f16 matrices of the chosen configuration, the normal kernel of the same tile as its fallback
 * with the same grid, the epilogue the normal kernel uses, and the conditions that pick it (f16 plans, the
 * specialised tier on a hardware adapter, K run whole).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { webGpuPlanStats } from '../../src/backends/webgpu/plan-stats.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import type { GpuBinding } from '../../src/ops/kernel/gpu-dispatch.js';
import { ShapeValues } from '../../src/ops/kernel/shape-values.js';
import { Storage } from '../../src/ops/kernel/storage.js';
import { epilogueStore } from '../../src/ops/tiled-gemm/epilogue-store.js';
import { chooseKSplit, matmulDispatches, tiledMatmulShader, withSubgroupMatrix, type SubgroupMatrixChoice, type TiledMatmulSpec } from '../../src/ops/tiled-gemm/gpu.js';
import { SUBGROUP_MATRIX_DIRECTIVE } from '../../src/ops/tiled-gemm/matrix-gpu.js';
import { matrixTilePlan } from '../../src/ops/tiled-gemm/matrix-tile.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { sharedPath } from '../pipeline/helpers.js';
import { bindingRoles, f16ShaderProblems } from './f16-wgsl-check.js';

const NVIDIA: SubgroupMatrixChoice = { config: { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 }, subgroupMaxSize: 32 };
const APPLE: SubgroupMatrixChoice = { config: { componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 }, subgroupMaxSize: 32 };

const BINDINGS: readonly GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }];

/** A plain row-major GEMM with a bias-like epilogue, in the shape the op families hand to matmulDispatches. */
function spec(m: number, n: number, k: number): TiledMatmulSpec {
  return {
    m, n, k, batches: 1,
    declarations: `@group(0) @binding(0) var<storage, read> a: array<f16>;
@group(0) @binding(1) var<storage, read> b: array<f16>;
@group(0) @binding(2) var<storage, read_write> y: array<f16>;`,
    loadA: `f32(a[row * ${k}u + kIdx])`,
    loadB: `f32(b[kIdx * ${n}u + col])`,
    store: `y[row * ${n}u + col] = f16(v + 1.0f);`,
    store4: `for (var q = 0u; q < 4u; q++) { y[row * ${n}u + col + q] = f16(v4[q] + 1.0f); }`,
  };
}

const lowerGemm = (s: TiledMatmulSpec, choice: SubgroupMatrixChoice | undefined, options: { software?: boolean; shape?: ShapeValues } = {}) =>
  withSubgroupMatrix(choice, () => matmulDispatches(s, BINDINGS, { software: options.software ?? false, maxWorkgroupsPerDimension: 65535, shape: options.shape }));

describe('the subgroup-matrix GEMM variant', () => {
  for (const [name, choice] of [['NVIDIA-like 16×16×16 f16', NVIDIA], ['Apple-like 8×8×8 f32 results', APPLE]] as const) {
    it(`${name}: the directive, f16 matrices, the normal tile as fallback, the shared epilogue`, () => {
      const s = spec(64, 3136, 576);
      const [d, ...rest] = lowerGemm(s, choice);
      assert.equal(rest.length, 0);
      const plan = matrixTilePlan(s, choice)!;
      const { config } = choice;
      assert.ok(d!.shader.startsWith(`${SUBGROUP_MATRIX_DIRECTIVE}\n`), 'the variant starts with its extension');
      assert.equal(d!.shader.split('chromium_experimental_subgroup_matrix;').length, 2, 'the directive once');
      assert.ok(d!.shader.includes(`subgroup_matrix_left<f16, ${config.K}, ${config.M}>`));
      assert.ok(d!.shader.includes(`subgroup_matrix_right<f16, ${config.N}, ${config.K}>`));
      assert.ok(d!.shader.includes(`subgroup_matrix_result<${config.resultComponentType}, ${config.N}, ${config.M}>`));
      assert.ok(d!.shader.includes(`var<workgroup> As: array<f16, ${16 * plan.tm}>;`));
      assert.ok(d!.shader.includes(`var<workgroup> Cs: array<${config.resultComponentType}, ${plan.tm * plan.tn}>;`));
      assert.ok(d!.shader.includes(`@workgroup_size(${plan.threads})`));
      // The left matrix is read column-major with the A tile's row count as stride, the right one row-major.
      assert.ok(d!.shader.includes(`, true, ${plan.tm}u);`) && d!.shader.includes(`, false, ${plan.tn}u);`));
      const normal = tiledMatmulShader(s, plan.tile);
      assert.equal(d!.fallbackShader, normal.shader, 'the fallback is the normal kernel of the same tile');
      assert.deepEqual(d!.workgroups, normal.workgroups, 'and has the same grid');
      assert.ok(!normal.shader.includes('subgroup_matrix'), 'the fallback uses no subgroup matrices');
      const epilogue = epilogueStore(s, `${s.n}u`, true);
      assert.ok(d!.shader.includes(epilogue) && normal.shader.includes(epilogue), 'both end with the same epilogue');
      assert.ok(d!.bindings === BINDINGS, 'the same bindings as the op gave');
    });
  }

  it('odd N uses the scalar epilogue of the normal kernel', () => {
    const s = spec(37, 101, 53);
    const [d] = lowerGemm(s, NVIDIA);
    const epilogue = epilogueStore(s, '101u', false);
    assert.ok(d!.shader.includes(epilogue) && d!.fallbackShader!.includes(epilogue));
  });

  it('is not chosen without a choice, for generic kernels, on a software adapter, or where K is split', () => {
    const s = spec(64, 3136, 576);
    for (const d of [...lowerGemm(s, undefined), ...lowerGemm(s, NVIDIA, { software: true }), ...lowerGemm(s, NVIDIA, { shape: ShapeValues.uniform() })]) {
      assert.equal(d.fallbackShader, undefined);
      assert.ok(!d.shader.includes('subgroup_matrix'));
    }
    // ResNet's last stage: few tiles and a long K, which the normal kernel splits.
    const deep = spec(512, 49, 4608);
    assert.ok(chooseKSplit(deep, matrixTilePlan(deep, NVIDIA)!.tile), 'the matrix tile would split K here');
    assert.ok(lowerGemm(deep, NVIDIA).every((d) => d.fallbackShader === undefined));
  });

  it('a model lowered for f16 with a choice: specialised GEMMs use it, each passes the f16 rules through its fallback', () => {
    const parsed = parseModel(new Uint8Array(readFileSync(sharedPath('models/scrfd_2.5g_bnkps.onnx'))));
    const graph = optimizeGraph(specializeGraph(parsed, new Map([['input.1', { type: 'float32' as const, dims: [1, 3, 160, 160] }]])));
    const half = lowerGraph(graph, 'tiered', false, 65535, Storage.f16, NVIDIA);
    let variants = 0;
    graph.steps.forEach((step, i) => {
      for (const d of half.dispatches[i]?.generic ?? []) assert.equal(d.fallbackShader, undefined, 'generic kernels never use it');
      for (const d of half.dispatches[i]?.specialized ?? []) {
        if (d.fallbackShader === undefined) { assert.ok(!d.shader.includes('subgroup_matrix')); continue; }
        variants++;
        assert.ok(d.shader.startsWith(`enable f16;\n${SUBGROUP_MATRIX_DIRECTIVE}\n`), 'the storage directive first, then the extension');
        const roles = bindingRoles(d.bindings, (b) => {
          const t = b.kind === 'input' ? half.types.get(step.inputs[b.index]!) : b.kind === 'output' ? step.outputTypes[b.index] : undefined;
          return t?.type === 'float32';
        });
        assert.deepEqual(f16ShaderProblems(d.fallbackShader, roles), [], `${step.node.name}: the fallback follows the f16 rules`);
      }
    });
    assert.ok(variants > 0, 'some of the detector\'s convs use subgroup matrices');
    const wide = lowerGraph(graph, 'tiered', false, 65535, Storage.f32, NVIDIA);
    assert.ok(wide.dispatches.every((l) => (l?.specialized ?? []).every((d) => d.fallbackShader === undefined)), 'fp32 plans never use it');
    assert.equal(webGpuPlanStats(graph, { software: false, precision: 'fp16', subgroupMatrix: NVIDIA }).specialized.subgroupMatrixDispatches, variants);
    assert.equal(webGpuPlanStats(graph, { software: false, precision: 'fp16' }).specialized.subgroupMatrixDispatches, 0);
  });
});
