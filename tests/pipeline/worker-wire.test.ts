/**
 * What crosses the Worker boundary, checked through structuredClone (the algorithm postMessage uses): engine errors
 * come back as the same classes with their fields, faces as Face objects with their arrays moved, not copied.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BackendError, GraphError, InputError, MissingPackageError, ModelFormatError, ModelVersionError, PrecisionUnavailableError, ResourceLimitError, UnsupportedOpError } from '../../src/core/errors.js';
import { IndexMemoryError } from '../../src/pipeline/identity/errors.js';
import { Face, TrackedFace, FaceIndexError, FrameReentryError, ImageError, IndexFormatError, ModelContractError, ModelPackError, PipelineOptionError, WorkerError } from '../../src/pipeline/index.js';
import { rebuildError, serialiseError } from '../../src/pipeline/worker/wire-errors.js';
import { facesFromWire, facesToWire } from '../../src/pipeline/worker/wire-faces.js';

/** Through structured clone, with the buffers transferred as postMessage would. */
function post<T>(value: T, transfer: ArrayBuffer[] = []): T {
  return structuredClone(value, { transfer });
}

describe('worker wire format', () => {
  const thrown = [
    new ImageError('BGR data has 5 bytes', 'frame.png'),
    new PipelineOptionError('detThresh', 'NaN is not a number'),
    new ModelPackError('no detection model among the files', 'a.onnx'),
    new ModelContractError('recognition', 'input is not square'),
    new ModelFormatError('truncated varint', 1234),
    new ModelVersionError("'main_graph' from pytorch 2.5", 'ai.onnx', 99, 25),
    new UnsupportedOpError('Foo', 'node_7', 'opset 99'),
    new GraphError('missing initializer', 'conv1', 'Conv'),
    new InputError('dims differ', 'input.1'),
    new ResourceLimitError('tensor', 10, 5),
    new BackendError('webgpu', 'no adapter'),
    new FaceIndexError('dimension 128, index holds 512'),
    new IndexFormatError('bad magic'),
    new PrecisionUnavailableError('float16', 'SwiftShader', 'no shader-f16'),
    new MissingPackageError('sharp', 'decoding PNG'),
    new IndexMemoryError('too many rows', 2048, 1024),
    new FrameReentryError('get'),
  ];
  for (const original of thrown) {
    test(`${original.name} comes back as ${original.name} with its fields`, () => {
      const rebuilt = rebuildError(post(serialiseError(original)));
      assert.ok(rebuilt instanceof (original.constructor as new (...a: never[]) => Error), `${rebuilt.name} is not an instance of ${original.name}`);
      assert.equal(rebuilt.name, original.name);
      assert.equal(rebuilt.message, original.message);
      assert.equal(rebuilt.code, original.code);
      for (const [k, v] of Object.entries(original)) assert.deepEqual((rebuilt as unknown as Record<string, unknown>)[k], v, `field ${k}`);
      assert.match(rebuilt.stack ?? '', /in the worker/);
    });
  }

  test('a non-engine error becomes a WorkerError naming its class', () => {
    const rebuilt = rebuildError(post(serialiseError(new TypeError('x is undefined'))));
    assert.ok(rebuilt instanceof WorkerError);
    assert.equal(rebuilt.remoteName, 'TypeError');
    assert.match(rebuilt.message, /TypeError: x is undefined/);
    assert.ok(rebuildError(serialiseError('a string')) instanceof WorkerError);
  });

  test('faces come back as Face objects with equal fields, their arrays moved', () => {
    const a = new Face(Float32Array.of(1, 2, 30, 40), Float32Array.from({ length: 10 }, (_, i) => i + 0.5), 0.875);
    a.embedding = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i));
    a.landmark_3d_68 = new Float32Array(204).fill(3);
    a.pose = [1, -2, 3];
    a.gender = 1;
    a.age = 33;
    a.extra.set('landmark_2d_98', new Float32Array(196).fill(7));
    // A view into a larger buffer is copied rather than moving the whole buffer.
    const shared = new Float32Array(8);
    const b = new Face(shared.subarray(0, 4), undefined, 0.5);
    const expected = JSON.stringify([a, b]);
    const { faces, transfer } = facesToWire([a, b]);
    const back = facesFromWire(post(faces, transfer));
    assert.equal(JSON.stringify(back), expected);
    assert.ok(back[0] instanceof Face);
    assert.equal(back[0]!.sex, 'M');
    assert.deepEqual(back[0]!.extra.get('landmark_2d_98'), new Float32Array(196).fill(7));
    assert.equal(a.embedding.length, 0, 'the embedding\'s buffer was transferred (detached here)');
    assert.equal(shared.length, 8, 'the shared buffer stays usable');
  });

  test('tracked faces come back as TrackedFace with their track', () => {
    const face = new Face(Float32Array.of(5, 6, 50, 60), undefined, 0.75);
    const tracked = new TrackedFace(face, { trackId: 7, trackAge: 12, lostFrames: 0, identity: { id: 'alice', score: 0.625 }, source: 'carried', recognized: false, landmarkAge: { landmark_2d_106: 0, landmark_3d_68: 3 } });
    const { faces, transfer } = facesToWire([tracked, new Face(Float32Array.of(1, 1, 2, 2), undefined, 0.5)]);
    const [back, plain] = facesFromWire(post(faces, transfer));
    assert.ok(back instanceof TrackedFace);
    assert.deepEqual([back.trackId, back.trackAge, back.lostFrames, back.identity, back.source, back.recognized], [7, 12, 0, { id: 'alice', score: 0.625 }, 'carried', false]);
    assert.deepEqual(back.landmarkAge, { landmark_2d_106: 0, landmark_3d_68: 3 });
    assert.equal(JSON.stringify(back), JSON.stringify(new TrackedFace(new Face(Float32Array.of(5, 6, 50, 60), undefined, 0.75), back)));
    assert.ok(!(plain instanceof TrackedFace));
    // A tracker keeps its faces' arrays: with copy they stay usable after the transfer.
    const kept = new Face(Float32Array.of(1, 2, 3, 4), undefined, 0.5);
    const copied = facesToWire([kept], { copy: true });
    post(copied.faces, copied.transfer);
    assert.deepEqual(Array.from(kept.bbox), [1, 2, 3, 4]);
  });
});

describe('a worker call whose arguments cannot be posted', () => {
  test('rejects with PipelineOptionError and leaves no call pending', async () => {
    const { FaceAnalysisWorker } = await import('../../src/pipeline/worker/face-analysis-worker.js');
    // A worker whose postMessage throws as structured clone does on a function: the call never reaches a thread.
    const worker = { postMessage: () => { throw new DOMException('function could not be cloned', 'DataCloneError'); } };
    const Ctor = FaceAnalysisWorker as unknown as new (w: unknown, built: unknown) => { prepare(o: { detSize: [number, number] }): Promise<unknown> };
    const client = new Ctor(worker, { models: [] });
    await assert.rejects(client.prepare({ detSize: [320, 320] }), (e: unknown) => e instanceof PipelineOptionError && /cannot be posted/.test(e.message));
    assert.equal((client as unknown as { pending: Map<number, unknown> }).pending.size, 0);
  });

  test('closes the frame it captured from a canvas when the post fails', async (t) => {
    const { FaceAnalysisWorker } = await import('../../src/pipeline/worker/face-analysis-worker.js');
    // A canvas is posted as an ImageBitmap made for the call; one that never reaches the worker must be closed here.
    const g = globalThis as Record<string, unknown>;
    let closed = 0;
    // A canvas with pixels to capture (one of size 0 is refused before the capture, as an ImageError).
    class HTMLCanvasElement { width = 4; height = 4; }
    g.HTMLCanvasElement = HTMLCanvasElement;
    g.createImageBitmap = async () => ({ close: () => { closed++; } });
    t.after(() => { delete g.HTMLCanvasElement; delete g.createImageBitmap; });
    const worker = { postMessage: () => { throw new DOMException('an object could not be cloned', 'DataCloneError'); } };
    const Ctor = FaceAnalysisWorker as unknown as new (w: unknown, built: unknown) => {
      get(image: unknown): Promise<unknown>; drawOn(image: unknown, faces: unknown[]): Promise<unknown>;
    };
    const client = new Ctor(worker, { models: [] });
    await assert.rejects(client.get(new HTMLCanvasElement()), PipelineOptionError);
    await assert.rejects(client.drawOn(new HTMLCanvasElement(), []), PipelineOptionError);
    assert.equal(closed, 2);
    assert.equal((client as unknown as { pending: Map<number, unknown> }).pending.size, 0);
  });
});

describe('FaceAnalysisWorker.swap: the identity it posts', () => {
  test('is the one INSwapper.get on the page uses, bit for bit, and the worker takes it as it comes', async () => {
    const { FaceAnalysisWorker } = await import('../../src/pipeline/worker/face-analysis-worker.js');
    const { normedEmbedding, swapSourceFromWire } = await import('../../src/pipeline/swap/source-embedding.js');
    const posted: { kind: string; source?: Float32Array }[] = [];
    const worker = { postMessage: (message: { kind: string; source?: Float32Array }) => { posted.push(message); } };
    const Ctor = FaceAnalysisWorker as unknown as new (w: unknown, built: unknown, hasSwapper: boolean) => {
      swap(image: unknown, source: Face | ArrayLike<number>): Promise<unknown>;
    };
    const client = new Ctor(worker, { models: [] }, true);
    // Seeded, so the same embeddings every run; among 64 some move by an ulp when normed twice (checked below).
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    let movedTwice = 0;
    for (let i = 0; i < 64; i++) {
      const face = new Face(new Float32Array([0, 0, 8, 8]), undefined, 0.9);
      face.embedding = Float32Array.from({ length: 512 }, random);
      // The worker never answers: the call stays pending; what matters is what it posted.
      void client.swap({ width: 1, height: 1, data: new Uint8Array(3) }, face);
      await new Promise((r) => setImmediate(r));
      const message = posted.at(-1)!;
      assert.equal(message.kind, 'swap');
      const onPage = normedEmbedding(face);
      // Compared as bits: 1e-7 apart is already another swap than the page's.
      assert.deepEqual(new Uint32Array(normedEmbedding(swapSourceFromWire(message.source!)).buffer), new Uint32Array(onPage.buffer), `face ${i}`);
      const twice = normedEmbedding(Float32Array.from(face.normed_embedding!));
      if (twice.some((v, k) => v !== onPage[k])) movedTwice++;
    }
    // What the check guards against: a normed embedding posted as a plain array is normed again in the worker.
    assert.ok(movedTwice > 0, 'no embedding moves when normed twice: the check above shows nothing');
  });
});
