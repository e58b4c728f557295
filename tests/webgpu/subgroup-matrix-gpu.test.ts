/**
 * The subgroup-matrix GEMMs on an adapter that has them: an fp16 plan whose specialised convs run on subgroup
 * matrices against the fp32 plan on the same device, within the fp16 bound (fp16-bounds.ts), with no layer fallen
 * back to the normal tile (a fallback is correct but would leave the variant untested, so it fails here with the
 * compiler's message). Where the adapter lacks `chromium-experimental-subgroup-matrix` with an f16 configuration
 * (SwiftShader, which has neither shader-f16 nor the feature) each check is reported as skipped, with the reason.
 */
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { WebGpuPlan } from '../../src/backends/webgpu/plan.js';
import type { TensorData } from '../../src/core/ir.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { maxRelativeError } from '../../bench/node/fp16-emulation.js';
import { FP16_RELATIVE_BOUND } from './fp16-bounds.js';
import { deviceSharedPath, seededTensor } from './fp16-inputs.js';

const sharedPath = deviceSharedPath;

let gpu: GpuDevice;
// Asked for as an fp16 plan asks: in Node that turns on allow_unsafe_apis and requests the feature where offered.
before(async () => { gpu = await acquireDevice({ allowSoftwareAdapter: true, precision: 'fp16' }); });
after(() => gpu.release());

const MODELS = [
  { file: 'models/scrfd_2.5g_bnkps.onnx', input: 'input.1', dims: [1, 3, 320, 320], lo: -1, hi: 1, bound: FP16_RELATIVE_BOUND.scrfd! },
  { file: 'models/mobilefacenet.onnx', input: 'input', dims: [1, 3, 112, 112], lo: -1, hi: 1, bound: FP16_RELATIVE_BOUND.mobilefacenet! },
] as const;

describe('subgroup-matrix GEMMs against the fp32 plan on the same device', () => {
  for (const m of MODELS) {
    it(m.file, async (t) => {
      if (!gpu.subgroupMatrix) {
        t.skip(`${gpu.description} offers no chromium-experimental-subgroup-matrix with an f16 configuration (shader-f16: ${gpu.hasShaderF16})`);
        return;
      }
      const parsed = parseModel(new Uint8Array(readFileSync(sharedPath(m.file))));
      const graph = optimizeGraph(specializeGraph(parsed, new Map([[m.input, { type: 'float32' as const, dims: [...m.dims] }]])));
      const cache = PipelineCache.of(gpu.device);
      const half = await WebGpuPlan.compile(gpu, cache, graph, { profiling: false, kernels: 'specialized', precision: 'fp16' });
      const wide = await WebGpuPlan.compile(gpu, cache, graph, { profiling: false, kernels: 'specialized' });
      try {
        const stats = half.subgroupMatrixStats;
        assert.ok(stats.dispatches > 0, 'some convs run on subgroup matrices');
        assert.deepEqual(stats.fallbacks, [], 'every variant compiled');
        const feeds = new Map([[m.input, seededTensor([...m.dims], 5, m.lo, m.hi)]]);
        const h = await half.run(feeds, graph.outputs);
        const w = await wide.run(feeds, graph.outputs);
        for (const name of graph.outputs) {
          const error = maxRelativeError(h.get(name)!, w.get(name)!);
          // The fp16 bound the normal f16 tile is held to: the matrices' f16 products and (with f16 results) the
          // K tile's f16 sums add at most a few units of f16 roundoff per K tile to what storage already rounds.
          assert.ok(error <= m.bound, `${name}: ${error} > ${m.bound} (${gpu.description}, ${JSON.stringify(gpu.subgroupMatrix.config)})`);
        }
      } finally {
        half.dispose();
        wide.dispose();
      }
    });
  }
});
