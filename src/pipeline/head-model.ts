import type { InferenceSession } from '../session/session.js';
import { ModelContractError } from './errors.js';
import type { Affine2x3 } from './affine.js';
import type { Normalisation } from './preprocess/blob.js';
import type { BgrImage } from './image.js';
import type { ModelFeed, Preprocessor } from './preprocess/preprocessor.js';
import { GpuTensor, Tensor } from '../core/tensor.js';
import { NO_TIMER, type StageTimer } from './stage-timer.js';

/** What every crop-based head (recognition, landmark, attribute) shares: one square input, one output. */
export interface HeadSpec {
  readonly taskname: string;
  readonly session: InferenceSession;
  readonly inputName: string;
  readonly outputName: string;
  /** Input size (W = H). */
  readonly size: number;
  readonly norm: Normalisation;
  /** True when the batch dim is symbolic: all faces of an image go through one forward pass. */
  readonly dynamicBatch: boolean;
}

export function headSpec(taskname: string, session: InferenceSession, norm: Normalisation): HeadSpec {
  const input = session.inputMetadata[0];
  const outputName = session.outputNames[0];
  if (!input || outputName === undefined) throw new ModelContractError(taskname, 'needs one input and one output');
  if (session.outputNames.length !== 1) throw new ModelContractError(taskname, `has ${session.outputNames.length} outputs, expected 1`);
  const [batch, , h, w] = input.shape;
  if (typeof h !== 'number' || h !== w) throw new ModelContractError(taskname, `input shape ${JSON.stringify(input.shape)} is not square`);
  return { taskname, session, inputName: input.name, outputName, size: h, norm, dynamicBatch: typeof batch !== 'number' };
}

/**
 * Warps all crops in one go, runs the head (once for all crops when the batch is dynamic, else once per crop on
 * its slice of the batch) and returns each crop's output row (the flattened `output[i]`).
 */
export async function runHead(
  spec: HeadSpec, pre: Preprocessor, image: BgrImage, transforms: readonly Affine2x3[], timer: StageTimer = NO_TIMER,
): Promise<Float32Array[]> {
  if (transforms.length === 0) return [];
  // A dynamic-batch head's input buffer takes the whole batch; a static one reads each crop from the batch.
  const target = spec.dynamicBatch || transforms.length === 1 ? { session: spec.session, name: spec.inputName } : undefined;
  const batch = await timer.time(`${spec.taskname}.align`, 'pre', () => pre.alignedCrops(image, transforms, spec.size, spec.norm, target));
  return forwardBatch(spec, batch, timer);
}

/**
 * Runs the head on an N×3×S×S batch (once when the batch is dynamic, else once per item on its slice) and returns
 * each item's output row.
 */
export async function forwardBatch(spec: HeadSpec, batch: ModelFeed, timer: StageTimer = NO_TIMER): Promise<Float32Array[]> {
  const count = batch.dims[0]!;
  const feeds = spec.dynamicBatch ? [batch] : Array.from({ length: count }, (_, i) => batchItem(batch, i));
  const rows: Float32Array[] = [];
  for (const feed of feeds) {
    const n = feed.dims[0]!;
    const out = (await timer.time(`${spec.taskname}.forward`, 'forward', () => spec.session.run({ [spec.inputName]: feed }, [spec.outputName])))[spec.outputName];
    if (!out || out.type !== 'float32') throw new ModelContractError(spec.taskname, `output '${spec.outputName}' is not float32`);
    const per = out.data.length / n;
    if (!Number.isInteger(per) || per === 0 || out.dims[0] !== n) {
      throw new ModelContractError(spec.taskname, `output shape ${JSON.stringify(out.dims)} does not hold ${n} result(s)`);
    }
    const data = out.data as Float32Array;
    for (let i = 0; i < n; i++) rows.push(data.slice(i * per, (i + 1) * per));
  }
  return rows;
}

/** Item `i` of an N×… batch as a 1×… tensor: a view of the CPU data, or of the same GPU buffer at its offset. */
function batchItem(batch: ModelFeed, i: number): ModelFeed {
  const dims = [1, ...batch.dims.slice(1)];
  const per = dims.reduce((a, b) => a * b, 1);
  if (batch instanceof GpuTensor) return new GpuTensor(batch.type, dims, batch.buffer, batch.byteOffset + i * batch.byteLength / batch.dims[0]!);
  if (batch.type !== 'float32') throw new ModelContractError('head', `crops are ${batch.type}, expected float32`);
  return new Tensor('float32', (batch.data as Float32Array).subarray(i * per, (i + 1) * per), dims);
}
