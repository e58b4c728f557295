/**
 * Issue 14 item 5: `session.precompile` compiles the kernels of a shape before any buffer exists, so the plan made
 * at the first run finds every pipeline ready (FaceAnalysis.create does it for a dynamic-size detector). SwiftShader,
 * SCRFD-2.5G at 64×64 (seconds).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { InferenceSession } from '../../src/session/session.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { headBuckets } from '../../src/pipeline/head-model.js';
import { sharedPath } from '../pipeline/helpers.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

describe('InferenceSession.precompile (SwiftShader)', () => {
  let gpu: GpuDevice;
  let session: InferenceSession;
  before(async () => {
    gpu = await acquireDevice({ allowSoftwareAdapter: true });
    session = await InferenceSession.create(readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')), { backend: 'webgpu', webgpu: { device: gpu.device } });
  });
  after(async () => { await session?.release(); gpu?.release(); });

  it('requests every pipeline the first run at that shape uses; that run compiles none, nor one at another size', async () => {
    const cache = PipelineCache.of(gpu.device);
    assert.equal(cache.size, 0, 'a dynamic-size model compiles nothing at create');
    await session.precompile({ 'input.1': [1, 3, 64, 64] });
    const compiled = cache.size;
    assert.ok(compiled > 0, 'pipelines compiled');
    assert.equal(session.compileTimes.length, 0, 'no plan (no buffers) made');
    const name = session.inputNames[0]!;
    await session.run({ [name]: new Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]) });
    assert.equal(cache.size, compiled, 'the run at the precompiled size');
    // The first tier's kernels carry layer sizes in uniforms: another detector size shares them.
    await session.run({ [name]: new Tensor('float32', new Float32Array(3 * 96 * 96).fill(0.5), [1, 3, 96, 96]) });
    assert.equal(cache.size, compiled, 'a run at another size');
  });

  it('with specialized, a plan made later runs its specialised kernels from its first run (a dynamic-batch head)', async () => {
    const model = parseModel(readFileSync(sharedPath('models', 'tiny_genderage.onnx')));
    const [input] = model.graph.inputs;
    const dynamic = { ...model, graph: { ...model.graph, inputs: [{ ...input!, shape: ['N', 3, 96, 96] }] } };
    const head = await InferenceSession.fromModel(dynamic, { backend: 'webgpu', webgpu: { device: gpu.device } });
    try {
      await head.precompile({ [input!.name]: [2, 3, 96, 96] }, { specialized: true });
      const cache = PipelineCache.of(gpu.device);
      const compiled = cache.size;
      const out = await head.run({ [input!.name]: new Tensor('float32', new Float32Array(2 * 3 * 96 * 96).fill(0.25), [2, 3, 96, 96]) });
      assert.deepEqual(out[head.outputNames[0]!]!.dims, [2, 3]);
      assert.equal(head.kernels, 'specialized');
      assert.equal(cache.size, compiled, 'the run compiled nothing');
      // Without: the first run of a new batch is the generic tier's (SwiftShader specialises only when asked).
      await head.run({ [input!.name]: new Tensor('float32', new Float32Array(4 * 3 * 96 * 96).fill(0.25), [4, 3, 96, 96]) });
      assert.equal(head.kernels, 'generic');
    } finally {
      await head.release();
    }
  });

  it('a head runs as the buckets 1, 2, 4, … below maxBatch, and maxBatch', () => {
    assert.deepEqual(headBuckets(32), [1, 2, 4, 8, 16, 32]);
    assert.deepEqual(headBuckets(6), [1, 2, 4, 6]);
    assert.deepEqual(headBuckets(1), [1]);
  });

  it('refuses names that are not inputs and shapes the model refuses', async () => {
    await assert.rejects(session.precompile({ nope: [1, 3, 64, 64] }), InputError);
    await assert.rejects(session.precompile({}), InputError);
    await assert.rejects(session.precompile({ 'input.1': [1, 4, 64, 64] }), InputError);
  });
});
