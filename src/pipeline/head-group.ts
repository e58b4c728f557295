import { InferenceSession, type TogetherRun } from '../session/session.js';
import type { Affine2x3 } from './affine.js';
import { batchItem, batchSize, outputRows, type HeadSpec } from './head-model.js';
import type { BgrImage } from './image.js';
import type { Preprocessor } from './preprocess/preprocessor.js';

/** What one head does for the faces of an image: its crops, and where its output rows go (one per crop, in order). */
export interface HeadWork {
  /** The head that runs. */
  readonly spec: HeadSpec;
  /** One crop transform per face, in face order. */
  readonly transforms: readonly Affine2x3[];
  /** Writes the head's output rows (one per transform, in order) onto the faces. */
  apply(rows: readonly Float32Array[]): void;
}

/** The runs of one head: each run's index in the group, its batch and how many of its rows are real. */
interface HeadRuns {
  readonly work: HeadWork;
  readonly parts: { readonly run: number; readonly batch: number; readonly keep: number }[];
}

/**
 * Every head of every face in one group of runs (InferenceSession.runTogether): on the webgpu backend with GPU
 * pre-processing, the crops of all heads are recorded first and every head's forwards after them, in one command
 * buffer with one read-back. Batching is runHead's: a static-batch head runs once per face on its slice of one
 * batched warp, a dynamic one once per chunk of at most maxBatch crops, bucketed on WebGPU to the next power of two
 * (padding repeats the last crop; its rows are dropped). The rows are runHead's, bit for bit.
 */
export async function runHeadsTogether(works: readonly HeadWork[], pre: Preprocessor, image: BgrImage): Promise<void> {
  const active = works.filter((w) => w.transforms.length > 0);
  if (active.length === 0) return;
  const device = active[0]!.spec.session.gpuDevice;
  const encoder = device && pre.recordInto && active.every((w) => w.spec.session.gpuDevice === device)
    ? device.createCommandEncoder({ label: 'face heads' }) : undefined;
  const runs: TogetherRun[] = [];
  const heads: HeadRuns[] = [];
  if (encoder) pre.recordInto!(encoder);
  try {
    for (const work of active) {
      const { spec, transforms } = work;
      const head: HeadRuns = { work, parts: [] };
      heads.push(head);
      const add = (feed: TogetherRun['feeds'][string], batch: number, keep: number): void => {
        head.parts.push({ run: runs.length, batch, keep });
        runs.push({ session: spec.session, feeds: { [spec.inputName]: feed }, fetches: [spec.outputName] });
      };
      // A head with a single run reads its crops straight from its own input buffer; otherwise each run's crops
      // have a buffer of their own (the runs of one plan take turns on its input buffer within the command buffer).
      const target = { session: spec.session, name: spec.inputName };
      if (!spec.dynamicBatch) {
        const batch = await pre.alignedCrops(image, transforms, spec.size, spec.norm, transforms.length === 1 ? target : undefined);
        for (let i = 0; i < transforms.length; i++) add(batchItem(batch, i), 1, 1);
        continue;
      }
      const single = transforms.length <= spec.maxBatch;
      for (let start = 0; start < transforms.length; start += spec.maxBatch) {
        const chunk = transforms.slice(start, start + spec.maxBatch);
        const size = batchSize(spec, chunk.length);
        const padded = size === chunk.length ? chunk : [...chunk, ...new Array<Affine2x3>(size - chunk.length).fill(chunk[chunk.length - 1]!)];
        add(await pre.alignedCrops(image, padded, spec.size, spec.norm, single ? target : undefined), size, chunk.length);
      }
    }
  } finally {
    pre.recordInto?.(undefined);
  }
  const results = await InferenceSession.runTogether(runs, { prelude: encoder });
  for (const { work, parts } of heads) {
    work.apply(parts.flatMap((p) => outputRows(work.spec, results[p.run]![work.spec.outputName], p.batch, p.keep)));
  }
}
