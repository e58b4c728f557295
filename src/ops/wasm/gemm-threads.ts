/**
 * Intra-op threads for the SIMD GEMM kernels (Node only): N−1 worker_threads instantiate the same compiled module
 * over the same shared arena memory, and the calling thread splits one GEMM call over its 8-column strips of C,
 * posting each worker its range through a small Int32Array control block, computing its own range, and waiting with
 * Atomics.wait. A strip's tiles are the same sums in the same order whichever thread computes them (the split never
 * touches k), so the result is bit for bit the one-thread result. Kernels take every address as an argument (no
 * fixed scratch), so threads working on disjoint strips never share a byte they write.
 */
import type { Worker } from 'node:worker_threads';
import { BackendError } from '../../core/errors.js';

/** The kernels a worker can run, by index in the control block (their export names). */
export const THREADED_KERNELS = ['gemm', 'gemmBias', 'gemmBiasClamp'] as const;
export type ThreadedKernel = (typeof THREADED_KERNELS)[number];

/** Ints per worker slot: tag (generation it is for), done (last generation finished), kernel, then up to 11 args. */
const SLOT_INTS = 16;
/** control[0]: the generation (bumped per parallel call); control[1]: stop flag; slots from HEADER_INTS. */
const HEADER_INTS = 4;
/** Bytes between strips in B and C: 8 floats (gemm.ts TILE_N). */
const STRIP_BYTES = 32;
/** Milliseconds a worker's range may take before the caller counts the worker as gone (it died or was killed). */
const STALL_MS = 60_000;
/** Fewest multiply-adds a thread's share gets: below it waking a worker costs more than the share takes. */
const MIN_SHARE_MACS = 1 << 20;

let splitCalls = 0;
/** GEMM calls split over more than one thread so far, in this process (tests check a split really ran). */
export function gemmSplitCalls(): number {
  return splitCalls;
}

type WorkerThreads = typeof import('node:worker_threads');

/** Node's worker_threads when this engine has them and SharedArrayBuffer, else undefined (browsers, whose main thread may not Atomics.wait). */
export function workerThreads(): WorkerThreads | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof SharedArrayBuffer !== 'function' || !proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return undefined;
  return proc.getBuiltinModule('node:worker_threads') as WorkerThreads | undefined;
}

/** The body of a worker thread: self-contained, since the worker runs its source text. */
function threadMain(data: { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; slot: number; names: readonly string[] },
  post: (message: string) => void): void {
  const ctl = new Int32Array(data.control);
  const exports = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports as Record<string, (...args: number[]) => void>;
  const kernels = data.names.map((n) => exports[n]!);
  const base = 4 + data.slot * 16; // HEADER_INTS, SLOT_INTS
  let seen = Atomics.load(ctl, 0);
  post('ready');
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    if (Atomics.load(ctl, 1) !== 0) return;
    const generation = Atomics.load(ctl, 0);
    if (generation === seen) continue;
    seen = generation;
    if (Atomics.load(ctl, base) !== generation) continue;
    try {
      const args = Array.from(ctl.subarray(base + 4, base + 4 + ctl[base + 3]!));
      kernels[ctl[base + 2]!]!(...args);
    } catch {
      // A trap here is a kernel bug; the caller learns of it through the flag and recomputes nothing silently.
      Atomics.store(ctl, 2, 1);
    }
    Atomics.store(ctl, base + 1, generation);
    Atomics.notify(ctl, base + 1);
  }
}

const threadSource = (): string => `'use strict';
const __name = (f) => f;
const { workerData, parentPort } = require('node:worker_threads');
(${threadMain.toString()})(workerData, (m) => parentPort.postMessage(m));
`;

/** The threads of one shared arena. */
export class GemmThreads {
  private readonly ctl: Int32Array<SharedArrayBuffer>;
  private readonly workers: Worker[] = [];
  private readonly ready: boolean[] = [];
  /** Resolves once every worker reported ready or failed. */
  readonly started: Promise<void>;
  /** Most threads a call may use now: set per run by the backend that runs (withSimdThreads), 1 outside runs. */
  limit = 1;
  /** Why fewer threads than asked run (a worker failed to start), if so. */
  reason: string | undefined;

  /** Starts `threads − 1` workers over `memory`; throws only where worker_threads are missing (callers check first). */
  constructor(readonly threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory) {
    const wt = workerThreads();
    if (!wt) throw new Error('no worker_threads');
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (HEADER_INTS + SLOT_INTS * (threads - 1))));
    const waits: Promise<void>[] = [];
    for (let slot = 0; slot < threads - 1; slot++) {
      this.ready.push(false);
      try {
        const worker = new wt.Worker(threadSource(), {
          eval: true, execArgv: [], name: `insightgpu gemm ${slot + 1}`,
          workerData: { module, memory, control: this.ctl.buffer, slot, names: THREADED_KERNELS },
        });
        worker.unref();
        this.workers.push(worker);
        waits.push(new Promise<void>((resolve) => {
          worker.once('message', () => { this.ready[slot] = true; resolve(); });
          worker.once('error', (error: Error) => { this.reason ??= `a gemm thread failed to start: ${error.message}`; resolve(); });
          worker.once('exit', () => { this.ready[slot] = false; resolve(); });
        }));
      } catch (error) {
        this.reason ??= `a gemm thread failed to start: ${(error as Error).message}`;
      }
    }
    this.started = Promise.all(waits).then(() => undefined);
  }

  /** Threads a call can use now: this one plus every ready worker. */
  get live(): number {
    return 1 + this.ready.filter(Boolean).length;
  }

  /**
   * Runs `kernel(...args)` split over its nStrips (args[7]) across the ready threads, B at args[2] and C at args[4]
   * moved by each range's first strip; runs it whole on this thread when too small to split.
   */
  run(kernel: ThreadedKernel, own: (...args: number[]) => void, args: number[]): void {
    const nStrips = args[7]!, macs = args[6]! * 4 * nStrips * 8 * args[8]!;
    const slots = this.ready.flatMap((r, i) => (r ? [i] : []));
    const parts = Math.min(1 + slots.length, this.limit, nStrips, Math.max(1, Math.floor(macs / MIN_SHARE_MACS)));
    if (parts <= 1) {
      own(...args);
      return;
    }
    splitCalls++;
    const ctl = this.ctl;
    const generation = (Atomics.load(ctl, 0) + 1) | 0 || 1;
    const range = (t: number): [number, number] => [Math.floor((t * nStrips) / parts), Math.floor(((t + 1) * nStrips) / parts)];
    const part = (t: number): number[] => {
      const [s0, s1] = range(t);
      const a = args.slice();
      a[2]! += s0 * STRIP_BYTES;
      a[4]! += s0 * STRIP_BYTES;
      a[7] = s1 - s0;
      return a;
    };
    const used = slots.slice(0, parts - 1);
    used.forEach((slot, i) => {
      const base = HEADER_INTS + slot * SLOT_INTS, a = part(i + 1);
      ctl[base + 2] = THREADED_KERNELS.indexOf(kernel);
      ctl[base + 3] = a.length;
      ctl.set(a, base + 4);
      Atomics.store(ctl, base, generation);
    });
    Atomics.store(ctl, 0, generation);
    Atomics.notify(ctl, 0);
    own(...part(0));
    for (const slot of used) {
      const done = HEADER_INTS + slot * SLOT_INTS + 1;
      // A worker that exited cannot say so while this thread blocks (its 'exit' event needs this thread's loop), so a
      // range unfinished after STALL_MS drops the worker and fails the run instead of hanging the process.
      for (let d = Atomics.load(ctl, done); d !== generation; d = Atomics.load(ctl, done)) {
        if (Atomics.wait(ctl, done, d, STALL_MS) === 'timed-out' && Atomics.load(ctl, done) !== generation) {
          this.ready[slot] = false;
          this.reason = 'a gemm thread stopped answering';
          throw new BackendError('cpu', `a gemm thread did not finish its range of ${kernel} in ${STALL_MS / 1000} s; later runs use the other threads`);
        }
      }
    }
    if (Atomics.load(ctl, 2) !== 0) throw new BackendError('cpu', `a gemm thread trapped in ${kernel}`);
  }

  /** Stops and terminates the workers. */
  close(): void {
    Atomics.store(this.ctl, 1, 1);
    Atomics.store(this.ctl, 0, (Atomics.load(this.ctl, 0) + 1) | 0);
    Atomics.notify(this.ctl, 0);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
    this.ready.fill(false);
  }
}
