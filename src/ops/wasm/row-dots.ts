import { encodeModule, op, ValType, type FunctionSpec } from './encoder.js';

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

const modules = new Map<number, WebAssembly.Module | null>();

/** The compiled kernel for `dim`, or null where WebAssembly SIMD is missing or compiling is refused. */
function moduleFor(dim: number): WebAssembly.Module | null {
  let m = modules.get(dim);
  if (m !== undefined) return m;
  m = null;
  try {
    const bytes = encodeModule([rowDotsFunction(dim)], 1);
    if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) m = new WebAssembly.Module(bytes);
  } catch {
    // Synchronous compilation can be refused (e.g. on a browser main thread): callers use their JS loops.
  }
  modules.set(dim, m);
  return m;
}

let enabled = true;

/** Turns the SIMD row kernel off or on again for indexes made afterwards (tests compare both paths). */
export function setRowDotsEnabled(on: boolean): void {
  enabled = on;
}

/**
 * Rows of `dim` floats kept in a WebAssembly memory of their own, so the SIMD kernel reads them in place (a copy
 * per search would cost as much as the search). The memory is laid out as the query (dim float64), the results
 * (DOT_BLOCK float64), then the rows; it grows in place, so rows survive growth (`rows` is a new view after it).
 */
export class WasmRowDots {
  private view!: Float32Array<ArrayBuffer>;
  private queryView!: Float64Array;
  private outView!: Float64Array;
  private readonly dots: (q: number, rows: number, groups: number, out: number) => void;
  private readonly rowsAt: number;

  private constructor(private readonly memory: WebAssembly.Memory, instance: WebAssembly.Instance, readonly dim: number) {
    this.dots = instance.exports['dots'] as (q: number, rows: number, groups: number, out: number) => void;
    this.rowsAt = Math.ceil((dim + DOT_BLOCK) * 8 / 16) * 16;
    this.refresh();
  }

  /**
   * Storage for at least `floats` floats of rows, or undefined where the kernel cannot serve (no WebAssembly SIMD,
   * dim not a multiple of 4, the memory refused, or disabled by setRowDotsEnabled).
   */
  static create(dim: number, floats: number): WasmRowDots | undefined {
    if (!enabled || dim % 4 !== 0 || dim <= 0) return undefined;
    const module = moduleFor(dim);
    if (!module) return undefined;
    try {
      const bytes = Math.ceil((dim + DOT_BLOCK) * 8 / 16) * 16 + floats * 4;
      const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
      return new WasmRowDots(memory, new WebAssembly.Instance(module, { env: { memory } }), dim);
    } catch {
      // Beyond what the engine gives one memory (wasm32: 4 GiB): the caller keeps plain arrays.
      return undefined;
    }
  }

  /** The rows' floats (the whole capacity); a new view after `grow`. */
  get rows(): Float32Array<ArrayBuffer> {
    return this.view;
  }

  /** Room for at least `floats` floats of rows, grown in place; false when the memory cannot grow that far. */
  grow(floats: number): boolean {
    const bytes = this.rowsAt + floats * 4;
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false;
    }
    this.refresh();
    return true;
  }

  /**
   * The float64 dot products of `query[from, from + dim)` with rows [first, first + count) (count ≤ DOT_BLOCK),
   * each bit for bit the JS loop's: a view valid until the next call.
   */
  dotsWith(query: Float32Array, from: number, first: number, count: number): Float64Array {
    const { dim } = this;
    const qv = this.queryView;
    for (let i = 0; i < dim; i++) qv[i] = query[from + i]!;
    const groups = Math.floor(count / ROWS_PER_STEP);
    if (groups > 0) this.dots(0, this.rowsAt + first * dim * 4, groups, dim * 8);
    const out = this.outView;
    const rows = this.view;
    // The last count mod 8 rows: the same sum in JS.
    for (let r = groups * ROWS_PER_STEP; r < count; r++) {
      const o = (first + r) * dim;
      let d = 0;
      for (let i = 0; i < dim; i++) d += query[from + i]! * rows[o + i]!;
      out[r] = d;
    }
    return out.subarray(0, count);
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    this.queryView = new Float64Array(buffer, 0, this.dim);
    this.outView = new Float64Array(buffer, this.dim * 8, DOT_BLOCK);
    this.view = new Float32Array(buffer, this.rowsAt, (buffer.byteLength - this.rowsAt) / 4);
  }
}
