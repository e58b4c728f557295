import { nodeLabel } from '../../core/ir.js';
import type { PlannedStep } from '../../graph/specialize.js';
import type { StepTiming } from '../plan.js';
import type { Item } from './tiers.js';

/**
 * Dispatches per command buffer when nothing else splits them: the first chunk goes to the GPU while the rest is
 * still being encoded. (On a real GPU the benchmark decides whether this number pays; one submit costs little.)
 */
export const DISPATCHES_PER_SUBMIT = 48;

/** A step's timing; no step is an f16 plan's boundary conversions (see boundaryConversions). */
export function timing(step: PlannedStep | undefined, ms: number): StepTiming {
  if (!step) return { node: 'float32 ↔ f16 boundary', opType: 'Cast', ms };
  return { node: nodeLabel(step.node), opType: step.node.opType, ms };
}

/** What recording a run needs besides its items. */
export interface RecordContext {
  readonly device: GPUDevice;
  readonly steps: readonly PlannedStep[];
  readonly profiling: boolean;
  /** Timestamp queries for per-dispatch GPU times (profiling on an adapter that has them). */
  readonly timestamps: GPUQuerySet | undefined;
  /** Runs a step's CPU reference, reading its inputs back and writing its outputs to their buffers. */
  runOnCpu(step: PlannedStep): Promise<void>;
}

/** A recorded run: the encoder still open for read-back copies, the CPU-timed steps, and whose dispatch each query pair timed. */
export interface Recording {
  readonly encoder: GPUCommandEncoder;
  readonly profile: StepTiming[];
  readonly queryOwner: readonly number[];
}

/**
 * Encodes the items into compute passes. A CPU step ends the command buffer, submits it, and runs between GPU
 * segments. With profiling and no timestamp queries, each step is submitted and waited for alone (slower, but
 * honest per-step numbers); with them, each dispatch gets a pass of its own with begin and end timestamps.
 */
export async function recordItems(ctx: RecordContext, items: readonly Item[], start: GPUCommandEncoder): Promise<Recording> {
  const { device, timestamps } = ctx;
  let encoder = start;
  const profile: StepTiming[] = [];
  const queryOwner: number[] = [];
  let pass: GPUComputePassEncoder | undefined;
  const endPass = (): void => { pass?.end(); pass = undefined; };
  let inPass = 0;
  for (const item of items) {
    const step = ctx.steps[item.step];
    if (item.kind === 'cpu') {
      endPass();
      device.queue.submit([encoder.finish()]);
      const begin = performance.now();
      await ctx.runOnCpu(step!);
      if (ctx.profiling) profile.push(timing(step, performance.now() - begin));
      encoder = device.createCommandEncoder();
      inPass = 0;
      continue;
    }
    if (ctx.profiling && !timestamps) {
      endPass();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      encoder = device.createCommandEncoder();
      inPass = 0;
      const begin = performance.now();
      const p = encoder.beginComputePass();
      for (const d of item.dispatches) { p.setPipeline(d.pipeline); p.setBindGroup(0, d.bindGroup); p.dispatchWorkgroups(...d.workgroups); }
      p.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      profile.push(timing(step, performance.now() - begin));
      encoder = device.createCommandEncoder();
      inPass = 0;
      continue;
    }
    for (const d of item.dispatches) {
      if (timestamps && queryOwner.length * 2 < timestamps.count) {
        endPass();
        const q = queryOwner.length * 2;
        queryOwner.push(item.step);
        const p = encoder.beginComputePass({ timestampWrites: { querySet: timestamps, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } });
        p.setPipeline(d.pipeline); p.setBindGroup(0, d.bindGroup); p.dispatchWorkgroups(...d.workgroups);
        p.end();
        continue;
      }
      if (inPass === DISPATCHES_PER_SUBMIT) {
        endPass();
        device.queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder();
        inPass = 0;
      }
      pass ??= encoder.beginComputePass();
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(...d.workgroups);
      inPass++;
    }
  }
  endPass();
  return { encoder, profile, queryOwner };
}

/** Per-step GPU milliseconds from resolved timestamp pairs (nanoseconds), summed over each step's dispatches. */
export function stepTimesFromQueries(steps: readonly PlannedStep[], queryOwner: readonly number[], bytes: Uint8Array): StepTiming[] {
  const ns = new BigInt64Array(bytes.buffer, bytes.byteOffset, queryOwner.length * 2);
  const perStep = new Map<number, number>();
  queryOwner.forEach((s, k) => perStep.set(s, (perStep.get(s) ?? 0) + Number(ns[2 * k + 1]! - ns[2 * k]!) / 1e6));
  return [...perStep].map(([s, ms]) => timing(steps[s], ms));
}
