/**
 * FaceTrackerOptions.landmarksEvery on scripted sequences: which landmark heads run on which frame (read from the
 * tracker's own per-head counts, stage timings and TrackedFace.landmarkAge), and that on frames where recognition
 * runs the faces equal those of the every-frame setting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaceTracker, PipelineOptionError, type FaceTrackerOptions, type StageTiming, type TrackedFace } from '../../../src/pipeline/index.js';
import { boxAt, ScriptedAttributes, ScriptedDetector, ScriptedLandmarks, ScriptedLandmarks3d, type Box } from './scripted-detector.js';

interface FrameRecord {
  readonly faces: TrackedFace[];
  /** Faces each landmark head ran on in this frame (the tracker's landmarkHeadRuns, differenced). */
  readonly runs: Record<string, number>;
  readonly stages: string[];
}

/** One face moving 2 px/frame right: a move of 8 px per 4 frames stays far below moveThreshold 0.3 of its 80 px side. */
const SLOW: Box[] = Array.from({ length: 12 }, (_, k) => boxAt(40 + 2 * k, 50));

async function trackAll(boxes: readonly Box[], options: FaceTrackerOptions, attributes = true): Promise<FrameRecord[]> {
  const detector = new ScriptedDetector();
  const heads = [new ScriptedLandmarks3d(detector), new ScriptedLandmarks(detector), ...(attributes ? [new ScriptedAttributes()] : [])];
  const tracker = new FaceTracker({ detector, heads }, { smoothing: false, recognizeEvery: 4, ...options });
  const out: FrameRecord[] = [];
  let seen: Readonly<Record<string, number>> = {};
  for (const box of boxes) {
    const timings: StageTiming[] = [];
    const faces = await tracker.track(detector.frame([box]), { timings });
    const now = tracker.stats.landmarkHeadRuns;
    out.push({ faces, runs: Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (seen[k] ?? 0)] as const).filter(([, d]) => d > 0)), stages: timings.map((t) => t.stage) });
    seen = now;
  }
  return out;
}

const due = (k: number): boolean => k % 4 === 0; // recognizeEvery 4, nothing else fires on SLOW

describe('FaceTracker landmarksEvery', () => {
  it("'frame' (the default) runs every landmark head on every frame", async () => {
    const out = await trackAll(SLOW, { detectEvery: 3 });
    assert.deepEqual(out.map((f) => f.runs), SLOW.map(() => ({ landmark_2d_106: 1, landmark_3d_68: 1 })));
    assert.ok(out.every((f) => f.faces[0]!.landmarkAge.landmark_3d_68 === 0 && f.faces[0]!.landmarkAge.landmark_2d_106 === 0));
  });

  it("'recognition' runs the carrier every frame and the other landmark heads only with recognition", async () => {
    const out = await trackAll(SLOW, { detectEvery: 3, landmarksEvery: 'recognition' });
    assert.deepEqual(out.map((f) => f.runs), SLOW.map((_, k) => (due(k) ? { landmark_2d_106: 1, landmark_3d_68: 1 } : { landmark_2d_106: 1 })));
    assert.deepEqual(out.map((f) => f.faces[0]!.recognized), SLOW.map((_, k) => due(k)));
    assert.deepEqual(out.map((f) => f.faces[0]!.landmarkAge), SLOW.map((_, k) => ({ landmark_3d_68: k % 4, landmark_2d_106: 0 })));
    // In between, the face keeps the last landmark_3d_68 and pose computed (the same arrays), not a fresh run.
    for (let k = 0; k < SLOW.length; k++) {
      const last = out[k - (k % 4)]!.faces[0]!;
      assert.equal(out[k]!.faces[0]!.landmark_3d_68, last.landmark_3d_68, `frame ${k}`);
      assert.equal(out[k]!.faces[0]!.pose, last.pose, `frame ${k}`);
    }
    // One landmark call per frame, two on due frames (the carrier, then the heads that go with recognition);
    // detector frames 0, 3, 6, 9; attributes with recognition (at frame 0 before the landmarks: a new track's
    // detection is recognised while it is matched).
    assert.deepEqual(out.map((f) => f.stages), SLOW.map((_, k) => k === 0 ? ['tracker.detect', 'tracker.identity', 'tracker.landmarks', 'tracker.landmarks', 'tracker.rest'] : [
      ...(k % 3 === 0 ? ['tracker.detect'] : []), 'tracker.landmarks', ...(due(k) ? ['tracker.landmarks', 'tracker.identity'] : []), 'tracker.rest',
    ]));
  });

  it('gives on recognition frames the faces of the every-frame setting, and the same boxes and carrier landmarks on every frame', async () => {
    const every = await trackAll(SLOW, { detectEvery: 3 });
    const cadenced = await trackAll(SLOW, { detectEvery: 3, landmarksEvery: 'recognition' });
    for (let k = 0; k < SLOW.length; k++) {
      const a = every[k]!.faces[0]!, b = cadenced[k]!.faces[0]!;
      assert.deepEqual(Array.from(b.bbox), Array.from(a.bbox), `frame ${k} bbox`);
      assert.deepEqual(Array.from(b.landmark_2d_106!), Array.from(a.landmark_2d_106!), `frame ${k} landmark_2d_106`);
      if (due(k)) assert.equal(JSON.stringify(b), JSON.stringify(a), `frame ${k}`);
    }
  });

  it('runs the other landmark heads at once on a new track and on a large move, without recognition heads too', async () => {
    // The face jumps 40 px (half its side, over moveThreshold 0.3) at frame 6; a second face appears at frame 2.
    const boxes = Array.from({ length: 8 }, (_, k) => boxAt(k >= 6 ? 100 : 60, 50));
    const detector = new ScriptedDetector();
    const tracker = new FaceTracker({ detector, heads: [new ScriptedLandmarks(detector), new ScriptedLandmarks3d(detector)] },
      { smoothing: false, recognizeEvery: 10, landmarksEvery: 'recognition' });
    const ages: Record<number, number | undefined>[] = [];
    for (let k = 0; k < boxes.length; k++) {
      const faces = await tracker.track(detector.frame(k >= 2 ? [boxes[k]!, boxAt(300, 50)] : [boxes[k]!]));
      ages.push(Object.fromEntries(faces.map((f) => [f.trackId, f.landmarkAge.landmark_3d_68])));
    }
    assert.deepEqual(ages, [{ 1: 0 }, { 1: 1 }, { 1: 2, 2: 0 }, { 1: 3, 2: 1 }, { 1: 4, 2: 2 }, { 1: 5, 2: 3 }, { 1: 0, 2: 4 }, { 1: 1, 2: 5 }]);
    assert.deepEqual(tracker.stats.landmarkHeadRuns, { landmark_2d_106: 14, landmark_3d_68: 3 });
  });

  it("with 'recognition', a track found again after a detector miss keeps the last values of the heads that wait for recognition", async () => {
    const detector = new ScriptedDetector();
    const tracker = new FaceTracker({ detector, heads: [new ScriptedLandmarks(detector), new ScriptedLandmarks3d(detector)] },
      { smoothing: false, recognizeEvery: 10, maxLost: 2, landmarksEvery: 'recognition' });
    const out: TrackedFace[][] = [];
    for (let k = 0; k < 7; k++) out.push(await tracker.track(detector.frame(k === 3 || k === 4 ? [] : [boxAt(60 + k, 50)])));
    assert.deepEqual(out.map((fs) => fs.map((f) => [f.trackId, f.landmarkAge.landmark_3d_68])), [[[1, 0]], [[1, 1]], [[1, 2]], [], [], [[1, 5]], [[1, 6]]]);
    assert.equal(out[5]![0]!.landmark_3d_68, out[0]![0]!.landmark_3d_68);
  });

  it("with 'recognition' and the 2d106 carrier, the turn bound reads the detector's keypoints", async () => {
    // The head rolls 30° (over turnThreshold 20) from frame 5 on; the detector runs on even frames, so the turn is
    // seen at frame 6 and landmark_3d_68 runs there with recognition.
    const detector = new ScriptedDetector();
    const tracker = new FaceTracker({ detector, heads: [new ScriptedLandmarks(detector), new ScriptedLandmarks3d(detector), new ScriptedAttributes()] },
      { smoothing: false, recognizeEvery: 10, turnThreshold: 20, detectEvery: 2, landmarksEvery: 'recognition' });
    const out: TrackedFace[] = [];
    for (let k = 0; k < 8; k++) out.push((await tracker.track(detector.frame([boxAt(60, 50)], k >= 5 ? 30 : 0)))[0]!);
    assert.deepEqual(out.map((f) => f.recognized), [true, false, false, false, false, false, true, false]);
    assert.deepEqual(out.map((f) => f.landmarkAge.landmark_3d_68), [0, 1, 2, 3, 4, 5, 0, 1]);
  });

  it("with carryBy 'kps' and 'recognition', no landmark head runs between recognitions", async () => {
    const out = await trackAll(SLOW.slice(0, 6), { detectEvery: 2, carryBy: 'kps', landmarksEvery: 'recognition' }, false);
    assert.deepEqual(out.map((f) => f.runs), SLOW.slice(0, 6).map((_, k) => (due(k) ? { landmark_2d_106: 1, landmark_3d_68: 1 } : {})));
  });

  it('refuses an unknown landmarksEvery with PipelineOptionError', () => {
    const detector = new ScriptedDetector();
    assert.throws(() => new FaceTracker({ detector }, { landmarksEvery: 'sometimes' as never }), PipelineOptionError);
  });
});
