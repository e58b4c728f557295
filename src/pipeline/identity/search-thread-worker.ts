/**
 * The body of one search thread (Node worker_threads; started by search-threads.ts from this function's source
 * text, so it names nothing outside itself and gets its helpers as arguments). It attaches the row kernel to the
 * index's shared WebAssembly memory, then loops: wait for the next job number on its control word, take the job
 * from its port, score its row range, post the candidates, publish the job number as done. Blocking waits (not
 * messages) let the index's synchronous `search` use threads.
 */
import type { MessagePort } from 'node:worker_threads';
import type { rowKernel, SharedRowsHandle } from '../../ops/wasm/row-dots.js';
import type { RangeRows, RangeTop, topOfRange } from './search-range.js';

/** One range of one search, as a worker receives it (rowSq and owner on SharedArrayBuffers, so never copied). */
export interface RangeJob extends RangeRows {
  queries: Float32Array;
  norms: Float64Array;
  first: number;
  end: number;
  k: number;
  threshold: number;
}

/** What the calling thread posts to a worker: a range to score, or the order to stop. */
export type ThreadJob = RangeJob | { stop: true };

/** A worker's answer to a range job. */
export type ThreadReply = { top: RangeTop } | { error: string };

/** What a search thread is started with (its workerData). */
export interface ThreadData {
  handle: SharedRowsHandle;
  slot: number;
  block: number;
  /** [0] the last job number posted, [1] the last job number done. */
  control: Int32Array;
  port: MessagePort;
}

/** Runs one search thread until it is told to stop. */
export function threadMain(
  data: ThreadData, receive: (port: MessagePort) => { message: unknown } | undefined, score: typeof topOfRange, kernelOf: typeof rowKernel,
): void {
  const { handle, slot, block, control, port } = data;
  const dots = kernelOf(handle.memory, handle.module, handle.dim, handle.slots, slot, handle.slotBytes);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, 0, seen);
    seen = Atomics.load(control, 0);
    const job = receive(port)?.message as ThreadJob | undefined;
    if (!job || 'stop' in job) break;
    let reply: ThreadReply;
    try {
      dots.refreshIfGrown();
      reply = { top: score(dots, job.queries, job.norms, job, job.first, job.end, job.k, job.threshold, block) };
    } catch (error) {
      reply = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    port.postMessage(reply);
    Atomics.store(control, 1, seen);
    Atomics.notify(control, 1);
  }
  port.close();
}
