import type { InferenceSession } from '../runtime/session.js';
import { ModelContractError } from './errors.js';
import type { Affine2x3 } from './affine.js';
import type { Normalisation } from './blob.js';
import type { BgrImage } from './image.js';
import type { Preprocessor } from './preprocessor.js';
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
 * Warps one crop per transform, runs the head (once for all crops when the batch is dynamic, else per crop)
 * and returns each crop's output row (the flattened `output[i]`).
 */
export async function runHead(
  spec: HeadSpec, pre: Preprocessor, image: BgrImage, transforms: readonly Affine2x3[], timer: StageTimer = NO_TIMER,
): Promise<Float32Array[]> {
  if (transforms.length === 0) return [];
  const groups = spec.dynamicBatch ? [transforms] : transforms.map((m) => [m]);
  const rows: Float32Array[] = [];
  for (const group of groups) {
    const target = { session: spec.session, name: spec.inputName };
    const blob = await timer.time(`${spec.taskname}.align`, 'pre', () => pre.alignedCrops(image, group, spec.size, spec.norm, target));
    const out = (await timer.time(`${spec.taskname}.forward`, 'forward', () => spec.session.run({ [spec.inputName]: blob }, [spec.outputName])))[spec.outputName];
    if (!out || out.type !== 'float32') throw new ModelContractError(spec.taskname, `output '${spec.outputName}' is not float32`);
    const per = out.data.length / group.length;
    if (!Number.isInteger(per) || per === 0 || out.dims[0] !== group.length) {
      throw new ModelContractError(spec.taskname, `output shape ${JSON.stringify(out.dims)} does not hold ${group.length} result(s)`);
    }
    const data = out.data as Float32Array;
    for (let i = 0; i < group.length; i++) rows.push(data.slice(i * per, (i + 1) * per));
  }
  return rows;
}
