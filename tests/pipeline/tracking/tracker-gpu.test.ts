/**
 * FaceTracker over a FaceAnalysis on WebGPU (SwiftShader): its frames now run through the analysis's own GPU
 * pre-processing (FaceAnalysis.withFrame: one upload per frame, crops and letterbox on the GPU). The reference is the
 * same models driven the way the tracker drove them before, a detector plus heads over the CPU pre-processing
 * (OpenCV's arithmetic). The GPU pre-processing is bit-identical to the CPU one and both feed the same compiled
 * sessions with the same batch sizes, so every output must be equal, not merely close.
 * Small on purpose (160×120 frames, detection at 160, the tiny landmark and attribute heads): SwiftShader is slow.
 * Fails (does not skip) when no WebGPU device can be created: CI has SwiftShader.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis, FaceTracker, type BgrImage, type TrackedFace } from '../../../src/pipeline/index.js';
import { composeFrame, facePatch, loadT1 } from '../../../bench/node/tracker-scenes.js';
import { sharedPath, SHARED } from '../helpers.js';

// Dawn finds SwiftShader (a CPU Vulkan driver) through this ICD when no GPU exists.
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const files = (...names: string[]) => ({ files: Object.fromEntries(names.map((n) => [`${n}.onnx`, readFileSync(sharedPath('models', `${n}.onnx`))])) });

/** Every field the tracker returns, as plain numbers, so deepEqual compares values bit for bit. */
function plain(faces: readonly TrackedFace[]): unknown[] {
  const list = (a: ArrayLike<number> | undefined): number[] | undefined => (a ? Array.from(a) : undefined);
  return faces.map((f) => ({
    trackId: f.trackId, source: f.source, recognized: f.recognized, bbox: list(f.bbox), kps: list(f.kps), score: f.det_score,
    landmarks: list(f.landmark_2d_106), gender: f.gender, age: f.age,
  }));
}

describe('FaceTracker on WebGPU through the analysis pre-processing', () => {
  let app: FaceAnalysis;
  let frames: BgrImage[];
  before(async () => {
    app = await FaceAnalysis.create({ models: files('scrfd_2.5g_bnkps', 'tiny_2d106', 'tiny_genderage'), backend: 'webgpu', sessionOptions: { webgpu: { allowSoftwareAdapter: true } } });
    app.prepare({ detSize: [160, 160] });
    const t1 = await loadT1(SHARED);
    const face = facePatch(t1.image, t1.faces[0]!, 0.35, 0.45).patch;
    // One face drifting right: frame 0 detects, frame 1 carries by landmarks, frame 2 detects again.
    frames = [0, 1, 2].map((k) => composeFrame(160, 120, [{ patch: face, x: 30 + 6 * k, y: 20 }]));
  });
  after(async () => app?.release());

  it('gives the same tracks as the detector and heads over the CPU pre-processing', { timeout: 10 * 60_000 }, async () => {
    assert.equal(app.models.get('detection')!.session.backendName, 'webgpu');
    const options = { detectEvery: 2, smoothing: false as const };
    const viaAnalysis = new FaceTracker(app, options);
    const viaCpuPre = new FaceTracker({ detector: app.detector, heads: app.faceModels }, options);
    for (const [k, frame] of frames.entries()) {
      const gpu = await viaAnalysis.track(frame);
      const cpu = await viaCpuPre.track(frame);
      assert.equal(gpu.length, 1, `frame ${k}: one face tracked`);
      assert.ok(gpu[0]!.landmark_2d_106 && gpu[0]!.gender !== undefined, `frame ${k}: the heads ran`);
      assert.deepEqual(plain(gpu), plain(cpu), `frame ${k}`);
    }
    assert.equal(viaAnalysis.stats.detectorRuns, 2);
    assert.equal(viaAnalysis.stats.landmarkRuns, viaCpuPre.stats.landmarkRuns);
  });
});
