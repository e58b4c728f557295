/**
 * Overridable initializers on the webgpu backend (SwiftShader, tiny_genderage at 96×96, every weight listed as an
 * input): unfed runs use the plan of the file without the listing, a fed weight runs a variant, and run, runOnGpu,
 * runTogether, precompile and release all take the variant. Against onnxruntime-node.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InferenceSession, InputError, Tensor, type GpuTensor } from '../../src/index.js';
import { BufferUsage, MapMode } from '../../src/backends/webgpu/gpu-constants.js';
import { seededRandom, sharedPath } from '../pipeline/helpers.js';
import { refused } from '../robustness/refused.js';
import { asPlainInputs, keepInitializersAsInputs, ortRun, watchPlans } from './keep-initializers.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const webgpu = { backend: 'webgpu', webgpu: { allowSoftwareAdapter: true } } as const;
const PLAIN = new Uint8Array(readFileSync(sharedPath('models', 'tiny_genderage.onnx')));
const KEEP = keepInitializersAsInputs(PLAIN);
const DIMS = [1, 3, 96, 96];
const r = seededRandom(7);
const DATA = Float32Array.from({ length: DIMS.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
const BN0_G = Float32Array.from([0.5, -1, 2, 0.25, 1.5, -0.75, 3, 1]);
const data = (): Tensor => new Tensor('float32', DATA, DIMS);
const bn0g = (): Tensor => new Tensor('float32', BN0_G, [8]);

function close(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-3 * (1 + Math.abs(expected[i]!)), `${what}[${i}]: ${v} vs ${expected[i]}`));
}

async function readBack(device: GPUDevice, t: GpuTensor): Promise<Float32Array> {
  const bytes = Math.ceil(t.byteLength / 4) * 4;
  const staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(t.buffer, t.byteOffset, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0)).subarray(0, t.size);
  staging.unmap();
  staging.destroy();
  return out;
}

const steps = (session: InferenceSession): string[] => session.lastProfile()!.map((s) => s.opType);

describe('overridable initializers on webgpu (SwiftShader)', () => {
  it('unfed: the plain file\'s plan; fed: a variant with that weight unfolded, as onnxruntime computes it', async () => {
    const plain = await InferenceSession.create(PLAIN, { ...webgpu, profiling: true });
    await plain.run({ data: data() });
    const keep = await InferenceSession.create(KEEP, { ...webgpu, profiling: true });
    const unfed = await keep.run({ data: data() });
    assert.deepEqual(steps(keep), steps(plain));
    close(unfed['fc1']!.data as Float32Array, await ortRun(KEEP, { data: [DATA, DIMS] }), 'fc1 unfed');
    const fed = await keep.run({ data: data(), bn0_g: bn0g() });
    assert.equal(steps(keep).filter((op) => op === 'BatchNormalization').length, 1, steps(keep).join(' '));
    close(fed['fc1']!.data as Float32Array, await ortRun(asPlainInputs(KEEP, ['bn0_g']), { data: [DATA, DIMS], bn0_g: [BN0_G, [8]] }), 'fc1 fed');
    await plain.release();
    await keep.release();
  });

  it('precompile, runOnGpu and runTogether take an override; release disposes its variant', async () => {
    const session = await InferenceSession.create(KEEP, webgpu);
    const { made, disposed } = watchPlans(session);
    const expectedUnfed = await ortRun(KEEP, { data: [DATA, DIMS] });
    const expectedFed = await ortRun(asPlainInputs(KEEP, ['bn0_g']), { data: [DATA, DIMS], bn0_g: [BN0_G, [8]] });

    await refused(session.precompile({ data: DIMS, bn0_g: [9] }), InputError, /does not match/);
    await session.precompile({ data: DIMS, bn0_g: [8] });
    assert.equal((await session.precompileTimes()).length, 1);

    const onGpu = await session.runOnGpu({ data: data(), bn0_g: bn0g() });
    close(await readBack(session.gpuDevice!, onGpu['fc1']!), expectedFed, 'runOnGpu fc1 fed');
    const [a, b] = await InferenceSession.runTogether([{ session, feeds: { data: data() } }, { session, feeds: { data: data(), bn0_g: bn0g() } }]);
    close(a!['fc1']!.data as Float32Array, expectedUnfed, 'runTogether fc1 unfed');
    close(b!['fc1']!.data as Float32Array, expectedFed, 'runTogether fc1 fed');
    assert.equal(made.length, 1, 'one variant for bn0_g, shared by runOnGpu and runTogether');
    await session.release();
    assert.equal(disposed.size, 1, 'release disposed the variant');
  });
});
