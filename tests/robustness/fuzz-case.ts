/**
 * One fuzz case: load a mutated model through InferenceSession (cpu) and, when it loads and stays small, run it.
 * Every failure must be one of the engine's typed errors; anything else is reported with its stack.
 */
import { InsightGpuError } from '../../src/core/errors.js';
import { allocateTyped, elementCount, type TensorData } from '../../src/core/ir.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { supportedOpTypes } from '../../src/ops/registry.js';
import type { ValueType } from '../../src/ops/kernel/op-module.js';
import { InferenceSession } from '../../src/session/session.js';
import { Mutator } from './mutate.js';

export interface FuzzPolicy {
  /** Size given to symbolic spatial dims (SCRFD's dynamic H and W). */
  readonly symbolicSize: number;
  /**
   * Models whose unmutated run produces at most this many activation elements are cheap to run (tens of ms), so
   * every loadable mutant runs. Bigger ones (full-size static models, ~1 s per run) run only mutants whose specialised
   * graph differs from the original's — one that changed only weight values runs the same kernels — and at most
   * `maxExpensiveRuns` of those.
   */
  readonly cheapActivations: number;
  readonly maxExpensiveRuns: number;
}

/** Reference costs of the unmutated model, measured in the same thread just before the cases (CPU ms, median of 3). */
export interface ReferenceCost {
  readonly loadMs: number;
  readonly runMs: number;
  readonly activations: number;
  readonly cheap: boolean;
}

export type CaseOutcome =
  /** Refused with a typed error while loading (parse, specialise for static inputs, compile). */
  | 'refused-load'
  /** Loaded, then refused with a typed error by run (specialisation for dynamic inputs, or a kernel). */
  | 'refused-run'
  | 'ran'
  /** Loaded; not run because its inputs or activations grew far beyond the original's, or the run budget is spent. */
  | 'loaded'
  /** Anything but a typed error: the bug this test exists to find. */
  | 'untyped';

export interface CaseResult {
  readonly outcome: CaseOutcome;
  /** Error class name (typed refusals), reason not run (loaded), or message and stack (untyped). */
  readonly detail: string;
}

/** A run whose activations exceed the original's by more than this factor is not executed (it is slow, not wrong). */
const MAX_ACTIVATION_RATIO = 2;

export class ModelFuzzer {
  private readonly mutator: Mutator;
  private originalActivations = 0;
  private originalInputElements = 0;
  private originalSignature = '';
  private runs = 0;
  private cheap = false;

  constructor(private readonly bytes: Uint8Array, private readonly seed: number, private readonly policy: FuzzPolicy) {
    this.mutator = new Mutator(bytes, supportedOpTypes());
  }

  /** Loads and runs the unmutated model three times: it must work, and its cost calibrates the per-case bound. */
  async init(): Promise<ReferenceCost> {
    const loads: number[] = [];
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      let start = process.cpuUsage();
      const session = await InferenceSession.create(this.bytes, { backend: 'cpu' });
      const types = this.inputTypes(session);
      const graph = specializeGraph(session.model, types);
      loads.push(cpuMsSince(start));
      this.originalActivations = activationElements(graph.steps);
      this.originalSignature = signature(graph.steps);
      this.originalInputElements = [...types.values()].reduce((a, t) => a + elementCount(t.dims), 0);
      start = process.cpuUsage();
      await session.run(feedsFor(types));
      runs.push(cpuMsSince(start));
      await session.release();
    }
    this.cheap = this.originalActivations <= this.policy.cheapActivations;
    const median = (v: number[]): number => [...v].sort((a, b) => a - b)[1]!;
    return { loadMs: median(loads), runMs: median(runs), activations: this.originalActivations, cheap: this.cheap };
  }

  describe(index: number): { bytes: Uint8Array; description: string } {
    return this.mutator.mutate(this.seed, index);
  }

  async runCase(bytes: Uint8Array): Promise<CaseResult> {
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(bytes, { backend: 'cpu' });
    } catch (error) {
      return classify(error, 'refused-load');
    }
    try {
      const types = this.inputTypes(session);
      const inputElements = [...types.values()].reduce((a, t) => a + elementCount(t.dims), 0);
      if (inputElements > this.originalInputElements) return { outcome: 'loaded', detail: `inputs grew to ${inputElements} elements` };
      // The same specialisation run() performs, done here first to see how big the run would be.
      const graph = specializeGraph(session.model, types);
      const activations = activationElements(graph.steps);
      if (activations > MAX_ACTIVATION_RATIO * this.originalActivations) {
        return { outcome: 'loaded', detail: `activations ${(activations / this.originalActivations).toFixed(1)}× the original's` };
      }
      if (!this.cheap) {
        if (signature(graph.steps) === this.originalSignature) return { outcome: 'loaded', detail: 'graph unchanged (weights only)' };
        if (this.runs >= this.policy.maxExpensiveRuns) return { outcome: 'loaded', detail: 'run budget spent' };
      }
      this.runs++;
      await session.run(feedsFor(types));
      return { outcome: 'ran', detail: '' };
    } catch (error) {
      return classify(error, 'refused-run');
    } finally {
      await session.release().catch(() => undefined);
    }
  }

  /** Declared input types, symbolic dims filled in: batch-like (leading) dims 1, spatial ones `symbolicSize`. */
  private inputTypes(session: InferenceSession): Map<string, ValueType> {
    const types = new Map<string, ValueType>();
    for (const meta of session.inputMetadata) {
      const dims = meta.shape.map((d, i) => (typeof d === 'number' ? d : i >= 2 ? this.policy.symbolicSize : 1));
      types.set(meta.name, { type: meta.type ?? 'float32', dims });
    }
    return types;
  }
}

function classify(error: unknown, typed: 'refused-load' | 'refused-run'): CaseResult {
  if (error instanceof InsightGpuError) return { outcome: typed, detail: error.name };
  const text = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : `non-Error thrown: ${String(error)}`;
  return { outcome: 'untyped', detail: `${typed === 'refused-load' ? 'while loading' : 'while running'}: ${text}` };
}

/** CPU time of the whole process since `start`, in ms (robust to other processes competing for the cores). */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function activationElements(steps: readonly { outputTypes: readonly ValueType[] }[]): number {
  let total = 0;
  for (const s of steps) for (const t of s.outputTypes) total += elementCount(t.dims);
  return total;
}

/** What a run would execute: op types, resolved params and output types (weights left out). */
function signature(steps: readonly { node: { opType: string }; params: unknown; outputTypes: readonly ValueType[] }[]): string {
  const skipArrays = (_key: string, value: unknown): unknown => (ArrayBuffer.isView(value) ? undefined : value);
  return steps.map((s) => `${s.node.opType}${JSON.stringify(s.params, skipArrays)}:${s.outputTypes.map((t) => `${t.type}[${t.dims.join(',')}]`).join('|')}`).join(';');
}

/** Deterministic feeds: 0.5 in float inputs, 1 in integer ones. */
function feedsFor(types: ReadonlyMap<string, ValueType>): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const [name, t] of types) {
    const data = allocateTyped(t.type, elementCount(t.dims));
    (data as unknown as { fill(v: number | bigint): void }).fill(data instanceof BigInt64Array || data instanceof BigUint64Array ? 1n : t.type.startsWith('float') ? 0.5 : 1);
    feeds[name] = { type: t.type, dims: t.dims, data };
  }
  return feeds;
}
