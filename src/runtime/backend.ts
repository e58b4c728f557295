import type { TensorData } from '../parser/ir.js';
import type { StaticGraph } from '../parser/specialize.js';

/** Time spent per executed node in one run (CPU wall time, or GPU timestamps where available). */
export interface StepTiming {
  readonly node: string;
  readonly opType: string;
  readonly ms: number;
}

/** A graph compiled by one backend for one set of input shapes; replayed by every run with those shapes. */
export interface ExecutionPlan {
  run(feeds: ReadonlyMap<string, TensorData>, fetches: readonly string[]): Promise<Map<string, TensorData>>;
  /** Per-step timings of the last run, when the session was created with profiling on. */
  lastProfile(): readonly StepTiming[] | undefined;
  /** Peak bytes of intermediate activations the plan holds (0 when not tracked). */
  readonly peakBytes: number;
  dispose(): void;
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** A human-readable description of the device (adapter name for WebGPU). */
  readonly description: string;
  compile(graph: StaticGraph, options: { profiling: boolean }): Promise<ExecutionPlan>;
  dispose(): void;
}
