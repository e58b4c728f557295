/**
 * FaceAnalysis.withFrame / detectFaces / annotate (the stages of `get` on their own, on one upload of the image):
 * detection then every head gives exactly `get`'s faces, a chosen subset writes only its own fields, and bad
 * calls are typed errors. CPU backend, detection at 320 on t1.jpg (seconds).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis, FaceTracker, FrameReentryError, PipelineOptionError, type AnalysisFrame, type BgrImage, type Face } from '../../src/pipeline/index.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import { sharedPath } from './helpers.js';

const files = (...names: string[]) => ({ files: Object.fromEntries(names.map((n) => [`${n}.onnx`, readFileSync(sharedPath('models', `${n}.onnx`))])) });

const fields = (faces: readonly Face[]): unknown => JSON.parse(JSON.stringify(faces.map((f) => f.toJSON())));

describe('FaceAnalysis frame stages', () => {
  let app: FaceAnalysis;
  let image: BgrImage;
  before(async () => {
    app = await FaceAnalysis.create({ models: files('scrfd_2.5g_bnkps', 'mobilefacenet', 'tiny_2d106', 'tiny_genderage'), backend: 'cpu' });
    app.prepare({ detSize: [320, 320] });
    image = await loadImage(sharedPath('images', 't1.jpg'));
  });
  after(async () => app?.release());

  it('detect then annotate gives get’s faces, bit for bit', async () => {
    const expected = await app.get(image, { maxNum: 3 });
    const faces = await app.withFrame(image, async (frame) => {
      const found = await frame.detect({ maxNum: 3 });
      await frame.annotate(found);
      return found;
    });
    assert.equal(faces.length, 3);
    assert.deepEqual(fields(faces), fields(expected));
  });

  it('refuses, at once and typed, a call inside a withFrame callback that would queue behind its own frame', async () => {
    const tracker = new FaceTracker(app);
    const calls: [string, (a: FaceAnalysis) => Promise<unknown>][] = [
      ['get', (a) => a.get(image)], ['getBatch', (a) => a.getBatch([image])], ['withFrame', (a) => a.withFrame(image, async () => 1)],
      ['detectFaces', (a) => a.detectFaces(image)], ['annotate', (a) => a.annotate(image, [])], ['release', (a) => a.release()],
      ['FaceTracker.track', () => tracker.track(image)],
    ];
    const seen = await app.withFrame(image, async (frame) => {
      const out: string[] = [];
      for (const [name, call] of calls) {
        // Before and after an await: Node's AsyncLocalStorage follows the callback through it.
        for (const when of ['before', 'after']) {
          if (when === 'after') await Promise.resolve();
          await assert.rejects(call(app), (e: unknown) => e instanceof FrameReentryError && e.code === 'FRAME_REENTRY' && e.method === name);
          out.push(`${name} ${when}`);
        }
      }
      // The frame's own methods keep working.
      assert.ok((await frame.detect({ maxNum: 1 })).length === 1);
      return out;
    });
    assert.equal(seen.length, calls.length * 2);
    // Outside the callback the same calls run.
    assert.ok(Array.isArray(await app.detectFaces(image, { maxNum: 1 })));
  });

  it('runs a call the callback scheduled that starts after its frame ended', async () => {
    // A timer or an unawaited promise made inside the callback keeps its async context after the frame ends: the
    // frame's scope closes when the callback settles, so the call is no longer inside it and runs in its turn.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    let later: Promise<Face[]> | undefined;
    let timed: Promise<Face[]> | undefined;
    const timer = new Promise<void>((resolve) => { gate.then(() => setTimeout(resolve, 0)); });
    await app.withFrame(image, async (frame) => {
      later = gate.then(() => app.detectFaces(image, { maxNum: 1 }));
      timed = timer.then(() => app.get(image, { maxNum: 1 }));
      return frame.detect({ maxNum: 1 });
    });
    open();
    assert.equal((await later!).length, 1);
    assert.equal((await timed!).length, 1);
  });

  it('runs only the chosen heads', async () => {
    const faces = await app.detectFaces(image);
    assert.ok(faces.length > 0 && faces.every((f) => f.embedding === undefined && f.landmark_2d_106 === undefined));
    await app.annotate(image, faces, { models: ['landmark_2d_106'] });
    assert.ok(faces.every((f) => f.landmark_2d_106 !== undefined && f.embedding === undefined && f.gender === undefined));
  });

  it('refuses keypoints that are not the flat ten numbers, as a face parsed from JSON holds them', async () => {
    const [face] = await app.detectFaces(image, { maxNum: 1 });
    // JSON writes kps as five [x, y] pairs; Face.fromJSON flattens them, a plain parsed object keeps the pairs.
    const parsed = JSON.parse(JSON.stringify(face)) as { bbox: number[]; kps: number[][] };
    assert.equal(parsed.kps.length, 5);
    await assert.rejects(app.annotate(image, [parsed as never], { models: ['recognition'] }), (e) => e instanceof PipelineOptionError && /kps has 5 values; annotate needs the five keypoints/.test(e.message));
    await assert.rejects(app.withFrame(image, (frame) => frame.annotate([{ bbox: parsed.bbox, kps: [1, 2, 3] } as never])), /kps has 3 values/);
    await assert.rejects(app.annotate(image, [{ bbox: parsed.bbox, kps: [...parsed.kps.flat().slice(0, 9), Number.NaN] } as never]), /kps\[9\] is NaN/);
    // The flat form annotates as the detector's face does.
    const flat = { bbox: parsed.bbox, kps: parsed.kps.flat() };
    await app.annotate(image, [flat as never, face!], { models: ['recognition'] });
    assert.deepEqual(Array.from((flat as { embedding?: Float32Array }).embedding!), Array.from(face!.embedding!));
  });

  it('refuses an unknown head, bad max_num and a frame used after its callback', async () => {
    await assert.rejects(app.annotate(image, [], { models: ['landmark_3d_68'] }), (e) => e instanceof PipelineOptionError && /no landmark_3d_68 model/.test(e.message));
    await assert.rejects(app.detectFaces(image, { maxNum: -1 }), PipelineOptionError);
    let kept: AnalysisFrame | undefined;
    await app.withFrame(image, async (frame) => { kept = frame; });
    await assert.rejects(kept!.detect(), (e) => e instanceof PipelineOptionError && /after withFrame/.test(e.message));
    // The queue goes on after a failed call.
    assert.ok((await app.detectFaces(image)).length > 0);
  });
});
