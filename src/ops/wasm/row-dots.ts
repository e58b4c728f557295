import { encodeModule, MAX_PAGES, op, ValType, type FunctionSpec } from './encoder.js';

/** Rows one kernel step scores together: four f64x2 accumulators, each holding two rows' sums. */
export const ROWS_PER_STEP = 8;

/** The most rows one `dots` call scores (its float64 results sit in a fixed area of the memory). */
export const DOT_BLOCK = 256;

const PAGE = 65536;

/**
 * `dots(q, rows, groups, out)` for rows of `dim` floats (dim a multiple of 4), every pointer in bytes: for each of
 * `groups` groups of 8 consecutive rows, the float64 dot product of each row with the query (stored as `dim`
 * float64 at q), written as 8 float64 at out. Each lane of an accumulator is one row, so every row's sum is one
 * float64 sum in index order of exact float32 × float64 products: bit for bit the JS loop
 * `for (i) d += q[i] * row[i]`. A step loads 4 floats of each of the 8 rows, pairs two rows' floats by shuffles
 * and widens them (promote_low), so one multiply and one add serve two rows. Specialised for `dim`: the 8 rows
 * are static offsets from one pointer. Requires groups ≥ 1.
 */
export function rowDotsFunction(dim: number): FunctionSpec {
  const [q, rows, groups, out] = [0, 1, 2, 3];
  const [p, qp, end] = [4, 5, 6];
  const acc = (j: number): number => 7 + j;
  const [a, b, lo, hi] = [11, 12, 13, 14];
  const qs = (i: number): number => 15 + i;
  const locals = [...new Array<ValType>(3).fill(ValType.I32), ...new Array<ValType>(12).fill(ValType.V128)];
  const rowBytes = dim * 4;
  // acc_j += widen(lanes) · q[i + t], the product first, as the JS loop rounds it.
  const addProduct = (j: number, pair: number[], t: number): number[] => [
    ...op.get(acc(j)), ...pair, ...op.f64x2PromoteLowF32x4(), ...op.get(qs(t)), ...op.f64x2Mul(), ...op.f64x2Add(), ...op.set(acc(j)),
  ];
  const step: number[] = [];
  for (let t = 0; t < 4; t++) step.push(...op.get(qp), ...op.v128Load64Splat(8 * t), ...op.set(qs(t)));
  for (let j = 0; j < 4; j++) {
    step.push(
      ...op.get(p), ...op.v128Load((2 * j) * rowBytes), ...op.set(a),
      ...op.get(p), ...op.v128Load((2 * j + 1) * rowBytes), ...op.set(b),
      // lo = (a0, b0, a1, b1), hi = (a2, b2, a3, b3); lanes 2–3 moved down give the odd index's pair.
      ...op.get(a), ...op.get(b), ...op.i32x4Shuffle([0, 4, 1, 5]), ...op.set(lo),
      ...op.get(a), ...op.get(b), ...op.i32x4Shuffle([2, 6, 3, 7]), ...op.set(hi),
      ...addProduct(j, op.get(lo), 0),
      ...addProduct(j, [...op.get(lo), ...op.get(lo), ...op.i32x4Shuffle([2, 3, 2, 3])], 1),
      ...addProduct(j, op.get(hi), 2),
      ...addProduct(j, [...op.get(hi), ...op.get(hi), ...op.i32x4Shuffle([2, 3, 2, 3])], 3),
    );
  }
  const zero: number[] = [];
  for (let j = 0; j < 4; j++) zero.push(...op.v128Const0(), ...op.set(acc(j)));
  const store: number[] = [];
  for (let j = 0; j < 4; j++) store.push(...op.get(out), ...op.get(acc(j)), ...op.v128Store(16 * j));
  const body: number[] = [
    ...op.loop(),
    ...zero,
    ...op.get(rows), ...op.set(p), ...op.get(q), ...op.set(qp),
    ...op.get(rows), ...op.i32(rowBytes), ...op.i32Add(), ...op.set(end),
    ...op.loop(),
    ...step,
    ...op.get(qp), ...op.i32(32), ...op.i32Add(), ...op.set(qp),
    ...op.get(p), ...op.i32(16), ...op.i32Add(), ...op.tee(p),
    ...op.get(end), ...op.i32LtU(), ...op.brIf(0),
    ...op.end(),
    ...store,
    ...op.get(out), ...op.i32(8 * ROWS_PER_STEP), ...op.i32Add(), ...op.set(out),
    ...op.get(rows), ...op.i32(ROWS_PER_STEP * rowBytes), ...op.i32Add(), ...op.set(rows),
    ...op.get(groups), ...op.i32(1), ...op.i32Sub(), ...op.tee(groups), ...op.brIf(0),
    ...op.end(),
  ];
  return { name: 'dots', params: 4, locals, body };
}

const modules = new Map<string, WebAssembly.Module | null>();

/** The compiled kernel for `dim` (over a shared memory or not), or null where WebAssembly SIMD is missing or compiling is refused. */
function moduleFor(dim: number, shared: boolean): WebAssembly.Module | null {
  const key = `${dim}${shared ? 's' : ''}`;
  let m = modules.get(key);
  if (m !== undefined) return m;
  m = null;
  try {
    const bytes = encodeModule([rowDotsFunction(dim)], 1, shared);
    if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) m = new WebAssembly.Module(bytes);
  } catch {
    // Synchronous compilation can be refused (e.g. on a browser main thread): callers use their JS loops.
  }
  modules.set(key, m);
  return m;
}

let enabled = true;

/** Turns the SIMD row kernel off or on again for indexes made afterwards (tests compare both paths). */
export function setRowDotsEnabled(on: boolean): void {
  enabled = on;
}

/** A shared row memory: its most floats of rows (fixes the memory's maximum) and how many threads get a scratch slot. */
export interface SharedRowsOptions {
  maxFloats: number;
  slots: number;
}

/** What a thread needs to score the rows of a shared WasmRowDots memory in place (structured-cloneable). */
export interface SharedRowsHandle {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  dim: number;
  slots: number;
  slotBytes: number;
}

/** Bytes of one scratch slot: the query (dim float64) and the results (DOT_BLOCK float64), 16-byte aligned. */
const slotBytes = (dim: number): number => Math.ceil((dim + DOT_BLOCK) * 8 / 16) * 16;

/** The scoring half of WasmRowDots, one per thread: what `rowKernel` returns. */
export interface RowKernel {
  readonly dim: number;
  /** The rows' floats (the whole capacity) as this thread sees them now. */
  readonly rows: Float32Array;
  /** See WasmRowDots.dotsWith. */
  dotsWith(query: Float32Array, from: number, first: number, count: number): Float64Array;
  /** Renews the views when the memory grew since they were made (on any thread). */
  refreshIfGrown(): void;
}

/**
 * The kernel over `memory` with scratch slot `slot` (of `slots`, each `slotBytes` long; rows after the last):
 * self-contained (it names nothing outside itself), so a search thread runs this very function's source text.
 */
export function rowKernel(memory: WebAssembly.Memory, module: WebAssembly.Module, dim: number, slots: number, slot: number, slotBytes: number): RowKernel {
  const rowsPerStep = 8; // ROWS_PER_STEP
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const dots = instance.exports['dots'] as (q: number, rows: number, groups: number, out: number) => void;
  const rowsAt = slotBytes * slots, slotAt = slotBytes * slot;
  let bytes = 0;
  let queryView = new Float64Array(0), outView = new Float64Array(0), rows = new Float32Array(0);
  const refresh = (): void => {
    const buffer = memory.buffer;
    bytes = buffer.byteLength;
    queryView = new Float64Array(buffer, slotAt, dim);
    outView = new Float64Array(buffer, slotAt + dim * 8, (slotBytes - dim * 8) >> 3);
    rows = new Float32Array(buffer, rowsAt, (buffer.byteLength - rowsAt) / 4);
  };
  refresh();
  return {
    dim,
    get rows() { return rows; },
    refreshIfGrown() { if (memory.buffer.byteLength !== bytes) refresh(); },
    dotsWith(query, from, first, count) {
      for (let i = 0; i < dim; i++) queryView[i] = query[from + i]!;
      const groups = Math.floor(count / rowsPerStep);
      if (groups > 0) dots(slotAt, rowsAt + first * dim * 4, groups, slotAt + dim * 8);
      // The last count mod 8 rows: the same sum in JS.
      for (let r = groups * rowsPerStep; r < count; r++) {
        const o = (first + r) * dim;
        let d = 0;
        for (let i = 0; i < dim; i++) d += query[from + i]! * rows[o + i]!;
        outView[r] = d;
      }
      return outView.subarray(0, count);
    },
  };
}

/**
 * Rows of `dim` floats kept in a WebAssembly memory of their own, so the SIMD kernel reads them in place (a copy
 * per search would cost as much as the search). The memory is laid out as scratch slots (each the query as dim
 * float64, then the results as DOT_BLOCK float64), then the rows; it grows in place, so rows survive growth (`rows`
 * is a new view after it). A shared memory has one slot per thread, so threads score disjoint rows at once.
 */
export class WasmRowDots {
  private readonly kernel: RowKernel;

  private constructor(
    private readonly memory: WebAssembly.Memory, private readonly module: WebAssembly.Module, readonly dim: number,
    private readonly slots: number,
  ) {
    this.kernel = rowKernel(memory, module, dim, slots, 0, slotBytes(dim));
  }

  /**
   * Storage for at least `floats` floats of rows, or undefined where the kernel cannot serve (no WebAssembly SIMD,
   * dim not a multiple of 4, the memory refused, or disabled by setRowDotsEnabled). `shared` asks for a memory on a
   * SharedArrayBuffer (undefined where the engine has none, or the rows would pass wasm32's 4 GiB).
   */
  static create(dim: number, floats: number, shared?: SharedRowsOptions): WasmRowDots | undefined {
    if (!enabled || dim % 4 !== 0 || dim <= 0) return undefined;
    const module = moduleFor(dim, shared !== undefined);
    if (!module) return undefined;
    const slots = shared ? Math.max(1, shared.slots) : 1;
    try {
      const pages = (n: number): number => Math.max(1, Math.ceil((slotBytes(dim) * slots + n * 4) / PAGE));
      if (shared && pages(shared.maxFloats) > MAX_PAGES) return undefined;
      const memory = shared
        ? new WebAssembly.Memory({ initial: pages(floats), maximum: pages(Math.max(floats, shared.maxFloats)), shared: true })
        : new WebAssembly.Memory({ initial: pages(floats) });
      return new WasmRowDots(memory, module, dim, slots);
    } catch {
      // Beyond what the engine gives one memory (wasm32: 4 GiB), or no shared memory: the caller keeps plain arrays.
      return undefined;
    }
  }

  /** The handle other threads attach with; undefined unless the memory is shared. */
  get shared(): SharedRowsHandle | undefined {
    return this.memory.buffer instanceof ArrayBuffer ? undefined
      : { memory: this.memory, module: this.module, dim: this.dim, slots: this.slots, slotBytes: slotBytes(this.dim) };
  }

  /** The rows' floats (the whole capacity); a new view after `grow`. */
  get rows(): Float32Array {
    return this.kernel.rows;
  }

  /** Room for at least `floats` floats of rows, grown in place; false when the memory cannot grow that far. */
  grow(floats: number): boolean {
    const bytes = slotBytes(this.dim) * this.slots + floats * 4;
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false;
    }
    this.kernel.refreshIfGrown();
    return true;
  }

  /** See RowKernel.dotsWith: the float64 dot products of `query[from, from + dim)` with rows [first, first + count) (count ≤ DOT_BLOCK), each bit for bit the JS loop's; a view valid until the next call. */
  dotsWith(query: Float32Array, from: number, first: number, count: number): Float64Array {
    return this.kernel.dotsWith(query, from, first, count);
  }
}
