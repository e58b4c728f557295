import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { ShapeValues } from '../../src/ops/kernel/shape-values.js';
import { findGpuKernel } from '../../src/ops/registry.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { formatRow, PARITY_BOUND } from './parity.js';
import { runSwapParity, SWAP_REPLICA } from './swap.js';

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

// The INSwapper replica's graph on WebGPU with the target at 32×32 (every op, attribute and weight of the replica,
// 1/16 of its compute: ~4 s a run on SwiftShader, against ~20 s at 128×128, which `npm run parity -- --backend
// webgpu` runs in both tiers). The generic tier: what a software adapter runs, and where layers of different shapes
// share one pipeline through their uniforms.
test('webgpu backend matches onnxruntime-node on the INSwapper replica\'s graph (target 32×32, generic kernels, photo)', { timeout: 5 * 60_000 }, async () => {
  const rows = await runSwapParity('webgpu', { size: 32, kernels: 'generic', inputs: ['photo'] });
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.equal(rows.length, 1);
});

// Parity cannot see a step that the plan ran on the CPU because its kernel declined: every step of the replica's
// optimised graph (at its real 128×128) must lower to dispatches or a buffer alias, in each kernel variant and tier.
test('every step of the INSwapper replica lowers to WGSL (no CPU fallback), in every variant and tier', () => {
  const model = parseModel(readFileSync(SWAP_REPLICA));
  const inputs = new Map([['target', { type: 'float32' as const, dims: [1, 3, 128, 128] }], ['source', { type: 'float32' as const, dims: [1, 512] }]]);
  const graph = optimizeGraph(specializeGraph(model, inputs), 'webgpu');
  const types = new Map([...inputs, ...[...graph.constants].map(([n, t]) => [n, { type: t.type, dims: t.dims }] as const)]);
  const declined: string[] = [];
  const ops = new Set<string>();
  for (const step of graph.steps) {
    step.outputs.forEach((o, k) => { if (o) types.set(o, step.outputTypes[k]!); });
    ops.add(step.node.opType);
    for (const [software, generic] of [[false, false], [true, false], [true, true]] as const) {
      const lowered = findGpuKernel(step.node.opType)?.lower({
        node: step.node, params: step.params, outputs: step.outputTypes, maxWorkgroupsPerDimension: 65535, software,
        shape: generic ? ShapeValues.uniform() : ShapeValues.literal(),
        inputs: step.inputs.map((n) => (n ? types.get(n) : undefined)),
        constants: step.inputs.map((n) => (n ? graph.constants.get(n) : undefined)),
      });
      if (lowered === undefined) declined.push(`${step.node.name || step.node.opType} (software ${software}, generic ${generic})`);
    }
  }
  assert.deepEqual(declined, []);
  // The replica's op types as steps (LeakyRelu and Tanh fuse into their convs' epilogues).
  assert.deepEqual([...ops].sort(), ['Add', 'Conv', 'Div', 'Gemm', 'Mul', 'Pad', 'ReduceMean', 'Relu', 'Resize', 'Slice', 'Sqrt', 'Sub', 'Unsqueeze']);
});
