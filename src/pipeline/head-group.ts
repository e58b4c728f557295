import { InferenceSession, type TogetherRun } from '../session/session.js';
import type { Affine2x3 } from './affine.js';
import { batchItem, batchSize, outputRows, type HeadSpec } from './head-model.js';
import type { BgrImage } from './image.js';
import { PipelineOptionError } from './errors.js';
import type { ImageCrops, ModelFeed, ModelInput, Preprocessor } from './preprocess/preprocessor.js';

/** What one head does for the faces of an image: its crops, and where its output rows go (one per crop, in order). */
export interface HeadWork {
  /** The head that runs. */
  readonly spec: HeadSpec;
  /** One crop transform per face, in face order. */
  readonly transforms: readonly Affine2x3[];
  /** Writes the head's output rows (one per transform, in order) onto the faces. */
  apply(rows: readonly Float32Array[]): void;
}

/** The faces of one image and each head's work on them (one HeadWork per head, heads in the same order for every image). */
export interface ImageHeadWork {
  readonly image: BgrImage;
  readonly works: readonly HeadWork[];
}

/** The runs of one head: each run's index in the group, its batch and how many of its rows are real. */
interface HeadRuns {
  readonly works: readonly HeadWork[];
  readonly parts: { readonly run: number; readonly batch: number; readonly keep: number }[];
}

/** One crop of a head batch: the image it is cut from and its transform. */
interface Crop {
  readonly image: BgrImage;
  readonly transform: Affine2x3;
}

/**
 * Every head of every face in one group of runs (InferenceSession.runTogether): on the webgpu backend with GPU
 * pre-processing, the crops of all heads are recorded first and every head's forwards after them, in one command
 * buffer with one read-back. Batching is runHead's: a static-batch head runs once per face on its slice of one
 * batched warp, a dynamic one once per chunk of at most maxBatch crops, bucketed on WebGPU to the next power of two
 * (padding repeats the last crop; its rows are dropped). The rows are runHead's, bit for bit.
 */
export async function runHeadsTogether(works: readonly HeadWork[], pre: Preprocessor, image: BgrImage): Promise<void> {
  await runHeadsOverImages([{ image, works }], pre, true);
}

/**
 * runHeadsTogether over the faces of several images, in one group of runs (one submit on WebGPU). With
 * `acrossImages`, each head's batches hold the crops of all the images in order (a chunk spanning images takes its
 * crops from one alignedCropsOfImages), so each head runs ceil(faces / maxBatch) times for the whole group; a
 * crop's rows then equal its one-image run's only where every layer's order of operations is independent of the
 * batch (the CPU backend; WebGPU's direct and generic kernels; not the specialised tier's K split, which
 * chooseKSplit derives from the batch's workgroup count). Without it each image's crops keep runHead's chunks.
 */
export async function runHeadsOverImages(images: readonly ImageHeadWork[], pre: Preprocessor, acrossImages: boolean): Promise<void> {
  const heads = images[0]?.works.length ?? 0;
  const perHead = Array.from({ length: heads }, (_, h) => images.map((im) => im.works[h]!));
  const active = perHead.filter((works) => works.some((w) => w.transforms.length > 0));
  if (active.length === 0) return;
  const device = active[0]![0]!.spec.session.gpuDevice;
  const encoder = device && pre.recordInto && active.every((w) => w[0]!.spec.session.gpuDevice === device)
    ? device.createCommandEncoder({ label: 'face heads' }) : undefined;
  const runs: TogetherRun[] = [];
  const groups: HeadRuns[] = [];
  // The crops of one batch: straight from alignedCrops for one image, else one tensor over every image's.
  const cropsOf = (batch: readonly Crop[], spec: HeadSpec, target: ModelInput | undefined): Promise<ModelFeed> => {
    const parts = imageParts(batch);
    if (parts.length === 1) return pre.alignedCrops(parts[0]!.image, parts[0]!.transforms, spec.size, spec.norm, target);
    if (!pre.alignedCropsOfImages) throw new PipelineOptionError('preprocessor', `cannot stack several images' crops for ${spec.taskname} (no alignedCropsOfImages)`);
    return pre.alignedCropsOfImages(parts, spec.size, spec.norm, target);
  };
  if (encoder) pre.recordInto!(encoder);
  try {
    for (const works of active) {
      const spec = works[0]!.spec;
      // Each image's crops in order, as one list (acrossImages) or a list per image.
      const perImage = works.map((w, i) => w.transforms.map((transform) => ({ image: images[i]!.image, transform })));
      const crops = perImage.flat();
      const head: HeadRuns = { works, parts: [] };
      groups.push(head);
      const add = (feed: TogetherRun['feeds'][string], batch: number, keep: number): void => {
        head.parts.push({ run: runs.length, batch, keep });
        runs.push({ session: spec.session, feeds: { [spec.inputName]: feed }, fetches: [spec.outputName] });
      };
      // A head with a single run reads its crops straight from its own input buffer; otherwise each run's crops
      // have a buffer of their own (the runs of one plan take turns on its input buffer within the command buffer).
      const target = { session: spec.session, name: spec.inputName };
      if (!spec.dynamicBatch) {
        const batch = await cropsOf(crops, spec, crops.length === 1 ? target : undefined);
        for (let i = 0; i < crops.length; i++) add(batchItem(batch, i), 1, 1);
        continue;
      }
      const chunks: Crop[][] = [];
      for (const group of acrossImages ? [crops] : perImage) {
        for (let start = 0; start < group.length; start += spec.maxBatch) chunks.push(group.slice(start, start + spec.maxBatch));
      }
      for (const chunk of chunks) {
        const size = batchSize(spec, chunk.length);
        const padded = size === chunk.length ? chunk : [...chunk, ...new Array<Crop>(size - chunk.length).fill(chunk[chunk.length - 1]!)];
        add(await cropsOf(padded, spec, chunks.length === 1 ? target : undefined), size, chunk.length);
      }
    }
  } finally {
    pre.recordInto?.(undefined);
  }
  const results = await InferenceSession.runTogether(runs, { prelude: encoder });
  for (const { works, parts } of groups) {
    const spec = works[0]!.spec;
    const rows = parts.flatMap((p) => outputRows(spec, results[p.run]![spec.outputName], p.batch, p.keep));
    let at = 0;
    for (const w of works) {
      w.apply(rows.slice(at, at + w.transforms.length));
      at += w.transforms.length;
    }
  }
}

/** Consecutive crops of one image grouped, in order. */
function imageParts(crops: readonly Crop[]): ImageCrops[] {
  const parts: { image: BgrImage; transforms: Affine2x3[] }[] = [];
  for (const c of crops) {
    const last = parts[parts.length - 1];
    if (last && last.image === c.image) last.transforms.push(c.transform);
    else parts.push({ image: c.image, transforms: [c.transform] });
  }
  return parts;
}
