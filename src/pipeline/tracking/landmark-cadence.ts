import type { Face } from '../face.js';
import type { FaceModel } from '../face-model.js';
import { copyHeadFields, partition } from './face-fields.js';
import type { FrameModels } from './frame-models.js';
import type { Track } from './track.js';
import type { LandmarkCadence } from './tracker-options.js';

/** A tracker's landmark heads split by when they run (FaceTrackerOptions.landmarksEvery). @internal */
export interface LandmarkPlan {
  /** On every shown face of every frame (the carrier not again on the faces it carried). */
  readonly everyFrame: readonly FaceModel[];
  /** With recognition and attributes, on the faces that are due. */
  readonly withRecognition: readonly FaceModel[];
}

/** 'frame': every head every frame; 'recognition': the carrier every frame (when there is one), the rest with recognition. @internal */
export function planLandmarks(heads: readonly FaceModel[], carrier: FaceModel | undefined, cadence: LandmarkCadence): LandmarkPlan {
  if (cadence === 'frame') return { everyFrame: heads, withRecognition: [] };
  return { everyFrame: carrier ? [carrier] : [], withRecognition: heads.filter((h) => h !== carrier) };
}

/** Counts one run of `heads` on `faces` faces. @internal */
export type CountLandmarks = (heads: readonly FaceModel[], faces: number) => void;

/**
 * The every-frame heads on the shown faces, the carrier left out on the faces it already ran on while carrying them:
 * one call when every face takes the same heads, so one submit on WebGPU. @internal
 */
export async function runEveryFrameHeads(models: FrameModels, heads: readonly FaceModel[], carrier: FaceModel | undefined, faces: readonly Face[], carried: ReadonlySet<Face>, count: CountLandmarks): Promise<void> {
  const [partial, whole] = partition(heads, (h) => h === carrier && faces.some((f) => carried.has(f)));
  for (const [run, on] of [[whole, faces], ...partial.map((h) => [[h], faces.filter((f) => !carried.has(f))] as const)] as const) {
    if (run.length === 0 || on.length === 0) continue;
    await models.annotate(run, on);
    count(run, on.length);
  }
}

/** The heads that go with recognition on the faces that are due: one call (one submit on WebGPU). @internal */
export async function runWithRecognitionHeads(models: FrameModels, heads: readonly FaceModel[], faces: readonly Face[], count: CountLandmarks): Promise<void> {
  if (heads.length === 0 || faces.length === 0) return;
  await models.annotate(heads, faces);
  count(heads, faces.length);
}

/**
 * After this frame's landmark runs: marks on each shown track the heads that ran on it at frame `n`, and gives its
 * face the last values (from `before`, its face before this frame) of the heads that did not. @internal
 */
export function settleLandmarks(plan: LandmarkPlan, shown: readonly Track[], due: ReadonlySet<Track>, before: ReadonlyMap<Track, Face>, n: number): void {
  for (const t of shown) {
    for (const h of plan.everyFrame) t.landmarkFrames.set(h.taskname, n);
    const previous = before.get(t);
    for (const h of plan.withRecognition) {
      if (due.has(t)) t.landmarkFrames.set(h.taskname, n);
      else if (previous && previous !== t.face) copyHeadFields(previous, t.face, h.taskname);
    }
  }
}

/** Frames since each landmark head last ran on the track, by taskname. @internal */
export function landmarkAge(t: Track, n: number): Record<string, number> {
  return Object.fromEntries([...t.landmarkFrames].map(([task, frame]) => [task, n - frame]));
}
