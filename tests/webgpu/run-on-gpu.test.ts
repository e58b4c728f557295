/**
 * `InferenceSession.runOnGpu` (issue 13 item 2): a WebGPU run whose outputs stay in the plan's buffers, as
 * GpuTensors, for a consumer's own kernels; the plan's normal `run` is unchanged. SwiftShader, tiny_genderage (fast).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { GpuTensor } from '../../src/core/tensor.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode } from '../../src/backends/webgpu/gpu-constants.js';
import { InferenceSession } from '../../src/session/session.js';
import { sharedPath } from '../pipeline/helpers.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

async function readBack(device: GPUDevice, t: GpuTensor): Promise<Float32Array> {
  const bytes = Math.ceil(t.byteLength / 4) * 4;
  const staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(t.buffer, t.byteOffset, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

describe('InferenceSession.runOnGpu (SwiftShader)', () => {
  let gpu: GpuDevice;
  let session: InferenceSession;
  const model = readFileSync(sharedPath('models', 'tiny_genderage.onnx'));
  const input = Float32Array.from({ length: 3 * 96 * 96 }, (_, i) => ((i * 37) % 255) / 255 - 0.5);

  before(async () => {
    gpu = await acquireDevice({ allowSoftwareAdapter: true });
    session = await InferenceSession.create(model, { backend: 'webgpu', webgpu: { device: gpu.device } });
  });
  after(async () => { await session?.release(); gpu?.release(); });

  it('returns each output as a GpuTensor on the session\'s device, holding what run returns', async () => {
    const feeds = { [session.inputNames[0]!]: { type: 'float32' as const, dims: [1, 3, 96, 96], data: input } };
    const reference = await session.run(feeds);
    const onGpu = await session.runOnGpu(feeds);
    assert.equal(session.gpuDevice, gpu.device);
    assert.deepEqual(Object.keys(onGpu), session.outputNames);
    for (const name of session.outputNames) {
      const t = onGpu[name]!;
      assert.ok(t instanceof GpuTensor);
      assert.equal(t.type, 'float32');
      assert.deepEqual(t.dims, reference[name]!.dims);
      const values = (await readBack(gpu.device, t)).subarray(0, t.size);
      assert.deepEqual(values, reference[name]!.data, name);
    }
    // A plain run afterwards still reads its results back, the same bits.
    const again = await session.run(feeds);
    for (const name of session.outputNames) assert.deepEqual(again[name]!.data, reference[name]!.data);
  });

  it('takes a GPU-resident feed (gpuInput) and a subset of outputs', async () => {
    const name = session.inputNames[0]!;
    const feed = await session.gpuInput(name, [1, 3, 96, 96]);
    gpu.device.queue.writeBuffer(feed.buffer, 0, input);
    const wanted = session.outputNames.slice(0, 1);
    const onGpu = await session.runOnGpu({ [name]: feed }, wanted);
    assert.deepEqual(Object.keys(onGpu), wanted);
    const reference = await session.run({ [name]: { type: 'float32', dims: [1, 3, 96, 96], data: input } }, wanted);
    assert.deepEqual((await readBack(gpu.device, onGpu[wanted[0]!]!)).subarray(0, reference[wanted[0]!]!.size), reference[wanted[0]!]!.data);
    await assert.rejects(session.runOnGpu({ [name]: feed }, ['nope']), /not a model output/);
  });

  it('is refused on the cpu backend, which has no device', async () => {
    const cpu = await InferenceSession.create(model, { backend: 'cpu' });
    try {
      assert.equal(cpu.gpuDevice, undefined);
      await assert.rejects(cpu.runOnGpu({ [cpu.inputNames[0]!]: { type: 'float32', dims: [1, 3, 96, 96], data: input } }), /webgpu backend/);
    } finally {
      await cpu.release();
    }
  });
});
