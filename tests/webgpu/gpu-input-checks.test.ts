/**
 * `session.gpuInput` given a name that is no input, or dims that are no shape: an InputError naming the fault
 * (not another input's shape, nor a GraphError from deep in shape inference). SwiftShader, a one-node model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { InferenceSession } from '../../src/session/session.js';
import { GpuTensor } from '../../src/core/tensor.js';
import { BufferUsage } from '../../src/backends/webgpu/gpu-constants.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

test('gpuInput refuses a misspelt name and fractional or negative dims', async () => {
  const bytes = buildModel({ nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, ['N', 3])], outputs: [valueInfo('Y', DT.FLOAT, ['N', 3])] });
  const session = await InferenceSession.create(bytes, { backend: 'webgpu' });
  try {
    await assert.rejects(session.gpuInput('Z', [1, 3]), (e: unknown) => e instanceof InputError && /'Z' is not a model input/.test(e.message));
    await assert.rejects(session.gpuInput('X', [1.5, 3]), (e: unknown) => e instanceof InputError && /non-negative integers/.test(e.message));
    await assert.rejects(session.precompile({ X: [-1, 3] }), (e: unknown) => e instanceof InputError && /non-negative integers/.test(e.message));
    assert.deepEqual((await session.gpuInput('X', [2, 3])).dims, [2, 3]);
  } finally {
    await session.release();
  }
});

test('a GPU-resident feed the plan cannot copy from (no COPY_SRC, or mapped) is an InputError naming the input, and the session runs on', async () => {
  const bytes = buildModel({ nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, [2, 3])], outputs: [valueInfo('Y', DT.FLOAT, [2, 3])] });
  const session = await InferenceSession.create(bytes, { backend: 'webgpu' });
  const device = session.gpuDevice!;
  const noCopySrc = device.createBuffer({ size: 24, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const mapped = device.createBuffer({ size: 24, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC, mappedAtCreation: true });
  try {
    for (const [buffer, why] of [[noCopySrc, /COPY_SRC/], [mapped, /mapped/]] as const) {
      const together = async (f: { X: GpuTensor }): Promise<unknown> => InferenceSession.runTogether([{ session, feeds: f }, { session, feeds: f }]);
      for (const call of [(f: { X: GpuTensor }) => session.run(f), (f: { X: GpuTensor }) => session.runOnGpu(f), together]) {
        await assert.rejects(call({ X: new GpuTensor('float32', [2, 3], buffer) }),
          (e: unknown) => e instanceof InputError && e.inputName === 'X' && why.test(e.message));
      }
    }
    const out = await session.run({ X: { type: 'float32', dims: [2, 3], data: Float32Array.from([-1, 2, -3, 4, -5, 6]) } });
    assert.deepEqual(out['Y']!.data, Float32Array.from([0, 2, 0, 4, 0, 6]));
    const feed = { X: { type: 'float32' as const, dims: [2, 3], data: Float32Array.from([1, -2, 3, -4, 5, -6]) } };
    const [a, b] = await InferenceSession.runTogether([{ session, feeds: feed }, { session, feeds: feed }]);
    assert.deepEqual(a!['Y']!.data, Float32Array.from([1, 0, 3, 0, 5, 0]));
    assert.deepEqual(b!['Y']!.data, a!['Y']!.data);
  } finally {
    noCopySrc.destroy();
    mapped.destroy();
    await session.release();
  }
});
