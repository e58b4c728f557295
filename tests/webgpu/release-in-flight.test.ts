/**
 * `release()` called while runs are under way: the runs already made finish with their results (as the cpu
 * backend's do, and as FaceAnalysis.release documents), then the plans, buffers and owned device are freed; a
 * caller's lent device stays usable. SwiftShader, a one-node model with a dynamic dim (so the first run compiles).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { InferenceSession } from '../../src/session/session.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const bytes = buildModel({ nodes: [node('Relu', ['x'], ['y'])], inputs: [valueInfo('x', DT.FLOAT, ['n'])], outputs: [valueInfo('y', DT.FLOAT, ['n'])] });
const feeds = (n: number) => ({ x: { type: 'float32' as const, dims: [n], data: Float32Array.from({ length: n }, (_, i) => i - 2) } });
const relu = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.max(0, i - 2));

test('release waits for the runs already made, then refuses new ones', async () => {
  const gpu = await acquireDevice({ allowSoftwareAdapter: true });
  try {
    const session = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } });
    // The first run of a shape compiles its plan; release is called before that plan exists.
    const compiling = session.run(feeds(5));
    const onGpu = session.runOnGpu(feeds(6));
    const released = session.release();
    const out = await compiling;
    assert.deepEqual(out['y']!.data, relu(5));
    assert.deepEqual((await onGpu)['y']!.dims, [6]);
    await released;
    await assert.rejects(session.run(feeds(5)), InputError);
    // The lent device outlives the session.
    assert.equal(gpu.lostReason(), undefined);
    const again = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } });
    await again.run(feeds(4));
    // Two runs of one plan at once, with release called as they are submitted.
    const warm = [again.run(feeds(4)), again.run(feeds(4))];
    await Promise.resolve();
    const second = again.release();
    for (const w of warm) assert.deepEqual((await w)['y']!.data, relu(4));
    await second;
  } finally {
    gpu.release();
  }
});
