/**
 * INSwapper on WebGPU (issue 13 item 2) against its CPU path, the reference, on SwiftShader: crop warp, network,
 * truncation, mask warp, erosion, blur and blend all run as WGSL kernels and the result is read back once. The
 * network here is a two-op stand-in (output = 1.6·target − 0.2, so truncation and both clips are exercised) that
 * costs nothing to run; the replica's golden comparison on WebGPU is inswapper-golden-webgpu.test.ts.
 * Expected: the same bytes as the CPU path, in every case. ~1–4 s a swap on SwiftShader (2 cores).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { acquireDevice, type GpuDevice } from '../../../src/backends/webgpu/device.js';
import { ImageError } from '../../../src/pipeline/errors.js';
import type { BgrImage } from '../../../src/pipeline/image.js';
import { decodeImageNode } from '../../../src/pipeline/decode-node.js';
import { ARCFACE_TEMPLATE } from '../../../src/pipeline/norm-crop.js';
import { INSwapper } from '../../../src/pipeline/swap/inswapper.js';
import { node, tensor } from '../../parser/onnx-builder.js';
import { imageFrom, seededRandom } from '../helpers.js';
import { readSwapGolden, t1Path } from './golden-swap.js';
import { identity512, swapModel } from './swap-models.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const model = swapModel({
  initializers: [tensor('k', 'float32', [1], [1.6]), tensor('c', 'float32', [1], [0.2]), tensor('emap', 'float32', [512, 512], identity512())],
  nodes: [node('Mul', ['target', 'k'], ['scaled']), node('Sub', ['scaled', 'c'], ['output'])],
});
const golden = readSwapGolden();
const source = golden.sourceNormedEmbedding;

/** Five keypoints placing a face of `scale` × the 128-crop template with its crop's top-left at (x0, y0). */
function kpsAt(x0: number, y0: number, scale: number, angle = 0): Float32Array {
  const c = Math.cos(angle) * scale;
  const s = Math.sin(angle) * scale;
  const kps = new Float32Array(10);
  for (let i = 0; i < 10; i += 2) {
    const u = ARCFACE_TEMPLATE[i]! + 8;
    const v = ARCFACE_TEMPLATE[i + 1]!;
    kps[i] = c * u - s * v + x0;
    kps[i + 1] = s * u + c * v + y0;
  }
  return kps;
}

function sameBytes(actual: BgrImage, expected: BgrImage, what: string): void {
  assert.equal(actual.width, expected.width, `${what}: width`);
  assert.equal(actual.height, expected.height, `${what}: height`);
  let differ = 0;
  let first = -1;
  for (let i = 0; i < expected.data.length; i++) if (actual.data[i] !== expected.data[i]) { differ++; if (first < 0) first = i; }
  assert.equal(differ, 0, `${what}: ${differ} of ${expected.data.length} bytes differ (first at ${first}: ${actual.data[first]} vs ${expected.data[first]})`);
}

/** Counts buffer maps (read-backs) on the device while `work` runs. */
async function countingMaps<T>(device: GPUDevice, work: () => Promise<T>): Promise<{ result: T; maps: number }> {
  const probe = device.createBuffer({ size: 4, usage: 1 });
  const proto = Object.getPrototypeOf(probe) as { mapAsync: GPUBuffer['mapAsync'] };
  probe.destroy();
  const original = proto.mapAsync;
  let maps = 0;
  proto.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) { maps++; return original.apply(this, args); };
  try {
    return { result: await work(), maps };
  } finally {
    proto.mapAsync = original;
  }
}

/** Counts the session's plain runs (the CPU path's network: a run that reads its output back) while `work` runs. */
async function countingRuns<T>(swapper: INSwapper, work: () => Promise<T>): Promise<{ result: T; runs: number }> {
  const session = swapper.session!;
  const original = session.run;
  let runs = 0;
  session.run = (...args) => { runs++; return original.apply(session, args); };
  try {
    return { result: await work(), runs };
  } finally {
    session.run = original;
  }
}

describe('INSwapper on WebGPU gives the CPU path\'s bytes (SwiftShader)', () => {
  let gpu: GpuDevice;
  let onGpu: INSwapper;
  let onCpu: INSwapper;
  let t1: BgrImage;

  before(async () => {
    gpu = await acquireDevice({ allowSoftwareAdapter: true });
    onGpu = await INSwapper.create(model, { backend: 'webgpu', sessionOptions: { webgpu: { device: gpu.device } } });
    onCpu = await INSwapper.create(model, { backend: 'cpu' });
    t1 = await decodeImageNode(t1Path);
  });
  after(async () => { await onGpu?.release(); await onCpu?.release(); gpu?.release(); });

  it('get(pasteBack true) and get(pasteBack false) on t1.jpg: one read-back each, the same bytes', async () => {
    assert.equal(onGpu.session?.backendName, 'webgpu');
    const face = golden.faces[golden.oneIndex]!;
    const pasted = await countingMaps(gpu.device, () => onGpu.get(t1, face, source));
    assert.equal(pasted.maps, 1, 'read-backs of get(pasteBack true)');
    assert.equal((await countingRuns(onGpu, () => onGpu.get(t1, face, source))).runs, 0, 'the network ran through runOnGpu, not run');
    sameBytes(pasted.result, await onCpu.get(t1, face, source), 'pasted image');
    const cropped = await countingMaps(gpu.device, () => onGpu.get(t1, face, source, { pasteBack: false }));
    assert.equal(cropped.maps, 1, 'read-backs of get(pasteBack false)');
    const reference = await onCpu.get(t1, face, source, { pasteBack: false });
    sameBytes(cropped.result.crop, reference.crop, 'crop');
    assert.deepEqual(cropped.result.M, reference.M);
  });

  it('every face of t1.jpg, crop and pasted image from one forward (getBoth, one read-back)', async () => {
    for (const [j, face] of golden.faces.entries()) {
      const both = await countingMaps(gpu.device, () => onGpu.getBoth(t1, face, source));
      assert.equal(both.maps, 1, `face ${j}: read-backs`);
      sameBytes(both.result.crop, (await onCpu.get(t1, face, source, { pasteBack: false })).crop, `face ${j} crop`);
      sameBytes(both.result.image, await onCpu.get(t1, face, source), `face ${j} image`);
    }
  });

  it('faces past the image edges, rotated, a small one and one larger than the image: reflections, clipping, large kernels', async () => {
    const rnd = seededRandom(5);
    const image = imageFrom(420, 300, () => Math.floor(rnd() * 256));
    const cases: [string, Float32Array][] = [
      ['past the top-left corner', kpsAt(-60, -50, 1.2, 0.3)],
      ['past the right edge, rotated', kpsAt(330, 120, 1.1, -0.6)],
      ['larger than the image height', kpsAt(40, -40, 3)],
      ['small, mid-image', kpsAt(200, 150, 0.5, 0.1)],
    ];
    for (const [what, kps] of cases) {
      const both = await onGpu.getBoth(image, { kps }, source);
      sameBytes(both.crop, (await onCpu.get(image, { kps }, source, { pasteBack: false })).crop, `${what}: crop`);
      sameBytes(both.image, await onCpu.get(image, { kps }, source), `${what}: image`);
    }
  });

  it('images smaller than the blur kernel: a 24×18 one (reflections past both edges) and a 1×1 one (the CPU path)', async () => {
    const small = imageFrom(24, 18, (x, y, c) => (x * 11 + y * 7 + c * 50) % 256);
    const kps = kpsAt(-20, -30, 0.6, 0.2);
    const { result: both, runs } = await countingRuns(onGpu, () => onGpu.getBoth(small, { kps }, source));
    assert.equal(runs, 0, '24×18 stays on the GPU path');
    sameBytes(both.crop, (await onCpu.get(small, { kps }, source, { pasteBack: false })).crop, '24×18: crop');
    sameBytes(both.image, await onCpu.get(small, { kps }, source), '24×18: image');
    const tiny = imageFrom(1, 1, () => 200);
    const onPixel = { kps: kpsAt(0, 0, 1 / 128) };
    const fallback = await countingRuns(onGpu, () => onGpu.get(tiny, onPixel, source));
    assert.equal(fallback.runs, 1, '1×1 takes the CPU path');
    sameBytes(fallback.result, await onCpu.get(tiny, onPixel, source), '1×1: image');
  });

  it('a face whose crop covers no pixel fails as on the CPU (ImageError)', async () => {
    const image = imageFrom(64, 48, (x, y, c) => (x + y + c) % 256);
    const kps = kpsAt(200, 200, 1);
    await assert.rejects(onCpu.get(image, { kps }, source), ImageError);
    await assert.rejects(onGpu.get(image, { kps }, source), ImageError);
    // The crop itself still comes back.
    sameBytes((await onGpu.get(image, { kps }, source, { pasteBack: false })).crop, (await onCpu.get(image, { kps }, source, { pasteBack: false })).crop, 'crop');
  });
});
