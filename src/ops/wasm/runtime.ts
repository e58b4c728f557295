import { encodeModule, MAX_PAGES } from './encoder.js';
import { KernelThreads, MAX_TASKS, workerThreads, type CallRecorder, type SectionScratch } from './kernel-threads.js';
import { depthwise3x3Function } from './depthwise-3x3.js';
import { gemmFunction } from './gemm.js';
import { PACKED_MAX_ROWS, packedGemmFunction, packedGemmName } from './gemm-packed.js';
import { maxPoolFunction } from './max-pool.js';
import { planeMeansFunction } from './plane-mean.js';
import { winogradInputFunction, winogradOutputFunction } from './winograd-f2.js';
import { clampFunction, preluFunction } from './clamp.js';
import { copyRowsFunction, im2colBandFunction, splitRowsFunction, zeroBytesFunction } from './copy-rows.js';
import { BINARY_VARIANTS, binaryFunctionName, binaryFunctions, SIMD_BINARY_KINDS, type BinaryVariant, type SimdBinaryKind } from './binary.js';

/**
 * The kernels a parallel section's task may call (their unsplit forms: a task is one thread's work), with the
 * positions of their pointer arguments: a pointer into the section's scratch is moved to the running thread's copy.
 */
export const SECTION_KERNELS = {
  gemm: [0, 2, 4],
  gemmBias: [0, 2, 4, 9],
  gemmBiasClamp: [0, 2, 4, 9, 10],
  winogradInput: [0, 7],
  winogradOutput: [0, 6, 9],
  winogradOutputClamp: [0, 6, 9, 10],
  im2colBand: [0, 6],
  copyRows: [0, 2],
  zeroBytes: [0],
  splitRows: [0, 2, 3],
  depthwise3x3s1: [0, 3, 7, 8],
  depthwise3x3s2: [0, 3, 7, 8],
  clamp: [0, 2],
  prelu: [0, 3],
  maxPoolPlane: [0, 5, 6],
  copyIn: [2],
  copyOut: [2],
} as const satisfies Record<string, readonly number[]>;
type SectionKernel = keyof typeof SECTION_KERNELS;
const SECTION_NAMES = Object.keys(SECTION_KERNELS) as SectionKernel[];

/** What a parallel section's task calls: the kernels of SECTION_KERNELS, never split themselves. */
export type SectionKernels = Pick<SimdKernels, SectionKernel>;

/**
 * The WebAssembly SIMD kernels, emitted by our own encoder and instantiated once. Kernels work on one linear
 * memory used as a scratch arena: a caller lays out its operands from offset 0, runs, and copies results out
 * before the next kernel call reuses the space. With cpuThreads the arena is shared with worker threads, which run
 * parallel sections (`parallel`) beside the calling thread; the calls themselves are the same.
 */
export interface SimdKernels {
  /**
   * Threads a parallel section runs on now (1 outside a threaded run): what a caller reserves per-thread scratch for
   * and sizes its tasks by. Ops call it first, before their copies into the arena: it also wakes sleeping workers.
   */
  threads(): number;
  /**
   * Runs `tasks` independent tasks, `body(task, k)` making one task's kernel calls on `k`, spread over threads();
   * returns when all are done. Tasks must write disjoint bytes (outside the scratch) and `body` must do nothing but
   * call `k`: with threads it only records the calls, which threads then replay. With `scratch` (byte offset and size
   * of one thread's region) each thread works in its own copy, thread i's at offset + i·bytes: the caller lays out
   * threads() copies. With one thread the tasks run in order on this thread, the calls made directly.
   */
  parallel(tasks: number, body: (task: number, k: SectionKernels) => void, scratch?: SectionScratch): void;
  /** A task's copy of `count` floats of `src` from `index` into the arena at byte `dst` (`src` must be shareable). */
  copyIn(src: Float32Array, index: number, dst: number, count: number): void;
  /** A task's copy of `count` floats of the arena from byte `src` into `dst` from `index` (`dst` must be shareable). */
  copyOut(dst: Float32Array, index: number, src: number, count: number): void;
  /**
   * Copies `count` floats of `src` from `index` into the arena from float `dst`: in one section over the threads when
   * `src` lies in shared memory (a tensor of a threaded run) and is large, else on this thread.
   */
  stage(src: Float32Array, index: number, dst: number, count: number): void;
  /** The reverse: `count` floats of the arena from float `src` into `dst` from `index`, split the same way. */
  unstage(dst: Float32Array, index: number, src: number, count: number): void;
  /** Float view of the whole arena, at least `floats` long (views are recreated when the memory grows). */
  arena(floats: number): Float32Array;
  gemm(ap: number, aStride: number, b: number, ldb: number, c: number, ldc: number, mBlocks: number, nStrips: number, k: number): void;
  /**
   * C += A·B over a strip-packed B, A in panels of `rows` rows (1…4), for a B kept between runs (see gemm-packed.ts;
   * the same arguments as `gemm`, with B's strip stride in place of its row stride).
   */
  gemmPacked(rows: number): GemmKernel;
  /** C = bias + A·B, C not read (see gemm.ts). */
  gemmBias(ap: number, aStride: number, b: number, ldb: number, c: number, ldc: number, mBlocks: number, nStrips: number, k: number, bias: number): void;
  /** C = clamp(bias + A·B) to the bounds at `bounds`, C not read (see gemm.ts). */
  gemmBiasClamp(
    ap: number, aStride: number, b: number, ldb: number, c: number, ldc: number, mBlocks: number, nStrips: number, k: number, bias: number, bounds: number,
  ): void;
  /** One channel of a padded 3×3 depthwise conv, stride 1 or 2 (see depthwise-kernel.ts). */
  depthwise3x3s1: DepthwiseKernel;
  depthwise3x3s2: DepthwiseKernel;
  /** Winograd F(2×2, 3×3) input transform V = Bᵀ d B, four tiles per v128 (see winograd-f2.ts). */
  winogradInput: WinogradInputKernel;
  /** Winograd F(2×2, 3×3) output transform Y = Aᵀ M A + bias (see winograd-f2.ts). */
  winogradOutput: WinogradOutputKernel;
  /** The same, clamping each stored row to the two floats at an 11th argument, `bounds`. */
  winogradOutputClamp: WinogradOutputClampKernel;
  /** One channel of a max pool over a −Infinity-padded plane (see max-pool.ts). */
  maxPoolPlane: MaxPoolKernel;
  /** The mean of each of `planes` consecutive planes of `count` floats, one float each at dst (see plane-mean.ts). */
  planeMeans(src: number, count: number, planes: number, dst: number): void;
  /** Clamps count4·4 floats in place to the two bounds stored at `bounds` (see clamp.ts). */
  clamp(ptr: number, count4: number, bounds: number): void;
  /** PRelu in place over repeats × channels rows of count4 v128, one slope per channel (see clamp.ts). */
  prelu(ptr: number, count4: number, channels: number, slopes: number, repeats: number): void;
  /** Strided row copies inside the arena (see copy-rows.ts). */
  copyRows(src: number, srcStride: number, dst: number, dstStride: number, rowBytes: number, rows: number): void;
  /** Zeroes `bytes` bytes from `dst` (see copy-rows.ts). */
  zeroBytes(dst: number, bytes: number): void;
  /** Rows split into alternate elements, for the stride-2 kernels' even/odd columns (see copy-rows.ts). */
  splitRows(src: number, srcStride: number, dstA: number, dstB: number, dstStride: number, count: number, rows: number): void;
  /** One band of the banded 3×3 conv's im2col, every channel and tap in one call (see copy-rows.ts). */
  im2colBand(
    src: number, rowStride: number, kyStride: number, chStride: number, kx1: number, kx2: number,
    dst: number, dstStride: number, dstRowStride: number, rowBytes: number, rows: number, channels: number,
  ): void;
  /** The element-wise row kernels, by op and operand variant (see binary.ts). */
  binary: Record<SimdBinaryKind, Record<BinaryVariant, BinaryKernel>>;
}

/** The gemm kernels' signature: (ap, aStride, b, bStride, c, ldc, mBlocks, nStrips, k), pointers and strides in bytes. */
export type GemmKernel = (ap: number, aStride: number, b: number, bStride: number, c: number, ldc: number, mBlocks: number, nStrips: number, k: number) => void;

/** An element-wise row kernel: out = x ∘ y over n4 v128 (byte pointers into the arena). */
export type BinaryKernel = (x: number, y: number, out: number, n4: number) => void;

/** The max-pool plane kernel's signature (byte pointers and strides into the arena). */
export type MaxPoolKernel = (
  src: number, rowStride: number, kh: number, rowStep: number, chunks: number, tmp: number, dst: number,
  ho: number, wo: number, colStep: number, kw: number,
) => void;

export type DepthwiseKernel = (input: number, rowStride: number, phaseStride: number, out: number, outRowStride: number, rows: number, groups: number, w: number, bias: number) => void;

/** The Winograd input transform's signature (byte pointers and strides into the arena). */
export type WinogradInputKernel = (
  src: number, rowStride: number, phaseStride: number, chStride: number, channels: number, tileRows: number, groups: number,
  dst: number, eStride: number, dstChStride: number,
) => void;

/** The Winograd output transform's signature (byte pointers and strides into the arena). */
export type WinogradOutputKernel = (
  src: number, eStride: number, chStride: number, channels: number, tileRows: number, groups: number,
  dst: number, dstRowStride: number, dstChStride: number, bias: number,
) => void;

/** The Winograd output transform with its clamp bounds' byte pointer as a last argument. */
export type WinogradOutputClampKernel = (...args: [...Parameters<WinogradOutputKernel>, bounds: number]) => void;

const PAGE = 65536;
const INITIAL_PAGES = 64;

type Exports = Record<string, BinaryKernel> & Pick<SimdKernels, 'gemm' | 'gemmBias' | 'gemmBiasClamp' | 'depthwise3x3s1' | 'depthwise3x3s2' | 'winogradInput' | 'winogradOutput' | 'winogradOutputClamp' | 'maxPoolPlane' | 'planeMeans' | 'clamp' | 'prelu' | 'copyRows' | 'zeroBytes' | 'splitRows' | 'im2colBand'>;

function build(shared = false): Uint8Array<ArrayBuffer> {
  const packed = Array.from({ length: PACKED_MAX_ROWS }, (_, i) => packedGemmFunction(i + 1));
  return encodeModule([gemmFunction(), ...packed, gemmFunction('bias'), gemmFunction('biasClamp'), depthwise3x3Function(1), depthwise3x3Function(2), winogradInputFunction(), winogradOutputFunction(), winogradOutputFunction(true), maxPoolFunction(), planeMeansFunction(), clampFunction(), preluFunction(), copyRowsFunction(), splitRowsFunction(), im2colBandFunction(), zeroBytesFunction(), ...binaryFunctions()], 1, shared);
}

/** Fewest multiply-adds a split GEMM's task gets: below it the claim and the call cost more than the share saves. */
const MIN_TASK_MACS = 1 << 18;
/** Tasks per thread a split GEMM is cut into at most: a few, so a thread that starts late takes fewer. */
const TASKS_PER_THREAD = 4;

/** Fewest floats a copy between a tensor and the arena is split over the threads for (below, one thread's memcpy is quicker). */
const MIN_SPLIT_COPY = 1 << 16;

/** A section recorder's kernels: each call appended to the running section's command buffer (a tensor by its share id). */
function recordingKernels(recorder: CallRecorder, pool: KernelThreads): SectionKernels {
  const kernels: Record<string, unknown> = Object.fromEntries(SECTION_NAMES.map((name, i) => [name, (...args: number[]) => recorder.call(i, args)]));
  for (const name of ['copyIn', 'copyOut'] as const) {
    const i = SECTION_NAMES.indexOf(name);
    kernels[name] = (a: Float32Array, index: number, ptr: number, count: number) =>
      recorder.call(i, [pool.shareId(a.buffer as SharedArrayBuffer), a.byteOffset / 4 + index, ptr, count]);
  }
  return kernels as unknown as SectionKernels;
}

function wrap(exports: Exports, memory: WebAssembly.Memory, threads?: KernelThreads): SimdKernels {
  let view = new Float32Array(memory.buffer);
  const arenaView = (): Float32Array => (view.buffer === memory.buffer ? view : (view = new Float32Array(memory.buffer)));
  const copyIn = (a: Float32Array, index: number, ptr: number, count: number): void => arenaView().set(a.subarray(index, index + count), ptr >>> 2);
  const copyOut = (a: Float32Array, index: number, ptr: number, count: number): void => a.set(arenaView().subarray(ptr >>> 2, (ptr >>> 2) + count), index);
  const direct = { ...Object.fromEntries(SECTION_NAMES.map((name) => [name, exports[name]])), copyIn, copyOut } as unknown as SectionKernels;
  const recording = threads ? recordingKernels(threads.recorder, threads) : direct;
  const parallel: SimdKernels['parallel'] = (tasks, body, scratch) => {
    if (!threads) {
      for (let t = 0; t < tasks; t++) body(t, direct);
      return;
    }
    threads.run(tasks, (t) => body(t, recording), (t) => body(t, direct), scratch);
  };
  // The row-major gemms split over strips of C: B at args[2] and C at args[4] move by each range's first strip.
  const split = <F extends (...args: number[]) => void>(name: 'gemm' | 'gemmBias' | 'gemmBiasClamp'): F => {
    const own = exports[name] as unknown as F;
    if (!threads) return own;
    return ((...args: number[]) => {
      const nStrips = args[7]!, macs = args[6]! * 4 * nStrips * 8 * args[8]!;
      const tasks = Math.min(nStrips, TASKS_PER_THREAD * threads.seats, Math.floor(macs / MIN_TASK_MACS), MAX_TASKS);
      if (threads.seats <= 1 || tasks <= 1) return own(...args);
      parallel(tasks, (t, k) => {
        const s0 = Math.floor((t * nStrips) / tasks), s1 = Math.floor(((t + 1) * nStrips) / tasks);
        const a = args.slice();
        a[2]! += s0 * 32;
        a[4]! += s0 * 32;
        a[7] = s1 - s0;
        (k[name] as (...args: number[]) => void)(...a);
      });
    }) as F;
  };
  const packed = Array.from({ length: PACKED_MAX_ROWS }, (_, i) => exports[packedGemmName(i + 1)] as unknown as GemmKernel);
  /** Whether a copy of `count` floats to or from `a` splits over the threads. */
  const splitCopy = (a: Float32Array, count: number): boolean =>
    !!threads && threads.seats > 1 && count >= MIN_SPLIT_COPY && a.buffer instanceof SharedArrayBuffer;
  const copyTasks = (count: number): number => Math.min(4 * threads!.seats, Math.floor(count / (MIN_SPLIT_COPY / 4)));
  return {
    copyIn,
    copyOut,
    stage(src, index, dst, count) {
      if (!splitCopy(src, count)) return copyIn(src, index, 4 * dst, count);
      const tasks = copyTasks(count);
      parallel(tasks, (t, k) => {
        const a = Math.floor((t * count) / tasks), b = Math.floor(((t + 1) * count) / tasks);
        k.copyIn(src, index + a, 4 * (dst + a), b - a);
      });
    },
    unstage(dst, index, src, count) {
      if (!splitCopy(dst, count)) return copyOut(dst, index, 4 * src, count);
      const tasks = copyTasks(count);
      parallel(tasks, (t, k) => {
        const a = Math.floor((t * count) / tasks), b = Math.floor(((t + 1) * count) / tasks);
        k.copyOut(dst, index + a, 4 * (src + a), b - a);
      });
    },
    threads: () => {
      if (!threads) return 1;
      threads.wake();
      return threads.seats;
    },
    parallel,
    arena(floats) {
      const bytes = floats * 4;
      if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
      if (view.buffer !== memory.buffer) view = new Float32Array(memory.buffer);
      return view;
    },
    gemm: split('gemm'),
    gemmPacked(rows) {
      const kernel = packed[rows - 1];
      if (!kernel) throw new RangeError(`packed gemm rows must be 1…${PACKED_MAX_ROWS}, got ${rows}`);
      return kernel;
    },
    gemmBias: split('gemmBias'),
    gemmBiasClamp: split('gemmBiasClamp'),
    depthwise3x3s1: exports.depthwise3x3s1,
    depthwise3x3s2: exports.depthwise3x3s2,
    winogradInput: exports.winogradInput,
    winogradOutput: exports.winogradOutput,
    winogradOutputClamp: exports.winogradOutputClamp,
    maxPoolPlane: exports.maxPoolPlane,
    planeMeans: exports.planeMeans,
    clamp: exports.clamp,
    prelu: exports.prelu,
    copyRows: exports.copyRows,
    zeroBytes: exports.zeroBytes,
    splitRows: exports.splitRows,
    im2colBand: exports.im2colBand,
    binary: Object.fromEntries(SIMD_BINARY_KINDS.map((kind) => [kind, Object.fromEntries(BINARY_VARIANTS.map((v) => [v, exports[binaryFunctionName(kind, v)]!]))])) as SimdKernels['binary'],
  };
}

let kernels: SimdKernels | null | undefined;
/** The live instance's memory (the arena), while `kernels` is an instance. */
let arenaMemory: WebAssembly.Memory | undefined;
/** The compiled module, kept when an instance is dropped so a fresh one needs no compile. */
let compiled: WebAssembly.Module | undefined;
/** CPU backends between retainSimdArena and releaseSimdArena. */
let holders = 0;
/** The thread count the live holders ask for (the largest), and the threads of the live instance if it has any. */
let wantThreads = 1;
let threads: KernelThreads | undefined;
/** The module compiled over a shared memory, for threaded instances. */
let compiledShared: WebAssembly.Module | undefined;
/** Why the live instance runs fewer threads than asked, if so. */
let threadsReason: string | undefined;

/**
 * A shared-memory instance with its threads when more than one thread is wanted and the engine allows it, else
 * undefined (the caller makes the plain one) with threadsReason saying why.
 */
function makeThreaded(): SimdKernels | undefined {
  if (wantThreads <= 1) return undefined;
  if (!workerThreads()) {
    threadsReason = 'CPU threads need Node worker_threads and SharedArrayBuffer; running 1 thread';
    return undefined;
  }
  try {
    compiledShared ??= new WebAssembly.Module(build(true));
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(compiledShared, { env: { memory } });
    const pool = new KernelThreads(wantThreads, compiledShared, memory, instance, SECTION_NAMES, SECTION_NAMES.map((n) => SECTION_KERNELS[n]));
    threads = pool;
    arenaMemory = memory;
    return wrap(instance.exports as unknown as Exports, memory, pool);
  } catch (error) {
    threadsReason = `CPU threads unavailable (${(error as Error).message}); running 1 thread`;
    threads?.close();
    threads = undefined;
    return undefined;
  }
}

/** Whether this engine validates our SIMD module (WebAssembly SIMD is missing in old engines). */
function simdSupported(bytes: Uint8Array<ArrayBuffer>): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' && WebAssembly.validate(bytes);
}

function adopt(instance: WebAssembly.Instance, memory: WebAssembly.Memory): SimdKernels {
  arenaMemory = memory;
  return wrap(instance.exports as unknown as Exports, memory);
}

/** Compiles (once) and instantiates the kernels asynchronously (for browsers' main threads); backends call it before running. */
export async function prepareSimdKernels(): Promise<boolean> {
  if (kernels !== undefined) return kernels !== null;
  if (!compiled) {
    const bytes = build();
    if (!simdSupported(bytes)) {
      kernels = null;
      return false;
    }
    compiled = await WebAssembly.compile(bytes);
  }
  const threaded = makeThreaded();
  if (threaded) {
    kernels = threaded;
    await threads?.started;
    if (threads && threads.live < wantThreads) threadsReason = `${threads.reason ?? 'gemm threads failed to start'}; running ${threads.live} of ${wantThreads}`;
    return true;
  }
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const instance = await WebAssembly.instantiate(compiled, { env: { memory } });
  kernels ??= adopt(instance, memory);
  return kernels !== null;
}

/**
 * The kernels, or null when WebAssembly SIMD is unavailable (or disabled) and callers should use their JS loops.
 * Compiles and instantiates synchronously on first use when `prepareSimdKernels` was not awaited.
 */
export function simdKernels(): SimdKernels | null {
  if (kernels !== undefined) return kernels;
  try {
    if (!compiled) {
      const bytes = build();
      if (!simdSupported(bytes)) return (kernels = null);
      compiled = new WebAssembly.Module(bytes);
    }
    const threaded = makeThreaded();
    if (threaded) return (kernels = threaded);
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
    kernels = adopt(new WebAssembly.Instance(compiled, { env: { memory } }), memory);
  } catch {
    // Synchronous compilation can be refused (e.g. on a browser main thread): fall back to JS kernels.
    kernels = null;
  }
  return kernels;
}

/**
 * A fresh instance of the kernels over a WebAssembly memory of its own, at least `floats` long, for data kept between
 * runs (a constant Gemm B: tiled-gemm/cpu.ts). Its `arena` is that memory, so nothing else ever writes it; the caller
 * owns the layout, and the memory goes with the instance to the garbage collector. Null when SIMD is unavailable or
 * off, or the memory or a synchronous instance is refused (a browser main thread may refuse the latter).
 */
export function privateSimdKernels(floats: number): SimdKernels | null {
  if (!simdKernels() || !compiled) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((floats * 4) / PAGE)) });
    return wrap(new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Exports, memory);
  } catch {
    return null;
  }
}

/**
 * Counts one user of the scratch arena (a CPU backend) until its `releaseSimdArena`. `cpuThreads` above 1 asks for
 * intra-op GEMM threads: a live instance without them (or with fewer) is dropped so the next op makes one with them.
 * Safe for the reason releaseSimdArena gives.
 */
export function retainSimdArena(cpuThreads = 1): void {
  holders++;
  if (cpuThreads > wantThreads) {
    wantThreads = cpuThreads;
    if (kernels) dropInstance();
  }
}

function dropInstance(): void {
  kernels = undefined;
  arenaMemory = undefined;
  threads?.close();
  threads = undefined;
  threadsReason = undefined;
}

/**
 * Runs `body` with GEMMs split over at most `count` threads (the live instance's, however many a backend with more
 * asked for): sessions sharing the arena each keep their own cpuThreads. Outside it, kernels run on one thread.
 */
export function withSimdThreads<T>(count: number, body: () => T): T {
  const pool = threads;
  if (!pool || count <= 1) return body();
  const before = pool.limit;
  pool.limit = count;
  try {
    return body();
  } finally {
    pool.limit = before;
  }
}

/** Threads the live instance splits its GEMMs over (1 without threads or instance), and why fewer than asked if so. */
export function simdThreads(): { threads: number; reason: string | undefined } {
  return { threads: kernels && threads ? threads.live : 1, reason: threadsReason };
}

/**
 * Ends one `retainSimdArena`. When the last user leaves, the instance is dropped: a WebAssembly memory only grows
 * (tens of MB after a 640² detector), so the memory is handed to the garbage collector instead, and the next use
 * instantiates a fresh one at the initial size from the kept module. Safe because no kernel call spans a JS turn:
 * every caller takes `simdKernels()` and its arena views within one synchronous op.
 */
export function releaseSimdArena(): void {
  if (holders === 0) return;
  holders--;
  if (holders === 0) {
    wantThreads = 1;
    if (kernels) dropInstance();
  }
}

/** Bytes of the live arena memory; 0 when no instance is live (never made, dropped, or SIMD off). */
export function simdArenaBytes(): number {
  return kernels ? arenaMemory?.buffer.byteLength ?? 0 : 0;
}

/** Turns the SIMD path off or on again (tests compare both; `false` forces the JS fallback). */
export function setSimdEnabled(enabled: boolean): void {
  if (!enabled) {
    dropInstance();
    kernels = null;
  } else if (kernels === null) kernels = undefined;
}
