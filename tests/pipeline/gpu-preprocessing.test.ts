/**
 * GPU pre-processing (issue 5 item 3) against the CPU path, which is the reference (bit-exact with OpenCV):
 * letterbox + blob and batched warp crops on SwiftShader, then a head session fed straight from its input buffer.
 * Fails (does not skip) when no WebGPU device can be created: CI has SwiftShader. Measured ~20 s on the 2-core box.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Affine2x3 } from '../../src/pipeline/affine.js';
import { GpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor-gpu.js';
import { headSpec, runHead } from '../../src/pipeline/head-model.js';
import type { BgrImage } from '../../src/pipeline/image.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import type { Size } from '../../src/pipeline/preprocess/letterbox.js';
import { CpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor.js';
import { InferenceSession } from '../../src/session/session.js';
import { GpuTensor, Tensor } from '../../src/core/tensor.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode } from '../../src/backends/webgpu/gpu-constants.js';
import { imageFrom, seededRandom, sharedPath } from './helpers.js';

// Dawn finds SwiftShader (a CPU Vulkan driver) through this ICD when no GPU exists.
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const NORM = { mean: 127.5, std: 128 };

async function readBack(device: GPUDevice, t: GpuTensor): Promise<Float32Array> {
  const staging = device.createBuffer({ size: t.byteLength, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, t.byteLength);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Exact comparison: both paths use the same integer taps and the same float32 table, so no rounding may differ. */
function assertSameBits(actual: Float32Array, expected: Tensor, what: string): void {
  const e = expected.data as Float32Array;
  assert.equal(actual.length, e.length, `${what}: element count`);
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(actual[i], e[i])) { mismatches++; if (first < 0) first = i; }
  }
  assert.equal(mismatches, 0, `${what}: ${mismatches} of ${e.length} values differ (first at ${first}: ${actual[first]} vs ${e[first]})`);
}

/** Similarity transforms around a face-sized region, some reaching past the image edges (border 0). */
function transformsFor(image: BgrImage, count: number, seed: number): Affine2x3[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const scale = 0.3 + rnd() * 2;
    const angle = (rnd() - 0.5) * 1.2;
    const a = scale * Math.cos(angle);
    const b = scale * Math.sin(angle);
    // Centre anywhere in the image, the last one beyond its corner.
    const cx = i === count - 1 ? image.width + 10 : rnd() * image.width;
    const cy = i === count - 1 ? -5 : rnd() * image.height;
    return [a, -b, 56 - (a * cx - b * cy), b, a, 56 - (b * cx + a * cy)] as const;
  });
}

describe('GPU pre-processing equals the CPU path (SwiftShader)', () => {
  let gpu: GpuDevice;
  let pre: GpuPreprocessor;
  let t1: BgrImage;
  const cpu = new CpuPreprocessor();

  before(async () => {
    gpu = await acquireDevice({ allowSoftwareAdapter: true });
    pre = new GpuPreprocessor(gpu.device);
    t1 = await loadImage(sharedPath('images', 't1.jpg'));
  });
  after(() => { pre?.dispose(); gpu?.release(); });

  const letterboxCases: [string, () => BgrImage, Size][] = [
    ['t1.jpg 1280×886 → 320×320 (downscale, width limits)', () => t1, [320, 320]],
    ['t1.jpg → 160×256 (height limits)', () => t1, [160, 256]],
    ['a 5×3 random image → 64×32 (upscale; 45 bytes, not whole words)', () => { const r = seededRandom(7); return imageFrom(5, 3, () => Math.floor(r() * 256)); }, [64, 32]],
    ['a 40×40 image → 40×40 (same size: plain copy)', () => { const r = seededRandom(9); return imageFrom(40, 40, () => Math.floor(r() * 256)); }, [40, 40]],
  ];
  for (const [name, make, size] of letterboxCases) {
    it(`letterbox + normalise + NCHW: ${name}`, async () => {
      const image = make();
      await pre.begin(image);
      try {
        const gpuOut = await pre.detectionInput(image, size, NORM);
        const cpuOut = await cpu.detectionInput(image, size, NORM);
        assert.ok(gpuOut.tensor instanceof GpuTensor, 'the GPU path returns a GPU-resident tensor');
        assert.equal(gpuOut.detScale, cpuOut.detScale);
        assert.deepEqual(gpuOut.tensor.dims, cpuOut.tensor.dims);
        assertSameBits(await readBack(gpu.device, gpuOut.tensor), cpuOut.tensor as Tensor, name);
      } finally {
        pre.end(image);
      }
    });
  }

  for (const [size, count] of [[112, 6], [192, 3]] as const) {
    it(`${count} crops of ${size}×${size} in one batched warp (rotated, scaled, one past the corner)`, async () => {
      const transforms = transformsFor(t1, count, size);
      const norm = size === 112 ? NORM : { mean: 0, std: 1 };
      const gpuOut = await pre.alignedCrops(t1, transforms, size, norm);
      const cpuOut = await cpu.alignedCrops(t1, transforms, size, norm) as Tensor;
      assert.ok(gpuOut instanceof GpuTensor);
      assert.deepEqual(gpuOut.dims, [count, 3, size, size]);
      assertSameBits(await readBack(gpu.device, gpuOut), cpuOut, `${count}×${size} crops`);
    });
  }

  it('a head reads one crop from its own input buffer (no copy), and each of a batch from its offset (device copy)', async () => {
    const session = await InferenceSession.create(readFileSync(sharedPath('models', 'tiny_genderage.onnx')), { backend: 'webgpu', webgpu: { device: gpu.device } });
    try {
      const name = session.inputNames[0]!;
      const transforms = transformsFor(t1, 4, 96);
      const direct = await pre.alignedCrops(t1, transforms.slice(0, 1), 96, NORM, { session, name });
      assert.ok(direct instanceof GpuTensor);
      assert.equal(direct.buffer, (await session.gpuInput(name, [1, 3, 96, 96])).buffer, 'written into the plan input buffer');
      const fromDirect = await session.run({ [name]: direct });
      const reference = await session.run({ [name]: await cpu.alignedCrops(t1, transforms.slice(0, 1), 96, NORM) });
      for (const out of session.outputNames) assert.deepEqual(fromDirect[out]!.data, reference[out]!.data, out);
      // The model's batch is static (1): one warp for the four crops, then one run per crop on its slice.
      const spec = headSpec('genderage', session, NORM);
      const calls: number[] = [];
      const countingSession = Object.create(session, {
        run: { value: (...args: Parameters<InferenceSession['run']>) => { calls.push(args[0][name]!.dims[0]!); return session.run(...args); } },
      }) as InferenceSession;
      const counting = { ...spec, session: countingSession };
      const gpuRows = await runHead(counting, pre, t1, transforms);
      const cpuRows = await runHead(spec, cpu, t1, transforms);
      assert.deepEqual(calls, [1, 1, 1, 1]);
      // Same input bits through the same plan: identical outputs.
      assert.deepEqual(gpuRows, cpuRows);
    } finally {
      await session.release();
    }
  });

  it('a GPU-resident feed is refused by a CPU session', async () => {
    const session = await InferenceSession.create(readFileSync(sharedPath('models', 'tiny_genderage.onnx')), { backend: 'cpu' });
    try {
      const crops = await pre.alignedCrops(t1, transformsFor(t1, 1, 1), 96, NORM);
      await assert.rejects(session.run({ [session.inputNames[0]!]: crops }), /webgpu backend/);
      await assert.rejects(session.gpuInput(session.inputNames[0]!, [1, 3, 96, 96]), /webgpu backend/);
    } finally {
      await session.release();
    }
  });
});
