/**
 * Threads for the exact CPU search (Node only). The index's rows live in a shared WebAssembly memory; a search
 * splits rows [0, count) into contiguous ranges scored with the same kernel and merges their candidates
 * (search-range.ts). `search` scores the first range on the calling thread and blocks in Atomics.wait until the
 * workers are done (Node allows it on its main thread), so it stays synchronous and no add or remove can run while
 * threads read the rows. `searchAsync` hands every range to a worker and awaits them (Atomics.waitAsync), so the
 * caller's event loop runs meanwhile; one search at a time uses the workers, and `busy` tells a synchronous search to
 * keep to its own thread meanwhile. Workers start on the first search that needs them, are reused, keep the process
 * alive only while an async search awaits them, and end with `close`.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { DOT_BLOCK, rowKernel, type WasmRowDots } from '../../ops/wasm/row-dots.js';
import { FaceIndexError } from './errors.js';
import { topOfRange, type RangeRows, type RangeTop } from './search-range.js';
import { threadMain, type RangeJob, type ThreadData, type ThreadJob, type ThreadReply } from './search-thread-worker.js';

/**
 * A thread's script: threadMain called with the two self-contained helpers, all from their own source text, so the
 * same code runs from TypeScript sources (tsx, whose loader workers do not get) and from the build. `__name` is the
 * no-op the tsx transform may call to keep function names.
 */
const threadSource = (): string => `'use strict';
const __name = (f) => f;
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
(${threadMain.toString()})(workerData, receiveMessageOnPort, ${topOfRange.toString()}, ${rowKernel.toString()});
`;

/** Fewest rows a range gets: below it a thread costs more to wake than its rows take to score. */
const MIN_RANGE_ROWS = 1024;

interface SearchWorker {
  worker: Worker;
  port: MessagePort;
  /** [0] the last job number posted, [1] the last job number done. */
  control: Int32Array;
  seq: number;
}

type WorkerThreads = typeof import('node:worker_threads');

/** Node's worker_threads when this engine has them (and SharedArrayBuffer), else undefined (browsers, Deno without it). */
function workerThreads(): WorkerThreads | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof SharedArrayBuffer !== 'function' || !proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return undefined;
  return proc.getBuiltinModule('node:worker_threads') as WorkerThreads | undefined;
}

/** The thread count 'auto' means here: the cores Node reports (at most 8), 1 where threads are unavailable. */
export function autoThreadCount(): number {
  if (!workerThreads()) return 1;
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
  return Math.max(1, Math.min(8, os?.availableParallelism() ?? 1));
}

/** Whether this engine can run search threads (Node with worker_threads and SharedArrayBuffer). */
export function threadsAvailable(): boolean {
  return workerThreads() !== undefined;
}

/** Atomics.waitAsync (Node 16+, not in the ES2022 lib this project compiles against). */
type WaitAsync = (view: Int32Array, index: number, value: number, timeout: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** The worker threads of one index, over its shared row memory (`dots.shared` must be defined, with threads + 1 slots). */
export class SearchThreads {
  private readonly workers: SearchWorker[] = [];
  /** The async search using the workers now (later ones wait for it). */
  private turn: Promise<unknown> = Promise.resolve();
  private running = 0;
  /** Counts `close` calls: an async search queued before one does not start workers after it. */
  private closings = 0;

  /** `threads` ranges at most: a synchronous search scores one of them itself (threads − 1 workers), an async one none (threads workers). */
  constructor(private readonly dots: WasmRowDots, readonly threads: number) {}

  /** Workers started so far. */
  get started(): number {
    return this.workers.length;
  }

  /** Whether an async search holds (or waits for) the workers: a synchronous search must not use them now. */
  get busy(): boolean {
    return this.running > 0;
  }

  /**
   * Each range's candidates for the queries (norms: each query's sqrt float64 sum of squares) over rows
   * [0, count): at most `threads` ranges of at least MIN_RANGE_ROWS rows, the first scored here.
   */
  search(queries: Float32Array, norms: Float64Array, rows: RangeRows, count: number, k: number, threshold: number): RangeTop[] {
    const bounds = rangeBounds(count, this.threads);
    const posted: SearchWorker[] = [];
    for (let i = 1; i < bounds.length - 1; i++) {
      const w = this.workers[i - 1] ?? this.start();
      this.post(w, { queries, norms, rowSq: rows.rowSq, owner: rows.owner, identities: rows.identities, first: bounds[i]!, end: bounds[i + 1]!, k, threshold });
      posted.push(w);
    }
    let own: RangeTop;
    try {
      own = topOfRange(this.dots, queries, norms, rows, 0, bounds[1]!, k, threshold, DOT_BLOCK);
    } catch (error) {
      this.close(); // their replies would otherwise answer the next search
      throw error;
    }
    return [own, ...posted.map((w) => this.reply(w))];
  }

  /**
   * `search` with every range on a worker, awaited without blocking; undefined when `close` ends the workers
   * meanwhile. Async searches take the workers one after another.
   */
  searchAsync(queries: Float32Array, norms: Float64Array, rows: RangeRows, count: number, k: number, threshold: number): Promise<RangeTop[] | undefined> {
    this.running++;
    const closings = this.closings;
    const mine = this.turn.then(async () => {
      if (this.closings !== closings) {
        this.running--;
        return undefined;
      }
      const bounds = rangeBounds(count, this.threads);
      const posted: SearchWorker[] = [];
      try {
        for (let i = 0; i < bounds.length - 1; i++) {
          const w = this.workers[i] ?? this.start();
          // A ref'd worker keeps the process alive while its answer is awaited (a pending waitAsync does not).
          w.worker.ref();
          posted.push(w);
          this.post(w, { queries, norms, rowSq: rows.rowSq, owner: rows.owner, identities: rows.identities, first: bounds[i]!, end: bounds[i + 1]!, k, threshold });
        }
        const parts: RangeTop[] = [];
        for (const w of posted) {
          const top = await this.replyAsync(w);
          if (!top) return undefined;
          parts.push(top);
        }
        return parts;
      } finally {
        for (const w of posted) w.worker.unref();
        this.running--;
      }
    });
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /** Ends every worker (an async search awaiting them answers undefined); a later search starts them again. */
  close(): void {
    this.closings++;
    for (const w of this.workers.splice(0)) {
      this.post(w, { stop: true });
      void w.worker.terminate();
      w.port.close();
      Atomics.notify(w.control, 1);
    }
  }

  private start(): SearchWorker {
    const threads = workerThreads()!;
    const handle = this.dots.shared;
    const slot = this.workers.length + 1;
    if (!handle || slot >= handle.slots) throw new FaceIndexError(`search thread ${slot} has no scratch slot in the row memory`);
    const { port1, port2 } = new threads.MessageChannel();
    const control = new Int32Array(new SharedArrayBuffer(8));
    const workerData: ThreadData = { handle, slot, block: DOT_BLOCK, control, port: port2 };
    const worker = new threads.Worker(threadSource(), {
      eval: true, execArgv: [], workerData, transferList: [port2], name: `insightgpu index search ${slot}`,
    });
    worker.unref();
    port1.unref();
    const w = { worker, port: port1, control, seq: 0 };
    this.workers.push(w);
    return w;
  }

  private post(w: SearchWorker, job: ThreadJob): void {
    w.port.postMessage(job);
    w.seq++;
    Atomics.store(w.control, 0, w.seq);
    Atomics.notify(w.control, 0);
  }

  private reply(w: SearchWorker): RangeTop {
    for (;;) {
      const done = Atomics.load(w.control, 1);
      if (done === w.seq) break;
      this.checkAlive(w);
      Atomics.wait(w.control, 1, done, 250);
    }
    return this.take(w);
  }

  private async replyAsync(w: SearchWorker): Promise<RangeTop | undefined> {
    for (;;) {
      if (!this.workers.includes(w)) return undefined;
      const done = Atomics.load(w.control, 1);
      if (done === w.seq) break;
      this.checkAlive(w);
      const wait = waitAsync(w.control, 1, done, 250);
      if (wait.async) await wait.value;
    }
    return this.take(w);
  }

  /** threadId turns -1 once the worker is gone (a crash, or killed): fail instead of waiting for ever. */
  private checkAlive(w: SearchWorker): void {
    if (w.worker.threadId !== -1) return;
    this.close();
    throw new FaceIndexError('a search thread stopped before answering');
  }

  private take(w: SearchWorker): RangeTop {
    const reply = workerThreads()!.receiveMessageOnPort(w.port)?.message as ThreadReply | undefined;
    if (!reply || 'error' in reply) {
      this.close();
      throw new FaceIndexError(`a search thread failed: ${reply ? reply.error : 'no answer'}`);
    }
    return reply.top;
  }
}

/** Bounds of at most `threads` ranges of ≥ MIN_RANGE_ROWS rows over [0, count), on multiples of 8 rows so every range but the last fills whole kernel steps. */
function rangeBounds(count: number, threads: number): number[] {
  const ranges = Math.max(1, Math.min(threads, Math.floor(count / MIN_RANGE_ROWS)));
  return Array.from({ length: ranges + 1 }, (_, i) => (i === ranges ? count : Math.floor((count * i) / ranges / 8) * 8));
}
