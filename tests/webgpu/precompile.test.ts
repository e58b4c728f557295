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
import { lazyTensor } from '../../src/core/ir.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { maxRelativeError } from '../parity/parity.js';
import { seededValues } from './gpu-op-check.js';

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

  it('lowering and the pipeline requests read no weight: folded and repacked weights are made once, at the upload', async () => {
    // BN → Conv 3×3 → BN → Relu: both BatchNorms fold into the conv, whose weights the GEMM repacks K-major.
    const c = 4;
    const m = 8;
    const values = (n: number, seed: number): number[] => [...seededValues(n, seed)].map((v) => v * 0.25);
    const stats = (prefix: string, n: number, seed: number) => [
      tensor(`${prefix}_s`, 'float32', [n], values(n, seed).map((v) => 1 + v)), tensor(`${prefix}_b`, 'float32', [n], values(n, seed + 1)),
      tensor(`${prefix}_m`, 'float32', [n], values(n, seed + 2)), tensor(`${prefix}_v`, 'float32', [n], values(n, seed + 3).map((v) => 1 + Math.abs(v))),
    ];
    const bytes = buildModel({
      inputs: [valueInfo('x', DT.FLOAT, ['N', c, 6, 7])],
      outputs: [valueInfo('y', DT.FLOAT, undefined)],
      initializers: [...stats('bn0', c, 10), tensor('w', 'float32', [m, c, 3, 3], values(m * c * 9, 20)), tensor('b', 'float32', [m], values(m, 21)), ...stats('bn1', m, 30)],
      nodes: [
        node('BatchNormalization', ['x', 'bn0_s', 'bn0_b', 'bn0_m', 'bn0_v'], ['n0']),
        node('Conv', ['n0', 'w', 'b'], ['c0'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }),
        node('BatchNormalization', ['c0', 'bn1_s', 'bn1_b', 'bn1_m', 'bn1_v'], ['n1']),
        node('Relu', ['n1'], ['y']),
      ],
    });
    const parsed = parseModel(bytes);
    // The conv's weights as a tensor made on first read that records the read: a plain input to the engine.
    const reads: string[] = [];
    const initializers = new Map([...parsed.graph.initializers].map(([name, t]) => [name, name === 'w' ? lazyTensor(t.type, t.dims, () => { reads.push(name); return t.data; }) : t]));
    const model = { ...parsed, graph: { ...parsed.graph, initializers } };
    const onGpu = await InferenceSession.fromModel(model, { backend: 'webgpu', webgpu: { device: gpu.device } });
    const onCpu = await InferenceSession.fromModel(parsed, { backend: 'cpu' });
    try {
      await onGpu.precompile({ x: [1, c, 6, 7] }, { specialized: true });
      assert.deepEqual(reads, [], 'precompiling (passes, lowering, pipeline requests) made no weight');
      const feeds = { x: new Tensor('float32', seededValues(c * 42, 5), [1, c, 6, 7]) };
      const got = await onGpu.run(feeds);
      assert.deepEqual(reads, ['w'], 'the upload made it, once');
      const timeline = onGpu.compileTimes[0]?.timeline;
      assert.ok(timeline && timeline.requested <= timeline.uploadStart, 'the plan requested its pipelines before its upload began');
      const want = await onCpu.run(feeds);
      // The project's fp32 bound (max |gpu − cpu| / max |cpu|): both sum float32 products, in different orders.
      assert.ok(maxRelativeError(got['y']!.data as Float32Array, want['y']!.data as Float32Array) <= 1e-4);
    } finally {
      await onGpu.release();
      await onCpu.release();
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
