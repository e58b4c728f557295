// The library API as a plain-JS caller uses it (no types to stop a wrong argument): every bad call is a typed engine
// error naming what to fix, a refused call leaves the instance as it was, and release() neither loses a call in
// flight nor leaves anything running.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { FaceAnalysisPool } from '../../src/pipeline/pool/face-analysis-pool.js';
import { createFaceAnalysisWorker } from '../../src/pipeline/worker/face-analysis-worker.js';
import { WorkerError } from '../../src/pipeline/worker/wire-errors.js';
import { FaceTracker } from '../../src/pipeline/tracking/face-tracker.js';
import { ImageError, ModelPackError, PipelineOptionError } from '../../src/pipeline/errors.js';
import { InputError } from '../../src/core/errors.js';
import { getModel } from '../../src/pipeline/model-zoo.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import { ScrfdDetector } from '../../src/pipeline/scrfd.js';
import { Face } from '../../src/pipeline/face.js';
import { INSwapper } from '../../src/pipeline/swap/inswapper.js';
import { InferenceSession } from '../../src/session/session.js';
import { Tensor } from '../../src/core/tensor.js';
import { sharedPath, failsWith, loose } from './helpers.js';

// The JS caller's view: arguments of any type.
const t1 = sharedPath('images', 't1.jpg');
const pack = (): Record<string, Uint8Array> => ({
  'scrfd_2.5g_bnkps.onnx': readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')),
  'mobilefacenet.onnx': readFileSync(sharedPath('models', 'mobilefacenet.onnx')),
});

describe('FaceAnalysis with wrong arguments', () => {
  let app: FaceAnalysis;
  before(async () => {
    app = await FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu' });
    app.prepare({ detSize: [160, 160] });
  });
  after(async () => app.release());

  it('create refuses missing options and a models value of no known form', async () => {
    await assert.rejects(loose(FaceAnalysis.create)() as Promise<unknown>, failsWith(PipelineOptionError, 'FaceAnalysis.create', 'undefined'));
    await assert.rejects(loose(FaceAnalysis.create)(null) as Promise<unknown>, failsWith(PipelineOptionError, 'null'));
    await assert.rejects(loose(FaceAnalysis.create)({ models: 42, backend: 'cpu' }) as Promise<unknown>, failsWith(ModelPackError, 'folder', 'file paths'));
    await assert.rejects(loose(FaceAnalysis.create)({ models: { files: null }, backend: 'cpu' }) as Promise<unknown>, failsWith(ModelPackError, 'files'));
    // Named as the caller named them (headBatch, not the heads' internal maxBatch), before any file is read.
    await assert.rejects(FaceAnalysis.create({ models: '/nonexistent', backend: 'cpu', headBatch: 0 }), failsWith(PipelineOptionError, 'headBatch', '0'));
    await assert.rejects(loose(FaceAnalysis.create)({ models: { files: pack() }, backend: 'cpu', allowedModules: 'detection' }) as Promise<unknown>,
      failsWith(PipelineOptionError, 'allowedModules', '"detection"'));
    // The pack has a detector: the option left it out, and the error said the files held none.
    for (const allowed of [[], ['recognition']]) {
      await assert.rejects(FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu', allowedModules: allowed }), failsWith(PipelineOptionError, 'allowedModules', "leaves out 'detection'"));
    }
    // A log that is no function was a TypeError ('log is not a function'); sessionOptions of no object were ignored.
    await assert.rejects(loose(FaceAnalysis.create)({ models: { files: pack() }, backend: 'cpu', log: 'verbose' }) as Promise<unknown>, failsWith(PipelineOptionError, 'log', '"verbose"'));
    for (const sessionOptions of [null, 'webgpu']) {
      await assert.rejects(loose(FaceAnalysis.create)({ models: { files: pack() }, backend: 'cpu', sessionOptions }) as Promise<unknown>, failsWith(PipelineOptionError, 'sessionOptions'));
    }
  });

  it('Face.fromJSON refuses NaN and Infinity (JSON would write them back as null), saying what it got', () => {
    const face = { bbox: [1, 2, 30, 40], det_score: 0.9 };
    assert.throws(() => Face.fromJSON({ ...face, det_score: NaN }), failsWith(PipelineOptionError, 'face.det_score', 'NaN'));
    assert.throws(() => Face.fromJSON({ ...face, bbox: [1, 2, Infinity, 40] }), failsWith(PipelineOptionError, 'face.bbox', 'finite'));
    assert.throws(() => Face.fromJSON({ ...face, embedding: [0.1, NaN] }), failsWith(PipelineOptionError, 'face.embedding', 'finite'));
    assert.throws(() => Face.fromJSON({ ...face, age: NaN }), failsWith(PipelineOptionError, 'face.age', 'a finite number, got NaN'));
    assert.throws(() => loose(Face.fromJSON)({ ...face, gender: null }), failsWith(PipelineOptionError, 'face.gender', 'got null'));
    // A long value is cut in the message.
    assert.throws(() => loose(Face.fromJSON)({ ...face, embedding: [...new Array<number>(511).fill(0.5), 'x'] }), (e) => e instanceof PipelineOptionError && e.message.length < 200);
    assert.equal(JSON.stringify(Face.fromJSON({ ...face, age: 30 })), JSON.stringify({ ...face, age: 30 }));
  });

  it('prepare refuses non-object options, non-array and oversized det sizes, and keeps its settings when it refuses', async () => {
    const before = JSON.stringify(await app.get(t1));
    assert.throws(() => loose(app.prepare).call(app, null), failsWith(PipelineOptionError, 'prepare', 'null'));
    assert.throws(() => loose(app.prepare).call(app, { detSize: 640 }), failsWith(PipelineOptionError, 'detSize', '640'));
    assert.throws(() => loose(app.prepare).call(app, { detSize: '640' }), failsWith(PipelineOptionError, 'detSize', '"640"'));
    // Above the image bound (0x3FFF² pixels): the letterboxed input could never be made.
    assert.throws(() => app.prepare({ detSize: [65536, 65536] }), failsWith(PipelineOptionError, 'detSize', '65536×65536'));
    // A string threshold is quoted, so "0.5" does not read as the number 0.5.
    assert.throws(() => loose(app.prepare).call(app, { detThresh: '0.5' }), failsWith(PipelineOptionError, 'detThresh', '"0.5"'));
    // A valid threshold beside a bad size: neither is taken.
    assert.throws(() => app.prepare({ detThresh: 0.99, detSize: [-1, 5] }), PipelineOptionError);
    assert.deepEqual(app.detSize, [[160, 160]]);
    assert.equal(JSON.stringify(await app.get(t1)), before);
  });

  it('get, getBatch, annotate and withFrame refuse arguments of the wrong kind before decoding', async () => {
    await assert.rejects(loose(app.get).call(app, t1, null) as Promise<unknown>, failsWith(PipelineOptionError, 'get', 'null'));
    await assert.rejects(loose(app.get).call(app, t1, { maxNum: '2' }) as Promise<unknown>, failsWith(PipelineOptionError, 'maxNum', '"2"'));
    // A string is not read as a list of one-character paths.
    await assert.rejects(loose(app.getBatch).call(app, t1) as Promise<unknown>, failsWith(PipelineOptionError, 'inputs', 'array'));
    await assert.rejects(loose(app.getBatch).call(app, null) as Promise<unknown>, failsWith(PipelineOptionError, 'inputs'));
    await assert.rejects(loose(app.annotate).call(app, t1, null) as Promise<unknown>, failsWith(PipelineOptionError, 'faces', 'array'));
    await assert.rejects(loose(app.annotate).call(app, t1, [{}]) as Promise<unknown>, failsWith(PipelineOptionError, 'bbox'));
    await assert.rejects(loose(app.withFrame).call(app, t1) as Promise<unknown>, failsWith(PipelineOptionError, 'withFrame', 'callback'));
    // A string of tasknames is not read as one-letter names.
    await assert.rejects(loose(app.annotate).call(app, t1, [], { models: 'recognition' }) as Promise<unknown>, failsWith(PipelineOptionError, 'models', '"recognition"'));
    await assert.rejects(loose(app.annotate).call(app, t1, [], null) as Promise<unknown>, failsWith(PipelineOptionError, 'annotate'));
    await assert.rejects(loose(app.detectFaces).call(app, t1, null) as Promise<unknown>, failsWith(PipelineOptionError, 'detectFaces'));
    await assert.rejects(loose(app.get).call(app, t1, { timings: 5 }) as Promise<unknown>, failsWith(PipelineOptionError, 'timings'));
    // get's option, which getBatch does not have: it was ignored, leaving the caller's array empty.
    await assert.rejects(loose(app.getBatch).call(app, [t1], { timings: [] }) as Promise<unknown>, failsWith(PipelineOptionError, 'timings', 'call get per image'));
    await assert.rejects(loose(app.drawOn).call(app, t1, null) as Promise<unknown>, failsWith(PipelineOptionError, 'drawOn'));
    await assert.rejects(loose(app.drawOn).call(app, t1, [{}]) as Promise<unknown>, failsWith(PipelineOptionError, 'bbox'));
    // A face from a results file, not passed through Face.fromJSON: its nested kps drew nothing, silently.
    const nested = { bbox: [10, 10, 50, 50], det_score: 0.9, kps: [[20, 20], [40, 20], [30, 30], [22, 40], [38, 40]] };
    await assert.rejects(loose(app.drawOn).call(app, t1, [nested]) as Promise<unknown>, failsWith(PipelineOptionError, 'kps has 5 values'));
    const drawn = await app.drawOn(t1, [Face.fromJSON(nested)]);
    assert.deepEqual(Array.from(drawn.data.subarray((20 * drawn.width + 20) * 3, (20 * drawn.width + 20) * 3 + 3)), [0, 255, 0], 'the left eye in green');
  });

  it('getBatch names the entry that can never be read, whatever its place, and the next call runs', async () => {
    const expected = JSON.stringify(await app.get(t1));
    const cases: [unknown, string][] = [
      [42, "bad image 'inputs[2]': unsupported image input"],
      [undefined, "bad image 'inputs[2]': unsupported image input"],
      ['', "bad image 'inputs[2]': empty path"],
      [new Uint8Array(0), "bad image 'inputs[2]': no bytes"],
      [{ width: 10, height: 10, data: new Uint8Array(3) }, "bad image 'inputs[2]': BGR data has 3 bytes"],
      [{ width: -1, height: -1, data: new Uint8Array(3) }, "bad image 'inputs[2]': size -1×-1"],
      [{ width: 4, height: 4, data: new Uint8Array(4), format: 'rgb' }, "bad image 'inputs[2]': rgb data has 4 bytes"],
    ];
    // One image a group: before, the two good images ran before the third was even looked at, and the error did
    // not say which of the inputs it was.
    for (const [bad, part] of cases) {
      await assert.rejects(loose(app.getBatch).call(app, [t1, t1, bad], { maxGroupPixels: 1 }) as Promise<unknown>, failsWith(ImageError, part));
    }
    // A hole in the list is an entry too.
    await assert.rejects(loose(app.getBatch).call(app, [t1, , t1]) as Promise<unknown>, failsWith(ImageError, "'inputs[1]'"));
    // A missing file is found by its decode and named by its path.
    await assert.rejects(app.getBatch([t1, '/nonexistent/x.jpg']), failsWith(ImageError, '/nonexistent/x.jpg'));
    assert.deepEqual((await app.getBatch([t1, t1])).map((f) => JSON.stringify(f)), [expected, expected]);
  });

  it('pixel objects that are almost images say which field is wrong', async () => {
    const cases: [unknown, string][] = [
      [{ width: 10, height: 10, data: new Uint8Array(3) }, 'BGR data has 3 bytes, 10×10×3 needs 300'],
      [{ width: 2, height: 2, data: new Float32Array(12) }, 'Float32Array'],
      [{ width: 2, height: 2, data: null }, 'null'],
      [{ width: 2, height: 2, data: new Uint8Array(12), format: 'yuv' }, 'format "yuv"'],
      // width × height × 3 matches the 3 bytes: the size itself is refused.
      [{ width: -1, height: -1, data: new Uint8Array(3) }, '-1×-1'],
      [{ width: 1.5, height: 2, data: new Uint8Array(9) }, '1.5×2'],
      // A name every object has (Object.prototype's) is not a pixel format.
      [{ width: 2, height: 2, data: new Uint8Array(12), format: 'constructor' }, 'format "constructor" is not one of'],
      [{ width: 2, height: 2, data: new Uint8Array(12), format: 'toString' }, 'format "toString" is not one of'],
    ];
    for (const [input, part] of cases) await assert.rejects(loose(app.get).call(app, input) as Promise<unknown>, failsWith(ImageError, part));
  });

  it('the model-zoo detector and FaceTracker refuse null options', async () => {
    const detector = await getModel(readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')), { backend: 'cpu' });
    assert.ok(detector instanceof ScrfdDetector);
    try {
      assert.throws(() => loose(detector.prepare).call(detector, null), failsWith(PipelineOptionError, 'prepare'));
      await assert.rejects(loose(detector.detect).call(detector, t1, null) as Promise<unknown>, failsWith(PipelineOptionError, 'detect'));
    } finally {
      await detector.release();
    }
    assert.throws(() => new (FaceTracker as unknown as new (...a: unknown[]) => unknown)(null), failsWith(PipelineOptionError, 'FaceTracker', 'null'));
    assert.throws(() => new (FaceTracker as unknown as new (...a: unknown[]) => unknown)(app, null), failsWith(PipelineOptionError, 'FaceTracker'));
  });
});

describe('Sessions and single models with wrong arguments', () => {
  it('InferenceSession refuses null options and a fetches string (not read as one-letter names)', async () => {
    const bytes = readFileSync(sharedPath('models', 'tiny_genderage.onnx'));
    await assert.rejects(loose(InferenceSession.create)(bytes, null) as Promise<unknown>, failsWith(InputError, 'options', 'null'));
    const session = await InferenceSession.create(bytes, { backend: 'cpu' });
    try {
      const feeds = { [session.inputNames[0]!]: new Tensor('float32', new Float32Array(3 * 96 * 96), [1, 3, 96, 96]) };
      await assert.rejects(loose(session.run).call(session, feeds, session.outputNames[0]) as Promise<unknown>, failsWith(InputError, 'fetches', 'array'));
      assert.deepEqual(Object.keys(await session.run(feeds, [...session.outputNames])), [...session.outputNames]);
    } finally {
      await session.release();
    }
  });

  it('getModel and INSwapper refuse null options', async () => {
    await assert.rejects(loose(getModel)(readFileSync(sharedPath('models', 'tiny_genderage.onnx')), null) as Promise<unknown>, failsWith(PipelineOptionError, 'getModel'));
    const swapBytes = readFileSync(sharedPath('swap', 'inswapper_w128_seed1.onnx'));
    await assert.rejects(loose(INSwapper.create)(swapBytes, null) as Promise<unknown>, failsWith(PipelineOptionError, 'INSwapper.create'));
  });
});

describe('FaceAnalysis.release', () => {
  it('lets a call in flight finish, refuses later calls with InputError, and may be called twice', async () => {
    const app = await FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu' });
    app.prepare({ detSize: [160, 160] });
    const expected = JSON.stringify(await app.get(t1));
    const inFlight = app.get(t1);
    const released = app.release();
    assert.equal(JSON.stringify(await inFlight), expected);
    await released;
    await assert.rejects(app.get(t1), failsWith(InputError, 'released'));
    await assert.rejects(app.getBatch([t1]), failsWith(InputError, 'released'));
    assert.throws(() => app.prepare({ detSize: [160, 160] }), failsWith(InputError, 'released'));
    await assert.rejects(app.drawOn(t1, []), failsWith(InputError, 'released'));
    await app.release();
  });

  it('a second release made while the first waits resolves only once the calls in flight are done', async () => {
    const app = await FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu' });
    app.prepare({ detSize: [160, 160] });
    let finished = false;
    const inFlight = app.get(t1).then((faces) => { finished = true; return faces; });
    const first = app.release();
    await app.release();
    assert.equal(finished, true, 'the second release resolved before the call it waits for');
    assert.ok((await inFlight).length > 0);
    await first;
  });
});

describe('FaceAnalysis calls and the caller\'s buffers', () => {
  it('a call analyses its image as it was when called, though the caller reuses the buffer before its turn', async () => {
    const app = await FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu' });
    try {
      app.prepare({ detSize: [160, 160] });
      const image = await loadImage(t1);
      const expected = JSON.stringify(await app.get(image));
      assert.ok(JSON.parse(expected).length > 0);
      const bgr = { width: image.width, height: image.height, data: image.data.slice() };
      const rgba = new Uint8Array(image.width * image.height * 4);
      for (let i = 0, j = 0; i < image.data.length; i += 3, j += 4) rgba.set([image.data[i + 2]!, image.data[i + 1]!, image.data[i]!, 255], j);
      const bytes = readFileSync(t1);
      // A video loop's pattern: hand over a frame, then overwrite the same buffer with the next one.
      const calls = [
        app.get(bgr), app.get({ data: rgba, width: image.width, height: image.height, format: 'rgba' }), app.get(bytes), app.get(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
        app.withFrame(bgr, (frame) => frame.detect()),
      ];
      bgr.data.fill(0);
      rgba.fill(0);
      bytes.fill(0);
      const [fromBgr, fromRgba, fromBytes, fromArrayBuffer, detected] = await Promise.all(calls);
      for (const faces of [fromBgr, fromRgba, fromBytes, fromArrayBuffer]) assert.equal(JSON.stringify(faces), expected);
      assert.deepEqual(detected!.map((f) => Array.from(f.bbox)), JSON.parse(expected).map((f: { bbox: number[] }) => f.bbox));
    } finally {
      await app.release();
    }
  });

  it('a call runs with the settings prepared when it was made, not with a prepare made while it waits', async () => {
    const app = await FaceAnalysis.create({ models: { files: pack() }, backend: 'cpu' });
    try {
      app.prepare({ detSize: [160, 160] });
      const expected = JSON.stringify(await app.get(t1));
      const boxes = JSON.parse(expected).map((f: { bbox: number[] }) => f.bbox);
      const [got, batch, detected] = [app.get(t1), app.getBatch([t1]), app.detectFaces(t1)];
      // Before, all three ran at 0.99 and found no face.
      app.prepare({ detSize: [160, 160], detThresh: 0.99 });
      const after = app.get(t1);
      assert.equal(JSON.stringify(await got), expected);
      assert.deepEqual((await batch).map((f) => JSON.stringify(f)), [expected]);
      assert.deepEqual((await detected).map((f) => Array.from(f.bbox)), boxes);
      assert.ok((await after).length < boxes.length, 'the call made after prepare runs with its threshold');
    } finally {
      await app.release();
    }
  });
});

describe('Worker entry points', () => {
  it('a one-worker pool whose worker cannot load its models rejects with that error', async () => {
    // Before the fix this promise never settled (the failed worker's start was dropped).
    await assert.rejects(FaceAnalysisPool.create({ size: 1, models: '/nonexistent/insightgpu-pack' }), failsWith(ModelPackError, 'folder not found'));
    await assert.rejects(loose(FaceAnalysisPool.create)() as Promise<unknown>, failsWith(PipelineOptionError, 'FaceAnalysisPool.create'));
  });

  it('createFaceAnalysisWorker in Node (no module Worker) points to FaceAnalysisPool', async () => {
    assert.equal(typeof (globalThis as { Worker?: unknown }).Worker, 'undefined', 'this check needs a runtime without a global Worker');
    await assert.rejects(createFaceAnalysisWorker({ models: { files: pack() } }), failsWith(WorkerError, 'FaceAnalysisPool'));
  });
});
