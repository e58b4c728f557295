/**
 * Intra-op threads for the SIMD kernels (Node only): N−1 worker_threads instantiate the same compiled module over the
 * same shared arena memory and run parallel sections with the calling thread. A section is a list of independent tasks,
 * each a recorded sequence of kernel calls (an export index and its i32 arguments) in a shared command buffer; every
 * thread, the caller included, claims the next unclaimed task with a compare-exchange until none is left, so a thread
 * that starts late or runs slow simply takes fewer tasks. A task may use a scratch region that each thread gets its own
 * copy of (the section names it; pointer arguments inside it are moved to the running thread's copy).
 *
 * Which thread runs a task never changes what it computes: the same calls on the same operands, with the same sums in
 * the same order, so results equal the one-thread results bit for bit as long as a section's tasks write disjoint
 * bytes, which callers guarantee (GEMMs split over strips of C, never over k; bands of output rows; channels).
 *
 * Waking a sleeping worker (Atomics.notify → Atomics.wait returning) takes 90–270 µs on the 2-core dev VM, often not
 * before the waker itself blocks, so during a run (withSimdThreads: `active`) workers spin on the generation word
 * between sections and the caller spins on the finished count; outside runs they sleep in Atomics.wait.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { BackendError } from '../../core/errors.js';

/** Control words (Int32Array indices), each on its own 64-byte line where threads write them. */
const GEN = 0; // section generation, bumped as a section opens
const STOP = 1; // set once to end the workers
const TRAP = 2; // set by a worker whose kernel trapped
const ACTIVE = 3; // 1 during a run: workers spin instead of sleeping (if SPIN)
const SPIN = 8; // 1 unless other work loads the cores (checked as a run starts)
const TASKS = 4; // tasks in the open section
const SEATS = 5; // threads the section may use (seat 0 is the caller; worker slot s sits at seat s + 1)
const SCRATCH_LO = 6; // first byte of seat 0's scratch
const SCRATCH_BYTES = 7; // bytes of one seat's scratch (seat s's copy is s · SCRATCH_BYTES further)
const NEXT = 16; // (generation & 0x7fff) << 16 | next unclaimed task; low half 0xffff while closed
const FINISHED = 32; // tasks finished in the open section
const CONTROL_INTS = 48;
const CLOSED = 0xffff;
/** Most tasks a section may have (the claim word's low half, CLOSED excluded). */
export const MAX_TASKS = 4096;
/** Ints of the command buffer: task starts (MAX_TASKS + 1), then the calls, each [export, argument count, relocation mask, …arguments]. */
const COMMAND_INTS = 1 << 18;
/** Longest argument list a recorded call may have. */
const MAX_ARGS = 12;
/** Milliseconds a section may take before the caller counts a worker as gone (it died or was killed). */
const STALL_MS = 60_000;
/**
 * Milliseconds a worker spins without a section before it sleeps even during a run (a long stretch of JS ops, or a
 * loaded machine where spinning takes the core from the thread that would open the next section).
 */
const SPIN_MS = 2;
/**
 * A spinning worker that notices three sections running this late (ms) was not running: it shares a core. (Once is a
 * preemption, which even an idle machine has now and then.)
 */
const LATE_MS = 0.1;
/** Milliseconds such a worker then sleeps between sections instead of spinning. */
const CALM_MS = 50;
/** Milliseconds the caller spins on the finished count before it sleeps until a worker finishes a task (a task's tail). */
const CALLER_SPIN_MS = 1;
/** The same where the machine is loaded (SPIN is 0): a worker holding a task may be descheduled for milliseconds. */
const LOADED_CALLER_SPIN_MS = 0.05;

let sections = 0;
/** Parallel sections run over more than one thread so far, in this process (tests check one really ran). */
export function parallelSections(): number {
  return sections;
}

/** Totals over this process's parallel sections, for benchmarks: tasks, those the calling thread ran, wall time in them. */
export const sectionTotals = { sections: 0, tasks: 0, callerTasks: 0, ms: 0 };

type WorkerThreads = typeof import('node:worker_threads');

/** Node's worker_threads when this engine has them and SharedArrayBuffer, else undefined (browsers, whose main thread may not Atomics.wait). */
export function workerThreads(): WorkerThreads | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof SharedArrayBuffer !== 'function' || !proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return undefined;
  return proc.getBuiltinModule('node:worker_threads') as WorkerThreads | undefined;
}

type Kernel = (...args: number[]) => void;

/** Milliseconds on the process's monotonic clock, which every thread shares (Node only, as the threads are). */
function monotonicMs(): number {
  const [sec, ns] = (globalThis as unknown as { process: { hrtime(): [number, number] } }).process.hrtime();
  return sec * 1e3 + ns / 1e6;
}

let forcedSpin: boolean | undefined;
/** Makes workers spin (true) or sleep (false) between sections whatever the load, or (undefined) decides by load again; for benchmarks. */
export function forceSpin(spin: boolean | undefined): void {
  forcedSpin = spin;
}

/**
 * Whether the cores look free for `threads` spinning threads: the 1-minute load average (which counts this process's
 * own threads, and a benchmark's peer beside it) under the processors (at least `threads`) plus one. Spinning pays only there: on a loaded
 * machine (dev box, load 7–19 from other jobs) a spinning worker made 2 threads 0.6–0.9× as fast as 1, sleeping
 * workers 0.95–1.35×.
 */
function machineIdle(threads: number): boolean {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
  if (!os) return false;
  const cores = os.availableParallelism();
  return os.loadavg()[0]! < Math.max(cores, threads) + 1;
}

/**
 * Claims and runs tasks of the open section `generation` at `seat` until none is left; returns how many it ran. Shared
 * by the caller and the workers (whose source embeds it), so it names its control words as literals.
 */
function claimTasks(ctl: Int32Array, cmd: Int32Array, fns: readonly Kernel[], generation: number, seat: number): number {
  const tag = (generation & 0x7fff) << 16;
  const a = new Int32Array(12); // MAX_ARGS
  let ran = 0;
  for (;;) {
    const v = Atomics.load(ctl, 16); // NEXT
    if ((v & ~0xffff) !== tag) return ran;
    const task = v & 0xffff;
    // Read while the section is open at `task`; the compare-exchange below proves it still was.
    const tasks = Atomics.load(ctl, 4), seats = Atomics.load(ctl, 5);
    if (task === 0xffff || task >= tasks || seat >= seats) return ran;
    const lo = Atomics.load(ctl, 6), bytes = Atomics.load(ctl, 7), delta = seat * bytes;
    if (Atomics.compareExchange(ctl, 16, v, v + 1) !== v) continue;
    try {
      for (let p = cmd[task]!, end = cmd[task + 1]!; p < end;) {
        const f = fns[cmd[p]!]!, n = cmd[p + 1]!, mask = cmd[p + 2]!;
        for (let i = 0; i < n; i++) {
          const x = cmd[p + 3 + i]!;
          a[i] = delta !== 0 && (mask >> i) & 1 && x >= lo && x < lo + bytes ? x + delta : x;
        }
        f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!);
        p += 3 + n;
      }
    } catch (error) {
      if (seat === 0) throw error;
      // A trap in a worker is a kernel bug: the caller learns of it through the flag and fails the run.
      Atomics.store(ctl, 2, 1); // TRAP
    }
    Atomics.add(ctl, 32, 1); // FINISHED
    // The caller may sleep on the count after a short spin (a worker descheduled on a loaded machine holds a task).
    if (seat !== 0) Atomics.notify(ctl, 32);
    ran++;
  }
}

/** The body of a worker thread: self-contained, since the worker runs its source text. */
function threadMain(
  data: {
    module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; commands: SharedArrayBuffer; port: MessagePort; slot: number; names: readonly string[];
    clock: SharedArrayBuffer; spinMs: number; lateMs: number; calmMs: number;
  },
  post: (message: string) => void,
  claim: typeof claimTasks,
  receive: (port: MessagePort) => { message: { id: number; buffer?: SharedArrayBuffer } } | undefined,
): void {
  const ctl = new Int32Array(data.control);
  const cmd = new Int32Array(data.commands);
  const exports = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports as Record<string, Kernel>;
  // Tensors in shared memory, by the id the caller gave each (it posts each buffer once, before a task copies it).
  const buffers = new Map<number, Float32Array>();
  const buffer = (id: number): Float32Array => {
    for (let b = buffers.get(id); ; b = buffers.get(id)) {
      if (b) return b;
      const m = receive(data.port);
      if (!m) throw new Error(`shared buffer ${id} was never posted`);
      if (m.message.buffer) buffers.set(m.message.id, new Float32Array(m.message.buffer));
      else buffers.delete(m.message.id);
    }
  };
  let view = new Float32Array(data.memory.buffer);
  const arena = (): Float32Array => (view.length * 4 === data.memory.buffer.byteLength ? view : (view = new Float32Array(data.memory.buffer)));
  const copies: Record<string, Kernel> = {
    copyIn: (id, index, ptr, count) => arena().set(buffer(id!).subarray(index!, index! + count!), ptr! >>> 2),
    copyOut: (id, index, ptr, count) => buffer(id!).set(arena().subarray(ptr! >>> 2, (ptr! >>> 2) + count!), index!),
  };
  const fns = data.names.map((n) => exports[n] ?? copies[n]!);
  const seat = data.slot + 1;
  const opened = new Float64Array(data.clock);
  let seen = Atomics.load(ctl, 0);
  // Until then this worker sleeps between sections even where spinning is allowed: its spins went unscheduled.
  let calmUntil = 0;
  let late = 0;
  post('ready');
  for (;;) {
    // Spin while a run is active (a section follows within microseconds to milliseconds) on a machine not loaded by
    // other work, else sleep.
    let start = 0;
    let spun = false;
    for (let i = 0; Atomics.load(ctl, 0) === seen; i++) {
      if (Atomics.load(ctl, 1) !== 0) return;
      const spin = Atomics.load(ctl, 3) !== 0 && Atomics.load(ctl, 8) !== 0; // ACTIVE, SPIN
      if (spin && (i & 255) !== 0) continue;
      const now = performance.now();
      if (start === 0) start = now;
      spun = spin && now >= calmUntil;
      if (!spun || now - start > data.spinMs) {
        Atomics.wait(ctl, 0, seen);
        start = 0;
        spun = false;
      }
    }
    if (Atomics.load(ctl, 1) !== 0) return;
    seen = Atomics.load(ctl, 0);
    if (spun) {
      // A spinning worker sees a section open within a microsecond unless it was not running: then it shares its core
      // with the thread that opens sections (a loaded machine), and its spinning only slows that thread down.
      // The process's monotonic clock: each thread's performance.timeOrigin is its own, ms apart.
      const [sec, ns] = process.hrtime();
      const now = performance.now();
      late = sec * 1e3 + ns / 1e6 - opened[0]! > data.lateMs ? late + 1 : 0;
      if (late >= 3) {
        calmUntil = now + data.calmMs;
        late = 0;
      }
    }
    claim(ctl, cmd, fns, seen, seat);
  }
}

const threadSource = (): string => `'use strict';
const __name = (f) => f;
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
(${threadMain.toString()})(workerData, (m) => parentPort.postMessage(m), ${claimTasks.toString()}, receiveMessageOnPort);
`;

/** Records one task's kernel calls into the command buffer (a parallel section's body gets one as its kernels). */
export class CallRecorder {
  /** Ints used so far; past the buffer the section runs on the calling thread instead. */
  at = MAX_TASKS + 1;
  overflow = false;
  lo = 0;
  hi = 0;

  constructor(private readonly cmd: Int32Array, private readonly pointers: readonly (readonly number[])[]) {}

  /** Appends a call of export `fn` with `args`, marking pointer arguments inside the scratch range for relocation. */
  call(fn: number, args: ArrayLike<number>): void {
    const n = args.length;
    if (this.at + 3 + n > this.cmd.length) {
      this.overflow = true;
      return;
    }
    const cmd = this.cmd;
    let mask = 0;
    for (const i of this.pointers[fn]!) {
      const x = args[i]!;
      if (x >= this.lo && x < this.hi) mask |= 1 << i;
    }
    cmd[this.at] = fn;
    cmd[this.at + 1] = n;
    cmd[this.at + 2] = mask;
    for (let i = 0; i < n; i++) cmd[this.at + 3 + i] = args[i]!;
    this.at += 3 + n;
  }
}

/** A parallel section's scratch: `bytes` from byte `offset`, one copy per seat laid out after it (seat s at offset + s · bytes). */
export interface SectionScratch {
  readonly offset: number;
  readonly bytes: number;
}

/** The threads of one shared arena. */
export class KernelThreads {
  private readonly ctl: Int32Array<SharedArrayBuffer>;
  private readonly cmd: Int32Array<SharedArrayBuffer>;
  /** When the open section opened (monotonicMs), for the workers' lateness check. */
  private readonly opened = new Float64Array(new SharedArrayBuffer(8));
  private readonly workers: Worker[] = [];
  /** Our end of each worker's channel, for the shared tensors' buffers. */
  private readonly ports: MessagePort[] = [];
  private readonly shareIds = new WeakMap<SharedArrayBuffer, number>();
  private readonly sharedBuffers = new Map<number, WeakRef<SharedArrayBuffer>>();
  private nextShare = 1;
  /** A shared buffer the collector took is forgotten by the workers too. */
  private readonly forget = new FinalizationRegistry<number>((id) => {
    this.sharedBuffers.delete(id);
    for (const port of this.ports) port.postMessage({ id });
  });
  private readonly ready: boolean[] = [];
  private readonly fns: Kernel[];
  readonly recorder: CallRecorder;
  /** Resolves once every worker reported ready or failed. */
  readonly started: Promise<void>;
  /** Most threads a section may use now: set per run by the backend that runs (withSimdThreads), 1 outside runs. */
  private limitNow = 1;
  /** Why fewer threads than asked run (a worker failed to start), if so. */
  reason: string | undefined;
  private inSection = false;

  /**
   * Starts `threads − 1` workers over `memory`, running exports `names` (of `instance`'s module) whose pointer
   * arguments are at `pointers[i]`; throws only where worker_threads are missing (callers check first).
   */
  constructor(readonly threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, instance: WebAssembly.Instance,
    readonly names: readonly string[], pointers: readonly (readonly number[])[]) {
    const wt = workerThreads();
    if (!wt) throw new Error('no worker_threads');
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * CONTROL_INTS));
    this.cmd = new Int32Array(new SharedArrayBuffer(4 * COMMAND_INTS));
    Atomics.store(this.ctl, NEXT, CLOSED);
    this.recorder = new CallRecorder(this.cmd, pointers);
    const exports = instance.exports as Record<string, Kernel>;
    let view = new Float32Array(memory.buffer);
    const arena = (): Float32Array => (view.length * 4 === memory.buffer.byteLength ? view : (view = new Float32Array(memory.buffer)));
    const buffer = (id: number): Float32Array => new Float32Array(this.sharedBuffers.get(id)!.deref()!);
    const copies: Record<string, Kernel> = {
      copyIn: (id, index, ptr, count) => arena().set(buffer(id!).subarray(index!, index! + count!), ptr! >>> 2),
      copyOut: (id, index, ptr, count) => buffer(id!).set(arena().subarray(ptr! >>> 2, (ptr! >>> 2) + count!), index!),
    };
    this.fns = names.map((n) => exports[n] ?? copies[n]!);
    const waits: Promise<void>[] = [];
    for (let slot = 0; slot < threads - 1; slot++) {
      this.ready.push(false);
      try {
        const channel = new wt.MessageChannel();
        const worker = new wt.Worker(threadSource(), {
          eval: true, execArgv: [], name: `insightgpu kernels ${slot + 1}`,
          workerData: {
            module, memory, control: this.ctl.buffer, commands: this.cmd.buffer, clock: this.opened.buffer, port: channel.port2, slot, names,
            spinMs: SPIN_MS, lateMs: LATE_MS, calmMs: CALM_MS,
          },
          transferList: [channel.port2],
        });
        channel.port1.unref();
        this.ports.push(channel.port1);
        worker.unref();
        this.workers.push(worker);
        waits.push(new Promise<void>((resolve) => {
          worker.once('message', () => { this.ready[slot] = true; resolve(); });
          worker.once('error', (error: Error) => { this.reason ??= `a kernel thread failed to start: ${error.message}`; resolve(); });
          worker.once('exit', () => { this.ready[slot] = false; resolve(); });
        }));
      } catch (error) {
        this.reason ??= `a kernel thread failed to start: ${(error as Error).message}`;
      }
    }
    this.started = Promise.all(waits).then(() => undefined);
  }

  /** The id the workers know `buffer` by (a shared tensor's), posting it to them the first time. */
  shareId(buffer: SharedArrayBuffer): number {
    let id = this.shareIds.get(buffer);
    if (id === undefined) {
      id = this.nextShare++;
      this.shareIds.set(buffer, id);
      this.sharedBuffers.set(id, new WeakRef(buffer));
      this.forget.register(buffer, id);
      for (const port of this.ports) port.postMessage({ id, buffer });
    }
    return id;
  }

  /** Threads a call can use now: this one plus every ready worker. */
  get live(): number {
    return 1 + this.ready.filter(Boolean).length;
  }

  /** Seats a section has now (min of the run's limit and the pool): what a caller reserves scratch for. */
  get seats(): number {
    return this.inSection ? 1 : Math.min(this.limitNow, this.threads);
  }

  /**
   * Wakes workers that went to sleep after a long stretch without sections (where they spin), so they are spinning
   * again by the time the op that calls this, before its copies into the arena, opens its first section.
   */
  wake(): void {
    if (this.limitNow > 1 && Atomics.load(this.ctl, SPIN) !== 0) Atomics.notify(this.ctl, GEN);
  }

  /** The run's thread limit; above 1 the workers spin between sections until it drops back to 1. */
  get limit(): number {
    return this.limitNow;
  }

  set limit(count: number) {
    this.limitNow = count;
    if (count > 1) Atomics.store(this.ctl, SPIN, forcedSpin ?? machineIdle(this.threads) ? 1 : 0);
    Atomics.store(this.ctl, ACTIVE, count > 1 ? 1 : 0);
    // Wakes sleeping workers now, so the run's first section finds them spinning.
    if (count > 1) Atomics.notify(this.ctl, GEN);
  }

  /**
   * Runs `tasks` independent tasks (0…tasks−1), `body(task, record)` recording each one's kernel calls, over the
   * seats: the caller opens the section, claims tasks like any worker and returns once every task finished. With one
   * seat, no worker, a section inside a section or a body too long for the command buffer, the caller runs
   * `direct(task)` for every task instead, in order.
   */
  run(tasks: number, body: (task: number, record: CallRecorder) => void, direct: (task: number) => void, scratch?: SectionScratch): void {
    const seats = this.seats;
    if (seats <= 1 || tasks <= 1 || tasks > MAX_TASKS || !this.ready.some(Boolean)) {
      for (let t = 0; t < tasks; t++) direct(t);
      return;
    }
    const { ctl, cmd, recorder } = this;
    recorder.at = MAX_TASKS + 1;
    recorder.overflow = false;
    recorder.lo = scratch?.offset ?? 0;
    recorder.hi = scratch ? scratch.offset + scratch.bytes : 0;
    for (let t = 0; t < tasks && !recorder.overflow; t++) {
      cmd[t] = recorder.at;
      body(t, recorder);
    }
    cmd[tasks] = recorder.at;
    if (recorder.overflow) {
      for (let t = 0; t < tasks; t++) direct(t);
      return;
    }
    sections++;
    const generation = (Atomics.load(ctl, GEN) + 1) | 0;
    // The claim word stays closed (from the last section) while the header is written.
    Atomics.store(ctl, TASKS, tasks);
    Atomics.store(ctl, SEATS, seats);
    Atomics.store(ctl, SCRATCH_LO, recorder.lo);
    Atomics.store(ctl, SCRATCH_BYTES, scratch?.bytes ?? 0);
    Atomics.store(ctl, FINISHED, 0);
    Atomics.store(ctl, NEXT, (generation & 0x7fff) << 16);
    this.opened[0] = monotonicMs();
    Atomics.store(ctl, GEN, generation);
    Atomics.notify(ctl, GEN);
    this.inSection = true;
    const start = performance.now();
    try {
      sectionTotals.callerTasks += claimTasks(ctl, cmd, this.fns, generation, 0);
    } catch (error) {
      // This thread's task trapped: stop further claims and wait out the tasks workers hold before the arena is reused.
      const claimed = Atomics.exchange(ctl, NEXT, CLOSED) & 0xffff;
      this.waitFinished(claimed - 1, 'a trapped section');
      throw error;
    } finally {
      this.inSection = false;
    }
    this.waitFinished(tasks, `${tasks} tasks`);
    Atomics.store(ctl, NEXT, CLOSED);
    sectionTotals.sections++;
    sectionTotals.tasks += tasks;
    sectionTotals.ms += performance.now() - start;
    if (Atomics.load(ctl, TRAP) !== 0) {
      Atomics.store(ctl, TRAP, 0);
      throw new BackendError('cpu', 'a kernel thread trapped in a parallel section');
    }
  }

  /** Spins until `count` tasks finished; a section unfinished after STALL_MS drops the workers and fails the run. */
  private waitFinished(count: number, what: string): void {
    const ctl = this.ctl;
    let since = 0;
    for (let i = 0, done = Atomics.load(ctl, FINISHED); done < count; i++, done = Atomics.load(ctl, FINISHED)) {
      if ((i & 255) !== 255) continue;
      const waited = performance.now() - (since ||= performance.now());
      if (waited > (Atomics.load(ctl, SPIN) !== 0 ? CALLER_SPIN_MS : LOADED_CALLER_SPIN_MS)) Atomics.wait(ctl, FINISHED, done, 1);
      // A worker that exited cannot say so while this thread waits (its 'exit' event needs this thread's loop), so a
      // section unfinished after STALL_MS fails the run instead of hanging the process.
      if (waited > STALL_MS) {
        Atomics.store(ctl, NEXT, CLOSED);
        this.ready.fill(false);
        this.reason = 'a kernel thread stopped answering';
        throw new BackendError('cpu', `a kernel thread did not finish its part of ${what} in ${STALL_MS / 1000} s; later runs use one thread`);
      }
    }
  }

  /** Stops and terminates the workers. */
  close(): void {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.store(this.ctl, GEN, (Atomics.load(this.ctl, GEN) + 1) | 0);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) void w.terminate();
    for (const port of this.ports) port.close();
    this.workers.length = 0;
    this.ports.length = 0;
    this.ready.fill(false);
  }
}
