/**
 * Issue 14 item 4: several sessions' runs in one command buffer with one read-back (`InferenceSession.runTogether`),
 * and every head of every face in one submit after detection (`runHeadsTogether`, used by `FaceAnalysis.get`).
 * SwiftShader, tiny heads and SCRFD at 160×160 (seconds).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { InferenceSession, type TogetherRun } from '../../src/session/session.js';
import { headSpec, runHead, type HeadSpec } from '../../src/pipeline/head-model.js';
import { runHeadsTogether } from '../../src/pipeline/head-group.js';
import { GpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor-gpu.js';
import { boxCropTransform } from '../../src/pipeline/crop-transform.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import type { Affine2x3 } from '../../src/pipeline/affine.js';
import type { BgrImage } from '../../src/pipeline/image.js';
import { Tensor } from '../../src/core/tensor.js';
import { seededRandom, sharedPath } from '../pipeline/helpers.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const modelBytes = (name: string): Uint8Array => readFileSync(sharedPath('models', `${name}.onnx`));
/** The tiny heads normalise in-graph (Sub/Mul), as InsightFace probes them: mean 0, std 1. */
const NORM = { mean: 0, std: 1 };

/** Counts the device's queue submits (the real Dawn queue, wrapped: every command buffer still goes to the GPU). */
function countSubmits(device: GPUDevice): { readonly count: number } {
  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  const counter = { count: 0 };
  queue.submit = (buffers: Iterable<GPUCommandBuffer>) => { counter.count++; submit(buffers); };
  return counter;
}

function randomInput(seed: number, dims: number[]): Tensor {
  const random = seededRandom(seed);
  return new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1), dims);
}

/** tiny_genderage with its batch dim made symbolic: a dynamic-batch head like the real pack's recogniser. */
function dynamicBatchGenderage(): ReturnType<typeof parseModel> {
  const model = parseModel(modelBytes('tiny_genderage'));
  const [input, ...rest] = model.graph.inputs;
  return { ...model, graph: { ...model.graph, inputs: [{ ...input!, shape: ['N', ...input!.shape!.slice(1)] }, ...rest] } };
}

/** `count` boxes over t1.jpg, shifted and scaled so every crop differs. */
function boxTransforms(count: number, size: number): Affine2x3[] {
  return Array.from({ length: count }, (_, i) => boxCropTransform([100 + 90 * i, 120 + 17 * i, 260 + 95 * i, 300 + 20 * i], size));
}

describe('InferenceSession.runTogether', () => {
  let gpu: GpuDevice;
  let submits: { readonly count: number };
  const sessions: Record<string, InferenceSession> = {};

  before(async () => {
    gpu = await acquireDevice({ allowSoftwareAdapter: true });
    submits = countSubmits(gpu.device);
    for (const backend of ['cpu', 'webgpu'] as const) {
      for (const name of ['tiny_genderage', 'tiny_2d106']) {
        sessions[`${backend} ${name}`] = await InferenceSession.create(modelBytes(name), { backend, webgpu: { device: gpu.device } });
      }
    }
  });
  after(async () => {
    for (const s of Object.values(sessions)) await s.release();
    gpu?.release();
  });

  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`${backend}: two sessions, one of them three times, give each run's own results (bit-identical to run)`, async () => {
      const age = sessions[`${backend} tiny_genderage`]!;
      const lmk = sessions[`${backend} tiny_2d106`]!;
      const runs: TogetherRun[] = [
        { session: age, feeds: { data: randomInput(1, [1, 3, 96, 96]) } },
        { session: lmk, feeds: { data: randomInput(2, [1, 3, 192, 192]) } },
        { session: age, feeds: { data: randomInput(3, [1, 3, 96, 96]) }, fetches: [age.outputNames[0]!] },
        { session: age, feeds: { data: randomInput(4, [1, 3, 96, 96]) } },
      ];
      const alone: Record<string, Tensor>[] = [];
      for (const r of runs) alone.push(await r.session.run(r.feeds, r.fetches));
      const before = submits.count;
      const together = await InferenceSession.runTogether(runs);
      // Same plans, same kernels, same inputs: the same bits. The GPU group is exactly one submit.
      if (backend === 'webgpu') assert.equal(submits.count - before, 1, 'queue submits of the group');
      assert.equal(together.length, runs.length);
      together.forEach((out, k) => {
        assert.deepEqual(Object.keys(out), Object.keys(alone[k]!), `run ${k} outputs`);
        for (const name of Object.keys(out)) assert.deepEqual(out[name]!.data, alone[k]![name]!.data, `run ${k} ${name}`);
      });
      // Each run kept its own output (the three genderage runs differ).
      assert.notDeepEqual(together[0]![age.outputNames[0]!]!.data, together[3]![age.outputNames[0]!]!.data);
    });
  }

  it('refuses a feed that is not a model input, as run does', async () => {
    const age = sessions['webgpu tiny_genderage']!;
    await assert.rejects(InferenceSession.runTogether([{ session: age, feeds: { nope: randomInput(5, [1, 3, 96, 96]) } }]), InputError);
    assert.deepEqual(await InferenceSession.runTogether([]), []);
  });
});

describe('runHeadsTogether (SwiftShader)', () => {
  let gpu: GpuDevice;
  let pre: GpuPreprocessor;
  let image: BgrImage;
  let submits: { readonly count: number };
  const heads: HeadSpec[] = [];

  before(async () => {
    gpu = await acquireDevice({ allowSoftwareAdapter: true });
    submits = countSubmits(gpu.device);
    pre = new GpuPreprocessor(gpu.device);
    image = await loadImage(sharedPath('images', 't1.jpg'));
    const options = { backend: 'webgpu' as const, webgpu: { device: gpu.device } };
    heads.push(headSpec('genderage', await InferenceSession.create(modelBytes('tiny_genderage'), options), NORM));
    heads.push(headSpec('landmark_2d_106', await InferenceSession.create(modelBytes('tiny_2d106'), options), NORM));
    heads.push(headSpec('genderage_dynamic', await InferenceSession.fromModel(dynamicBatchGenderage(), options), NORM, { maxBatch: 4 }));
    assert.deepEqual(heads.map((h) => h.dynamicBatch), [false, false, true]);
  });
  after(async () => {
    for (const h of heads) await h.session.release();
    pre?.dispose();
    gpu?.release();
  });

  /** The `group` heads on `count` crops in one group; the rows per head, and the queue submits it took. */
  async function together(count: number, group: readonly HeadSpec[] = heads): Promise<{ rows: Float32Array[][]; submits: number }> {
    const rows: Float32Array[][] = group.map(() => []);
    await pre.begin(image);
    try {
      const start = submits.count;
      await runHeadsTogether(group.map((spec, k) => ({ spec, transforms: boxTransforms(count, spec.size), apply: (r) => { rows[k] = [...r]; } })), pre, image);
      return { rows, submits: submits.count - start };
    } finally {
      pre.end(image);
    }
  }

  it('gives runHead\'s rows bit for bit, in one submit (crops included), static and dynamic batch, chunked', async () => {
    // 5 crops: the static heads run once per crop, the dynamic one (maxBatch 4) as a batch of 4 and one of 1.
    const { rows, submits: n } = await together(5);
    assert.equal(n, 1, 'queue submits for all heads of all faces');
    await pre.begin(image);
    try {
      for (const [k, spec] of heads.entries()) {
        const alone = await runHead(spec, pre, image, boxTransforms(5, spec.size));
        assert.equal(rows[k]!.length, 5, spec.taskname);
        alone.forEach((row, i) => assert.deepEqual(rows[k]![i], row, `${spec.taskname} face ${i}`));
      }
    } finally {
      pre.end(image);
    }
  });

  it('compiles no pipeline for a new face count (1..9) after the first', async () => {
    const cache = PipelineCache.of(gpu.device);
    // The 96×96 heads (the 192 one adds nothing here but time). Static: one plan, one dispatch chain per face.
    // Dynamic: buckets 1, 2, 4 (maxBatch 4), each a plan made on its first use, whose first-tier kernels carry the
    // batch in uniforms and so are the ones bucket 1 compiled.
    const small = heads.filter((h) => h.size === 96);
    await together(1, small);
    const compiled = cache.size;
    for (let count = 1; count <= 9; count++) {
      const { rows, submits: n } = await together(count, small);
      assert.equal(n, 1, `${count} faces: one submit`);
      assert.deepEqual(rows.map((r) => r.length), small.map(() => count));
      assert.equal(cache.size, compiled, `${count} faces: pipelines compiled`);
    }
  });
});

describe('FaceAnalysis.get on WebGPU (SwiftShader)', () => {
  it('submits once after detection: a photo with faces takes one submit more than an empty one', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const name of ['scrfd_2.5g_bnkps', 'tiny_genderage', 'tiny_3d68']) files[`${name}.onnx`] = modelBytes(name);
    const app = await FaceAnalysis.create({ models: { files }, backend: 'webgpu', sessionOptions: { webgpu: { allowSoftwareAdapter: true } } });
    const device = app.models.get('detection')!.session.gpuDevice!;
    const submits = countSubmits(device);
    try {
      app.prepare({ detSize: [160, 160] });
      const photo = sharedPath('images', 't1.jpg');
      const grey = { data: new Uint8Array(64 * 48 * 4).fill(128), width: 64, height: 48, format: 'rgba' as const };
      // The detector's plan is made at its first get (the empty scene's); making it submits nothing.
      let start = submits.count;
      assert.deepEqual(await app.get(grey), []);
      const detectionOnly = submits.count - start;
      start = submits.count;
      const faces = await app.get(photo);
      const withHeads = submits.count - start;
      assert.ok(faces.length > 1, 'faces found at 160×160');
      assert.equal(withHeads - detectionOnly, 1, `submits: ${withHeads} with ${faces.length} faces, ${detectionOnly} for detection alone`);
      // The grouped path writes what the per-model path writes (stage timings keep one model after another).
      const timed = await app.get(photo, { timings: [] });
      assert.deepEqual(faces.map((f) => [f.age, f.gender, f.landmark_3d_68, f.pose]), timed.map((f) => [f.age, f.gender, f.landmark_3d_68, f.pose]));
    } finally {
      await app.release();
    }
  });
});
