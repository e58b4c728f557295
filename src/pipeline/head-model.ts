import { optionsObject } from './call-options.js';
import type { InferenceSession } from '../session/session.js';
import { ModelContractError, PipelineOptionError } from './errors.js';
import type { Affine2x3 } from './affine.js';
import type { Normalisation } from './preprocess/blob.js';
import type { BgrImage } from './image.js';
import type { ModelFeed, Preprocessor } from './preprocess/preprocessor.js';
import { GpuTensor, Tensor } from '../core/tensor.js';
import { NO_TIMER, type StageTimer } from './stage-timer.js';

/** What every crop-based head (recognition, landmark, attribute) shares: one square input, one output. */
export interface HeadSpec {
  /** InsightFace's taskname of the model (names its stages and errors). */
  readonly taskname: string;
  /** The compiled model. */
  readonly session: InferenceSession;
  /** Its one input (the N×3×S×S crops). */
  readonly inputName: string;
  /** Its one output (a row per crop). */
  readonly outputName: string;
  /** Input size (W = H). */
  readonly size: number;
  readonly norm: Normalisation;
  /** True when the batch dim is symbolic: the faces of an image go through one forward pass per chunk. */
  readonly dynamicBatch: boolean;
  /**
   * The most crops one forward of a dynamic-batch head takes: more faces (a crowd) run in chunks of this many, whose
   * results are the same as one batch's (every layer works per crop).
   */
  readonly maxBatch: number;
}

/** Crops per forward unless told otherwise (HeadOptions.maxBatch): w600k_r50's activations at 32 crops are ~150 MB. */
export const DEFAULT_MAX_HEAD_BATCH = 32;

/** How a crop-based head runs its batches. */
export interface HeadOptions {
  /** See HeadSpec.maxBatch; default DEFAULT_MAX_HEAD_BATCH. */
  readonly maxBatch?: number;
}

export function headSpec(taskname: string, session: InferenceSession, norm: Normalisation, options: HeadOptions = {}): HeadSpec {
  const maxBatch = optionsObject(options, `the ${taskname} head`, { maxBatch: 'number' }).maxBatch ?? DEFAULT_MAX_HEAD_BATCH;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new PipelineOptionError('maxBatch', `${maxBatch} is not a positive integer`);
  const input = session.inputMetadata[0];
  const outputName = session.outputNames[0];
  if (!input || outputName === undefined) throw new ModelContractError(taskname, 'needs one input and one output');
  if (session.outputNames.length !== 1) throw new ModelContractError(taskname, `has ${session.outputNames.length} outputs, expected 1`);
  const [batch, , h, w] = input.shape;
  if (typeof h !== 'number' || h !== w) throw new ModelContractError(taskname, `input shape ${JSON.stringify(input.shape)} is not square`);
  return { taskname, session, inputName: input.name, outputName, size: h, norm, dynamicBatch: typeof batch !== 'number', maxBatch };
}

/**
 * Warps the crops and runs the head: a dynamic-batch head once per chunk of at most `maxBatch` crops, a static one
 * once per crop on its slice of the batch. Returns each crop's output row (the flattened `output[i]`).
 */
export async function runHead(
  spec: HeadSpec, pre: Preprocessor, image: BgrImage, transforms: readonly Affine2x3[], timer: StageTimer = NO_TIMER,
): Promise<Float32Array[]> {
  if (transforms.length === 0) return [];
  if (!spec.dynamicBatch) {
    // A static head reads each crop from the batch (or, for one crop, its own input buffer).
    const target = transforms.length === 1 ? { session: spec.session, name: spec.inputName } : undefined;
    const batch = await timer.time(`${spec.taskname}.align`, 'pre', () => pre.alignedCrops(image, transforms, spec.size, spec.norm, target));
    return forwardBatch(spec, batch, timer);
  }
  const rows: Float32Array[] = [];
  for (let start = 0; start < transforms.length; start += spec.maxBatch) {
    const chunk = transforms.slice(start, start + spec.maxBatch);
    const size = batchSize(spec, chunk.length);
    // Padding repeats the last crop; its rows are dropped.
    const padded = size === chunk.length ? chunk : [...chunk, ...new Array<Affine2x3>(size - chunk.length).fill(chunk[chunk.length - 1]!)];
    const target = { session: spec.session, name: spec.inputName };
    const batch = await timer.time(`${spec.taskname}.align`, 'pre', () => pre.alignedCrops(image, padded, spec.size, spec.norm, target));
    rows.push(...(await forwardBatch(spec, batch, timer)).slice(0, chunk.length));
  }
  return rows;
}

/**
 * The batch a chunk of `count` crops runs as: on WebGPU the next power of two (at most maxBatch), so face counts
 * share a handful of compiled plans instead of one per count; on the CPU, where a new batch size compiles nothing
 * of note, exactly `count`.
 */
export function batchSize(spec: HeadSpec, count: number): number {
  if (spec.session.backendName !== 'webgpu') return count;
  return Math.min(spec.maxBatch, 2 ** Math.ceil(Math.log2(count)));
}

/** Every batch a dynamic-batch head runs as on WebGPU (batchSize's values): the powers of two below maxBatch, and it. */
export function headBuckets(maxBatch: number): number[] {
  const buckets: number[] = [];
  for (let b = 1; b < maxBatch; b *= 2) buckets.push(b);
  buckets.push(maxBatch);
  return buckets;
}

/**
 * Compiles a dynamic-batch head's kernels ahead of its first faces, without buffers (session.precompile): bucket
 * 1's now (the first tier's kernels carry the batch in uniforms, so they serve every bucket), then, one per turn of
 * the event loop so the caller is not held up, every bucket's specialised ones where `specialize` (a hardware
 * adapter): a face count never met before then neither compiles nor starts on the generic tier. Failures surface
 * at the run that needs the kernels.
 */
export function warmHeadBuckets(session: InferenceSession, inputName: string, dims: readonly (number | string)[], maxBatch: number, specialize: boolean): void {
  const rest = dims.slice(1);
  // headSpec reports a bad maxBatch; nothing to warm for it.
  if (rest.some((d) => typeof d !== 'number') || !Number.isSafeInteger(maxBatch) || maxBatch < 1) return;
  const shape = (b: number): Record<string, number[]> => ({ [inputName]: [b, ...(rest as number[])] });
  void session.precompile(shape(1), { specialized: specialize }).catch(() => undefined);
  if (!specialize) return;
  const later = headBuckets(maxBatch).slice(1);
  const next = (): void => {
    const b = later.shift();
    if (b === undefined) return;
    void session.precompile(shape(b), { specialized: true }).catch(() => undefined);
    setTimeout(next, 0);
  };
  setTimeout(next, 0);
}

/**
 * Runs the head on an N×3×S×S batch (once when the batch is dynamic, else once per item on its slice) and returns
 * each item's output row.
 */
export async function forwardBatch(spec: HeadSpec, batch: ModelFeed, timer: StageTimer = NO_TIMER): Promise<Float32Array[]> {
  const count = batch.dims[0]!;
  // A CPU batch larger than maxBatch (getFeat on many crops) runs as views of at most maxBatch crops.
  const feeds = !spec.dynamicBatch
    ? Array.from({ length: count }, (_, i) => batchItem(batch, i))
    : count > spec.maxBatch && !(batch instanceof GpuTensor)
      ? Array.from({ length: Math.ceil(count / spec.maxBatch) }, (_, k) => batchSlice(batch, k * spec.maxBatch, Math.min(count, (k + 1) * spec.maxBatch)))
      : [batch];
  const rows: Float32Array[] = [];
  for (const feed of feeds) {
    const n = feed.dims[0]!;
    const out = (await timer.time(`${spec.taskname}.forward`, 'forward', () => spec.session.run({ [spec.inputName]: feed }, [spec.outputName])))[spec.outputName];
    rows.push(...outputRows(spec, out, n, n));
  }
  return rows;
}

/** The first `keep` rows of a head's output for a batch of `n` (padding rows dropped), each a copy. */
export function outputRows(spec: HeadSpec, out: Tensor | undefined, n: number, keep: number): Float32Array[] {
  if (!out || out.type !== 'float32') throw new ModelContractError(spec.taskname, `output '${spec.outputName}' is not float32`);
  const per = out.data.length / n;
  if (!Number.isInteger(per) || per === 0 || out.dims[0] !== n) {
    throw new ModelContractError(spec.taskname, `output shape ${JSON.stringify(out.dims)} does not hold ${n} result(s)`);
  }
  const data = out.data as Float32Array;
  return Array.from({ length: keep }, (_, i) => data.slice(i * per, (i + 1) * per));
}

/** Items [from, to) of a CPU N×… batch, as a view. */
function batchSlice(batch: ModelFeed, from: number, to: number): ModelFeed {
  const per = batch.dims.slice(1).reduce((a, b) => a * b, 1);
  if (batch instanceof GpuTensor || batch.type !== 'float32') throw new ModelContractError('head', `crops are ${batch.type}, expected float32`);
  return new Tensor('float32', (batch.data as Float32Array).subarray(from * per, to * per), [to - from, ...batch.dims.slice(1)]);
}

/** Item `i` of an N×… batch as a 1×… tensor: a view of the CPU data, or of the same GPU buffer at its offset. */
export function batchItem(batch: ModelFeed, i: number): ModelFeed {
  const dims = [1, ...batch.dims.slice(1)];
  const per = dims.reduce((a, b) => a * b, 1);
  if (batch instanceof GpuTensor) return new GpuTensor(batch.type, dims, batch.buffer, batch.byteOffset + i * batch.byteLength / batch.dims[0]!);
  if (batch.type !== 'float32') throw new ModelContractError('head', `crops are ${batch.type}, expected float32`);
  return new Tensor('float32', (batch.data as Float32Array).subarray(i * per, (i + 1) * per), dims);
}
