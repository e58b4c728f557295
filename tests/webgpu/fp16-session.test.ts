/**
 * Sessions with `webgpu: { precision: 'fp16' }`. Everywhere: without shader-f16 (SwiftShader, the cpu backend) the
 * session is refused with a PrecisionUnavailableError, never run silently in fp32. On an adapter with shader-f16:
 * the fp16 plan against the fp32 plan on the same device, within the bound the CPU emulation states
 * (fp16-bounds.ts), with float32 inputs and outputs at the API. Those checks are skipped (and reported as skipped)
 * where the adapter has no shader-f16.
 */
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BackendError, PrecisionUnavailableError } from '../../src/core/errors.js';
import type { TensorData } from '../../src/core/ir.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { InferenceSession } from '../../src/session/session.js';
import { decodeImageNode } from '../../src/pipeline/decode-node.js';
import { letterbox } from '../../src/pipeline/preprocess/letterbox.js';
import { blobFromImages } from '../../src/pipeline/preprocess/blob.js';
import { detectionBound } from '../../bench/node/fp16-detection.js';
import { cosine, maxRelativeError } from '../../bench/node/fp16-emulation.js';
import { forgeExtraModel } from '../../models/forge/index.js';
import { FP16_RELATIVE_BOUND, GOLDEN_TOLERANCE } from './fp16-bounds.js';
import { deviceSharedPath, seededTensor } from './fp16-inputs.js';

const sharedPath = deviceSharedPath;
const model = (file: string): Uint8Array => new Uint8Array(readFileSync(sharedPath(file)));

let gpu: GpuDevice;
before(async () => { gpu = await acquireDevice({ allowSoftwareAdapter: true }); });
after(() => gpu.release());

describe("precision 'fp16' is refused where it cannot run", () => {
  it('on an adapter without shader-f16, naming the adapter', async (t) => {
    if (gpu.hasShaderF16) { t.skip(`${gpu.description} has shader-f16`); return; }
    await assert.rejects(InferenceSession.create(model('models/tiny_genderage.onnx'), { backend: 'webgpu', webgpu: { device: gpu.device, precision: 'fp16' } }),
      (e: unknown) => e instanceof PrecisionUnavailableError && e.precision === 'fp16' && e.message.includes(gpu.description));
  });
  it('on the cpu backend', async () => {
    await assert.rejects(InferenceSession.create(model('models/tiny_genderage.onnx'), { backend: 'cpu', webgpu: { precision: 'fp16' } }),
      (e: unknown) => e instanceof PrecisionUnavailableError && e.adapter === 'the cpu backend');
  });
  it('for a precision that does not exist', async () => {
    await assert.rejects(InferenceSession.create(model('models/tiny_genderage.onnx'), { backend: 'webgpu', webgpu: { device: gpu.device, precision: 'fp8' as 'fp16' } }),
      (e: unknown) => e instanceof BackendError && e.message.includes('fp8'));
  });
});

/** fp32 and fp16 sessions of one file on the shared device, run on the same feeds. */
async function bothPrecisions(file: string | Uint8Array, feeds: Record<string, TensorData>): Promise<{ wide: Map<string, TensorData>; half: Map<string, TensorData> }> {
  const bytes = typeof file === 'string' ? model(file) : file;
  const wideSession = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } });
  const halfSession = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device, precision: 'fp16' } });
  try {
    const w = await wideSession.run(feeds);
    const h = await halfSession.run(feeds);
    // One submit with the group path gives the same numbers as a run alone.
    const [grouped] = await InferenceSession.runTogether([{ session: halfSession, feeds }]);
    for (const name of halfSession.outputNames) {
      assert.equal(h[name]!.type, 'float32', 'outputs stay float32 at the API');
      assert.deepEqual(grouped![name]!.data, h[name]!.data, `${name}: runTogether and run agree`);
    }
    return {
      wide: new Map(wideSession.outputNames.map((n) => [n, w[n]!])),
      half: new Map(halfSession.outputNames.map((n) => [n, h[n]!])),
    };
  } finally {
    await wideSession.release();
    await halfSession.release();
  }
}

const worst = (wide: Map<string, TensorData>, half: Map<string, TensorData>): number => Math.max(...[...wide].map(([n, t]) => maxRelativeError(half.get(n)!, t)));

describe("precision 'fp16' on an adapter with shader-f16, against fp32 on the same device", () => {
  it('scrfd_2.5g on t1.jpg at 320: outputs and faces', async (t) => {
    if (!gpu.hasShaderF16) { t.skip(`${gpu.description} has no shader-f16`); return; }
    const t1 = await decodeImageNode(sharedPath('images/t1.jpg'));
    const { image, detScale } = letterbox(t1, [320, 320]);
    const { wide, half } = await bothPrecisions('models/scrfd_2.5g_bnkps.onnx', { 'input.1': blobFromImages([image], { mean: 127.5, std: 128 }) });
    assert.ok(worst(wide, half) <= FP16_RELATIVE_BOUND.scrfd!);
    const d = detectionBound(wide, half, 320, detScale);
    assert.equal(d.faces[1], d.faces[0]);
    assert.equal(d.matched, d.faces[0]);
    assert.ok(d.boxPx <= GOLDEN_TOLERANCE.boxPx && d.kpsPx <= GOLDEN_TOLERANCE.kpsPx && d.score <= GOLDEN_TOLERANCE.score, JSON.stringify(d));
  });
  it('mobilefacenet on the Tom Hanks crop: embedding cosine', async (t) => {
    if (!gpu.hasShaderF16) { t.skip(`${gpu.description} has no shader-f16`); return; }
    const crop = await decodeImageNode(sharedPath('images/Tom_Hanks_54745.png'));
    const { wide, half } = await bothPrecisions('models/mobilefacenet.onnx', { input: blobFromImages([crop], { mean: 127.5, std: 127.5 }) });
    assert.ok(worst(wide, half) <= FP16_RELATIVE_BOUND.mobilefacenet!);
    const [w] = [...wide.values()];
    const [h] = [...half.values()];
    assert.ok(cosine(w!.data as Float32Array, h!.data as Float32Array) >= GOLDEN_TOLERANCE.cosine);
  });
  for (const [name, size] of [['tiny_2d106', 192], ['tiny_3d68', 192], ['tiny_genderage', 96]] as const) {
    it(name, async (t) => {
      if (!gpu.hasShaderF16) { t.skip(`${gpu.description} has no shader-f16`); return; }
      const { wide, half } = await bothPrecisions(`models/${name}.onnx`, { data: seededTensor([1, 3, size, size], 7, 0, 255) });
      assert.ok(worst(wide, half) <= FP16_RELATIVE_BOUND.tiny!);
    });
  }
  it('inswapper_w128', async (t) => {
    if (!gpu.hasShaderF16) { t.skip(`${gpu.description} has no shader-f16`); return; }
    // The test bed's replica; on a lent GPU machine, whose carry has no room for its 15 MB, the forge's width-128
    // seed-1 replica (the same architecture, other weights) stands in, and the test says so.
    const testBed = 'swap/inswapper_w128_seed1.onnx';
    const file = existsSync(sharedPath(testBed)) ? testBed : forgeExtraModel('inswapper_128', 1, { width: 128 });
    if (typeof file !== 'string') t.diagnostic(`${sharedPath(testBed)} is absent: the forged width-128 seed-1 INSwapper replica is used`);
    const { wide, half } = await bothPrecisions(file, { target: seededTensor([1, 3, 128, 128], 11, 0, 1), source: seededTensor([1, 512], 13, -0.08, 0.08) });
    assert.ok(worst(wide, half) <= FP16_RELATIVE_BOUND.inswapper!);
  });
});
