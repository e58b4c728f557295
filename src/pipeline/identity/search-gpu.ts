/**
 * The rows of a face index mirrored on a GPU, and its top-k: one score pass (queries × rows, a matrix product) that
 * keeps the best `k` of every CHUNK rows, then merge passes until `k` candidates per query remain. The rows live in
 * shards (buffers) no larger than the device's maxStorageBufferBindingSize and maxBufferSize; a shard grows by a GPU
 * copy, so adding rows uploads only the new rows.
 */
import { BufferUsage, MapMode } from '../../backends/webgpu/gpu-constants.js';
import { IndexMemoryError } from './errors.js';
import { CHUNK, EMPTY_ROW, MERGE_KERNEL, PARAM_WORDS, scoreKernel, type RowPrecision } from './search-gpu-wgsl.js';
import { packHalves } from './f16.js';

/** Most candidates a query may ask for (a workgroup keeps at most a quarter of its CHUNK, so each merge shrinks ×4). */
export const MAX_GPU_K = CHUNK / 4;
/** Bytes of one uniform slot (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
const SLOT = 256;
/** Largest workgroup count per dispatch dimension that every WebGPU device allows. */
const MAX_GROUPS = 65535;

/** The best rows of each query, best first: `rows[q * k + j]` and its GPU score, EMPTY_ROW past the last row. */
export interface GpuTopRows {
  k: number;
  rows: Uint32Array;
  scores: Float32Array;
}

interface Shard {
  buffer: GPUBuffer;
  capacity: number;
}

/** Face-index rows on one GPU device, searched exactly (up to float32 rounding, see rowScoreError). */
export class GpuRowSearch {
  /** Floats per row on the device: dim padded to a multiple of 4. */
  readonly stride: number;
  private readonly shardRows: number;
  private readonly rowBytes: number;
  private readonly bindingLimit: number;
  private shards: Shard[] = [];
  private count = 0;
  private scorePipeline: GPUComputePipeline | undefined;
  private mergePipeline: GPUComputePipeline | undefined;

  /** Rows written to the device so far (what crossed the bus), for tests and benchmarks. */
  rowsWritten = 0;

  /**
   * An empty mirror of `dim`-wide rows. `maxBytes` bounds the GPU bytes it holds (rows plus one search's work
   * buffers); IndexMemoryError beyond it. A shard is at most the device's maxStorageBufferBindingSize and
   * maxBufferSize, and at most `shardBytes` when given (smaller shards exercise the split on any device).
   */
  constructor(readonly device: GPUDevice, readonly dim: number, readonly precision: RowPrecision, readonly maxBytes = Infinity, shardBytes = Infinity) {
    this.stride = Math.ceil(dim / 4) * 4;
    this.rowBytes = this.stride * (precision === 'f32' ? 4 : 2);
    this.bindingLimit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const limit = Math.min(this.bindingLimit, shardBytes);
    const rows = Math.floor(limit / this.rowBytes / CHUNK) * CHUNK;
    if (rows < CHUNK) throw new IndexMemoryError(`a ${dim}-d shard of ${CHUNK} rows exceeds the device's buffer limit of ${limit} bytes`, CHUNK * this.rowBytes, limit);
    this.shardRows = Math.min(rows, MAX_GROUPS * CHUNK);
  }

  /** Rows on the device. */
  get rows(): number {
    return this.count;
  }

  /** Row buffers (shards) on the device. */
  get shardCount(): number {
    return this.shards.length;
  }

  /** GPU bytes the row shards take (their capacity, not just the rows in use). */
  get rowBufferBytes(): number {
    return this.shards.reduce((s, b) => s + b.buffer.size, 0);
  }

  /** Most queries one `topRows` call may take for k candidates: its candidate list must fit one buffer binding. */
  queriesPerCall(k: number): number {
    return Math.floor(this.bindingLimit / (this.firstPassCandidates(k) * 8));
  }

  /** GPU bytes a search of `queries` queries for `k` candidates adds while it runs (queries, candidates, read-back). */
  searchBytes(queries: number, k: number): number {
    const first = this.firstPassCandidates(k);
    return queries * (this.stride * 4 + first * 8 + Math.ceil(first / CHUNK) * k * 8 + k * 8 * 2) + SLOT * 64;
  }

  /**
   * Writes rows [from, to) of `rows` (row r at r·dim, float32, normed) to the device, growing it to `to` rows when
   * needed. Only these rows cross the bus.
   */
  write(rows: Float32Array, from: number, to: number): void {
    this.reserve(to);
    // Pieces of at most 4 MiB keep the staging copy small whatever the range.
    const piece = Math.max(1, Math.floor((4 << 20) / this.rowBytes));
    for (let a = from; a < to;) {
      const shard = Math.floor(a / this.shardRows);
      const b = Math.min(to, a + piece, (shard + 1) * this.shardRows);
      const staged = this.stage(rows, a, b);
      const offset = (a - shard * this.shardRows) * this.rowBytes;
      this.device.queue.writeBuffer(this.shards[shard]!.buffer, offset, staged.buffer, staged.byteOffset, staged.byteLength);
      a = b;
    }
    this.rowsWritten += to - from;
    this.count = Math.max(this.count, to);
  }

  /** Keeps only the first `count` rows (the rest are no longer searched; their buffers stay for reuse). */
  truncate(count: number): void {
    this.count = Math.min(this.count, count);
  }

  /**
   * The best `k` rows (≤ MAX_GPU_K) of each of `n` queries (normed, `dim` floats each, packed in `queries`), by
   * the GPU's float32 dot product, best first and ties by lower row number.
   */
  async topRows(queries: Float32Array, n: number, k: number): Promise<GpuTopRows> {
    if (!(k >= 1 && k <= MAX_GPU_K)) throw new RangeError(`k must be in [1, ${MAX_GPU_K}], got ${k}`);
    if (n > this.queriesPerCall(k)) {
      throw new IndexMemoryError(`${n} queries × ${this.firstPassCandidates(k)} candidates exceed one buffer binding`, n * this.firstPassCandidates(k) * 8, this.bindingLimit);
    }
    const need = this.rowBufferBytes + this.searchBytes(n, k);
    if (need > this.maxBytes) throw new IndexMemoryError(`a search of ${n} queries needs ${need} GPU bytes`, need, this.maxBytes);
    if (this.count === 0) return { k, rows: new Uint32Array(n * k).fill(EMPTY_ROW), scores: new Float32Array(n * k).fill(-Infinity) };
    const device = this.device;
    const { score, merge } = this.pipelines();
    const padded = new Float32Array(n * this.stride);
    for (let q = 0; q < n; q++) padded.set(queries.subarray(q * this.dim, (q + 1) * this.dim), q * this.stride);
    const temp: GPUBuffer[] = [];
    const buffer = (size: number, usage: number, label: string): GPUBuffer => {
      const b = device.createBuffer({ size: Math.max(16, Math.ceil(size / 16) * 16), usage, label });
      temp.push(b);
      return b;
    };
    const queryBuffer = buffer(padded.byteLength, BufferUsage.STORAGE | BufferUsage.COPY_DST, 'index-queries');
    device.queue.writeBuffer(queryBuffer, 0, padded);
    const params: Uint32Array[] = [];
    const passes: { pipeline: GPUComputePipeline; input: GPUBuffer; output: GPUBuffer; groups: number; slot: number }[] = [];
    let width = this.firstPassCandidates(k);
    let current = buffer(n * width * 8, BufferUsage.STORAGE | BufferUsage.COPY_SRC, 'index-candidates');
    this.shards.forEach((shard, i) => {
      const rows = Math.min(shard.capacity, this.count - i * this.shardRows);
      if (rows <= 0) return;
      const groups = Math.ceil(rows / CHUNK);
      const outOffset = (i * this.shardRows / CHUNK) * k;
      params.push(Uint32Array.of(rows, this.stride / 4, k, width, outOffset, 0, i * this.shardRows, 0));
      passes.push({ pipeline: score, input: shard.buffer, output: current, groups, slot: params.length - 1 });
    });
    while (width > k) {
      const groups = Math.ceil(width / CHUNK);
      const next = buffer(n * groups * k * 8, BufferUsage.STORAGE | BufferUsage.COPY_SRC, 'index-candidates');
      params.push(Uint32Array.of(width, 0, k, groups * k, 0, width, 0, 0));
      passes.push({ pipeline: merge, input: current, output: next, groups, slot: params.length - 1 });
      current = next;
      width = groups * k;
    }
    const uniforms = buffer(params.length * SLOT, BufferUsage.UNIFORM | BufferUsage.COPY_DST, 'index-params');
    params.forEach((p, i) => device.queue.writeBuffer(uniforms, i * SLOT, p));
    const encoder = device.createCommandEncoder({ label: 'index-search' });
    for (const p of passes) {
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: uniforms, offset: p.slot * SLOT, size: PARAM_WORDS * 4 } },
        { binding: 1, resource: { buffer: p.input } },
        { binding: 3, resource: { buffer: p.output } },
      ];
      if (p.pipeline === score) entries.push({ binding: 2, resource: { buffer: queryBuffer } });
      const pass = encoder.beginComputePass({ label: 'index-search' });
      pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout: p.pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(p.groups, n);
      pass.end();
    }
    const bytes = n * k * 8;
    const staging = buffer(bytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'index-read-back');
    encoder.copyBufferToBuffer(current, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(MapMode.READ, 0, bytes);
      const words = new Uint32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      const rows = new Uint32Array(n * k);
      const scores = new Float32Array(n * k);
      const asFloat = new Float32Array(words.buffer);
      for (let i = 0; i < n * k; i++) {
        rows[i] = words[2 * i + 1]!;
        scores[i] = rows[i] === EMPTY_ROW ? -Infinity : asFloat[2 * i]!;
      }
      return { k, rows, scores };
    } finally {
      for (const b of temp) b.destroy();
    }
  }

  /** Frees the device buffers; the mirror is empty afterwards. */
  destroy(): void {
    for (const s of this.shards) s.buffer.destroy();
    this.shards = [];
    this.count = 0;
  }

  /** Candidates per query after the score pass: k per CHUNK rows (every shard but the last is full, a CHUNK multiple). */
  private firstPassCandidates(k: number): number {
    return Math.max(1, Math.ceil(this.count / CHUNK)) * k;
  }

  private pipelines(): { score: GPUComputePipeline; merge: GPUComputePipeline } {
    const make = (code: string, label: string): GPUComputePipeline =>
      this.device.createComputePipeline({ layout: 'auto', compute: { module: this.device.createShaderModule({ code, label }), entryPoint: 'main' }, label });
    this.scorePipeline ??= make(scoreKernel(this.precision), `index-score-${this.precision}`);
    this.mergePipeline ??= make(MERGE_KERNEL, 'index-merge');
    return { score: this.scorePipeline, merge: this.mergePipeline };
  }

  /** Makes room for `rows` rows: grows the last shard (a GPU copy, doubling) up to shardRows, then adds shards. */
  private reserve(rows: number): void {
    const plan = this.shards.map((s) => s.capacity);
    const total = (): number => plan.reduce((a, b) => a + b, 0);
    for (let i = 0; total() < rows; i++) {
      const have = plan[i] ?? 0;
      if (have === this.shardRows) continue;
      // Shards before i are full, so shard i holds the rows from i·shardRows on.
      const want = Math.max(rows - i * this.shardRows, 2 * have, CHUNK);
      plan[i] = Math.min(this.shardRows, Math.ceil(want / CHUNK) * CHUNK);
    }
    if (plan.length === this.shards.length && plan.every((c, i) => c === this.shards[i]!.capacity)) return;
    const needBytes = total() * this.rowBytes;
    if (needBytes > this.maxBytes) throw new IndexMemoryError(`${rows} rows of ${this.rowBytes} bytes need ${needBytes} GPU bytes`, needBytes, this.maxBytes);
    const encoder = this.device.createCommandEncoder({ label: 'index-grow' });
    const old: GPUBuffer[] = [];
    plan.forEach((capacity, i) => {
      const s = this.shards[i];
      if (s && s.capacity === capacity) return;
      const buffer = this.device.createBuffer({ size: capacity * this.rowBytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC, label: `index-rows-${i}` });
      if (s) {
        encoder.copyBufferToBuffer(s.buffer, 0, buffer, 0, s.buffer.size);
        old.push(s.buffer);
      }
      this.shards[i] = { buffer, capacity };
    });
    this.device.queue.submit([encoder.finish()]);
    // Destroying after the submit is safe: the copy still completes (WebGPU defers freeing until queued work is done).
    for (const b of old) b.destroy();
  }

  private stage(rows: Float32Array, a: number, b: number): Uint32Array | Float32Array {
    const n = b - a;
    const f = new Float32Array(n * this.stride);
    for (let r = 0; r < n; r++) f.set(rows.subarray((a + r) * this.dim, (a + r + 1) * this.dim), r * this.stride);
    return this.precision === 'f32' ? f : packHalves(f);
  }
}

/**
 * Largest difference between a GPU score and the exact score of the same row (cosine of float32 normed vectors):
 * float32 dot products of unit vectors err by at most dim·2⁻²⁴ (γ_dim · Σ|qᵢrᵢ| ≤ γ_dim · ‖q‖‖r‖), the exact score
 * divides by norms within dim·2⁻²⁴ of 1, and both round once more; f16 rows add 2⁻¹¹ relative per element and, for
 * elements a GPU may flush to zero (below 2⁻¹⁴), 2⁻¹⁴ absolute per unit of |qᵢ| (Σ|qᵢ| ≤ √dim). Doubled for margin.
 */
export function rowScoreError(dim: number, precision: RowPrecision): number {
  const f32 = (3 * dim + 4) * 2 ** -24;
  const f16 = precision === 'f16' ? 2 ** -11 * 1.01 + Math.sqrt(dim) * 2 ** -14 : 0;
  return 2 * (f32 + f16);
}
