/**
 * When an fp16 plan asks for subgroup matrices: adapter facts written as plain data (feature names, adapter info
 * as Dawn reports it) for the cases offered, not offered and offered with unusable types.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseSubgroupMatrix, SUBGROUP_MATRIX_FEATURE, type MatrixAdapterFacts } from '../../src/backends/webgpu/matrix-feature.js';
import { UNSAFE_DAWN_FLAGS, DAWN_FLAGS } from '../../src/backends/webgpu/node-probe.js';

const ALL = ['shader-f16', 'subgroups', SUBGROUP_MATRIX_FEATURE, 'timestamp-query'];
const facts = (features: readonly string[], configs: readonly object[], subgroupMaxSize = 32): MatrixAdapterFacts =>
  ({ features: new Set(features), info: { subgroupMatrixConfigs: configs as never, subgroupMaxSize } });
const f16f16 = { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 };
const f16f32 = { componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 };
const f32f32 = { componentType: 'f32', resultComponentType: 'f32', M: 8, N: 8, K: 8 };
const i8i32 = { componentType: 'i8', resultComponentType: 'i32', M: 8, N: 8, K: 32 };

describe('the subgroup-matrix choice', () => {
  it('offered with f16×f16 (NVIDIA through Vulkan): chosen for fp16 plans in auto mode only', () => {
    const nvidia = facts(ALL, [i8i32, f16f16]);
    assert.deepEqual(chooseSubgroupMatrix(nvidia, 'fp16', 'auto'), { config: f16f16, subgroupMaxSize: 32 });
    assert.deepEqual(chooseSubgroupMatrix(nvidia, 'fp16', undefined), { config: f16f16, subgroupMaxSize: 32 }, "'auto' is the default");
    assert.equal(chooseSubgroupMatrix(nvidia, 'fp16', 'off'), undefined);
    assert.equal(chooseSubgroupMatrix(nvidia, 'fp32', 'auto'), undefined);
    assert.equal(chooseSubgroupMatrix(nvidia, undefined, 'auto'), undefined, 'fp32 is the default precision');
  });

  it('f32 results are preferred over f16 ones; f32 and integer components are never chosen', () => {
    assert.deepEqual(chooseSubgroupMatrix(facts(ALL, [f32f32, f16f16, f16f32]), 'fp16', 'auto')?.config, f16f32);
    assert.equal(chooseSubgroupMatrix(facts(ALL, [f32f32, i8i32]), 'fp16', 'auto'), undefined);
    assert.equal(chooseSubgroupMatrix(facts(ALL, [{ ...f16f16, resultComponentType: 'i32' }]), 'fp16', 'auto'), undefined);
    assert.equal(chooseSubgroupMatrix(facts(ALL, [{ ...f16f16, M: 0 }]), 'fp16', 'auto'), undefined, 'sizes must be positive integers');
  });

  it('not offered: no feature, no configs (SwiftShader), or a feature it depends on missing', () => {
    assert.equal(chooseSubgroupMatrix(facts(['shader-f16', 'subgroups'], [f16f16]), 'fp16', 'auto'), undefined);
    assert.equal(chooseSubgroupMatrix(facts(ALL, []), 'fp16', 'auto'), undefined);
    assert.equal(chooseSubgroupMatrix({ features: new Set(ALL) }, 'fp16', 'auto'), undefined, 'adapter info without configs');
    assert.equal(chooseSubgroupMatrix(facts(ALL.filter((f) => f !== 'subgroups'), [f16f16]), 'fp16', 'auto'), undefined);
    assert.equal(chooseSubgroupMatrix(facts(ALL.filter((f) => f !== 'shader-f16'), [f16f16]), 'fp16', 'auto'), undefined);
    const noSize: MatrixAdapterFacts = { features: new Set(ALL), info: { subgroupMatrixConfigs: [f16f16] } };
    assert.equal(chooseSubgroupMatrix(noSize, 'fp16', 'auto'), undefined, 'no subgroup size to size the workgroup by');
  });

  it("Node's unsafe flags add allow_unsafe_apis to the one enable list and keep the rest", () => {
    const enables = UNSAFE_DAWN_FLAGS.filter((f) => f.startsWith('enable-dawn-features='));
    assert.equal(enables.length, 1);
    assert.ok(enables[0]!.split('=')[1]!.split(',').includes('allow_unsafe_apis'));
    assert.ok(!DAWN_FLAGS.some((f) => f.includes('allow_unsafe_apis')), 'plans that do not ask keep the safe flags');
    assert.equal(UNSAFE_DAWN_FLAGS.length, DAWN_FLAGS.length);
  });
});
