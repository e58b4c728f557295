/**
 * 'cpu' | 'webgpu' | 'auto' is decided in one place (src/backends/choice.ts) for InferenceSession and
 * FaceAnalysis: both must land on the same backend and reject the same names with the same error. Loads the two
 * smallest models on whatever 'auto' picks (the CPU on a machine without a GPU): 3-8 s on the 2-core box, mostly loading modules.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BackendError, InputError } from '../../src/core/errors.js';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { chooseBackend } from '../../src/backends/choice.js';
import { InferenceSession } from '../../src/session/session.js';
import { type BackendName } from '../../src/backends/options.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/models');
const read = (name: string): Uint8Array => readFileSync(path.join(models, `${name}.onnx`));

test("FaceAnalysis and InferenceSession make the same 'auto' choice, and it is never a software adapter unasked", async () => {
  const session = await InferenceSession.create(read('tiny_genderage'), { backend: 'auto' });
  const app = await FaceAnalysis.create({ models: { files: { 'scrfd_500m_bnkps.onnx': read('scrfd_500m_bnkps'), 'tiny_genderage.onnx': read('tiny_genderage') } }, backend: 'auto' });
  try {
    const chosen = [...app.models.values()].map((m) => m.session.backendName);
    assert.deepEqual(chosen, chosen.map(() => session.backendName), `session chose ${session.backend.description}, FaceAnalysis ${chosen.join(', ')}`);
    const direct = await chooseBackend('auto', undefined);
    if (direct.backend === 'webgpu') {
      assert.equal(direct.gpu.isSoftware, false, `auto chose ${direct.gpu.description}`);
      direct.gpu.release();
    }
    assert.equal(direct.backend, session.backendName);
  } finally {
    await session.release();
    await app.release();
  }
});

test('an unknown backend name is the same BackendError for both', async () => {
  // JavaScript callers (and CLI strings) can pass any name; TypeScript ones need the cast.
  const name = 'gpu' as BackendName;
  const unknown = (e: unknown): boolean => e instanceof BackendError && e.backend === 'gpu' && /unknown backend/.test(e.why);
  await assert.rejects(InferenceSession.create(read('tiny_genderage'), { backend: name }), unknown);
  await assert.rejects(FaceAnalysis.create({ models: { files: { 'tiny_genderage.onnx': read('tiny_genderage') } }, backend: name }), unknown);
});

test("a webgpu.device that is no GPUDevice is an InputError for 'webgpu' and 'auto' alike, never a silent cpu fallback", async () => {
  const bytes = read('tiny_genderage');
  const notDevices: readonly object[] = [{}, { features: new Set(), lost: new Promise(() => undefined) }, { createBuffer: () => undefined }];
  for (const device of notDevices) {
    for (const backend of ['webgpu', 'auto'] as const) {
      await assert.rejects(chooseBackend(backend, { device: device as GPUDevice }),
        (e: unknown) => e instanceof InputError && /webgpu\.device/.test(e.message), `${backend} ${JSON.stringify(Object.keys(device))}`);
      await assert.rejects(InferenceSession.create(bytes, { backend, webgpu: { device: device as GPUDevice } }), InputError, backend);
    }
  }
});

test("a session 'auto' put on the CPU says why (fallbackReason); one that got WebGPU or asked for the CPU has none", async () => {
  const bytes = read('tiny_genderage');
  const auto = await InferenceSession.create(bytes, { backend: 'auto', webgpu: { allowSoftwareAdapter: false } });
  const direct = await chooseBackend('auto', { allowSoftwareAdapter: false });
  const cpu = await InferenceSession.create(bytes, { backend: 'cpu' });
  try {
    if (direct.backend === 'webgpu') direct.gpu.release();
    assert.equal(auto.backendName, direct.backend);
    if (direct.backend === 'cpu') assert.equal(auto.fallbackReason, direct.reason);
    else assert.equal(auto.fallbackReason, undefined);
    if (auto.backendName === 'cpu') assert.ok((auto.fallbackReason ?? '').length > 0, 'no reason given for the fallback');
    assert.equal(cpu.fallbackReason, undefined);
  } finally {
    await auto.release();
    await cpu.release();
  }
});

test("'auto' gives the same fallbackReason in a fresh process as after an allowSoftwareAdapter create", { timeout: 180_000 }, async (t) => {
  // The first create of a process asks a quiet probe; after an allowSoftwareAdapter create has pointed the Vulkan
  // loader at SwiftShader, Dawn sees SwiftShader itself. Both must name the software adapter, not "no GPU adapter".
  const { execFileSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  if (process.env['VK_ICD_FILENAMES'] || process.env['VK_DRIVER_FILES'] || !existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) {
    t.skip('needs SwiftShader from Debian chromium and no Vulkan driver chosen');
    return;
  }
  const script = `
    import { readFileSync } from 'node:fs';
    import { InferenceSession } from ${JSON.stringify(new URL('../../src/session/session.js', import.meta.url).href)};
    const bytes = readFileSync(${JSON.stringify(path.join(models, 'tiny_genderage.onnx'))});
    const reasons = [];
    const a = await InferenceSession.create(bytes, { backend: 'auto' }); reasons.push([a.backendName, a.fallbackReason]); await a.release();
    const w = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { allowSoftwareAdapter: true } }); await w.release();
    const b = await InferenceSession.create(bytes, { backend: 'auto' }); reasons.push([b.backendName, b.fallbackReason]); await b.release();
    process.stdout.write(JSON.stringify(reasons));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, INSIGHTGPU_DEBUG: '' } });
  const reasons = JSON.parse(out) as [string, string | undefined][];
  if (reasons[0]![0] !== 'cpu') {
    t.skip(`'auto' found a hardware adapter here (${reasons[0]![0]})`);
    return;
  }
  for (const [backend, reason] of reasons) {
    assert.equal(backend, 'cpu');
    assert.match(reason ?? '', /^only a software adapter is available \(.*swiftshader.*\); pass allowSoftwareAdapter to use it$/i);
  }
});
