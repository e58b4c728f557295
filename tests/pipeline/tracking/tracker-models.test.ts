/**
 * The tracker with the test bed's real SCRFD-2.5G and mobilefacenet on frames composed from t1.jpg's faces: a face
 * that leaves and comes back is re-identified through a FaceIndex on the real embeddings, and recognition re-runs
 * only on its schedule; with all of pack A, landmarksEvery 'recognition' gives the every-frame faces on recognition
 * frames; and the tracker's NMS is the detector's prepared nms_thresh. Kept to ten small frames (320×240,
 * detection at 160) and one photo so it takes seconds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis, FaceIndex, FaceTracker, type BgrImage, type TrackedFace } from '../../../src/pipeline/index.js';
import { composeFrame, facePatch, loadT1 } from '../../../bench/node/tracker-scenes.js';
import { sharedPath, SHARED } from '../helpers.js';

const files = (...names: string[]) => ({ files: Object.fromEntries(names.map((n) => [`${n}.onnx`, readFileSync(sharedPath('models', `${n}.onnx`))])) });

describe('FaceTracker with the real detector and recognizer', () => {
  let app: FaceAnalysis;
  let frames: BgrImage[];
  let enrol: BgrImage;
  before(async () => {
    app = await FaceAnalysis.create({ models: files('scrfd_2.5g_bnkps', 'mobilefacenet'), backend: 'cpu' });
    app.prepare({ detSize: [160, 160] });
    const t1 = await loadT1(SHARED);
    // Two different people (golden faces 0 and 2), crops at 0.7× so both fit a 320×240 frame.
    const p = facePatch(t1.image, t1.faces[0]!, 0.35, 0.7).patch;
    const q = facePatch(t1.image, t1.faces[2]!, 0.35, 0.7).patch;
    enrol = composeFrame(320, 240, [{ patch: p, x: 10, y: 40 }, { patch: q, x: 170, y: 40 }]);
    // Frames 0–2 both; 3–7 only q (p has left; q jumps 30 px right at frame 6, still matched by IoU); 8–9 p is back, elsewhere.
    frames = Array.from({ length: 10 }, (_, k) => {
      const patches = [{ patch: q, x: k >= 6 ? 180 : 150, y: 60 }];
      if (k <= 2) patches.push({ patch: p, x: 10, y: 50 });
      if (k >= 8) patches.push({ patch: p, x: 20, y: 20 });
      return composeFrame(320, 240, patches);
    });
  });
  after(async () => app?.release());

  it('re-identifies a face that left and came back, and re-runs recognition only when due', async () => {
    const index = new FaceIndex();
    const people = (await app.get(enrol)).sort((a, b) => a.bbox[0]! - b.bbox[0]!);
    assert.equal(people.length, 2);
    index.add('p', people[0]!);
    index.add('q', people[1]!);
    // maxLost 2: p, last seen at frame 2, ends at frame 5; moveThreshold 0.3 of the box side (the jump is ~0.4).
    const tracker = new FaceTracker(app, { index, maxLost: 2, recognizeEvery: 4, moveThreshold: 0.3, smoothing: false });
    const out: TrackedFace[][] = [];
    const ended: number[][] = [];
    for (const frame of frames) {
      out.push(await tracker.track(frame));
      ended.push(tracker.ended().map((t) => t.trackId));
    }
    const byName = (k: number, name: string): TrackedFace | undefined => out[k]!.find((f) => f.identity?.id === name);
    // Every face is named (cosine of pixel-identical crops at other positions is well above the 0.4 threshold).
    assert.deepEqual(out.map((fs) => fs.map((f) => f.identity?.id).sort()), frames.map((_, k) => (k <= 2 || k >= 8 ? ['p', 'q'] : ['q'])));
    const pId = byName(0, 'p')!.trackId, qId = byName(0, 'q')!.trackId;
    assert.notEqual(pId, qId);
    assert.ok(out.every((fs, k) => byName(k, 'q')!.trackId === qId), 'q keeps its id throughout');
    assert.deepEqual(ended, [[], [], [], [], [], [pId], [], [], [], []]);
    assert.equal(byName(8, 'p')!.trackId, pId, 'p comes back under its old id');
    assert.equal(tracker.stats.reidentified, 1);
    // q is recognised at 0, at 4 (every 4 frames), at 6 (the jump) and not again before 10.
    assert.deepEqual(out.map((fs, k) => byName(k, 'q')!.recognized), [true, false, false, false, true, false, true, false, false, false]);
    // Between runs the embedding is the last one computed, carried unchanged.
    assert.equal(byName(5, 'q')!.embedding, byName(4, 'q')!.embedding);
    assert.equal(tracker.stats.detectorRuns, 10);
  });

  it("with all of pack A, landmarksEvery 'recognition' gives the every-frame faces on recognition frames", async () => {
    const pack = await FaceAnalysis.create({ models: files('scrfd_2.5g_bnkps', 'mobilefacenet', 'tiny_2d106', 'tiny_3d68', 'tiny_genderage'), backend: 'cpu' });
    try {
      pack.prepare({ detSize: [160, 160] });
      // The turn bound is off (turnBetween is at most 180): 'frame' turns by the 3-D pose of every frame and
      // 'recognition' by the keypoints, so with it on the two schedules may differ and the frames with them.
      const options = { recognizeEvery: 4, detectEvery: 2, turnThreshold: 180, smoothing: false } as const;
      const every = new FaceTracker(pack, options);
      const cadenced = new FaceTracker(pack, { ...options, landmarksEvery: 'recognition' });
      let compared = 0;
      for (const [k, frame] of frames.entries()) {
        const a = await every.track(frame), b = await cadenced.track(frame);
        assert.deepEqual(b.map((f) => f.trackId), a.map((f) => f.trackId), `frame ${k}`);
        a.forEach((fa, i) => {
          const fb = b[i]!;
          // The carrier (landmark_2d_106) runs on every frame in both: the same boxes and 2-D landmarks, exactly.
          assert.deepEqual(Array.from(fb.bbox), Array.from(fa.bbox), `frame ${k} track ${fa.trackId} bbox`);
          assert.deepEqual(Array.from(fb.landmark_2d_106!), Array.from(fa.landmark_2d_106!), `frame ${k} track ${fa.trackId} landmark_2d_106`);
          assert.equal(fb.recognized, fa.recognized, `frame ${k} track ${fa.trackId} recognized`);
          assert.equal(fb.landmarkAge.landmark_3d_68 === 0, fb.recognized, `frame ${k} track ${fa.trackId}: landmark_3d_68 runs with recognition`);
          if (fa.recognized) { assert.equal(JSON.stringify(fb), JSON.stringify(fa), `frame ${k} track ${fa.trackId}`); compared++; }
        });
      }
      assert.ok(compared >= 4, `${compared} recognition frames compared`);
      assert.ok(cadenced.stats.landmarkHeadRuns.landmark_3d_68! < every.stats.landmarkHeadRuns.landmark_3d_68!);
      assert.equal(cadenced.stats.landmarkHeadRuns.landmark_2d_106, every.stats.landmarkHeadRuns.landmark_2d_106);
    } finally {
      await pack.release();
    }
  });

  it("runs NMS at the detector's prepared nms_thresh, as FaceAnalysis.get does", async () => {
    const detectOnly = await FaceAnalysis.create({ models: files('scrfd_2.5g_bnkps'), backend: 'cpu' });
    try {
      // A low score threshold leaves many overlapping candidates, so the NMS threshold decides the count.
      detectOnly.prepare({ detSize: [320, 320], detThresh: 0.02 });
      const t1 = sharedPath('images', 't1.jpg');
      const countAt = async (nmsThresh: number): Promise<number> => {
        detectOnly.detector.prepare({ nmsThresh });
        const tracked = await new FaceTracker(detectOnly, { smoothing: false }).track(t1);
        assert.equal(tracked.length, (await detectOnly.get(t1)).length, `nms_thresh ${nmsThresh}`);
        return tracked.length;
      };
      const standard = await countAt(0.4), loose = await countAt(0.9);
      assert.ok(loose > standard, `nms_thresh 0.9 kept ${loose} tracks, 0.4 kept ${standard}`);
    } finally {
      await detectOnly.release();
    }
  });
});
