/**
 * A scripted detector for the tracker's matching tests: it answers `detect` the way ScrfdDetector does (rows of
 * [x1, y1, x2, y2, score] and five keypoints) with boxes written in the test, keyed by the frame image it is
 * given. It is a test input (the frames' known contents), not a stand-in for the tracker under test.
 */
import type { BgrImage, Face, FaceModel, ScrfdDetectResult, TrackerDetector } from '../../../src/pipeline/index.js';
import { createBgrImage } from '../../../src/pipeline/index.js';

export type Box = readonly [number, number, number, number];

/**
 * Five keypoints at fixed places of the box (eyes, nose, mouth corners), as a frontal face has them, rolled by
 * `roll` degrees about the box centre (a head tilted in the image plane).
 */
export function keypointsOf(box: Box, roll = 0): Float32Array {
  const [x1, y1, x2, y2] = box;
  const w = x2 - x1, h = y2 - y1, cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
  const c = Math.cos((roll * Math.PI) / 180), s = Math.sin((roll * Math.PI) / 180);
  const at = [[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]];
  return Float32Array.from(at.flatMap(([u, v]) => {
    const dx = x1 + u! * w - cx, dy = y1 + v! * h - cy;
    return [cx + c * dx - s * dy, cy + s * dx + c * dy];
  }));
}

/** The frame number ScriptedDetector.frame wrote into the image's first three bytes. */
function keyOf(image: BgrImage): number {
  return image.data[0]! | (image.data[1]! << 8) | (image.data[2]! << 16);
}

export class ScriptedDetector implements TrackerDetector {
  /** How often `detect` was called. */
  calls = 0;
  private readonly script = new Map<number, readonly Box[]>();
  private readonly rolls = new Map<number, number>();

  /**
   * A new frame (a tiny image, `side` px square, its number written in its first three bytes) whose detections are
   * `boxes`, their keypoints rolled by `roll` degrees. Frames are told apart by their pixels, as a detector sees
   * them: the tracker holds a copy of each frame, not the caller's object.
   */
  frame(boxes: readonly Box[], roll = 0, side = 8): BgrImage {
    const image = createBgrImage(side, side);
    const key = this.script.size + 1;
    image.data.set([key & 0xff, (key >> 8) & 0xff, (key >> 16) & 0xff]);
    this.script.set(key, boxes);
    this.rolls.set(key, roll);
    return image;
  }

  /** The frame's scripted boxes. */
  boxesOf(image: BgrImage): readonly Box[] {
    return this.script.get(keyOf(image)) ?? [];
  }

  async detect(image: BgrImage): Promise<ScrfdDetectResult> {
    this.calls++;
    const boxes = this.boxesOf(image);
    return {
      bboxes: boxes.map((b) => Float32Array.from([...b, 0.9])),
      kpss: boxes.map((b) => keypointsOf(b, this.rolls.get(keyOf(image)))),
    };
  }
}

/** A box of side `size` whose top-left corner is (x, y). */
export const boxAt = (x: number, y: number, size = 80): Box => [x, y, x + size, y + size];

/** IoU of two boxes (the test's own, written out so the check does not reuse the tracker's). */
export function overlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const area = (r: ArrayLike<number>): number => (r[2]! - r[0]!) * (r[3]! - r[1]!);
  return (w * h) / (area(a) + area(b) - w * h);
}

/** The true box a face's box overlaps most, as a perfect landmark model would follow it (undefined: none overlaps). */
function mostOverlapped(bbox: ArrayLike<number>, truth: readonly Box[]): Box | undefined {
  return truth.reduce<Box | undefined>((best, b) => (overlap(bbox, b) > (best ? overlap(bbox, best) : 0) ? b : best), undefined);
}

/**
 * A scripted landmark head (a test input like ScriptedDetector): for each face it is given, it finds the frame's
 * true box that the face's box overlaps most and writes points on a fixed grid over that true box, as a perfect
 * landmark model would follow the real face whatever crop it is shown.
 */
abstract class ScriptedLandmarkHead implements FaceModel {
  abstract readonly taskname: string;
  readonly inputSize = 192;
  readonly inputMean = 0;
  readonly inputStd = 1;
  constructor(private readonly detector: ScriptedDetector) {}

  /** Writes this head's fields on `face` for its true box. */
  protected abstract write(face: Face, box: Box): void;

  async annotate(image: BgrImage, faces: readonly Face[]): Promise<void> {
    const truth = this.detector.boxesOf(image);
    for (const face of faces) {
      const box = mostOverlapped(face.bbox, truth);
      if (box) this.write(face, box);
    }
  }
}

/** A scripted 106-point head: the points on an 11 × 10 grid spanning the true box's middle 80 %. */
export class ScriptedLandmarks extends ScriptedLandmarkHead {
  readonly taskname = 'landmark_2d_106';

  protected write(face: Face, [x1, y1, x2, y2]: Box): void {
    face.landmark_2d_106 = Float32Array.from({ length: 212 }, (_, i) => {
      const p = i >> 1, u = 0.1 + 0.8 * ((p % 11) / 10), v = 0.1 + 0.8 * (Math.floor(p / 11) / 9);
      return i % 2 === 0 ? x1 + u * (x2 - x1) : y1 + v * (y2 - y1);
    });
  }
}

/** A scripted 68-point 3-D head: the points on a grid over the true box, z 0, and a frontal pose (a face looking at the camera). */
export class ScriptedLandmarks3d extends ScriptedLandmarkHead {
  readonly taskname = 'landmark_3d_68';

  protected write(face: Face, [x1, y1, x2, y2]: Box): void {
    face.landmark_3d_68 = Float32Array.from({ length: 204 }, (_, i) => {
      const p = Math.floor(i / 3), c = i % 3;
      return c === 2 ? 0 : c === 0 ? x1 + (0.1 + 0.8 * ((p % 8) / 7)) * (x2 - x1) : y1 + (0.1 + 0.8 * (Math.floor(p / 8) / 8)) * (y2 - y1);
    });
    face.pose = [0, 0, 0];
  }
}

/** A scripted attribute head (a test input): every face it sees is given gender 1 and age 30, as genderage would set them. */
export class ScriptedAttributes implements FaceModel {
  readonly taskname = 'genderage';
  readonly inputSize = 96;
  readonly inputMean = 0;
  readonly inputStd = 1;

  async annotate(_image: BgrImage, faces: readonly Face[]): Promise<void> {
    for (const face of faces) {
      face.gender = 1;
      face.age = 30;
    }
  }
}

/** A scripted recognizer (a test input): every face it sees gets the same embedding, as one person's faces would. */
export class ScriptedRecognizer implements FaceModel {
  readonly taskname = 'recognition';
  readonly inputSize = 112;
  readonly inputMean = 127.5;
  readonly inputStd = 127.5;

  async annotate(_image: BgrImage, faces: readonly Face[]): Promise<void> {
    for (const face of faces) face.embedding = Float32Array.from([1, 0, 0]);
  }
}
