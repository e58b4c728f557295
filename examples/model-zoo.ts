/**
 * InsightFace's model-zoo tutorial with insightgpu: each model file on its own, through `getModel`.
 *   (1) detection alone: getModel(detector file) → prepare → detect → { bboxes, kpss };
 *   (2) recognition of the detected faces, then face authentication with computeSim: every face of t1.jpg against
 *       the same face in a mirrored copy of the photo (same person) and against Tom Hanks (another person).
 *
 * Run from the repository root:  npx tsx examples/model-zoo.ts [models-folder] [images-folder] [backend]
 * (default: ../shared/models and ../shared/images, the test bed's pack files and photos; backend auto, cpu or webgpu).
 * 'insightgpu' resolves to the repository's source here through tsconfig.json's paths, and to the package once installed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ArcFaceModel, ScrfdDetector, facesFromDetections, getModel, loadImage, type BackendName, type BgrImage, type Face } from 'insightgpu';

/** Where the files are and how to run them. */
export interface ModelZooExampleOptions {
  /** Folder with scrfd_2.5g_bnkps.onnx and mobilefacenet.onnx. */
  readonly models: string;
  /** Folder with t1.jpg and Tom_Hanks_54745.png. */
  readonly images: string;
  /** Default 'auto' (WebGPU on a real GPU, else the CPU). */
  readonly backend?: BackendName;
  /** Receives each printed line (default console.log). */
  readonly log?: (line: string) => void;
}

/** What the example found (also printed). */
export interface ModelZooExampleResult {
  /** Faces detected in t1.jpg. */
  readonly faces: number;
  /** Per face of t1.jpg: similarity with its mirror image in the flipped photo. */
  readonly mirrorSims: number[];
  /** Per face of t1.jpg: similarity with Tom Hanks. */
  readonly tomSims: number[];
}

/** Same people iff the cosine similarity of the embeddings reaches this (for this tutorial's 128-d recognizer). */
export const SAME_PERSON = 0.5;

export async function main(options: ModelZooExampleOptions): Promise<ModelZooExampleResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const backend = options.backend ?? 'auto';
  const file = (name: string): Uint8Array => readFileSync(path.join(options.models, name));

  // (1) Detection alone: get_model, prepare(input_size, det_thresh), detect.
  const detector = await getModel(file('scrfd_2.5g_bnkps.onnx'), { backend });
  if (!(detector instanceof ScrfdDetector)) throw new Error('scrfd_2.5g_bnkps.onnx did not route to a detector');
  detector.prepare({ inputSize: [640, 640], detThresh: 0.5 });
  const photo = await loadImage(path.join(options.images, 't1.jpg'));
  const { bboxes, kpss } = await detector.detect(photo);
  log(`detection: ${bboxes.length} faces in t1.jpg`);
  bboxes.forEach((b, i) => log(`  face ${i}: bbox ${[...b.subarray(0, 4)].map((v) => v.toFixed(1)).join(' ')}  score ${b[4]!.toFixed(3)}`));

  // (2) Recognition: get(img, face) sets face.embedding; computeSim compares two embeddings.
  const recognizer = await getModel(file('mobilefacenet.onnx'), { backend });
  if (!(recognizer instanceof ArcFaceModel)) throw new Error('mobilefacenet.onnx did not route to a recognizer');
  const faces = facesFromDetections({ bboxes, kpss });
  for (const face of faces) await recognizer.get(photo, face);

  // Face authentication against the same people, mirrored: each face is paired with the box that mirrors its own.
  const mirrored = flipHorizontal(photo);
  const mirroredFaces = facesFromDetections(await detector.detect(mirrored));
  for (const face of mirroredFaces) await recognizer.get(mirrored, face);
  const mirrorSims = faces.map((face) => {
    const twin = mirrorTwin(face, mirroredFaces, photo.width);
    return twin ? recognizer.computeSim(face.embedding!, twin.embedding!) : NaN;
  });

  // …and against another person: an already aligned 112×112 crop goes straight to getFeat.
  const [tom] = await recognizer.getFeat(path.join(options.images, 'Tom_Hanks_54745.png'));
  const tomSims = faces.map((face) => recognizer.computeSim(face.embedding!, tom!));

  log(`recognition: ${recognizer.inputSize}×${recognizer.inputSize} crops, mean ${recognizer.inputMean}, std ${recognizer.inputStd}, ${faces[0]?.embedding?.length ?? 0}-d embeddings`);
  const verdict = (sim: number): string => (sim >= SAME_PERSON ? 'same person' : 'different person');
  faces.forEach((_, i) => {
    log(`  face ${i} vs its mirror: sim ${mirrorSims[i]!.toFixed(4)} (${verdict(mirrorSims[i]!)}); vs Tom Hanks: sim ${tomSims[i]!.toFixed(4)} (${verdict(tomSims[i]!)})`);
  });

  await detector.release();
  await recognizer.release();
  return { faces: faces.length, mirrorSims, tomSims };
}

/** The photo mirrored left to right (what `img[:, ::-1]` gives in NumPy). */
export function flipHorizontal(image: BgrImage): BgrImage {
  const { width, height } = image;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 3;
      const to = (y * width + (width - 1 - x)) * 3;
      data[to] = image.data[from]!;
      data[to + 1] = image.data[from + 1]!;
      data[to + 2] = image.data[from + 2]!;
    }
  }
  return { width, height, data };
}

/** The face of the mirrored photo whose box best overlaps `face`'s box mirrored (IoU ≥ 0.5), if any. */
function mirrorTwin(face: Face, candidates: readonly Face[], width: number): Face | undefined {
  const [x1, y1, x2, y2] = face.bbox;
  const box = [width - x2!, y1!, width - x1!, y2!] as const;
  let best: Face | undefined;
  let bestIou = 0.5;
  for (const other of candidates) {
    const [a1, b1, a2, b2] = other.bbox;
    const w = Math.max(0, Math.min(box[2], a2!) - Math.max(box[0], a1!));
    const h = Math.max(0, Math.min(box[3], b2!) - Math.max(box[1], b1!));
    const union = (box[2] - box[0]) * (box[3] - box[1]) + (a2! - a1!) * (b2! - b1!) - w * h;
    const iou = union > 0 ? (w * h) / union : 0;
    if (iou >= bestIou) { bestIou = iou; best = other; }
  }
  return best;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const shared = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared');
  const [models = path.join(shared, 'models'), images = path.join(shared, 'images'), backend = 'auto'] = process.argv.slice(2);
  main({ models, images, backend: backend as BackendName }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
