/**
 * The session's cache of plans (one per set of input shapes, the least recently used evicted past eight) while
 * runs of many shapes are under way at once: an evicted plan stays alive until the runs holding it end, instead of
 * being disposed under them ('the plan was disposed (the session was released)'). SwiftShader, a one-node model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceSession } from '../../src/session/session.js';
import { Tensor } from '../../src/core/tensor.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const dynamicRelu = buildModel({ nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, ['N'])], outputs: [valueInfo('Y', DT.FLOAT, ['N'])] });

for (const backend of ['webgpu', 'cpu'] as const) {
  test(`${backend}: twelve runs of twelve shapes at once all succeed, each with its own result`, async () => {
    const session = await InferenceSession.create(dynamicRelu, { backend });
    try {
      const sizes = Array.from({ length: 12 }, (_, k) => k + 1);
      const outs = await Promise.all(sizes.map((n) => session.run({ X: new Tensor('float32', Float32Array.from({ length: n }, (_, i) => i - 2), [n]) })));
      outs.forEach((o, k) => assert.deepEqual([...o['Y']!.data], Array.from({ length: sizes[k]! }, (_, i) => Math.max(0, i - 2))));
      // The session still runs every shape afterwards (the evicted plans are compiled again).
      const again = await session.run({ X: new Tensor('float32', Float32Array.from([-1, 3]), [2]) });
      assert.deepEqual([...again['Y']!.data], [0, 3]);
    } finally {
      await session.release();
    }
  });
}
