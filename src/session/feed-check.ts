import { InputError } from '../core/errors.js';
import { elementCount, type TensorData, type ValueInfo } from '../core/ir.js';
import { GpuTensor, Tensor } from '../core/tensor.js';
import type { PlanFeed } from '../backends/plan.js';

/** CPU tensors, or on the webgpu backend GPU-resident ones (see `InferenceSession.gpuInput`). */
export type FeedsType = Readonly<Record<string, Tensor | TensorData | GpuTensor>>;

/**
 * The feeds as the plan takes them, after checking them against the model's inputs: every input fed, no other name,
 * each a tensor of the input's type and shape (a GPU-resident one only on the webgpu backend). An overridable input
 * (one with an initializer as its default, see Graph.overridableInputs) may be fed too, and is then checked as any
 * input; left unfed (or fed `undefined`) it is absent from the result, the plan holding its default. Throws InputError.
 */
export function checkFeeds(inputs: readonly ValueInfo[], backend: string, feeds: FeedsType, overridable: readonly ValueInfo[] = []): Map<string, PlanFeed> {
  if (feeds === null || typeof feeds !== 'object') throw new InputError('feeds must be an object mapping input names to tensors');
  const planFeeds = new Map<string, PlanFeed>();
  for (const name of Object.keys(feeds)) {
    if (!inputs.some((v) => v.name === name) && !overridable.some((v) => v.name === name)) throw new InputError(`'${name}' is not a model input (${inputList(inputs, overridable)})`, name);
  }
  // In the overridable inputs' own order after the inputs, so one set of fed names always gives one plan key.
  const fed = overridable.filter((v) => Object.hasOwn(feeds, v.name) && feeds[v.name] !== undefined);
  for (const info of [...inputs, ...fed]) {
    // Own keys only, like the name check above: an input named 'toString' or 'constructor' left unfed would
    // otherwise find Object.prototype's function and be called 'not a tensor'.
    const t = Object.hasOwn(feeds, info.name) ? feeds[info.name] : undefined;
    if (t === undefined) throw new InputError('missing feed', info.name);
    if (t instanceof GpuTensor) {
      if (backend !== 'webgpu') throw new InputError(`a GPU-resident feed needs the webgpu backend, this session runs on ${backend}`, info.name);
    } else if (!t || typeof t !== 'object' || !('data' in t) || !('dims' in t) || !('type' in t)) {
      throw new InputError('not a tensor', info.name);
    }
    const tensor = t instanceof GpuTensor || t instanceof Tensor ? t : tensorOf(t, info.name);
    if (info.type && tensor.type !== info.type) throw new InputError(`type ${tensor.type}, the model expects ${info.type}`, info.name);
    checkShape([info], info.name, tensor.dims);
    // A Tensor's data matched its dims when it was built, but its buffer may since have been transferred (detached,
    // length 0) or, if resizable, shrunk: the kernels would then read zeros or past the end as if they were data.
    if (!(tensor instanceof GpuTensor) && tensor.data.length !== elementCount(tensor.dims)) {
      throw new InputError(`dims ${JSON.stringify(tensor.dims)} need ${elementCount(tensor.dims)} elements, its data now has ${tensor.data.length} (was its buffer transferred or resized after the Tensor was built?)`, info.name);
    }
    planFeeds.set(info.name, tensor);
  }
  return planFeeds;
}

/**
 * The inputs an error message lists: the model's, then the overridable ones (by name while they are few, as a
 * keep_initializers_as_inputs export lists every weight).
 */
export function inputList(inputs: readonly ValueInfo[], overridable: readonly ValueInfo[]): string {
  const listed = `inputs: ${inputs.map((v) => v.name).join(', ')}`;
  if (overridable.length === 0) return listed;
  const names = overridable.length <= 8 ? overridable.map((v) => v.name).join(', ') : `${overridable.length} initializers`;
  return `${listed}; overridable, with a default: ${names}`;
}

/** A plain { type, data, dims } feed as a Tensor; what Tensor refuses names the input it was fed as. */
function tensorOf(t: TensorData, name: string): Tensor {
  try {
    return new Tensor(t.type, t.data, t.dims);
  } catch (error) {
    if (error instanceof InputError && error.inputName === undefined) throw new InputError(error.why, name);
    throw error;
  }
}

/** Checks `dims` (non-negative integers) against the declared shape of input `name` (rank, and every fixed dimension). Throws InputError. */
export function checkShape(inputs: readonly ValueInfo[], name: string, dims: readonly number[]): void {
  // A precompile or gpuInput shape comes as given (a feed's dims were checked when its Tensor was built).
  if (!Array.isArray(dims) || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new InputError(`shape ${JSON.stringify(dims)} is not a list of non-negative integers`, name);
  }
  const info = inputs.find((v) => v.name === name);
  if (!info?.shape) return;
  if (dims.length !== info.shape.length) {
    throw new InputError(`shape ${JSON.stringify(dims)} has rank ${dims.length}, the model expects ${JSON.stringify(info.shape)}`, name);
  }
  info.shape.forEach((d, i) => {
    if (typeof d === 'number' && d !== dims[i]) {
      throw new InputError(`shape ${JSON.stringify(dims)} does not match the model's ${JSON.stringify(info.shape)}`, name);
    }
  });
}
