import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { ModelPackError, PipelineOptionError } from '../../src/pipeline/errors.js';
import { ModelFormatError, ModelVersionError, UnsupportedOpError } from '../../src/core/errors.js';
import { buildModel, DT, node, onnx, valueInfo } from '../parser/onnx-builder.js';
import { sharedPath } from './helpers.js';

const names = ['mobilefacenet', 'scrfd_2.5g_bnkps', 'scrfd_500m_bnkps', 'tiny_2d106', 'tiny_3d68', 'tiny_genderage'];
const files = (...only: string[]): Record<string, Uint8Array> =>
  Object.fromEntries((only.length ? only : names).map((n) => [`${n}.onnx`, readFileSync(sharedPath('models', `${n}.onnx`))]));

describe('FaceAnalysis.create (routing as InsightFace)', () => {
  it('loads in sorted file order, keeps the first detector and skips the duplicate', async () => {
    const messages: string[] = [];
    const app = await FaceAnalysis.create({ models: { files: files() }, backend: 'cpu', log: (m) => messages.push(m) });
    try {
      assert.deepEqual([...app.models.keys()], ['recognition', 'detection', 'landmark_2d_106', 'landmark_3d_68', 'genderage']);
      assert.equal(app.models.get('detection')!.file, 'scrfd_2.5g_bnkps.onnx');
      assert.ok(messages.some((m) => m.includes('scrfd_500m_bnkps.onnx') && m.includes('duplicated detection')), messages.join('\n'));
      assert.deepEqual(app.faceModels.map((m) => [m.taskname, m.inputSize, m.inputMean, m.inputStd]), [
        ['recognition', 112, 127.5, 127.5], ['landmark_2d_106', 192, 0, 1], ['landmark_3d_68', 192, 0, 1], ['genderage', 96, 0, 1],
      ]);
    } finally {
      await app.release();
    }
  });

  it('a corrupt, empty, too new or unsupported file in a pack folder is named by its path, with the reason kept', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'insightgpu pack ü-'));
    symlinkSync(sharedPath('models', 'scrfd_500m_bnkps.onnx'), path.join(folder, 'det.onnx'));
    const recognizer = readFileSync(sharedPath('models', 'mobilefacenet.onnx'));
    const tooNew = onnx.ModelProto.decode(recognizer);
    tooNew.irVersion = 99;
    const cases: { bytes: Uint8Array; cause: abstract new (...args: never[]) => Error; reason: RegExp }[] = [
      { bytes: recognizer.subarray(0, 5000), cause: ModelFormatError, reason: /invalid ONNX model at byte \d+: not a decodable ONNX protobuf/ },
      { bytes: new Uint8Array(0), cause: ModelFormatError, reason: /the model is empty/ },
      { bytes: buildModel({ nodes: [node('Foo', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, [1, 3, 112, 112])], outputs: [valueInfo('Y', DT.FLOAT, [1, 512])] }), cause: UnsupportedOpError, reason: /unsupported op Foo/ },
      // The real recognizer stamped with IR version 99.
      { bytes: onnx.ModelProto.encode(tooNew).finish(), cause: ModelVersionError, reason: /IR version 99/ },
    ];
    const file = path.join(folder, 'rec.onnx');
    for (const c of cases) {
      writeFileSync(file, c.bytes);
      await assert.rejects(FaceAnalysis.create({ models: folder, backend: 'cpu' }), (e: unknown) => e instanceof ModelPackError
        && e.location === file && e.message.includes(`'${file}'`) && c.reason.test(e.message) && e.cause instanceof c.cause);
    }
    // Bytes given by name are named by that name.
    await assert.rejects(FaceAnalysis.create({ models: { files: { ...files('scrfd_500m_bnkps'), 'w600k.onnx': recognizer.subarray(0, 5000) } }, backend: 'cpu' }),
      (e: unknown) => e instanceof ModelPackError && e.location === 'w600k.onnx' && e.cause instanceof ModelFormatError);
  });

  it('honours allowedModules', async () => {
    const app = await FaceAnalysis.create({ models: { files: files() }, backend: 'cpu', allowedModules: ['detection', 'genderage'] });
    assert.deepEqual([...app.models.keys()], ['detection', 'genderage']);
    await app.release();
  });

  it('requires a detector and a readable pack', async () => {
    await assert.rejects(FaceAnalysis.create({ models: { files: files('mobilefacenet') }, backend: 'cpu' }), ModelPackError);
    // A folder without a detector: the error names the folder, and the files found in it.
    const noDetector = mkdtempSync(path.join(tmpdir(), 'insightgpu-no-detector-'));
    symlinkSync(sharedPath('models', 'tiny_genderage.onnx'), path.join(noDetector, 'tiny_genderage.onnx'));
    await assert.rejects(FaceAnalysis.create({ models: noDetector, backend: 'cpu' }), (e) => e instanceof ModelPackError
      && e.location === noDetector && /no detection model among its files \(tiny_genderage\.onnx\)/.test(e.message));
    await assert.rejects(FaceAnalysis.create({ models: '/nonexistent/folder', backend: 'cpu' }), ModelPackError);
    const home = process.env['INSIGHTFACE_HOME'];
    process.env['INSIGHTFACE_HOME'] = mkdtempSync(path.join(tmpdir(), 'insightgpu-home-'));
    try {
      await assert.rejects(FaceAnalysis.create({ models: 'buffalo_l', backend: 'cpu' }), /fetch-models/);
    } finally {
      if (home === undefined) delete process.env['INSIGHTFACE_HOME'];
      else process.env['INSIGHTFACE_HOME'] = home;
    }
  });
});

describe('FaceAnalysis.prepare / get', () => {
  it('resolves det sizes: default auto (1.0.1), lists, auto; a static detector keeps its own size', async () => {
    const app = await FaceAnalysis.create({ models: { files: files('scrfd_2.5g_bnkps', 'tiny_genderage') }, backend: 'cpu' });
    assert.deepEqual(app.detSize, [[128, 128], [640, 640]], 'before prepare: InsightFace 1.0.1 auto sizes');
    assert.deepEqual(app.prepare({ detSize: [640, 640] }).detSize, [[640, 640]]);
    // InsightFace 1.0.1's prepare(det_size=None) is the automatic sizes, and so is a prepare without detSize, even
    // after an explicit size (each prepare sets every setting, as Python's does).
    assert.deepEqual(app.prepare().detSize, [[128, 128], [640, 640]]);
    assert.deepEqual(app.prepare({ detSize: [320, 320] }).prepare({ detThresh: 0.4 }).detSize, [[128, 128], [640, 640]]);
    assert.deepEqual(app.prepare({ detSize: [[320, 320], [640, 480]] }).detSize, [[320, 320], [640, 480]]);
    assert.deepEqual(app.prepare({ detSize: [0, 0] }).detSize, [[128, 128], [640, 640]]);
    assert.throws(() => app.prepare({ detSize: [640, -1] }), PipelineOptionError);
    await app.release();
    const fixed = await FaceAnalysis.create({ models: { files: files('scrfd_500m_bnkps') }, backend: 'cpu' });
    assert.deepEqual(fixed.prepare({ detSize: [320, 320] }).detSize, [[640, 640]]);
    await fixed.release();
  });

  it('returns no faces for an empty scene and validates options', async () => {
    const app = await FaceAnalysis.create({ models: { files: files('scrfd_2.5g_bnkps', 'tiny_genderage') }, backend: 'cpu' });
    try {
      app.prepare({ detSize: [128, 128] });
      const grey = { data: new Uint8Array(48 * 40 * 4).fill(128), width: 48, height: 40, format: 'rgba' as const };
      assert.deepEqual(await app.get(grey), []);
      await assert.rejects(app.get(grey, { maxNum: -1 }), PipelineOptionError);
      await assert.rejects(app.get(grey, { metric: 'biggest' as never }), PipelineOptionError);
    } finally {
      await app.release();
    }
  });

  it('runs NMS at the detector\'s prepared nms_thresh, as InsightFace\'s get does through det_model.detect', async () => {
    const app = await FaceAnalysis.create({ models: { files: files('scrfd_2.5g_bnkps') }, backend: 'cpu' });
    try {
      // A low score threshold leaves many overlapping candidates, so the NMS threshold decides the count.
      app.prepare({ detSize: [320, 320], detThresh: 0.02 });
      const t1 = sharedPath('images', 't1.jpg');
      const countAt = async (nmsThresh: number): Promise<number> => {
        app.detector.prepare({ nmsThresh });
        const faces = await app.get(t1);
        // The detector used on its own, the InsightFace way, gives the same rows.
        assert.equal(faces.length, (await app.detector.detect(t1)).bboxes.length);
        return faces.length;
      };
      const standard = await countAt(0.4);
      const loose = await countAt(0.9);
      assert.ok(loose > standard, `nms_thresh 0.9 kept ${loose} boxes, 0.4 kept ${standard}`);
      assert.equal(await countAt(0.4), standard);
    } finally {
      await app.release();
    }
  });
});

describe('FaceAnalysis.get stage timings', () => {
  // ~3 s on the 2-core box: SCRFD at 160×160 and the two smallest heads on t1.jpg.
  it('records every stage once per model run when asked, and changes no result', async () => {
    const app = await FaceAnalysis.create({ models: { files: files('scrfd_2.5g_bnkps', 'tiny_genderage', 'tiny_2d106') }, backend: 'cpu' });
    try {
      app.prepare({ detSize: [160, 160] });
      const image = sharedPath('images', 't1.jpg');
      const plain = await app.get(image);
      const timings: import('../../src/pipeline/stage-timer.js').StageTiming[] = [];
      const timed = await app.get(image, { timings });
      assert.ok(plain.length > 0, 'faces found at 160×160');
      assert.deepEqual(timed.map((f) => [f.bbox, f.landmark_2d_106, f.age]), plain.map((f) => [f.bbox, f.landmark_2d_106, f.age]));
      const count = (stage: string): number => timings.filter((t) => t.stage === stage).length;
      assert.equal(count('decode'), 1);
      assert.equal(count('detection.pre'), 1);
      assert.equal(count('detection.forward'), 1);
      // The heads' batch is static (1): one warp for all faces, one forward per face.
      for (const head of ['landmark_2d_106', 'genderage']) {
        assert.equal(count(`${head}.align`), 1, head);
        assert.equal(count(`${head}.forward`), plain.length, head);
      }
      assert.ok(timings.every((t) => t.ms >= 0 && Number.isFinite(t.ms)));
      assert.deepEqual([...new Set(timings.filter((t) => t.kind === 'forward').map((t) => t.stage))], ['detection.forward', 'landmark_2d_106.forward', 'genderage.forward']);
    } finally {
      await app.release();
    }
  });
});
