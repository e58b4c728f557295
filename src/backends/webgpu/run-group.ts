import { BackendError } from '../../core/errors.js';
import type { TensorData } from '../../core/ir.js';
import type { PlanFeed } from '../plan.js';
import type { GpuDevice } from './device.js';
import type { WebGpuPlan } from './plan.js';
import { ReadBack, readBackSlot, tensorFromBytes } from './readback.js';

/** One run of a group: a plan, its feeds and the outputs to read back. */
export interface PlanRun {
  readonly plan: WebGpuPlan;
  readonly feeds: ReadonlyMap<string, PlanFeed>;
  readonly fetches: readonly string[];
}

/** One read-back per device for groups (its staging buffers are reused by every group on the device). */
const groupReadBacks = new WeakMap<GPUDevice, ReadBack>();

/** Groups on one device take turns: they share its read-back staging buffers. */
const deviceTurns = new WeakMap<GPUDevice, Promise<unknown>>();

/** Command buffers a device's groups have submitted, one per group (see submittedGroups). */
const groupSubmits = new WeakMap<GPUDevice, number>();

/** How many groups `runPlansTogether` has submitted on `device`: each is exactly one queue submit. */
export function submittedGroups(device: GPUDevice): number {
  return groupSubmits.get(device) ?? 0;
}

/**
 * Runs several plans on one device as one command buffer and one read-back: `prelude` (commands already recorded on
 * the device, e.g. pre-processing that writes the runs' inputs) first, then each run in order (its feeds copied in,
 * its dispatches, its outputs copied out at once, so a plan may appear more than once and each appearance keeps its
 * own results), then one submit and one mapping. Every plan must be `groupable`. Results are in the order of `runs`.
 */
export async function runPlansTogether(gpu: GpuDevice, runs: readonly PlanRun[], prelude?: GPUCommandEncoder): Promise<Map<string, TensorData>[]> {
  // A fixed order of taking the plans' turns, so two groups over the same plans cannot wait on each other.
  const plans = [...new Set(runs.map((r) => r.plan))].sort((a, b) => a.serial - b.serial);
  for (const p of plans) if (!p.groupable) throw new BackendError('webgpu', 'a plan with CPU steps or profiling cannot join a group of runs');
  const turn = (deviceTurns.get(gpu.device) ?? Promise.resolve()).then(() => holdingAll(plans, () => recordAndRead(gpu, runs, prelude)));
  deviceTurns.set(gpu.device, turn.catch(() => undefined));
  return turn;
}

async function recordAndRead(gpu: GpuDevice, runs: readonly PlanRun[], prelude: GPUCommandEncoder | undefined): Promise<Map<string, TensorData>[]> {
  const { device } = gpu;
  let readBack = groupReadBacks.get(device);
  if (!readBack) { readBack = new ReadBack(device); groupReadBacks.set(device, readBack); }
  const total = runs.reduce((sum, r) => sum + r.plan.readBackBytes(r.fetches).reduce((s, b) => s + readBackSlot(b), 0), 0);
  const staging = readBack.stagingBuffer(total);
  const temporaries: GPUBuffer[] = [];
  // The error scope spans the recording and the submit, which are synchronous: other users of the device run at
  // every await, and a scope open across one would catch their errors.
  device.pushErrorScope('validation');
  let scopeOpen = true;
  try {
    const encoder = prelude ?? device.createCommandEncoder({ label: 'run group' });
    let offset = 0;
    const place = (bytes: number): number => { const at = offset; offset += readBackSlot(bytes); return at; };
    const recorded = runs.map((r) => r.plan.recordInGroup(encoder, r.feeds, r.fetches, staging, place, temporaries));
    device.queue.submit([encoder.finish({ label: 'run group' })]);
    scopeOpen = false;
    const scope = device.popErrorScope();
    groupSubmits.set(device, submittedGroups(device) + 1);
    for (const t of temporaries) t.destroy();
    const error = await scope;
    if (error) {
      for (const r of runs) await r.plan.refuseUnreadableFeeds(r.feeds);
      throw new BackendError('webgpu', `group run failed: ${error.message}`);
    }
    const bytes = total > 0 ? await readBack.collect(staging, total) : new Uint8Array(0);
    return recorded.map((outputs, k) => {
      const result = new Map<string, TensorData>();
      for (const [name, o] of outputs) {
        result.set(name, 'data' in o ? o : tensorFromBytes(runs[k]!.plan.typeOf(name), bytes.subarray(o.at, o.at + o.bytes)));
      }
      return result;
    });
  } catch (error) {
    for (const t of temporaries) t.destroy();
    if (scopeOpen) await device.popErrorScope().catch(() => undefined);
    const lost = gpu.lostReason();
    if (lost !== undefined && !(error instanceof BackendError)) {
      throw new BackendError('webgpu', `the GPU device was lost (${lost}); create the session again`, { cause: error });
    }
    throw error;
  }
}

/** Runs `work` while holding every plan's turn, taken one after another. */
function holdingAll<T>(plans: readonly WebGpuPlan[], work: () => Promise<T>): Promise<T> {
  if (plans.length === 0) return work();
  const [first, ...rest] = plans;
  return first!.exclusive(() => holdingAll(rest, work));
}
