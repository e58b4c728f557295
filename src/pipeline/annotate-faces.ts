import type { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import { runHeadsTogether } from './head-group.js';
import type { BgrImage } from './image.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import { NO_TIMER, type StageTimer } from './stage-timer.js';

/**
 * Runs every non-detection model on one image's faces. With `together` (WebGPU, no stage timings) every crop-based
 * head of every face goes to the GPU as one command buffer with one read-back, the crops of all heads first; each
 * model writes only its own fields, so the order of running changes nothing. Otherwise (the CPU backend, or stage
 * timings, which wait at each stage's end) one model runs after another. @internal
 */
export async function annotateFaces(
  models: readonly FaceModel[], image: BgrImage, faces: readonly Face[], pre: Preprocessor, together: boolean, timer: StageTimer = NO_TIMER,
): Promise<void> {
  if (faces.length === 0) return;
  const grouped = together ? models.filter((m) => m.headWork) : [];
  if (grouped.length > 0) await runHeadsTogether(grouped.map((m) => m.headWork!(faces)), pre, image);
  for (const model of models) if (!grouped.includes(model)) await model.annotate(image, faces, pre, timer);
}
