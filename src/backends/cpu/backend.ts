import { BYTES_PER_ELEMENT, type TensorData } from '../../core/ir.js';
import { withNodeContext, type StaticGraph } from '../../graph/specialize.js';
import { withTensorAllocator } from '../../ops/kernel/tensor-util.js';
import { markConstantTensors } from '../../ops/kernel/constant-tensors.js';
import type { Backend, ExecutionPlan, StepTiming } from '../plan.js';
import { BufferPool } from './buffer-pool.js';
import { prepareSimdKernels, releaseSimdArena, retainSimdArena, withSimdThreads } from '../../ops/wasm/runtime.js';
import { releaseResidentB } from '../../ops/tiled-gemm/cpu.js';

/**
 * Pure-TypeScript backend: runs each planned step's CPU kernel, freeing values after their last use. It holds the
 * WebAssembly kernels' scratch arena from creation to dispose, so the arena's memory is given back once every CPU
 * backend is disposed (runtime.ts, releaseSimdArena).
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly description = 'CPU (TypeScript)';
  private disposed = false;

  /** @param fallbackReason - Why 'auto' chose the CPU (see Backend.fallbackReason); undefined when asked for. */
  /** @param threads - Threads for the convolution GEMMs (options.ts, CpuThreads), already resolved. */
  constructor(readonly fallbackReason?: string, readonly threads = 1) {
    retainSimdArena(threads);
  }

  async compile(graph: StaticGraph, options: { profiling: boolean }): Promise<ExecutionPlan> {
    // Instantiated asynchronously here, so no kernel call compiles synchronously (refused on browsers' main threads).
    await prepareSimdKernels();
    return new CpuPlan(graph, options.profiling, this.threads);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    releaseSimdArena();
  }
}

class CpuPlan implements ExecutionPlan {
  private readonly lastUse = new Map<string, number>();
  private profile: StepTiming[] | undefined;
  private readonly pool: BufferPool;
  peakBytes = 0;

  constructor(private readonly graph: StaticGraph, private readonly profiling: boolean, private readonly threads: number) {
    this.pool = new BufferPool(threads > 1 && typeof SharedArrayBuffer === 'function');
    // So that fast paths keep layouts made from these tensors' data only (constant-tensors.ts).
    markConstantTensors(graph.constants.values());
    graph.steps.forEach((step, i) => { for (const input of step.inputs) if (input) this.lastUse.set(input, i); });
  }

  async run(feeds: ReadonlyMap<string, TensorData>, fetches: readonly string[]): Promise<Map<string, TensorData>> {
    const { graph, pool } = this;
    const values = new Map<string, TensorData>(feeds);
    const keep = new Set(fetches);
    const profile: StepTiming[] = [];
    let liveBytes = 0;
    let peak = 0;
    withSimdThreads(this.threads, () => withTensorAllocator(pool.allocate, () => graph.steps.forEach((step, i) => {
      const inputs = step.inputs.map((name) => (name === '' ? undefined : values.get(name) ?? graph.constants.get(name)));
      const start = this.profiling ? performance.now() : 0;
      const outputs = withNodeContext(step.node, () => step.module.cpu(step.params, inputs, step.outputTypes));
      if (this.profiling) profile.push({ node: step.node.name || `${step.node.opType}#${step.node.index}`, opType: step.node.opType, ms: performance.now() - start });
      step.outputs.forEach((name, k) => {
        if (!name) return;
        const t = outputs[k]!;
        const previous = values.get(name);
        if (previous && !feeds.has(name)) pool.release(previous.data);
        values.set(name, t);
        pool.retain(t.data);
        liveBytes += t.data.length * BYTES_PER_ELEMENT[t.type];
      });
      peak = Math.max(peak, liveBytes);
      for (const name of step.inputs) {
        if (name && this.lastUse.get(name) === i && !keep.has(name) && !feeds.has(name)) {
          const t = values.get(name);
          if (t) {
            liveBytes -= t.data.length * BYTES_PER_ELEMENT[t.type];
            pool.release(t.data);
          }
          values.delete(name);
        }
      }
    })));
    this.peakBytes = Math.max(this.peakBytes, peak);
    if (this.profiling) this.profile = profile;
    const result = new Map<string, TensorData>();
    for (const name of fetches) {
      const computed = values.get(name);
      const constant = computed ? undefined : graph.constants.get(name);
      // The caller owns its outputs: a constant (an initializer, a folded value) goes out as a copy, so writing into
      // it leaves the plan's value intact for the next run.
      if (constant) result.set(name, { type: constant.type, dims: constant.dims, data: constant.data.slice() });
      if (computed && typeof SharedArrayBuffer === 'function' && computed.data.buffer instanceof SharedArrayBuffer) {
        // A threaded run's tensors live in shared memory: the caller gets an ordinary copy, the buffer stays pooled.
        result.set(name, { ...computed, data: computed.data.slice() });
        pool.release(computed.data);
      } else if (computed) {
        result.set(name, computed);
        // Never recycle an output's buffer.
        pool.disown(computed.data);
      }
    }
    for (const [name, t] of values) if (!keep.has(name) && !feeds.has(name)) pool.release(t.data);
    pool.reclaimUnreferenced();
    return result;
  }

  lastProfile(): readonly StepTiming[] | undefined {
    return this.profile;
  }

  dispose(): void {
    this.pool.clear();
    // A constant Gemm B kept in a WebAssembly memory of its own (tiled-gemm/cpu.ts) goes with its plan.
    releaseResidentB(this.graph.constants.values());
  }
}
