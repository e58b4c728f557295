import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBgrImage, FaceIndex, FaceTracker, PipelineOptionError, type BgrImage, type FaceTrackerOptions, type StageTiming, type TrackedFace } from '../../../src/pipeline/index.js';
import { boxAt, overlap, ScriptedDetector, ScriptedLandmarks, ScriptedRecognizer, type Box } from './scripted-detector.js';

/** Runs a scripted sequence (per frame, the true boxes by true track name) and returns the tracker's output per frame. */
async function run(frames: readonly (readonly [string, Box][])[], options: FaceTrackerOptions = {}, tracker?: FaceTracker, detector = new ScriptedDetector()) {
  const t = tracker ?? new FaceTracker({ detector }, { smoothing: false, ...options });
  const out: { truth: readonly [string, Box][]; faces: TrackedFace[]; ended: readonly TrackedFace[] }[] = [];
  const images = frames.map((f) => detector.frame(f.map(([, b]) => b)));
  for (let i = 0; i < frames.length; i++) {
    const faces = await t.track(images[i]!);
    out.push({ truth: frames[i]!, faces, ended: t.ended() });
  }
  return { out, tracker: t, detector };
}

/** For each true track, the set of tracker ids it was given (the returned box of best IoU, at least 0.5). */
function idsPerTruth(out: Awaited<ReturnType<typeof run>>['out']): Map<string, Set<number>> {
  const ids = new Map<string, Set<number>>();
  for (const { truth, faces } of out) {
    for (const [name, box] of truth) {
      const match = faces.reduce<TrackedFace | undefined>((best, f) => (overlap(f.bbox, box) > (best ? overlap(best.bbox, box) : 0.5) ? f : best), undefined);
      assert.ok(match, `true track ${name} has no tracked face`);
      if (!ids.has(name)) ids.set(name, new Set());
      ids.get(name)!.add(match.trackId);
    }
  }
  return ids;
}

describe('FaceTracker on scripted detections', () => {
  it('keeps the ids of two crossing faces (constant-velocity prediction)', async () => {
    // A moves right and B left at 15 px/frame, 10 px apart in y, so their boxes overlap almost fully mid-way.
    const frames = Array.from({ length: 21 }, (_, k) => [['A', boxAt(15 * k, 100)], ['B', boxAt(300 - 15 * k, 110)]] as [string, Box][]);
    const { out } = await run(frames);
    const ids = idsPerTruth(out);
    assert.deepEqual([...ids.get('A')!], [1]);
    assert.deepEqual([...ids.get('B')!], [2]);
  });

  it('keeps a track through a detector miss of two frames', async () => {
    const frames = Array.from({ length: 10 }, (_, k) => (k === 4 || k === 5 ? [] : [['A', boxAt(10 * k, 50)]]) as [string, Box][]);
    const { out, tracker } = await run(frames, { maxLost: 2, includeLost: true });
    assert.deepEqual([...idsPerTruth(out).get('A')!], [1]);
    assert.deepEqual(out.map((f) => f.faces.map((x) => x.lostFrames)), [[0], [0], [0], [0], [1], [2], [0], [0], [0], [0]]);
    assert.equal(out[4]!.faces[0]!.source, 'predicted');
    // The prediction continues the motion: 10 px/frame from the last seen box (frame 3) to frame 4.
    assert.deepEqual(Array.from(out[4]!.faces[0]!.bbox), [40, 50, 120, 130]);
    assert.ok(out.every((f) => f.ended.length === 0));
    assert.equal(tracker.stats.tracksStarted, 1);
  });

  it('ends a track lost for more than maxLost frames and gives a re-entering face without an embedding a new id', async () => {
    const frames = Array.from({ length: 16 }, (_, k) => (k >= 5 && k < 13 ? [] : [['A', boxAt(k < 5 ? 5 * k : 300, 50)]]) as [string, Box][]);
    const { out, tracker } = await run(frames, { maxLost: 3 });
    const endedAt = out.findIndex((f) => f.ended.length > 0);
    // Last seen at frame 4; lost 4 frames (> maxLost 3) at frame 8.
    assert.equal(endedAt, 8);
    assert.equal(out[8]!.ended[0]!.trackId, 1);
    assert.deepEqual(out.slice(13).map((f) => f.faces.map((x) => x.trackId)), [[2], [2], [2]]);
    assert.deepEqual({ started: tracker.stats.tracksStarted, ended: tracker.stats.tracksEnded, visible: tracker.stats.visible }, { started: 2, ended: 1, visible: 1 });
  });

  it('restarts the smoothing of a lost track that its embedding brings back elsewhere (no blend across the gap)', async () => {
    const detector = new ScriptedDetector();
    const tracker = new FaceTracker({ detector, heads: [new ScriptedRecognizer()] });
    const boxes: Box[][] = [[boxAt(0, 0)], [boxAt(2, 0)], [boxAt(4, 0)], [], [], [boxAt(400, 300)], [boxAt(400, 300)]];
    const out: TrackedFace[][] = [];
    for (const frame of boxes) out.push(await tracker.track(detector.frame(frame)));
    assert.equal(tracker.stats.reidentified, 1);
    assert.deepEqual(out.slice(5).map((f) => f.map((x) => x.trackId)), [[1], [1]]);
    // The first sample after the restart passes the filter unchanged (before: [392, 292, 472, 372], 8 px short).
    assert.deepEqual(Array.from(out[5]![0]!.bbox), [400, 300, 480, 380]);
    assert.deepEqual(Array.from(out[6]![0]!.bbox), [400, 300, 480, 380]);
  });

  it('runs the detector every K frames and carries the boxes with the motion in between', async () => {
    const frames = Array.from({ length: 12 }, (_, k) => [['A', boxAt(20 + 6 * k, 30 + 3 * k)]] as [string, Box][]);
    const { out, detector } = await run(frames, { detectEvery: 3, carryBy: 'kps' });
    assert.equal(detector.calls, 4); // frames 0, 3, 6, 9
    assert.deepEqual(out.map((f) => f.faces[0]!.source), frames.map((_, k) => (k % 3 === 0 ? 'detected' : 'carried')));
    // From the second detection on, the velocity is exact, so carried boxes sit on the true ones (float32 rounding: 1e-3 px).
    for (let k = 4; k < frames.length; k++) {
      const got = out[k]!.faces[0]!.bbox, want = frames[k]![0]![1];
      for (let c = 0; c < 4; c++) assert.ok(Math.abs(got[c]! - want[c]!) < 1e-3, `frame ${k} coord ${c}: ${got[c]} vs ${want[c]}`);
    }
    assert.ok(out.every((f) => f.faces[0]!.trackId === 1));
  });

  it('runs the detector on a frame whose size differs from the last one, even between detector frames', async () => {
    const detector = new ScriptedDetector();
    const tracker = new FaceTracker({ detector }, { smoothing: false, detectEvery: 5, carryBy: 'kps' });
    await tracker.track(detector.frame([boxAt(10, 10)]));
    // Frame 1 is not a detector frame by the schedule, but it is twice the size: the old box is in the old coordinates.
    const faces = await tracker.track(detector.frame([boxAt(100, 100)], 0, 16));
    assert.equal(detector.calls, 2);
    assert.deepEqual(faces.map((f) => [f.source, Array.from(f.bbox)]), [['detected', [100, 100, 180, 180]]]);
    // The same size again follows the schedule.
    await tracker.track(detector.frame([boxAt(100, 100)], 0, 16));
    assert.equal(detector.calls, 2);
  });

  it('restarts the motion and the smoothing of every track on a frame of another size (its boxes are in new coordinates)', async () => {
    // A still face; the stream then switches to a 1.25× larger frame, where the same face's box is 1.25× larger. Its
    // box still overlaps the old one (IoU 0.64), so the track keeps its id, but the old box is in old coordinates:
    // neither its motion nor its smoothing may carry over, or the boxes returned after the switch lag behind the face.
    const detector = new ScriptedDetector();
    const tracker = new FaceTracker({ detector });
    for (let k = 0; k < 4; k++) await tracker.track(detector.frame([[0, 0, 200, 200]], 0, 8), { timestamp: k * 33 });
    const after: number[][] = [];
    for (let k = 4; k < 8; k++) {
      const faces = await tracker.track(detector.frame([[0, 0, 250, 250]], 0, 10), { timestamp: k * 33 });
      assert.deepEqual(faces.map((f) => f.trackId), [1]);
      after.push(Array.from(faces[0]!.bbox));
    }
    assert.deepEqual(after, [[0, 0, 250, 250], [0, 0, 250, 250], [0, 0, 250, 250], [0, 0, 250, 250]]);
  });

  it('tracks each frame as its buffer was at the call, though the caller refills it for the next frame at once', async () => {
    // A decoder that reuses one buffer: the frame's first byte says where its face is (a detector reading the pixels).
    const reading = { detect: async (image: BgrImage) => ({ bboxes: [Float32Array.from([...boxAt(image.data[0]! * 10, 0), 0.9])], kpss: null }) };
    const tracker = new FaceTracker({ detector: reading }, { smoothing: false });
    const buffer = createBgrImage(8, 8);
    const calls: Promise<TrackedFace[]>[] = [];
    for (const x of [1, 2, 3]) {
      buffer.data[0] = x;
      calls.push(tracker.track(buffer));
    }
    const frames = await Promise.all(calls);
    assert.deepEqual(frames.map((faces) => faces.map((f) => f.bbox[0])), [[10], [20], [30]]);
  });

  it('leaves the state of a reset alone when a track() started before it finishes after it', async () => {
    const detector = new ScriptedDetector();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let entered!: () => void;
    const inDetect = new Promise<void>((resolve) => { entered = resolve; });
    const gated = { detect: async (image: Parameters<ScriptedDetector['detect']>[0]) => { entered(); await gate; return detector.detect(image); } };
    const tracker = new FaceTracker({ detector: gated }, { smoothing: false });
    const inFlight = tracker.track(detector.frame([boxAt(10, 10)]));
    await inDetect;
    tracker.reset();
    release();
    const old = await inFlight;
    assert.deepEqual(old.map((f) => f.trackId), [1]);
    assert.deepEqual({ visible: tracker.stats.visible, started: tracker.stats.tracksStarted, frames: tracker.stats.frames }, { visible: 0, started: 0, frames: 0 });
    const fresh = await tracker.track(detector.frame([boxAt(200, 200)]));
    assert.deepEqual(fresh.map((f) => [f.trackId, f.trackAge]), [[1, 0]]);
    assert.equal(tracker.stats.tracksStarted, 1);
  });

  it('carries the boxes by the landmarks between detector frames, through an acceleration the motion misses', async () => {
    // x = 20 + 2k²: accelerating, so a constant-velocity prediction lags while the landmarks follow the face.
    const frames = Array.from({ length: 12 }, (_, k) => [['A', boxAt(20 + 2 * k * k, 40)]] as [string, Box][]);
    const detector = new ScriptedDetector();
    const byLandmarks = new FaceTracker({ detector, heads: [new ScriptedLandmarks(detector)] }, { smoothing: false, detectEvery: 4 });
    const a = await run(frames, {}, byLandmarks, detector);
    const byMotion = await run(frames, { detectEvery: 4, carryBy: 'kps' });
    for (let k = 1; k < frames.length; k++) {
      const want = frames[k]![0]![1];
      const got = a.out[k]!.faces[0]!;
      assert.equal(got.source, k % 4 === 0 ? 'detected' : 'carried');
      for (let c = 0; c < 4; c++) assert.ok(Math.abs(got.bbox[c]! - want[c]!) < 1e-3, `frame ${k} coord ${c}: ${got.bbox[c]} vs ${want[c]}`);
      assert.equal(got.landmark_2d_106?.length, 212);
    }
    // The motion alone lags: at frame 5 it predicts 52 + 8 = 60 px (the velocity of frames 0→4) where the face is at 70.
    assert.ok(Math.abs(byMotion.out[5]!.faces[0]!.bbox[0]! - frames[5]![0]![1][0]) >= 8);
    assert.equal(detector.calls, 3);
  });

  it('reports each frame\'s stage times when asked', async () => {
    const detector = new ScriptedDetector();
    const tracker = new FaceTracker({ detector, heads: [new ScriptedLandmarks(detector)] }, { smoothing: false, detectEvery: 2 });
    const stages: string[][] = [];
    for (let k = 0; k < 3; k++) {
      const timings: StageTiming[] = [];
      await tracker.track(detector.frame([boxAt(20 + 5 * k, 40)]), { timings });
      assert.ok(timings.every((t) => t.ms >= 0), JSON.stringify(timings));
      stages.push(timings.map((t) => t.stage));
    }
    // Frame 1 is carried: the landmark head runs on the predicted box, then on the shown face it is not carrying.
    assert.deepEqual(stages, [
      ['tracker.detect', 'tracker.landmarks', 'tracker.rest'],
      ['tracker.landmarks', 'tracker.rest'],
      ['tracker.detect', 'tracker.landmarks', 'tracker.rest'],
    ]);
  });

  it('is deterministic: the same frames give the same output, and reset starts over', async () => {
    const frames = Array.from({ length: 18 }, (_, k) => {
      const f: [string, Box][] = [['A', boxAt(12 * k, 60)], ['B', boxAt(220 - 12 * k, 64)]];
      if (k % 5 !== 2) f.push(['C', boxAt(400, 20 + 2 * k, 60)]);
      return f;
    });
    const a = await run(frames, { smoothing: { minCutoff: 1, beta: 0.05, dCutoff: 1 } });
    const b = await run(frames, { smoothing: { minCutoff: 1, beta: 0.05, dCutoff: 1 } });
    const json = (r: typeof a): string => JSON.stringify(r.out.map((f) => f.faces));
    assert.equal(json(a), json(b));
    a.tracker.reset();
    assert.equal(a.tracker.stats.frames, 0);
    const c = await run(frames, {}, a.tracker, a.detector);
    assert.equal(json(c), json(a));
  });

  it('smooths a jittering still face with the one-euro filter', async () => {
    // ±3 px of deterministic jitter around a still box; smoothing must shrink its spread, the raw run keeps it.
    const jitter = (k: number): number => [3, -2, 1, -3, 2, 0, -1, 3, -3, 2][k % 10]!;
    const frames = Array.from({ length: 30 }, (_, k) => [['A', boxAt(100 + jitter(k), 100 - jitter(k + 3))]] as [string, Box][]);
    const spread = (r: Awaited<ReturnType<typeof run>>): number => {
      const xs = r.out.slice(10).map((f) => f.faces[0]!.bbox[0]!);
      return Math.max(...xs) - Math.min(...xs);
    };
    const raw = await run(frames);
    const smooth = await run(frames, { smoothing: { minCutoff: 1, beta: 0.05, dCutoff: 1 } });
    assert.equal(spread(raw), 6);
    assert.ok(spread(smooth) < 3, `smoothed spread ${spread(smooth)} px, raw 6 px`);
    assert.deepEqual(Array.from(smooth.out[0]!.faces[0]!.bbox), Array.from(raw.out[0]!.faces[0]!.bbox)); // the first sample passes unchanged
  });

  it('writes the track fields first and then the golden fields', async () => {
    const { out } = await run([[['A', boxAt(0, 0)]]]);
    const record = JSON.parse(JSON.stringify(out[0]!.faces[0]));
    assert.deepEqual(Object.keys(record), ['trackId', 'trackAge', 'lostFrames', 'bbox', 'kps', 'det_score']);
  });

  it('refuses bad options and timestamps with PipelineOptionError', async () => {
    const detector = new ScriptedDetector();
    assert.throws(() => new FaceTracker({ detector }, { recognizeEvery: 0 }), PipelineOptionError);
    assert.throws(() => new FaceTracker({ detector }, { iouThreshold: 2 }), PipelineOptionError);
    assert.throws(() => new FaceTracker({ detector }, { smoothing: { minCutoff: 0, beta: 0, dCutoff: 1 } }), PipelineOptionError);
    assert.throws(() => new FaceTracker({ detector }, { carryBy: 'landmark_2d_106' }), /no landmark_2d_106 model/);
    await assert.rejects(new FaceTracker({ detector }).track(detector.frame([]), { timestamp: Number.NaN }), PipelineOptionError);
  });

  it('refuses a bad source, option values of the wrong type and a bad per-frame options bag before any model runs', async () => {
    const detector = new ScriptedDetector();
    assert.throws(() => new FaceTracker({} as never), /option detector: FaceTracker needs a detector/);
    assert.throws(() => new FaceTracker({ detector, heads: 'landmark_2d_106' as never }), /option heads/);
    // A hole or a plain object among the heads (both were TypeErrors: reading taskname of null, startsWith of undefined).
    assert.throws(() => new FaceTracker({ detector, heads: [null] as never }), (e: unknown) => e instanceof PipelineOptionError && /heads\[0\] is null/.test(e.message));
    assert.throws(() => new FaceTracker({ detector, heads: [new ScriptedLandmarks(detector), {}] as never }), (e: unknown) => e instanceof PipelineOptionError && /heads\[1\]/.test(e.message));
    assert.throws(() => new FaceTracker({ detector, heads: [{ taskname: 'recognition' }] as never }), PipelineOptionError);
    assert.throws(() => new FaceTracker({ detector }, { index: {} as never }), /option index: takes a FaceIndex/);
    // An index without a recognizer could never name a track.
    assert.throws(() => new FaceTracker({ detector }, { index: new FaceIndex() }), /option index: names tracks by their embeddings, but there is no recognition model/);
    assert.throws(() => new FaceTracker({ detector }, { includeLost: 'no' as never }), /option includeLost/);
    assert.throws(() => new FaceTracker({ detector }, { fps: Number.POSITIVE_INFINITY }), /option fps/);
    const tracker = new FaceTracker({ detector });
    const frame = detector.frame([boxAt(10, 10)]);
    for (const options of [null, 5, 'x']) await assert.rejects(tracker.track(frame, options as never), /option options: track takes an options object/);
    await assert.rejects(tracker.track(frame, { timings: {} as never }), /option timings/);
    await assert.rejects(tracker.track(frame, { timestamp: '5' as never }), /option timestamp/);
    // None of them ran the detector or counted a frame; a good call still starts at trackId 1.
    assert.equal(tracker.stats.frames, 0);
    assert.equal(detector.calls, 0);
    assert.deepEqual((await tracker.track(frame)).map((f) => f.trackId), [1]);
  });
});
