/**
 * Each class getModel returns, used on its own the InsightFace way (detector.prepare/detect, ArcFace get/getFeat/
 * computeSim, Landmark and Attribute get), against InsightFace's own FaceAnalysis output (the goldens), with the
 * golden-parity tolerances (compareResults: bbox/kps 2 px, det_score 0.02, landmarks 3 px, pose 3°, gender equal,
 * age ±2, embedding cosine ≥ 0.995). CPU backend.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareResults, formatComparison } from '../../cli/compare-results.js';
import { faceRecord, type FaceRecord, type ResultsFile } from '../../cli/results-format.js';
import { InputError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';
import type { InferenceSession } from '../../src/session/session.js';
import {
  ArcFaceModel, AttributeModel, Face, FaceAnalysis, ImageError, LandmarkModel, PipelineOptionError, ScrfdDetector, computeSim,
  estimateNorm, facesFromDetections, getModel, loadImage, resizeBilinear, warpAffine, type BgrImage, type ZooModel,
} from '../../src/index.js';
import { sharedPath } from './helpers.js';

/** Every golden, cut down to its t1.jpg record (the standalone runs here look at that photo). */
const goldens = readdirSync(sharedPath('golden')).filter((f) => f.endsWith('.json')).sort().map((f) => {
  const golden = JSON.parse(readFileSync(sharedPath('golden', f), 'utf8')) as ResultsFile;
  return { file: f, golden: { ...golden, results: golden.results.filter((r) => r.image === 't1.jpg') } };
});
const t1 = sharedPath('images', 't1.jpg');

async function load(file: string): Promise<ZooModel | undefined> {
  return getModel(new Uint8Array(readFileSync(sharedPath('models', file))), { backend: 'cpu' });
}

/** The golden's faces as Face objects (only what the detector sets), so each head runs on InsightFace's own boxes. */
function goldenFaces(golden: ResultsFile): Face[] {
  return golden.results[0]!.faces.map((f) => new Face(new Float32Array(f.bbox), f.kps ? new Float32Array(f.kps.flat()) : undefined, f.det_score));
}

/** Golden records cut down to the given fields (compareResults fails a field present on one side only). */
function only(golden: ResultsFile, fields: readonly (keyof FaceRecord)[]): ResultsFile {
  return {
    ...golden,
    results: golden.results.map((r) => ({
      ...r,
      faces: r.faces.map((f) => Object.fromEntries(fields.filter((k) => f[k] !== undefined).map((k) => [k, f[k]])) as unknown as FaceRecord),
    })),
  };
}

function run(golden: ResultsFile, faces: readonly Face[], fields: readonly (keyof FaceRecord)[]): ResultsFile {
  const image = golden.results[0]!;
  return only({ ...golden, results: [{ image: image.image, width: image.width, height: image.height, faces: faces.map(faceRecord) }] }, fields);
}

function assertWithin(actual: ResultsFile, expected: ResultsFile, label: string): void {
  const comparison = compareResults(actual, expected);
  assert.ok(comparison.facesCompared > 0, `${label}: no faces compared`);
  assert.ok(comparison.ok, `${label}\n${formatComparison(comparison)}`);
}

describe('ScrfdDetector on its own: prepare, detect → { bboxes, kpss }', () => {
  for (const { file, golden } of goldens) {
    it(`${file}: detect(t1.jpg) gives InsightFace's rows`, async () => {
      const detector = await load(golden.models['detection']!);
      assert.ok(detector instanceof ScrfdDetector);
      try {
        const size = golden.det_size as [number, number];
        assert.equal(detector.prepare({ inputSize: size, detThresh: golden.det_thresh, nmsThresh: 0.4 }), detector);
        assert.deepEqual([detector.detThresh, detector.nmsThresh], [golden.det_thresh, 0.4]);
        const result = await detector.detect(t1, { maxNum: golden.max_num });
        const n = golden.results[0]!.faces.length;
        assert.equal(result.bboxes.length, n);
        assert.ok(result.kpss && result.kpss.length === n);
        for (const row of result.bboxes) assert.ok(row instanceof Float32Array && row.length === 5);
        for (const row of result.kpss) assert.ok(row instanceof Float32Array && row.length === 10);
        // Scores descending (no maxNum re-sort here), the score sitting in column 4 as in Python's n×5 array.
        for (let i = 1; i < n; i++) assert.ok(result.bboxes[i - 1]![4]! >= result.bboxes[i]![4]!);
        const faces = facesFromDetections(result);
        assert.equal(faces[0]!.det_score, result.bboxes[0]![4]);
        assertWithin(run(golden, faces, ['bbox', 'kps', 'det_score']), only(golden, ['bbox', 'kps', 'det_score']), file);
      } finally {
        await detector.release();
      }
    });
  }

  it('a per-call inputSize overrides the prepared one for that call; maxNum keeps the biggest faces, in metric order', async () => {
    const detector = await load('scrfd_2.5g_bnkps.onnx') as ScrfdDetector;
    try {
      detector.prepare({ inputSize: [640, 640] });
      assert.deepEqual(detector.inputSize, [[640, 640]]);
      const all = await detector.detect(t1, { inputSize: [320, 320] });
      const golden320 = goldens.find((g) => g.file === 'packA_det320.json')!.golden;
      assertWithin(run(golden320, facesFromDetections(all), ['bbox', 'kps', 'det_score']), only(golden320, ['bbox', 'kps', 'det_score']), 'inputSize 320 per call');
      assert.deepEqual(detector.inputSize, [[640, 640]], 'a per-call size does not change the prepared one');
      const two = await detector.detect(t1, { inputSize: [320, 320], maxNum: 2, metric: 'max' });
      const area = (b: Float32Array): number => (b[2]! - b[0]!) * (b[3]! - b[1]!);
      assert.deepEqual(two.bboxes.map(area), all.bboxes.map(area).sort((a, b) => b - a).slice(0, 2));
    } finally {
      await detector.release();
    }
  });

  it('a fixed-input model ignores inputSize (InsightFace does too)', async () => {
    const detector = await load('scrfd_500m_bnkps.onnx') as ScrfdDetector;
    try {
      detector.prepare({ inputSize: [320, 320] });
      assert.deepEqual(detector.inputSize, [[640, 640]]);
    } finally {
      await detector.release();
    }
  });

  it('a detector without keypoint outputs returns kpss null', async () => {
    const detector = new ScrfdDetector(fakeKeypointlessScrfd());
    const { bboxes, kpss } = await detector.detect({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) }, { inputSize: [64, 64] });
    assert.equal(kpss, null);
    assert.deepEqual(bboxes.map((b) => Array.from(b)), [[8, 8, 24, 24, Math.fround(0.9)]]);
    assert.equal(facesFromDetections({ bboxes, kpss })[0]!.kps, undefined);
  });

  it('bad input and options are typed errors; release stops the model', async () => {
    const detector = await load('scrfd_500m_bnkps.onnx') as ScrfdDetector;
    assert.throws(() => detector.prepare({ detThresh: Number.NaN }), PipelineOptionError);
    assert.throws(() => detector.prepare({ nmsThresh: Number.POSITIVE_INFINITY }), PipelineOptionError);
    assert.throws(() => detector.prepare({ inputSize: [[0, 1]] }), PipelineOptionError);
    await assert.rejects(detector.detect(42 as never), ImageError);
    await assert.rejects(detector.detect({ width: 2, height: 2, data: new Uint8Array(5) } as never), ImageError);
    await assert.rejects(detector.detect(t1, { maxNum: -1 }), PipelineOptionError);
    await assert.rejects(detector.detect(t1, { metric: 'largest' as never }), PipelineOptionError);
    await detector.release();
    await assert.rejects(detector.detect(t1), InputError);
  });
});

describe('ArcFace, Landmark and Attribute on their own: get(image, face) on InsightFace\'s detections', () => {
  const golden = goldens.find((g) => g.file === 'packA_det640.json')!.golden;
  const models = new Map<string, ZooModel>();
  let image: BgrImage;
  before(async () => {
    image = await loadImage(t1);
    for (const task of ['recognition', 'landmark_2d_106', 'landmark_3d_68', 'genderage']) models.set(task, (await load(golden.models[task]!))!);
  });
  after(async () => {
    for (const m of models.values()) await m.release();
  });

  it('each get sets the face\'s fields as InsightFace does and returns what Python returns', async () => {
    const arcface = models.get('recognition') as ArcFaceModel;
    const lmk2d = models.get('landmark_2d_106') as LandmarkModel;
    const lmk3d = models.get('landmark_3d_68') as LandmarkModel;
    const genderage = models.get('genderage') as AttributeModel;
    assert.ok(arcface instanceof ArcFaceModel && lmk2d instanceof LandmarkModel && lmk3d instanceof LandmarkModel && genderage instanceof AttributeModel);
    assert.equal(arcface.prepare(), arcface);
    const faces = goldenFaces(golden);
    for (const face of faces) {
      // FaceAnalysis's model order for this pack; the image as a path for some calls, decoded for others.
      const l3 = await lmk3d.get(t1, face);
      assert.equal(l3, face.landmark_3d_68);
      assert.equal(l3.length, 68 * 3);
      assert.ok(face.pose);
      const l2 = await lmk2d.get(image, face);
      assert.equal(l2, face.landmark_2d_106);
      assert.equal(l2.length, 106 * 2);
      const ga = await genderage.get(image, face);
      assert.deepEqual(ga, [face.gender, face.age]);
      const embedding = await arcface.get(image, face);
      assert.equal(embedding, face.embedding);
      assert.equal(embedding.length, 128);
    }
    assertWithin(run(golden, faces, ['bbox', 'kps', 'det_score', 'landmark_2d_106', 'landmark_3d_68', 'pose', 'gender', 'age', 'embedding']), golden, 'heads on golden faces');
  });

  it('the whole chain on its own (detector → heads) matches FaceAnalysis\'s golden too', async () => {
    // The 320 golden (same pack), so this detection is cheap.
    const golden320 = goldens.find((g) => g.file === 'packA_det320.json')!.golden;
    const detector = await load(golden320.models['detection']!) as ScrfdDetector;
    try {
      const faces = facesFromDetections(await detector.prepare({ inputSize: golden320.det_size as [number, number] }).detect(image));
      for (const face of faces) for (const model of models.values()) await (model as ArcFaceModel | LandmarkModel | AttributeModel).get(image, face);
      assertWithin(run(golden320, faces, ['bbox', 'kps', 'det_score', 'landmark_2d_106', 'landmark_3d_68', 'pose', 'gender', 'age', 'embedding']), golden320, 'standalone chain');
    } finally {
      await detector.release();
    }
  });

  it('ArcFace.getFeat embeds aligned crops in one batch, as get does; computeSim is InsightFace\'s compute_sim', async () => {
    const arcface = models.get('recognition') as ArcFaceModel;
    assert.deepEqual([arcface.inputSize, arcface.inputMean, arcface.inputStd], [112, 127.5, 127.5]);
    const faces = goldenFaces(golden);
    const crops = faces.map((f) => warpAffine(image, estimateNorm(f.kps!, 112), 112, 112));
    const feats = await arcface.getFeat(crops);
    assert.equal(feats.length, faces.length);
    for (let i = 0; i < faces.length; i++) {
      const single = await arcface.get(image, faces[i]!);
      assert.ok(arcface.computeSim(feats[i]!, single) >= 0.99999, `crop ${i}`);
      const expected = golden.results[0]!.faces[i]!.embedding!;
      assert.ok(computeSim(feats[i]!, expected) >= 0.995, `crop ${i} vs golden`);
    }
    assert.equal(arcface.computeSim(feats[0]!, feats[1]!), computeSim(feats[0]!, feats[1]!));
    assert.ok(Math.abs(arcface.computeSim(feats[0]!, feats[0]!) - 1) < 1e-6);
    // One image (a 112×112 photo) or a list; another size is resized as blobFromImages does.
    const tom = sharedPath('images', 'Tom_Hanks_54745.png');
    const [one] = await arcface.getFeat(tom);
    const [big] = await arcface.getFeat([resizeBilinear(await loadImage(tom), 224, 224)]);
    assert.equal(one!.length, 128);
    assert.ok(arcface.computeSim(one!, big!) > 0.9);
    assert.deepEqual(await arcface.getFeat([]), []);
  });

  it('bad input is a typed error: an image that is not one, a face without kps or bbox', async () => {
    const arcface = models.get('recognition') as ArcFaceModel;
    const lmk = models.get('landmark_2d_106') as LandmarkModel;
    const attr = models.get('genderage') as AttributeModel;
    const noKps = new Face(new Float32Array([10, 10, 60, 60]), undefined, 0.9);
    await assert.rejects(arcface.get(image, noKps), PipelineOptionError);
    await assert.rejects(arcface.get(image, { bbox: [0, 0, 1, 1], kps: [1, 2, 3] } as never), PipelineOptionError);
    await assert.rejects(arcface.get(123 as never, goldenFaces(golden)[0]!), ImageError);
    await assert.rejects(arcface.getFeat([image, null as never]), ImageError);
    for (const model of [lmk, attr]) {
      await assert.rejects(model.get(image, {} as never), PipelineOptionError);
      await assert.rejects(model.get(image, null as never), PipelineOptionError);
      await assert.rejects(model.get(image, new Face(new Float32Array([0, Number.NaN, 1, 1]), undefined, 1)), PipelineOptionError);
      await assert.rejects(model.get({ nope: true } as never, noKps), ImageError);
    }
    assert.throws(() => arcface.computeSim(new Float32Array(128), new Float32Array(512)), PipelineOptionError);
  });

  it('a face with no alignment is refused, not embedded or cropped as a black square', async () => {
    const arcface = models.get('recognition') as ArcFaceModel;
    // Five equal keypoints: the similarity is NaN, so the crop was black and any two such faces had cosine 1.
    const collapsed = new Face(new Float32Array([10, 10, 60, 60]), new Float32Array(10).fill(30), 0.9);
    await assert.rejects(arcface.get(image, collapsed), (e: unknown) => e instanceof PipelineOptionError && /degenerate/.test(e.message));
    assert.equal(collapsed.embedding, undefined);
    // A zero-size box: the crop scale is infinite (NaN landmarks, a meaningless gender and age).
    for (const model of [models.get('landmark_2d_106') as LandmarkModel, models.get('genderage') as AttributeModel]) {
      const point = new Face(new Float32Array([40, 40, 40, 40]), undefined, 0.9);
      await assert.rejects(model.get(image, point), (e: unknown) => e instanceof PipelineOptionError && /zero width and height/.test(e.message));
      assert.deepEqual([point.landmark_2d_106, point.gender, point.age], [undefined, undefined, undefined]);
    }
    // A thin box (one side zero) still crops, as in InsightFace.
    const line = new Face(new Float32Array([40, 40, 80, 40]), undefined, 0.9);
    const points = await (models.get('landmark_2d_106') as LandmarkModel).get(image, line);
    assert.ok(points.every(Number.isFinite));
  });

  it('release stops each head', async () => {
    const arcface = await load('mobilefacenet.onnx') as ArcFaceModel;
    const attr = await load('tiny_genderage.onnx') as AttributeModel;
    await arcface.release();
    await attr.release();
    const face = goldenFaces(golden)[0]!;
    await assert.rejects(arcface.get(image, face), InputError);
    await assert.rejects(attr.get(image, face), InputError);
  });
});

describe('FaceAnalysis.prepare prepares its detector as InsightFace does', () => {
  it('app.detector runs with the app\'s threshold and size', async () => {
    const app = await FaceAnalysis.create({ models: [sharedPath('models', 'scrfd_500m_bnkps.onnx')], backend: 'cpu' });
    try {
      app.prepare({ detThresh: 0.6, detSize: [320, 320] });
      assert.equal(app.detector.detThresh, 0.6);
      const { bboxes } = await app.detector.detect(t1);
      const faces = await app.get(t1);
      assert.deepEqual(bboxes.map((b) => Array.from(b.subarray(0, 4))), faces.map((f) => Array.from(f.bbox)));
    } finally {
      await app.release();
    }
  });

  it('get runs with the detector\'s settings, so app.detector.prepare applies to get as det_model.prepare does', async () => {
    const app = await FaceAnalysis.create({ models: [sharedPath('models', 'scrfd_500m_bnkps.onnx')], backend: 'cpu' });
    try {
      app.prepare({ detThresh: 0.5 });
      const strict = await app.get(t1);
      // InsightFace's get calls det_model.detect, which reads det_model's det_thresh: lowering it there finds more.
      app.detector.prepare({ detThresh: 0.05 });
      const { bboxes } = await app.detector.detect(t1);
      const loose = await app.get(t1);
      assert.ok(bboxes.length > strict.length, `${bboxes.length} rows at 0.05, ${strict.length} faces at 0.5`);
      // Before: get kept the app's own 0.5 (6 faces) while the detector alone found 11.
      assert.deepEqual(loose.map((f) => Array.from(f.bbox)), bboxes.map((b) => Array.from(b.subarray(0, 4))));
    } finally {
      await app.release();
    }
  });
});

/** A 6-output SCRFD stand-in (no keypoints, dynamic input) reporting one face at [8, 8, 24, 24] on a 64² input. */
function fakeKeypointlessScrfd(): InferenceSession {
  const names = ['s8', 's16', 's32', 'b8', 'b16', 'b32'];
  const fake = {
    inputMetadata: [{ name: 'input', isTensor: true, type: 'float32', shape: [1, 3, '?', '?'] }],
    outputNames: names,
    async run(feeds: Record<string, Tensor>) {
      const [, , h, w] = feeds['input']!.dims as number[];
      const out: Record<string, Tensor> = {};
      [8, 16, 32].forEach((s, level) => {
        const cols = Math.floor(w! / s);
        const rows = Math.floor(h! / s) * cols * 2;
        const scores = new Float32Array(rows), boxes = new Float32Array(rows * 4);
        if (s === 8) {
          const r = (2 * cols + 2) * 2;
          scores[r] = 0.9;
          boxes.set([1, 1, 1, 1], r * 4);
        }
        out[names[level]!] = new Tensor('float32', scores, [rows, 1]);
        out[names[level + 3]!] = new Tensor('float32', boxes, [rows, 4]);
      });
      return out;
    },
    // The shapes run gives, for the detector's check of a size at prepare/detect.
    outputTypesFor(types: ReadonlyMap<string, { dims: readonly number[] }>) {
      const [, , h, w] = types.get('input')!.dims;
      const rows = [8, 16, 32].map((s) => Math.floor(h! / s) * Math.floor(w! / s) * 2);
      return [...rows.map((r) => ({ type: 'float32', dims: [r, 1] })), ...rows.map((r) => ({ type: 'float32', dims: [r, 4] }))];
    },
    async release() {},
  };
  return fake as unknown as InferenceSession;
}
