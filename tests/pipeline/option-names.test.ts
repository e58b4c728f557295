// Options as a plain-JS caller writes them: a misspelt name or a value of the wrong kind is a typed error naming
// it (and the name it most likely meant), not an option silently ignored, in every public options object.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { FaceAnalysisPool } from '../../src/pipeline/pool/face-analysis-pool.js';
import { FaceTracker } from '../../src/pipeline/tracking/face-tracker.js';
import { readVideoFrames, probeVideo } from '../../src/pipeline/tracking/video-frames.js';
import { FaceIndex } from '../../src/pipeline/identity/face-index.js';
import { FaceIndexError } from '../../src/pipeline/identity/errors.js';
import { clusterFaces } from '../../src/pipeline/identity/cluster.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { InputError } from '../../src/core/errors.js';
import { getModel } from '../../src/pipeline/model-zoo.js';
import { drawFaces } from '../../src/pipeline/draw.js';
import { createBgrImage } from '../../src/pipeline/image.js';
import { InferenceSession } from '../../src/session/session.js';
import { sharedPath, failsWith, loose } from './helpers.js';

const t1 = sharedPath('images', 't1.jpg');
const detectorBytes = (): Uint8Array => readFileSync(sharedPath('models', 'scrfd_500m_bnkps.onnx'));
const pack = (): Record<string, Uint8Array> => ({
  'scrfd_2.5g_bnkps.onnx': readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')),
  'tiny_2d106.onnx': readFileSync(sharedPath('models', 'tiny_2d106.onnx')),
});

describe('misspelt and wrong-typed options', () => {
  let app: FaceAnalysis;
  before(async () => {
    app = await FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu' });
    app.prepare({ detSize: [160, 160] });
  });
  after(async () => app.release());

  it('FaceAnalysis.create refuses an unknown name and a wrong-typed value before any file is read', async () => {
    await assert.rejects(loose(FaceAnalysis.create)({ models: '/nonexistent', backend: 'cpu', headbatch: 4 }) as Promise<unknown>,
      failsWith(PipelineOptionError, 'headbatch', 'did you mean headBatch'));
    await assert.rejects(loose(FaceAnalysis.create)({ models: '/nonexistent', backend: 'cpu', preprocessor: 5 }) as Promise<unknown>,
      failsWith(PipelineOptionError, 'preprocessor', '5 is not an object'));
    await assert.rejects(loose(FaceAnalysis.create)({ models: '/nonexistent', sessionOptions: { webgpu: { precison: 'fp16' } } }) as Promise<unknown>,
      failsWith(PipelineOptionError, 'sessionOptions.webgpu.precison', 'did you mean sessionOptions.webgpu.precision'));
    await assert.rejects(loose(FaceAnalysis.create)({ models: '/nonexistent', sessionOptions: { backend: 'cpu' } }) as Promise<unknown>,
      failsWith(PipelineOptionError, 'sessionOptions.backend'));
    await assert.rejects(loose(FaceAnalysis.create)({ models: 'buffalo_l', download: { baseURL: 'http://x' } }) as Promise<unknown>,
      failsWith(PipelineOptionError, 'download.baseURL', 'did you mean download.baseUrl'));
  });

  it('an option set to undefined counts as not given, and an unknown allowedModules name is dropped as InsightFace drops it', async () => {
    const other = await FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu', allowedModules: ['detection', 'no_such_task'], ...{ unused: undefined } });
    try {
      assert.deepEqual([...other.models.keys()], ['detection']);
    } finally {
      await other.release();
    }
  });

  it('prepare, get, getBatch, detectFaces, annotate and withFrame refuse misspelt names', async () => {
    assert.throws(() => loose(app.prepare.bind(app))({ detsize: [320, 320] }), failsWith(PipelineOptionError, 'detsize', 'did you mean detSize'));
    assert.throws(() => loose(app.prepare.bind(app))({ detThresh: '0.5' }), failsWith(PipelineOptionError, 'detThresh', '"0.5" is not a number'));
    assert.deepEqual(app.detSize, [[160, 160]], 'a refused prepare keeps the settings');
    await assert.rejects(loose(app.get.bind(app))(t1, { max_num: 1 }) as Promise<unknown>, failsWith(PipelineOptionError, 'max_num', 'did you mean maxNum'));
    await assert.rejects(loose(app.getBatch.bind(app))([t1], { maxGroupPixel: 1 }) as Promise<unknown>, failsWith(PipelineOptionError, 'maxGroupPixel', 'maxGroupPixels'));
    await assert.rejects(loose(app.detectFaces.bind(app))(t1, { maxnum: 1 }) as Promise<unknown>, failsWith(PipelineOptionError, 'maxnum', 'maxNum'));
    await assert.rejects(loose(app.annotate.bind(app))(t1, [], { model: ['landmark_2d_106'] }) as Promise<unknown>, failsWith(PipelineOptionError, 'model', 'did you mean models'));
    await assert.rejects(app.withFrame(t1, (frame) => loose(frame.detect.bind(frame))({ metrc: 'max' }) as Promise<unknown>), failsWith(PipelineOptionError, 'metrc', 'metric'));
    await assert.rejects(loose(app.drawOn.bind(app))(t1, [], { landmark106: true }) as Promise<unknown>, failsWith(PipelineOptionError, 'landmark106', 'landmarks106'));
    await assert.rejects(loose(app.detector.detect.bind(app.detector))(t1, { input_size: [160, 160] }) as Promise<unknown>, failsWith(PipelineOptionError, 'input_size'));
    assert.throws(() => loose(app.detector.prepare.bind(app.detector))({ nms_thresh: 0.4 }), failsWith(PipelineOptionError, 'nms_thresh'));
    // The analysis still runs after every refusal.
    assert.ok((await app.get(t1)).length > 0);
  });

  it('FaceTracker and track refuse misspelt names and wrong-typed values', async () => {
    assert.throws(() => new FaceTracker(app, loose(Object)({ detecEvery: 2 }) as object), failsWith(PipelineOptionError, 'detecEvery', 'did you mean detectEvery'));
    assert.throws(() => new FaceTracker(app, loose(Object)({ smoothing: { minCutOff: 1, beta: 0, dCutoff: 1 } }) as object),
      failsWith(PipelineOptionError, 'smoothing.minCutOff', 'smoothing.minCutoff'));
    assert.throws(() => new FaceTracker(app, loose(Object)({ smoothing: true }) as object), failsWith(PipelineOptionError, 'smoothing'));
    const tracker = new FaceTracker(app, { detectEvery: 2 });
    await assert.rejects(loose(tracker.track.bind(tracker))(t1, { timeStamp: 0 }) as Promise<unknown>, failsWith(PipelineOptionError, 'timeStamp', 'timestamp'));
  });

  it('readVideoFrames, probeVideo, FaceIndex, search, clusterFaces, drawFaces, getModel and FaceAnalysisPool refuse misspelt names', async () => {
    await assert.rejects(loose(probeVideo)('clip.mp4', { maxframes: 3 }) as Promise<unknown>, failsWith(PipelineOptionError, 'maxframes', 'maxFrames'));
    const frames = loose(readVideoFrames)('clip.mp4', { ffmpg: 'ffmpeg' }) as AsyncGenerator<unknown>;
    await assert.rejects(frames.next(), failsWith(PipelineOptionError, 'ffmpg', 'ffmpeg'));
    assert.throws(() => new FaceIndex(loose(Object)({ maxEntry: 10 }) as object), failsWith(FaceIndexError, 'maxEntry', 'maxEntries'));
    assert.throws(() => new FaceIndex(loose(Object)({ maxBytes: '10' }) as object), failsWith(FaceIndexError, 'maxBytes', 'is not a number'));
    const index = new FaceIndex({ dim: 3 });
    index.add('a', [1, 0, 0]);
    assert.throws(() => loose(index.search.bind(index))([1, 0, 0], { topK: 1 }), failsWith(FaceIndexError, 'topK'));
    assert.throws(() => loose(clusterFaces)([[1, 0, 0]], { min_samples: 1 }), failsWith(PipelineOptionError, 'min_samples', 'minSamples'));
    assert.throws(() => loose(drawFaces)(createBgrImage(4, 4), [], { landmarks: true }), failsWith(PipelineOptionError, 'landmarks', 'landmarks106'));
    await assert.rejects(loose(getModel)(detectorBytes(), { backend: 'cpu', sessionOption: {} }) as Promise<unknown>, failsWith(PipelineOptionError, 'sessionOption', 'sessionOptions'));
    await assert.rejects(loose(FaceAnalysisPool.create)({ size: 1, models: '/nonexistent', prepare: { detSize: [160, 160], detThres: 0.5 } }) as Promise<unknown>,
      failsWith(PipelineOptionError, 'prepare.detThres', 'prepare.detThresh'));
  });

  it('InferenceSession.create and runTogether refuse misspelt session options as InputError', async () => {
    await assert.rejects(loose(InferenceSession.create)(detectorBytes(), { backend: 'cpu', profilng: true }) as Promise<unknown>,
      failsWith(InputError, 'profilng', 'did you mean profiling'));
    await assert.rejects(loose(InferenceSession.create)(detectorBytes(), { backend: 'cpu', webgpu: { kernel: 'generic' } }) as Promise<unknown>,
      failsWith(InputError, 'webgpu.kernel', 'webgpu.kernels'));
    await assert.rejects(loose(InferenceSession.create)(detectorBytes(), { backend: 'cpu', profiling: 'yes' }) as Promise<unknown>,
      failsWith(InputError, 'profiling', 'is not true or false'));
    await assert.rejects(loose(InferenceSession.runTogether)([], { prelud: null }) as Promise<unknown>, failsWith(InputError, 'prelud', 'prelude'));
  });
});
