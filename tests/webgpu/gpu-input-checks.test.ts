/**
 * `session.gpuInput` given a name that is no input, or dims that are no shape: an InputError naming the fault
 * (not another input's shape, nor a GraphError from deep in shape inference). SwiftShader, a one-node model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { InferenceSession } from '../../src/session/session.js';
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
