/**
 * FaceIndex's storage: one contiguous Float32Array of normed rows (in a WasmRowDots memory where its SIMD kernel
 * serves), each row's float64 sum of squares and owner (identity number), and the identities (id, meta). Identity
 * numbers are dense, 0 … size − 1; ids keep enrolment order separately (the Map's insertion order), so renumbering
 * on remove changes no public order. Each identity's rows form a doubly linked list (nextRow / prevRow), so a remove
 * touches only that identity's rows, the rows that move into their holes, and the rows of the identity renumbered
 * into its number.
 */
import { WasmRowDots } from '../../ops/wasm/row-dots.js';
import type { JsonValue, IndexSnapshot } from './index-file.js';
import { sumSquares } from './search-cpu.js';

/** Bytes of bookkeeping per row beside its floats: norm² (f64), owner (i32), and the two links of its identity's list (i32). */
export const ROW_BOOKKEEPING_BYTES = 20;

/** What a remove reports to a mirror of the rows (the GPU's): rows whose content changed, and the new row count. */
export interface RowMoves {
  rowChanged(row: number): void;
  truncated(count: number): void;
}

/** Where the rows live: their bound, and the threads that will read them (more than 1: a shared memory). */
export interface RowPlacement {
  /** Most rows the index may hold (fixes a shared memory's maximum). */
  readonly rowLimit: number;
  /** Scratch slots a shared memory needs (one per thread that scores); 0 or 1: not shared. */
  readonly sharedSlots: number;
}

const NONE = -1;

/** The rows and identities of one index of fixed dim. */
export class IdentityRows {
  rows: Float32Array = new Float32Array(0);
  /** The WebAssembly memory `rows` lives in, where its SIMD kernel serves (else rows is a plain array). */
  dots: WasmRowDots | undefined;
  rowSq: Float64Array = new Float64Array(0);
  owner: Int32Array = new Int32Array(0);
  count = 0;
  /** By identity number. */
  readonly ids: string[] = [];
  readonly meta: (JsonValue | undefined)[] = [];
  /**
   * Changes whenever a row moves, an identity is renumbered or the arrays are replaced: work that read the arrays
   * across an await checks it to know that what it read still holds.
   */
  layout = 0;
  /** Identity number by id, in enrolment order. */
  private readonly byId = new Map<string, number>();
  private firstRow: number[] = [];
  private nextRow = new Int32Array(0);
  private prevRow = new Int32Array(0);

  constructor(readonly dim: number, private readonly placement: RowPlacement) {}

  /** Rows the arrays hold now. */
  get capacity(): number {
    return this.owner.length;
  }

  /** Bytes of the row arrays (their capacity). */
  get bytes(): number {
    return this.rows.byteLength + this.rowSq.byteLength + this.owner.byteLength + this.nextRow.byteLength + this.prevRow.byteLength;
  }

  /** The identity number of an id, undefined when it is not enrolled. */
  numberOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** The ids in enrolment order. */
  enrolled(): string[] {
    return [...this.byId.keys()];
  }

  /** Appends one normed row to the identity (a new one at the end when the id is new); `meta` replaces its metadata when `replaceMeta`. */
  append(id: string, normed: Float32Array, meta: JsonValue | undefined, replaceMeta: boolean): void {
    const { dim } = this;
    this.reserve(this.count + 1);
    const r = this.count;
    this.rows.set(normed, r * dim);
    this.rowSq[r] = sumSquares(this.rows, r * dim, dim);
    let o = this.byId.get(id);
    if (o === undefined) {
      o = this.ids.length;
      this.ids.push(id);
      this.meta.push(meta);
      this.firstRow.push(NONE);
      this.byId.set(id, o);
    } else if (replaceMeta) {
      this.meta[o] = meta;
    }
    this.owner[r] = o;
    this.link(o, r);
    this.count++;
  }

  /**
   * Removes an identity and its rows; whether it was enrolled. Holes below the new count take the last rows
   * (the lowest hole the highest row), and the last identity takes the removed one's number.
   */
  remove(id: string, mirror?: RowMoves): boolean {
    const gone = this.byId.get(id);
    if (gone === undefined) return false;
    const holes: number[] = [];
    for (let r = this.firstRow[gone]!; r !== NONE; r = this.nextRow[r]!) holes.push(r);
    holes.sort((a, b) => a - b);
    const end = this.count - holes.length;
    let from = this.count;
    for (const hole of holes) {
      if (hole >= end) break;
      do from--; while (this.owner[from] === gone);
      this.moveRow(from, hole);
      mirror?.rowChanged(hole);
    }
    this.count = end;
    mirror?.truncated(end);
    const last = this.ids.length - 1;
    this.byId.delete(id);
    if (gone !== last) {
      for (let r = this.firstRow[last]!; r !== NONE; r = this.nextRow[r]!) this.owner[r] = gone;
      this.firstRow[gone] = this.firstRow[last]!;
      this.ids[gone] = this.ids[last]!;
      this.meta[gone] = this.meta[last];
      this.byId.set(this.ids[gone]!, gone);
    }
    this.ids.pop();
    this.meta.pop();
    this.firstRow.pop();
    this.layout++;
    return true;
  }

  /** The content in the file's terms: identities numbered in enrolment order, rows in storage order. */
  snapshot(): IndexSnapshot {
    const fileNumber = new Int32Array(this.ids.length);
    const ids: string[] = [], meta: (JsonValue | undefined)[] = [];
    for (const [id, o] of this.byId) {
      fileNumber[o] = ids.length;
      ids.push(id);
      meta.push(this.meta[o]);
    }
    const owner = new Int32Array(this.count);
    for (let r = 0; r < this.count; r++) owner[r] = fileNumber[this.owner[r]!]!;
    return { dim: this.dim, ids, meta, owner, rows: this.rows.subarray(0, this.count * this.dim) };
  }

  /** Fills an empty store from a decoded file (identities in the file's order); the index of a zero row, else -1. */
  fill(s: IndexSnapshot): number {
    s.ids.forEach((id, o) => {
      this.byId.set(id, o);
      this.ids.push(id);
      this.meta.push(s.meta[o]);
      this.firstRow.push(NONE);
    });
    const n = s.owner.length;
    this.reserve(n);
    this.rows.set(s.rows);
    this.owner.set(s.owner);
    this.count = n;
    for (let r = 0; r < n; r++) {
      this.rowSq[r] = sumSquares(this.rows, r * this.dim, this.dim);
      if (!(this.rowSq[r]! > 0)) return r;
      this.link(s.owner[r]!, r);
    }
    return -1;
  }

  /** Room for `rows` rows: the arrays grow ×1.5 (capped at the row limit), rows in place in their WebAssembly memory. */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const { dim } = this;
    const { rowLimit, sharedSlots } = this.placement;
    const capacity = Math.min(rowLimit, Math.max(rows, 16, Math.ceil(this.capacity * 1.5)));
    const grow = <T extends Float32Array | Float64Array | Int32Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(capacity * per);
      next.set(old.subarray(0, this.count * per) as never);
      return next;
    };
    if (this.capacity === 0) {
      // Threads need the rows on a SharedArrayBuffer; where that memory is refused, the rows stay one thread's.
      const shared = sharedSlots > 1 ? { maxFloats: rowLimit * dim, slots: sharedSlots } : undefined;
      this.dots = (shared && WasmRowDots.create(dim, capacity * dim, shared)) || WasmRowDots.create(dim, capacity * dim);
    }
    // Where the WebAssembly memory cannot be made or grown the rows move to a plain array.
    if (this.dots?.grow(capacity * dim)) this.rows = this.dots.rows;
    else {
      this.dots = undefined;
      this.rows = grow(this.rows, (n) => new Float32Array(n), dim);
    }
    // Shared too when threads read them (a worker gets them by reference, not by copy).
    const onShared = this.dots?.shared !== undefined;
    this.rowSq = grow(this.rowSq, (n) => (onShared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n)), 1);
    this.owner = grow(this.owner, (n) => (onShared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n)), 1);
    this.nextRow = grow(this.nextRow, (n) => new Int32Array(n), 1);
    this.prevRow = grow(this.prevRow, (n) => new Int32Array(n), 1);
    this.layout++;
  }

  /** Puts row r at the head of identity o's list. */
  private link(o: number, r: number): void {
    const head = this.firstRow[o]!;
    this.nextRow[r] = head;
    this.prevRow[r] = NONE;
    if (head !== NONE) this.prevRow[head] = r;
    this.firstRow[o] = r;
  }

  /** Copies row `from` into row `to` (a hole), and puts `to` in `from`'s place in its identity's list. */
  private moveRow(from: number, to: number): void {
    const { dim } = this;
    this.rows.copyWithin(to * dim, from * dim, (from + 1) * dim);
    this.rowSq[to] = this.rowSq[from]!;
    const o = this.owner[from]!;
    this.owner[to] = o;
    const before = this.prevRow[from]!, after = this.nextRow[from]!;
    this.prevRow[to] = before;
    this.nextRow[to] = after;
    if (before === NONE) this.firstRow[o] = to;
    else this.nextRow[before] = to;
    if (after !== NONE) this.prevRow[after] = to;
  }
}
