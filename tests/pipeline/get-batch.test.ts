/**
 * FaceAnalysis.getBatch equals `get` per image, bit for bit: with the test bed's static-batch heads (one run per
 * crop), and with two of them made dynamic-batch (as buffalo_l's recogniser is), where each head runs once per
 * chunk over the faces of all the images, so a chunk holds crops of several images and batch sizes differ from the
 * one-image runs. CPU at det 320 (~15 s of CPU); WebGPU on SwiftShader at det 160 (~40 s of CPU, most of it SCRFD's
 * eight detections).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { InferenceSession } from '../../src/session/session.js';
import { boxCropTransform } from '../../src/pipeline/crop-transform.js';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { runHeadsOverImages } from '../../src/pipeline/head-group.js';
import { headSpec, runHead } from '../../src/pipeline/head-model.js';
import { CpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor.js';
import { ImageError, PipelineOptionError } from '../../src/pipeline/errors.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import type { BgrImage } from '../../src/pipeline/image.js';
import { sharedPath } from './helpers.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const pack = ['scrfd_2.5g_bnkps', 'mobilefacenet', 'tiny_2d106', 'tiny_3d68', 'tiny_genderage'];
/**
 * The heads made dynamic-batch; tiny_genderage stays batch 1 so a static head's crops of several images (one warp
 * output, a run per crop) are covered too, and so does mobilefacenet (its export reshapes to [1, 512]).
 */
const batchable = ['tiny_2d106', 'tiny_3d68'];
const modelBytes = (name: string): Uint8Array => readFileSync(sharedPath('models', `${name}.onnx`));

/** The model with its input's batch dim made symbolic ('N'), every other byte of the graph unchanged. */
function symbolicBatch(bytes: Uint8Array): Uint8Array {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(bytes);
  const shape = model.graph!.input![0]!.type!.tensorType!.shape!;
  shape.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'N' });
  return onnx.ModelProto.encode(model).finish();
}

/** t1.jpg (6 faces), the left part of t1 (fewer faces), a blank image (none) and, with `mirrored`, a smaller mirror of t1. */
async function testImages(mirrored: boolean): Promise<BgrImage[]> {
  const t1 = sharedPath('images', 't1.jpg');
  return [
    await loadImage(t1),
    await loadImage(new Uint8Array(await sharp(t1).extract({ left: 0, top: 0, width: 520, height: 886 }).png().toBuffer())),
    await loadImage(new Uint8Array(await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toBuffer())),
    ...(mirrored ? [await loadImage(new Uint8Array(await sharp(t1).flop().resize(960).png().toBuffer()))] : []),
  ];
}

/** Each image's faces from `get`, one image at a time. */
async function oneByOne(app: FaceAnalysis, images: readonly BgrImage[]): Promise<string[]> {
  const out: string[] = [];
  for (const image of images) out.push(JSON.stringify(await app.get(image)));
  return out;
}

describe('FaceAnalysis.getBatch (cpu, det 320, static-batch heads)', () => {
  let app: FaceAnalysis;
  let images: BgrImage[];

  before(async () => {
    const files = Object.fromEntries(pack.map((n) => [`${n}.onnx`, modelBytes(n)]));
    app = (await FaceAnalysis.create({ models: { files }, backend: 'cpu' })).prepare({ detSize: [320, 320] });
    images = await testImages(true);
  });
  after(async () => app?.release());

  it('returns, per image, exactly the faces get returns for it alone', async () => {
    const batched = await app.getBatch(images);
    assert.equal(batched.length, images.length);
    assert.equal(batched[0]!.length, 6);
    assert.equal(batched[2]!.length, 0);
    // Identical, not close: each crop goes through the same plan with the same input bits.
    assert.deepEqual(batched.map((f) => JSON.stringify(f)), await oneByOne(app, images));
  });

  it('gives the same faces when a pixel bound splits the images into groups (each alone, or t1 alone then the rest)', async () => {
    const whole = (await app.getBatch(images)).map((f) => JSON.stringify(f));
    for (const maxGroupPixels of [1, images[0]!.width * images[0]!.height]) {
      assert.deepEqual((await app.getBatch(images, { maxGroupPixels })).map((f) => JSON.stringify(f)), whole, `maxGroupPixels ${maxGroupPixels}`);
    }
  });

  it('applies maxNum per image', async () => {
    const batched = await app.getBatch(images, { maxNum: 2 });
    assert.deepEqual(batched.map((faces) => faces.length), [2, 2, 0, 2]);
    assert.equal(JSON.stringify(batched[1]), JSON.stringify(await app.get(images[1]!, { maxNum: 2 })));
  });

  it('takes paths and bytes, returns [] for no input, and throws an ImageError for a bad one', async () => {
    assert.deepEqual(await app.getBatch([]), []);
    const [fromPath] = await app.getBatch([sharedPath('images', 't1.jpg')]);
    assert.equal(JSON.stringify(fromPath), JSON.stringify(await app.get(images[0]!)));
    await assert.rejects(app.getBatch([images[0]!, new Uint8Array([1, 2, 3])]), ImageError);
    await assert.rejects(app.getBatch(images, { maxNum: -1 }), PipelineOptionError);
    await assert.rejects(app.getBatch(images, { maxGroupPixels: 0 }), PipelineOptionError);
    // The queue survives a failed call.
    assert.equal((await app.getBatch([images[2]!]))[0]!.length, 0);
  });

  it('names the input whose bytes fail to decode by its index, as it names one of no image kind', async () => {
    const bytes = readFileSync(sharedPath('images', 't1.jpg'));
    // Three byte inputs: '<bytes>' alone would not say which of them is the bad one.
    await assert.rejects(app.getBatch([bytes, bytes.subarray(0, 500), bytes]), (error: unknown) =>
      error instanceof ImageError && error.source === 'inputs[1]' && /premature end of JPEG/.test(error.message) && error.cause instanceof ImageError);
    await assert.rejects(app.getBatch([images[0]!, new ArrayBuffer(3)]), (error: unknown) => error instanceof ImageError && error.source === 'inputs[1]');
    // A path names itself, as get's error does.
    await assert.rejects(app.getBatch([bytes, '/nonexistent/insightgpu.jpg']), (error: unknown) => error instanceof ImageError && error.source === '/nonexistent/insightgpu.jpg');
  });
});

/**
 * The batch sizes a dynamic head runs as over `count` crops in chunks of `maxBatch` (the next power of two on
 * WebGPU), as HeadSpec documents them: the plans its session compiles.
 */
function chunkBatches(count: number, maxBatch: number, webgpu: boolean): Set<number> {
  const sizes = new Set<number>();
  for (let start = 0; start < count; start += maxBatch) {
    const n = Math.min(maxBatch, count - start);
    sizes.add(webgpu ? Math.min(maxBatch, 2 ** Math.ceil(Math.log2(n))) : n);
  }
  return sizes;
}

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`FaceAnalysis.getBatch (${backend}, dynamic-batch heads, chunks of 4 spanning images)`, () => {
    const maxBatch = 4;
    let app: FaceAnalysis;
    let images: BgrImage[];

    before(async () => {
      // SwiftShader takes ~5 s of CPU per mobilefacenet crop; on WebGPU tiny_genderage alone stands for static heads.
      const names = backend === 'webgpu' ? pack.filter((n) => n !== 'mobilefacenet') : pack;
      const files = Object.fromEntries(names.map((n) => [`${n}.onnx`, batchable.includes(n) ? symbolicBatch(modelBytes(n)) : modelBytes(n)]));
      app = await FaceAnalysis.create({ models: { files }, backend, headBatch: maxBatch, sessionOptions: { webgpu: { allowSoftwareAdapter: true } } });
      app.prepare({ detSize: backend === 'webgpu' ? [160, 160] : [320, 320] });
      images = await testImages(false);
    });
    after(async () => app?.release());

    it('runs each head once per chunk over all images\' faces, and each image\'s faces equal get\'s, bit for bit', async () => {
      const landmarks = app.models.get('landmark_3d_68')!.session;
      assert.equal(landmarks.inputMetadata[0]!.shape[0], 'N', 'the tiny heads are dynamic-batch');
      const device = app.models.get('detection')!.session.gpuDevice;
      const submits = countSubmits(device);
      // Detection alone (an image without faces) takes the same submits for every image of a det size.
      let start = submits.count;
      const blank = JSON.stringify(await app.get(images[2]!));
      const detectionOnly = submits.count - start;
      const plansBefore = landmarks.compileTimes.length;
      start = submits.count;
      const batched = await app.getBatch(images);
      const batchSubmits = submits.count - start;
      const counts = batched.map((f) => f.length);
      const total = counts.reduce((a, b) => a + b, 0);
      assert.ok(counts[0]! > counts[1]! && counts[1]! > 0 && counts[2] === 0, `face counts ${counts}: images with different counts, incl. 0`);
      assert.ok(total > maxBatch && counts[0]! % maxBatch !== 0, `${total} faces: some chunk spans two images`);
      // The landmark head compiled one plan per batch size of the chunks over all the faces (fresh sizes: no earlier run).
      assert.equal(landmarks.compileTimes.length - plansBefore, chunkBatches(total, maxBatch, backend === 'webgpu').size, `plans for ${total} crops`);
      // WebGPU: every head of every image's faces in one submit after the images' detections.
      if (device) assert.equal(batchSubmits, images.length * detectionOnly + 1, `${batchSubmits} submits, ${detectionOnly} per detection`);
      // Identical, not close: each crop's rows do not depend on the batch it shares (every layer works per crop).
      assert.deepEqual(batched.map((f) => JSON.stringify(f)), [...await oneByOne(app, images.slice(0, 2)), blank]);
      // A pixel bound that keeps t1 alone: two groups, each one submit for its heads (the blank image adds none).
      start = submits.count;
      const grouped = await app.getBatch(images, { maxGroupPixels: images[0]!.width * images[0]!.height });
      if (device) assert.equal(submits.count - start, images.length * detectionOnly + 2, 'two groups with faces, a heads submit each');
      assert.deepEqual(grouped.map((f) => JSON.stringify(f)), batched.map((f) => JSON.stringify(f)));
    });
  });
}

describe('runHeadsOverImages (cpu, a dynamic-batch tiny_3d68, chunks of 4)', () => {
  // Boxes over the first two test images: 6 and 2 crops, so chunks of 4 over both span the images.
  const boxes = [[100, 120, 260, 300], [300, 100, 450, 280], [500, 150, 640, 330], [700, 90, 860, 270], [900, 200, 1050, 380], [1100, 120, 1250, 300]];
  for (const acrossImages of [true, false]) {
    it(`${acrossImages ? 'across images: chunks of all the crops' : 'per image: each image keeps runHead\'s chunks'}, rows equal runHead's per image`, async () => {
      const images = (await testImages(false)).slice(0, 2);
      const session = await InferenceSession.create(symbolicBatch(modelBytes('tiny_3d68')), { backend: 'cpu' });
      try {
        // The tiny heads normalise in-graph (Sub/Mul), as InsightFace probes them: mean 0, std 1.
        const spec = headSpec('landmark_3d_68', session, { mean: 0, std: 1 }, { maxBatch: 4 });
        const transforms = [boxes.map((b) => boxCropTransform(b, spec.size)), boxes.slice(0, 2).map((b) => boxCropTransform(b, spec.size))];
        const got: Float32Array[][] = [[], []];
        const pre = new CpuPreprocessor();
        await runHeadsOverImages(images.map((image, i) => ({ image, works: [{ spec, transforms: transforms[i]!, apply: (rows) => { got[i] = [...rows]; } }] })), pre, acrossImages);
        // Plans compiled: one per batch size run (8 crops as 4 + 4 across images; 4 + 2 and 2 per image).
        assert.equal(session.compileTimes.length, acrossImages ? 1 : 2);
        for (const [i, image] of images.entries()) assert.deepEqual(got[i], await runHead(spec, pre, image, transforms[i]!), `image ${i}`);
      } finally {
        await session.release();
      }
    });
  }
});

/** Counts the device's queue submits (the real queue, wrapped: every command buffer still goes to the GPU). */
function countSubmits(device: GPUDevice | undefined): { readonly count: number } {
  const counter = { count: 0 };
  if (!device) return counter;
  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (buffers: Iterable<GPUCommandBuffer>) => { counter.count++; submit(buffers); };
  return counter;
}
