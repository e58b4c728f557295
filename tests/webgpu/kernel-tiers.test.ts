/**
 * The two kernel tiers of a WebGPU plan: generic kernels, which layers that differ only in shape share (few
 * pipelines to compile before the first result), and specialised ones, which take over once compiled.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import type { ConvParams } from '../../src/ops/conv/params.js';
import type { GemmParams } from '../../src/ops/gemm/cpu.js';
import { findGpuKernel } from '../../src/ops/registry.js';
import { ShapeValues } from '../../src/ops/kernel/shape-values.js';
import type { ValueType } from '../../src/ops/kernel/op-module.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { BackendError } from '../../src/core/errors.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { InferenceSession } from '../../src/session/session.js';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { Tensor } from '../../src/core/tensor.js';
import { seededValues, releaseTestDevice, testDevice } from './gpu-op-check.js';
import { maxRelativeError } from '../parity/parity.js';
import { sharedPath } from '../pipeline/helpers.js';

/** The WGSL texts a model lowers to (one per dispatch) in either form; distinct texts are distinct pipelines. */
function shaderTexts(file: string, dims: readonly number[], generic: boolean): { texts: Set<string>; steps: number } {
  const model = parseModel(readFileSync(file));
  const graph = optimizeGraph(specializeGraph(model, new Map([[model.graph.inputs[0]!.name, { type: 'float32' as const, dims: [...dims] }]])));
  const types = new Map<string, ValueType>();
  for (const i of graph.inputs) types.set(i.name, i.type);
  for (const [name, t] of graph.constants) types.set(name, { type: t.type, dims: t.dims });
  const texts = new Set<string>();
  let steps = 0;
  for (const step of graph.steps) {
    step.outputs.forEach((o, k) => { if (o) types.set(o, step.outputTypes[k]!); });
    const lowering = findGpuKernel(step.node.opType, step.node.domain)?.lower({
      node: step.node, params: step.params, outputs: step.outputTypes, maxWorkgroupsPerDimension: 65535,
      software: generic, shape: generic ? ShapeValues.uniform() : ShapeValues.literal(),
      inputs: step.inputs.map((n) => (n ? types.get(n) : undefined)),
      constants: step.inputs.map((n) => (n ? graph.constants.get(n) : undefined)),
    });
    if (lowering?.kind !== 'dispatches') continue;
    steps++;
    for (const d of lowering.dispatches) texts.add(d.shader);
  }
  return { texts, steps };
}

test('generic kernels are shared between layers: a model needs a handful of pipelines, not one per layer shape', () => {
  for (const [name, dims] of [['scrfd_2.5g_bnkps', [1, 3, 640, 640]], ['mobilefacenet', [1, 3, 112, 112]]] as const) {
    const file = sharedPath('models', `${name}.onnx`);
    const specialised = shaderTexts(file, dims, false);
    const generic = shaderTexts(file, dims, true);
    console.log(`${name}: ${specialised.steps} steps on the GPU, ${specialised.texts.size} specialised pipelines, ${generic.texts.size} generic`);
    assert.equal(generic.steps, specialised.steps, 'both tiers lower every step');
    // What stays distinct is structure: op, conv class (depthwise or GEMM), tensor rank (scrfd: 6, mobilefacenet:
    // 2). The fused epilogue as WGSL text made it 12 and 8; a layer number left in the generic WGSL would make
    // nearly every conv its own pipeline again (scrfd: 72).
    assert.ok(generic.texts.size * 8 <= specialised.texts.size, `${generic.texts.size} generic vs ${specialised.texts.size} specialised pipelines`);
  }
});

test('the generic form of differently shaped convs (window, bias, residual, activation) is one WGSL text with different shape values', () => {
  const dispatch = (h: number, c: number, m: number, k: number, epilogue: ConvParams['epilogue'], bias: boolean) => {
    const pad = (k - 1) / 2;
    return findGpuKernel('Conv')!.lower({
      node: { index: 0, name: 'c', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: new Map() },
      params: {
        inDims: [1, c, h, h], outDims: [1, m, h, h], kernel: [k, k], strides: [1, 1], dilations: [1, 1], pads: [pad, pad, pad, pad],
        group: 1, rank: 4, epilogue,
      } satisfies ConvParams,
      inputs: [{ type: 'float32', dims: [1, c, h, h] }, { type: 'float32', dims: [m, c, k, k] }, bias ? { type: 'float32', dims: [m] } : undefined,
        epilogue.residual ? { type: 'float32', dims: [1, m, h, h] } : undefined],
      outputs: [{ type: 'float32', dims: [1, m, h, h] }], constants: [], maxWorkgroupsPerDimension: 65535,
      software: true, shape: ShapeValues.uniform(),
    });
  };
  const variants = [
    dispatch(40, 16, 32, 3, { kind: 'none' }, false),
    dispatch(20, 64, 64, 1, { kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 } }, true),
    dispatch(10, 8, 24, 7, { kind: 'prelu', slope: new Float32Array(24).fill(0.25), residual: true }, true),
    dispatch(14, 32, 32, 3, { kind: 'unary', unary: { kind: 'Clip', alpha: 0, beta: 6 }, residual: true }, false),
  ];
  const shaders = variants.map((v) => {
    assert.ok(v?.kind === 'dispatches' && v.dispatches.length === 1);
    return v.dispatches[0]!;
  });
  for (const d of shaders.slice(1)) assert.equal(d.shader, shaders[0]!.shader);
  const uniforms = shaders.map((d) => JSON.stringify(d.bindings.find((x) => x.kind === 'uniform')));
  assert.equal(new Set(uniforms).size, uniforms.length, 'each layer has its own shape values');
});

test('a generic fully connected layer (A·Bᵀ + C[N]) is the generic conv pipeline; other Gemm forms keep their own', () => {
  const gemm = (params: Partial<GemmParams>, c: readonly number[] | undefined) => {
    const lowering = findGpuKernel('Gemm')!.lower({
      node: { index: 0, name: 'fc', opType: 'Gemm', domain: '', inputs: ['a', 'b', 'c'], outputs: ['y'], attributes: new Map() },
      params: { transA: false, transB: true, alpha: 1, beta: 1, m: 2, n: 10, k: 64, cDims: c, epilogue: { kind: 'none' }, ...params } satisfies GemmParams,
      inputs: [{ type: 'float32', dims: [2, 64] }, { type: 'float32', dims: [10, 64] }, c ? { type: 'float32', dims: c } : undefined],
      outputs: [{ type: 'float32', dims: [2, 10] }], constants: [], maxWorkgroupsPerDimension: 65535, software: true, shape: ShapeValues.uniform(),
    });
    assert.ok(lowering?.kind === 'dispatches');
    return lowering.dispatches[0]!.shader;
  };
  const conv = findGpuKernel('Conv')!.lower({
    node: { index: 0, name: 'c', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: new Map() },
    params: {
      inDims: [1, 8, 5, 5], outDims: [1, 4, 5, 5], kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1],
      group: 1, rank: 4, epilogue: { kind: 'none' },
    } satisfies ConvParams,
    inputs: [{ type: 'float32', dims: [1, 8, 5, 5] }, { type: 'float32', dims: [4, 8, 3, 3] }],
    outputs: [{ type: 'float32', dims: [1, 4, 5, 5] }], constants: [], maxWorkgroupsPerDimension: 65535, software: true, shape: ShapeValues.uniform(),
  });
  assert.ok(conv?.kind === 'dispatches');
  const convText = conv.dispatches[0]!.shader;
  assert.equal(gemm({}, [10]), convText);
  assert.equal(gemm({}, [1, 10]), convText);
  assert.equal(gemm({}, undefined), convText);
  // Not expressible as that conv: C per row and column, A transposed, B untransposed, a scale.
  for (const [params, c] of [[{}, [2, 10]], [{ transA: true }, [10]], [{ transB: false }, [10]], [{ alpha: 0.5 }, [10]]] as const) {
    assert.notEqual(gemm(params, c), convText, JSON.stringify(params));
  }
});

after(releaseTestDevice);

test('a tiered session gives its first result from the generic kernels, then switches to the specialised ones', { timeout: 5 * 60_000 }, async () => {
  const { gpu } = await testDevice();
  const bytes = readFileSync(sharedPath('models', 'tiny_genderage.onnx'));
  const gpuSession = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } });
  const cpuSession = await InferenceSession.create(bytes, { backend: 'cpu' });
  try {
    const name = gpuSession.inputNames[0]!;
    const feeds = { [name]: new Tensor('float32', seededValues(3 * 96 * 96, 11).map((v) => 127.5 + 60 * v), [1, 3, 96, 96]) };
    const expected = (await cpuSession.run(feeds))[gpuSession.outputNames[0]!]!.data as Float32Array;
    const relError = (got: Float32Array): number => maxRelativeError(got, expected);
    const first = (await gpuSession.run(feeds))[gpuSession.outputNames[0]!]!.data as Float32Array;
    assert.equal(gpuSession.kernels, 'generic');
    await gpuSession.specialized();
    assert.equal(gpuSession.kernels, 'specialized');
    const later = (await gpuSession.run(feeds))[gpuSession.outputNames[0]!]!.data as Float32Array;
    // 1e-4 relative is the project's fp32 bound; the tiers only sum in different orders.
    assert.ok(relError(first) <= 1e-4, `generic tier: ${relError(first)}`);
    assert.ok(relError(later) <= 1e-4, `specialised tier: ${relError(later)}`);
  } finally {
    await gpuSession.release();
    await cpuSession.release();
  }
});

/**
 * Breaks the WGSL the conv kernel gives for one tier (a syntax error appended), for the length of `body`. The
 * registry hands out the kernel object itself, so every plan compiled meanwhile gets the broken text.
 */
async function withBrokenConv<T>(tier: 'generic' | 'specialized', body: () => Promise<T>): Promise<T> {
  const kernel = findGpuKernel('Conv')!;
  const lower = kernel.lower;
  kernel.lower = (ctx) => {
    const lowering = lower.call(kernel, ctx);
    if (lowering?.kind !== 'dispatches' || ctx.shape.generic !== (tier === 'generic')) return lowering;
    return { kind: 'dispatches', dispatches: lowering.dispatches.map((d) => ({ ...d, shader: `${d.shader}\nfn broken( {` })) };
  };
  try {
    return await body();
  } finally {
    kernel.lower = lower;
  }
}

const isPipelineFailure = (e: unknown): boolean => e instanceof BackendError && /pipeline for .*\(Conv\) failed/.test(e.message);

test('a generic pipeline that fails to compile fails the session with a BackendError naming the node', { timeout: 5 * 60_000 }, async () => {
  const { gpu } = await testDevice();
  const bytes = readFileSync(sharedPath('models', 'tiny_genderage.onnx'));
  await withBrokenConv('generic', async () => {
    // Static input shapes: the plan is compiled by create().
    await assert.rejects(InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } }), isPipelineFailure);
  });
});

test('a specialised pipeline that fails to compile rejects specialized(), and runs stay on the correct generic kernels', { timeout: 5 * 60_000 }, async () => {
  const { gpu } = await testDevice();
  const bytes = readFileSync(sharedPath('models', 'tiny_genderage.onnx'));
  const session = await withBrokenConv('specialized', () => InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } }));
  const cpuSession = await InferenceSession.create(bytes, { backend: 'cpu' });
  try {
    const name = session.inputNames[0]!;
    const feeds = { [name]: new Tensor('float32', seededValues(3 * 96 * 96, 12).map((v) => 127.5 + 60 * v), [1, 3, 96, 96]) };
    const expected = (await cpuSession.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
    // The specialised tier is lowered at create() (broken then) and compiled after the first run.
    await session.run(feeds);
    await assert.rejects(session.specialized(), isPipelineFailure);
    assert.equal(session.kernels, 'generic');
    const after = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
    // 1e-4 relative is the project's fp32 bound.
    assert.ok(maxRelativeError(after, expected) <= 1e-4, `generic tier after the failure: ${maxRelativeError(after, expected)}`);
  } finally {
    await session.release();
    await cpuSession.release();
  }
});

test('on a software adapter a tiered session compiles the specialised kernels only when specialized() asks', { timeout: 5 * 60_000 }, async (t) => {
  // A device of its own: its pipeline cache starts empty, so every specialised request shows in its size.
  const gpu = await acquireDevice({ allowSoftwareAdapter: true });
  try {
    if (!gpu.isSoftware) { t.skip(`${gpu.description} is a hardware adapter: its sessions specialise by themselves`); return; }
    const bytes = readFileSync(sharedPath('models', 'tiny_genderage.onnx'));
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } });
    try {
      const cache = PipelineCache.of(gpu.device);
      const feeds = { [session.inputNames[0]!]: new Tensor('float32', seededValues(3 * 96 * 96, 13), [1, 3, 96, 96]) };
      await session.run(feeds);
      const genericCount = cache.size;
      // Long enough for the timer that starts the automatic compile on a hardware adapter.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await session.run(feeds);
      assert.equal(cache.size, genericCount, 'no specialised pipeline was requested');
      assert.equal(session.kernels, 'generic');
      await session.specialized();
      assert.equal(session.kernels, 'specialized');
      assert.ok(cache.size > genericCount, `${cache.size} pipelines after specialising, ${genericCount} before`);
    } finally {
      await session.release();
    }
  } finally {
    gpu.release();
  }
});
