import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { BackendError } from '../../src/core/errors.js';
import { InferenceSession } from '../../src/session/session.js';
import type { WebGpuBackend } from '../../src/backends/webgpu/backend.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/models');

test('a lost device is reported as a BackendError and a new session recovers', async () => {
  const bytes = readFileSync(path.join(models, 'tiny_genderage.onnx'));
  const feeds = { data: { type: 'float32' as const, dims: [1, 3, 96, 96], data: new Float32Array(3 * 96 * 96).fill(0.5) } };
  const first = await InferenceSession.create(bytes, { backend: 'webgpu' });
  assert.equal(first.backendName, 'webgpu');
  const before = await first.run(feeds);
  (first.backend as WebGpuBackend).gpu.device.destroy();
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(first.run(feeds), (e: unknown) => e instanceof BackendError && /lost/.test(e.message));
  await first.release();
  const second = await InferenceSession.create(bytes, { backend: 'webgpu' });
  const after = await second.run(feeds);
  assert.deepEqual(after['fc1']!.data, before['fc1']!.data);
  await second.release();
});

test("'auto' does not pick a software adapter unless allowed", async () => {
  const bytes = readFileSync(path.join(models, 'tiny_genderage.onnx'));
  const session = await InferenceSession.create(bytes, { backend: 'auto' });
  const backend = session.backend as Partial<WebGpuBackend>;
  // On a machine with a real GPU 'auto' is WebGPU on hardware; on a CPU-only machine it is the CPU backend.
  assert.ok(session.backendName === 'cpu' || backend.isSoftware === false, `auto chose ${session.backend.description}`);
  await session.release();
});
