/**
 * The ops added as new families are held to onnxruntime-node on the cpu backend and on the webgpu backend
 * (SwiftShader here), in both kernel tiers. On webgpu each case must also lower to a GPU dispatch, so a kernel that
 * declines the step (and leaves it to the CPU reference) cannot pass as the kernel's own result.
 */
import assert from 'node:assert/strict';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import type { SessionOptions } from '../../src/index.js';
import { compareWithOrt, oracleModel, type OracleCase, type OracleInput } from './ort-oracle.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

export type Cases = [string, OracleCase][];

const BACKENDS: readonly [string, SessionOptions][] = [
  ['cpu', { backend: 'cpu' }],
  ['webgpu generic', { backend: 'webgpu', webgpu: { allowSoftwareAdapter: true, kernels: 'generic' } }],
  ['webgpu specialized', { backend: 'webgpu', webgpu: { allowSoftwareAdapter: true, kernels: 'specialized' } }],
];

/** Where each step of the case's optimised plan runs on webgpu, in the given tier: 'Op:gpu' or 'Op:cpu'. */
export function placementOf(c: OracleCase, tier: 'generic' | 'specialized'): string[] {
  const feeds = c.inputs.filter((i): i is OracleInput => i !== '' && !i.init);
  const graph = optimizeGraph(specializeGraph(parseModel(oracleModel(c)), new Map(feeds.map((f) => [f.name, { type: f.type, dims: f.dims }]))));
  const { placement } = lowerGraph(graph, tier, true, 65535);
  return graph.steps.map((s, i) => `${s.node.opType}:${placement[i]}`);
}

/**
 * Runs every case on every backend; fails listing each difference (tolerance: see ort-oracle.ts), each unexpected
 * refusal, and each case whose op the webgpu plan leaves on the CPU. `refusals` name cases refused with a typed error
 * on purpose; `cpuOnGpu` those whose step is left to the CPU reference on webgpu, on purpose (non-float32 types).
 */
export async function sweepBackends(cases: Cases, refusals: readonly string[] = [], cpuOnGpu: readonly string[] = []): Promise<void> {
  const problems: string[] = [];
  for (const [label, options] of BACKENDS) {
    for (const [name, c] of cases) {
      const v = await compareWithOrt(c, options);
      if (v.kind === 'differs') problems.push(`${label} ${name}: ${v.why}`);
      else if (v.kind === 'refused' && !refusals.includes(name)) problems.push(`${label} ${name}: refused, ${v.why}`);
      else if (v.kind === 'ort-refuses') problems.push(`${label} ${name}: ort refuses, ours runs (${v.why})`);
      else if (v.kind === 'equal' && options.backend === 'webgpu' && !cpuOnGpu.includes(name)) {
        const tier = options.webgpu?.kernels === 'generic' ? 'generic' : 'specialized';
        const where = placementOf(c, tier).filter((p) => p.startsWith(`${c.op}:`));
        if (where.length === 0 || where.some((p) => !p.endsWith(':gpu'))) problems.push(`${label} ${name}: placed ${where.join(', ')}`);
      }
    }
  }
  assert.deepEqual(problems, []);
}
