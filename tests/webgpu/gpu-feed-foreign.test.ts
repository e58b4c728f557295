/**
 * A GPU-resident feed over a destroyed buffer, or over one of another GPUDevice, is an InputError naming the input
 * (what a demanding caller expects of every bad feed), not a BackendError carrying Dawn's validation message.
 * SwiftShader, a one-Relu graph.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { InferenceSession } from '../../src/session/session.js';
import { GpuTensor, Tensor } from '../../src/core/tensor.js';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage } from '../../src/backends/webgpu/gpu-constants.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';
import { refused } from '../robustness/refused.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const bytes = buildModel({ nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, [4])], outputs: [valueInfo('Y', DT.FLOAT, [4])] });
const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

test('a destroyed or foreign buffer as a GPU feed is an InputError naming the input; the session runs on after', async () => {
  const session = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { allowSoftwareAdapter: true } });
  const other = await acquireDevice({ allowSoftwareAdapter: true });
  try {
    const device = session.gpuDevice!;
    const destroyed = device.createBuffer({ size: 16, usage });
    destroyed.destroy();
    let error = await refused(session.run({ X: new GpuTensor('float32', [4], destroyed) }), InputError, /destroyed or belongs to another GPUDevice/);
    assert.equal(error.inputName, 'X');
    error = await refused(session.runOnGpu({ X: new GpuTensor('float32', [4], other.device.createBuffer({ size: 16, usage })) }), InputError, /destroyed or belongs to another GPUDevice/);
    assert.equal(error.inputName, 'X');
    const gone = device.createBuffer({ size: 16, usage });
    gone.destroy();
    error = await refused(InferenceSession.runTogether([{ session, feeds: { X: new GpuTensor('float32', [4], gone) } }]), InputError, /destroyed or belongs to another GPUDevice/);
    assert.equal(error.inputName, 'X');
    const out = await session.run({ X: new Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [4]) });
    assert.deepEqual([...(out.Y!.data as Float32Array)], [0, 2, 0, 4]);
  } finally {
    await session.release();
    other.release();
  }
});

test('runOnGpu outputs do not outlive session.release(): fed afterwards they are refused as destroyed', async () => {
  const gpu = await acquireDevice({ allowSoftwareAdapter: true });
  const options = { backend: 'webgpu', webgpu: { device: gpu.device } } as const;
  const first = await InferenceSession.create(bytes, options);
  const second = await InferenceSession.create(bytes, options);
  try {
    const { Y } = await first.runOnGpu({ X: new Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [4]) });
    // While the session lives, its output feeds another session on the device.
    const live = await second.run({ X: Y! });
    assert.deepEqual([...(live.Y!.data as Float32Array)], [0, 2, 0, 4]);
    await first.release();
    const error = await refused(second.run({ X: Y! }), InputError, /destroyed/);
    assert.equal(error.inputName, 'X');
  } finally {
    await first.release();
    await second.release();
    gpu.release();
  }
});
